"""Pure rules of recurring visits (faste avtaler): which local dates a series falls on, and when, DST-correct."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True, slots=True)
class Pattern:
    """A series' pattern: weekdays (0 = Monday), a local wall-clock time, every 1 or 2 weeks, between two dates."""

    weekdays: tuple[int, ...]
    local_time: time
    every_weeks: int
    valid_from: date
    valid_until: date | None


def dates_between(pattern: Pattern, first: date, last: date) -> list[date]:
    """The local dates of [first, last] the series falls on.

    Every second week counts weeks from the Monday of `valid_from`'s week: that week is always one of them.
    """
    start = max(first, pattern.valid_from)
    end = last if pattern.valid_until is None else min(last, pattern.valid_until)
    base = pattern.valid_from - timedelta(days=pattern.valid_from.weekday())
    found = []
    day = start
    while day <= end:
        monday = day - timedelta(days=day.weekday())
        if day.weekday() in pattern.weekdays and ((monday - base).days // 7) % pattern.every_weeks == 0:
            found.append(day)
        day += timedelta(days=1)
    return found


def local_start(day: date, at: time, zone: ZoneInfo) -> datetime | None:
    """The instant (UTC) of wall-clock `at` on `day` in `zone`; None when that time does not exist that day.

    10:00 stays 10:00 local across a DST change. On the spring-forward night 02:30 does not exist (None); in
    autumn an hour that occurs twice is taken the first time (fold 0).
    """
    local = datetime.combine(day, at, tzinfo=zone)
    instant = local.astimezone(UTC)
    back = instant.astimezone(zone)
    if (back.date(), back.time()) != (day, at):
        return None
    return instant


def nearest(wanted: datetime, free: Sequence[datetime], count: int = 3) -> list[datetime]:
    """The `count` free starts closest to `wanted` (ties: the earlier first), in time order."""
    return sorted(sorted(free, key=lambda s: (abs(s - wanted), s))[:count])


def covered_until(decisions: Sequence[tuple[date, date | None]]) -> date | None:
    """The last day any of a recipient's decisions for a service (valid_from, valid_to) covers; None: open-ended.

    A series runs no further than that: a decision that ends ends its series there, unless a later or open-ended
    decision (a renewal) carries it on. Gaps between decisions are not trimmed: an occurrence in one is refused,
    and told, as `no_valid_allocation`.
    """
    if not decisions or any(valid_to is None for _, valid_to in decisions):
        return None
    return max(valid_to for _, valid_to in decisions if valid_to is not None)
