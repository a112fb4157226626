"""The waitlist's pure rules: which wishes are valid, which freed starts fit them (DST included)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from booking.rules import Policy
from waitlist.rules import Wish, fits, offerable, wish_problem

OSLO = ZoneInfo("Europe/Oslo")
TODAY = date(2026, 3, 20)


def _wish(**changes: object) -> Wish:
    base = {"minutes": 60, "first_day": TODAY, "last_day": TODAY + timedelta(days=14), "weekdays": None,
            "from_minute": None, "to_minute": None}  # fmt: skip
    return Wish(**(base | changes))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({}, None),
        ({"minutes": 45}, "duration_not_allowed"),
        ({"last_day": TODAY - timedelta(days=1)}, "invalid_range"),
        ({"first_day": TODAY - timedelta(days=9), "last_day": TODAY - timedelta(days=2)}, "waitlist_in_the_past"),
        ({"last_day": TODAY + timedelta(days=400)}, "waitlist_too_long"),
        ({"weekdays": frozenset()}, "waitlist_weekdays"),
        ({"weekdays": frozenset({7})}, "waitlist_weekdays"),
        ({"from_minute": 600, "to_minute": 630}, "waitlist_hours"),
        ({"from_minute": 600, "to_minute": 1500}, "waitlist_hours"),
        ({"from_minute": 600, "to_minute": 660}, None),
    ],
)
def test_wish_problems(changes: dict[str, object], problem: str | None) -> None:
    assert wish_problem(_wish(**changes), [60, 90], TODAY) == problem


def test_fits_days_weekdays_and_hours() -> None:
    friday_ten = datetime(2026, 3, 20, 10, tzinfo=OSLO)
    assert fits(_wish(), friday_ten, OSLO)
    assert not fits(_wish(first_day=TODAY + timedelta(days=1)), friday_ten, OSLO)
    assert not fits(_wish(weekdays=frozenset({0, 1})), friday_ten, OSLO)
    assert fits(_wish(weekdays=frozenset({4})), friday_ten, OSLO)
    assert fits(_wish(from_minute=600, to_minute=660), friday_ten, OSLO)  # exactly 10-11
    assert not fits(_wish(from_minute=600, to_minute=659), friday_ten, OSLO)  # must end by then
    assert not fits(_wish(from_minute=601), friday_ten, OSLO)


@given(st.integers(min_value=0, max_value=23 * 4 - 1))
@example(2 * 4 + 2)  # 02:30 UTC on the spring-forward Sunday, 04:30 local
def test_fits_reads_local_hours_across_the_change(quarter: int) -> None:
    """On 29 March 2026 clocks go 02:00 -> 03:00: hours are local wall time, whatever the offset."""
    start = datetime(2026, 3, 29, tzinfo=UTC) + timedelta(minutes=15 * quarter)
    local = start.astimezone(OSLO)
    minute = local.hour * 60 + local.minute
    wish = _wish(first_day=date(2026, 3, 29), last_day=date(2026, 3, 29), from_minute=minute)
    assert fits(wish, start, OSLO) == (local.date() == date(2026, 3, 29))


def test_offerable_needs_notice_at_the_end_of_the_hold() -> None:
    policy = Policy(zone=OSLO, grid_minutes=15, horizon_days=14, notice_hours=2, cancel_deadline_hours=24)
    now = datetime(2026, 3, 20, 8, tzinfo=OSLO)
    hold = timedelta(minutes=30)
    assert offerable(start=now + timedelta(hours=3), minutes=60, durations=[60], policy=policy, now=now, hold=hold)
    assert not offerable(start=now + timedelta(hours=2, minutes=15), minutes=60, durations=[60], policy=policy,
                         now=now, hold=hold)  # fmt: skip
