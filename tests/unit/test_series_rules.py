"""The pure rules of recurring visits: their dates, their local times across DST, the nearest times, their end."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from booking.series_rules import Pattern, covered_until, dates_between, local_start, nearest

OSLO = ZoneInfo("Europe/Oslo")


def test_weekly_and_every_second_week_dates_within_the_series_and_the_window() -> None:
    weekly = Pattern((0, 3), time(10), 1, date(2027, 3, 1), date(2027, 3, 18))
    assert dates_between(weekly, date(2027, 2, 20), date(2027, 3, 31)) == [
        date(2027, 3, 1), date(2027, 3, 4), date(2027, 3, 8), date(2027, 3, 11), date(2027, 3, 15),
        date(2027, 3, 18)]  # fmt: skip
    # Every second week counts from valid_from's week, even when the window starts in an off week.
    fortnightly = Pattern((2,), time(9), 2, date(2027, 3, 4), None)  # a Thursday: its week's Wednesday has passed
    assert dates_between(fortnightly, date(2027, 3, 8), date(2027, 4, 1)) == [date(2027, 3, 17), date(2027, 3, 31)]


def test_ten_o_clock_stays_ten_local_and_a_missing_hour_has_no_start() -> None:
    assert local_start(date(2027, 3, 27), time(10), OSLO) == datetime(2027, 3, 27, 9, tzinfo=UTC)  # CET
    assert local_start(date(2027, 3, 29), time(10), OSLO) == datetime(2027, 3, 29, 8, tzinfo=UTC)  # CEST
    assert local_start(date(2027, 3, 28), time(2, 30), OSLO) is None  # spring forward: 02:30 does not exist
    # Autumn: 02:30 happens twice; the first one (still summer time) is taken.
    assert local_start(date(2027, 10, 31), time(2, 30), OSLO) == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)


def test_the_nearest_free_times_in_time_order_ties_earlier_first() -> None:
    wanted = datetime(2027, 3, 1, 10, tzinfo=UTC)
    free = [wanted + timedelta(hours=h) for h in (-3, -1, 1, 2, 5)]
    assert nearest(wanted, free) == [
        wanted - timedelta(hours=1),
        wanted + timedelta(hours=1),
        wanted + timedelta(hours=2),
    ]
    assert nearest(wanted, free, count=1) == [wanted - timedelta(hours=1)]
    assert nearest(wanted, []) == []


def test_a_series_runs_as_far_as_any_decision_covers() -> None:
    assert covered_until([]) is None
    assert covered_until([(date(2027, 1, 1), date(2027, 6, 30)), (date(2027, 7, 1), None)]) is None  # renewed
    assert covered_until([(date(2027, 1, 1), date(2027, 6, 30)), (date(2027, 8, 1), date(2027, 12, 31))]) == date(
        2027, 12, 31
    )
    assert covered_until([(date(2027, 1, 1), date(2027, 3, 31))]) == date(2027, 3, 31)
