"""Pure booking rules: allocation periods, the grid, notice and horizon, and what a visit occupies."""

from __future__ import annotations

import calendar
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

WEEK, MONTH, FOUR_WEEKS = "week", "month", "four_weeks"
LONGEST_PERIOD_DAYS = 31  # no period is longer (a calendar month): one that ends on or after a date began after
# that date less this many days, a bound that lets a read of periods use their index on (decision, start)
GRID_EPOCH = datetime(2000, 1, 3, tzinfo=UTC)  # a Monday midnight in UTC: cells align to the grid from it


@dataclass(frozen=True, slots=True)
class Period:
    """An allocation period: local dates [start, end], both inclusive."""

    start: date
    end: date


def period_of(kind: str, anchor: date | None, day: date) -> Period:
    """The allocation period containing the local date `day`.

    Args:
        kind: `week` (ISO week, Monday to Sunday), `month` (calendar month) or `four_weeks` (from `anchor`).
        anchor: The first day of some 4-week period (required for `four_weeks`).
        day: A local date.

    """
    if kind == WEEK:
        start = day - timedelta(days=day.weekday())
        return Period(start, start + timedelta(days=6))
    if kind == MONTH:
        return Period(day.replace(day=1), day.replace(day=calendar.monthrange(day.year, day.month)[1]))
    if kind == FOUR_WEEKS and anchor is not None:
        start = anchor + timedelta(days=28 * ((day - anchor).days // 28))
        return Period(start, start + timedelta(days=27))
    msg = f"unknown period {kind!r} (or a 4-week period without an anchor)"
    raise ValueError(msg)


ONE_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Grant:
    """A decision (vedtak) as the period rules need it: how its periods run, and the dates it is valid."""

    id: uuid.UUID
    period: str
    anchor: date | None
    valid_from: date
    valid_to: date | None


def counting_on(grants: Sequence[Grant], day: date) -> tuple[Grant, Period] | None:
    """The decision whose minutes a visit on `day` uses, and its period there; None when none is valid that day.

    The latest decision valid that day (by `valid_from`, then id), as a booking picks it.
    """
    valid = [g for g in grants if g.valid_from <= day and (g.valid_to is None or g.valid_to >= day)]
    if not valid:
        return None
    grant = max(valid, key=lambda g: (g.valid_from, g.id))
    return grant, period_of(grant.period, grant.anchor, day)


def renewal(grants: Sequence[Grant], day: date) -> date | None:
    """The first date after `day` on which new minutes begin; None when no decision is valid on any later date.

    That is the first later date counted in another period than `day`'s: the next period of the same decision,
    or the day another decision takes over. What counts can only change where a period ends or a decision
    begins or ends, so only those dates are tried.
    """
    now = counting_on(grants, day)
    changes = {g.valid_from for g in grants} | {g.valid_to + ONE_DAY for g in grants if g.valid_to is not None}
    if now is not None:
        changes.add(now[1].end + ONE_DAY)
    for candidate in sorted(c for c in changes if c > day):
        then = counting_on(grants, candidate)
        if then is not None and then != now:
            return candidate
    return None


@dataclass(frozen=True, slots=True)
class Policy:
    """The department's booking policy, as the rules need it."""

    zone: ZoneInfo
    grid_minutes: int
    horizon_days: int
    notice_hours: int
    cancel_deadline_hours: int


def start_problem(start: datetime, minutes: int, durations: list[int], policy: Policy, now: datetime) -> str | None:
    """Why a visit of `minutes` cannot start at `start`, or None. Codes map to problem types in `api/`."""
    if minutes not in durations:
        return "duration_not_allowed"
    local = start.astimezone(policy.zone)
    if local.second or local.microsecond or (local.hour * 60 + local.minute) % policy.grid_minutes:
        return "not_on_grid"
    if start < now:
        return "in_the_past"
    if start < now + timedelta(hours=policy.notice_hours):
        return "too_short_notice"
    if local.date() > now.astimezone(policy.zone).date() + timedelta(days=policy.horizon_days):
        return "beyond_horizon"
    return None


def occupied(start: datetime, minutes: int, buffer_before: int, buffer_after: int) -> tuple[datetime, datetime]:
    """The time a visit takes from the department: the visit plus travel before and after."""
    return start - timedelta(minutes=buffer_before), start + timedelta(minutes=minutes + buffer_after)


def cells_covering(span_start: datetime, span_end: datetime, grid_minutes: int) -> int:
    """How many grid cells intersect [span_start, span_end), cells aligned to the grid in UTC.

    Cells start on local grid times; for zones whose offsets are whole multiples of the grid (all of
    Norway's) these are grid-aligned in UTC too.
    """
    grid = timedelta(minutes=grid_minutes)
    first = span_start - (span_start - GRID_EPOCH) % grid
    return -(-(span_end - first) // grid)


def is_late_cancellation(start: datetime, now: datetime, policy: Policy) -> bool:
    """Cancelled within the department's cancellation deadline before the visit."""
    return now > start - timedelta(hours=policy.cancel_deadline_hours)


REVIEW_WEEK = 47  # the yearly review starts in ISO week 47 (Molde and Kristiansund's resource allocation cycle)


def default_review_date(valid_from: date) -> date:
    """The Monday of ISO week 47 on or after `valid_from`: when a decision is first reviewed."""
    this_year = date.fromisocalendar(valid_from.isocalendar().year, REVIEW_WEEK, 1)
    return this_year if this_year >= valid_from else date.fromisocalendar(this_year.year + 1, REVIEW_WEEK, 1)


def allocation_problem(  # noqa: PLR0913 - keyword-only; one value each
    *, period: str, period_anchor: date | None, valid_from: date, valid_to: date | None, kind: str,
    evaluation_date: date | None,
) -> str | None:  # fmt: skip
    """Why a decision's shape is not valid (a problem code), or None."""
    if (period == FOUR_WEEKS) != (period_anchor is not None):
        return "allocation_anchor"
    if valid_to is not None and valid_to < valid_from:
        return "invalid_range"
    if (kind == "trial") != (evaluation_date is not None):
        return "allocation_evaluation_date"
    if evaluation_date is not None and (
        evaluation_date < valid_from or (valid_to is not None and evaluation_date > valid_to)
    ):
        return "allocation_evaluation_date"
    return None
