"""The booking rules on their own: a start's problems, the cells a span takes, and a late cancellation."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from booking import rules

OSLO = ZoneInfo("Europe/Oslo")
POLICY = rules.Policy(OSLO, grid_minutes=15, horizon_days=14, notice_hours=2, cancel_deadline_hours=24)
NOW = datetime(2026, 9, 9, 10, 0, tzinfo=OSLO)


@pytest.mark.parametrize(
    ("start", "minutes", "problem"),
    [
        (NOW + timedelta(days=1), 45, "duration_not_allowed"),
        (NOW + timedelta(days=1, minutes=5), 30, "not_on_grid"),
        (NOW + timedelta(days=1, seconds=30), 30, "not_on_grid"),
        (NOW - timedelta(minutes=15), 30, "in_the_past"),
        (NOW + timedelta(hours=1, minutes=45), 30, "too_short_notice"),
        (NOW + timedelta(days=15), 30, "beyond_horizon"),
        (NOW + timedelta(hours=2), 30, None),
        (NOW + timedelta(days=14), 60, None),
    ],
)
def test_a_start_is_refused_for_the_first_reason_that_holds(start: datetime, minutes: int, problem: str | None) -> None:
    assert rules.start_problem(start, minutes, [30, 60], POLICY, NOW) == problem


def test_the_horizon_counts_whole_days_in_the_departments_zone() -> None:
    late_evening = datetime(2026, 9, 23, 23, 45, tzinfo=OSLO)  # the 14th day, 21:45 in UTC
    assert rules.start_problem(late_evening, 30, [30], POLICY, NOW) is None
    assert rules.start_problem(late_evening + timedelta(minutes=15), 30, [30], POLICY, NOW) == "beyond_horizon"


@pytest.mark.parametrize(
    ("start_minute", "end_minute", "cells"),
    [(0, 15, 1), (0, 30, 2), (5, 20, 2), (14, 16, 2), (15, 60, 3), (0, 1, 1), (10, 100, 7)],
)
def test_a_span_takes_every_grid_cell_it_touches(start_minute: int, end_minute: int, cells: int) -> None:
    base = datetime(2026, 9, 10, 8, tzinfo=UTC)
    span = (base + timedelta(minutes=start_minute), base + timedelta(minutes=end_minute))
    assert rules.cells_covering(*span, 15) == cells


def test_the_span_of_a_visit_holds_its_travel_before_and_after() -> None:
    start = NOW + timedelta(days=1)
    assert rules.occupied(start, 30, 10, 5) == (start - timedelta(minutes=10), start + timedelta(minutes=35))


@pytest.mark.parametrize(("hours_before", "late"), [(25, False), (24, False), (23, True), (0, True)])
def test_a_cancellation_is_late_within_the_deadline(hours_before: int, late: bool) -> None:  # noqa: FBT001
    start = NOW + timedelta(days=2)
    assert rules.is_late_cancellation(start, start - timedelta(hours=hours_before), POLICY) is late


@pytest.mark.parametrize("kind", [rules.WEEK, rules.MONTH, rules.FOUR_WEEKS])
def test_no_period_is_longer_than_the_longest(kind: str) -> None:
    anchor = date(2026, 1, 5)
    days = [date(2026, 1, 1) + timedelta(days=n) for n in range(800)]
    periods = {rules.period_of(kind, anchor, day) for day in days}
    assert max((p.end - p.start).days + 1 for p in periods) <= rules.LONGEST_PERIOD_DAYS
    assert all(p.start <= day <= p.end for day in days for p in [rules.period_of(kind, anchor, day)])
