"""Pure waitlist rules: what an entry asks for, whether a freed start fits it, and whether it can still be offered."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from booking import rules as booking_rules

DAY_MINUTES = 24 * 60
LONGEST_WAIT_DAYS = 366  # an entry's dates span at most a year: the line is not a standing order


@dataclass(frozen=True, slots=True)
class Wish:
    """What an entry waits for: a visit of `minutes` starting on one of the local days, inside the hours."""

    minutes: int
    first_day: date
    last_day: date
    weekdays: frozenset[int] | None  # 0 = Monday; None: any day
    from_minute: int | None  # local minute of the day the visit may start from
    to_minute: int | None  # local minute of the day the visit must end by


def wish_problem(wish: Wish, durations: list[int], today: date) -> str | None:  # noqa: PLR0911 - one code a rule
    """Why an entry cannot be made as asked (a problem code), or None."""
    if wish.minutes not in durations:
        return "duration_not_allowed"
    if wish.last_day < wish.first_day:
        return "invalid_range"
    if wish.last_day < today:
        return "waitlist_in_the_past"
    if (wish.last_day - wish.first_day).days > LONGEST_WAIT_DAYS:
        return "waitlist_too_long"
    if wish.weekdays is not None and (not wish.weekdays or not wish.weekdays <= set(range(7))):
        return "waitlist_weekdays"
    hours = [m for m in (wish.from_minute, wish.to_minute) if m is not None]
    if any(m < 0 or m > DAY_MINUTES for m in hours):
        return "waitlist_hours"
    if wish.from_minute is not None and wish.to_minute is not None and wish.to_minute - wish.from_minute < wish.minutes:
        return "waitlist_hours"
    return None


def fits(wish: Wish, start: datetime, zone: ZoneInfo) -> bool:
    """Whether a visit of the wish's length starting at `start` is one the entry waits for (local days and hours)."""
    local = start.astimezone(zone)
    if not wish.first_day <= local.date() <= wish.last_day:
        return False
    if wish.weekdays is not None and local.weekday() not in wish.weekdays:
        return False
    begins = local.hour * 60 + local.minute
    if wish.from_minute is not None and begins < wish.from_minute:
        return False
    ends = (start + timedelta(minutes=wish.minutes)).astimezone(zone)
    end_minute = (ends.date() - local.date()).days * DAY_MINUTES + ends.hour * 60 + ends.minute
    return wish.to_minute is None or end_minute <= wish.to_minute


def offerable(  # noqa: PLR0913 - keyword-only; one value each
    *, start: datetime, minutes: int, durations: list[int], policy: booking_rules.Policy, now: datetime,
    hold: timedelta,
) -> bool:  # fmt: skip
    """Whether a start could still be booked now and at the end of the hold (notice and horizon both ways)."""
    return (
        booking_rules.start_problem(start, minutes, durations, policy, now) is None
        and booking_rules.start_problem(start, minutes, durations, policy, now + hold) is None
    )
