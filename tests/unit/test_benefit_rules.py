"""Benefit realisation's pure rules: the window of months, trends, and the change since a baseline."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from insight.benefit_rules import Baseline, MonthCounts, change_since, percent, segments, trend, window


def _month(month: date, due: int, no_show: int, delivered: int) -> MonthCounts:
    return MonthCounts(month, due, no_show, 0, 0, due, due, 0, 0, 0, 0, delivered, 0, (0,) * 5, 0.0, (0,) * 5)


def test_the_window_is_twelve_months_ending_with_this_one_across_a_new_year() -> None:
    months = window(date(2026, 2, 17))
    assert months[0] == date(2025, 3, 1)
    assert months[-1] == date(2026, 2, 1)
    assert len(set(months)) == 12


def test_a_trend_is_the_least_squares_slope_of_the_months_that_have_the_figure() -> None:
    assert trend([10.0, None, 8.0, 7.0]) == trend([10.0, None, 8.0, 7.0])
    rising = trend([1.0, 2.0, 3.0, 4.0])
    assert (rising.per_month, rising.direction) == (1.0, "up")
    falling = trend([30.0, None, 20.0, 15.0])
    assert falling.direction == "down"
    assert falling.per_month == -5.0
    assert trend([100.0, 100.5, 100.0]).direction == "flat"  # under 1 % of the mean a month
    assert trend([0.0, 0.0, 0.0]).direction == "flat"
    assert trend([5.0, None, 6.0]).direction == "unknown"  # two points are no trend


def test_the_change_since_counts_only_the_months_from_the_start_date() -> None:
    months = [_month(date(2026, 1, 1), 100, 20, 6000), _month(date(2026, 2, 1), 80, 4, 4500),
              _month(date(2026, 3, 1), 120, 6, 7500)]  # fmt: skip
    change = change_since(Baseline(date(2026, 2, 1), 15.0, 125, 5000), months)
    assert change.months == 2
    assert change.no_show_percent == percent(10, 200) == 5.0
    assert change.no_show_points == -10.0
    assert (change.visits_per_month, change.visits_percent) == (100.0, -20.0)
    assert (change.minutes_per_month, change.minutes_percent) == (6000.0, 20.0)
    empty = change_since(Baseline(date(2026, 4, 2), 15.0, 0, 0), months)
    assert (empty.months, empty.no_show_points, empty.visits_percent) == (0, None, None)
    zero = change_since(Baseline(date(2026, 1, 1), 15.0, 0, 0), months)
    assert (zero.visits_percent, zero.minutes_percent) == (None, None)  # no baseline to compare with


def test_segments_cut_the_months_at_each_daylight_saving_change() -> None:
    found, end = segments(ZoneInfo("Europe/Oslo"), window(date(2026, 12, 4)))
    assert len(found) == 14  # twelve months, plus the spring and autumn changes
    assert end == datetime(2026, 12, 31, 23, tzinfo=UTC)
    spring = next(s for s in found if s.start == datetime(2026, 3, 29, 1, tzinfo=UTC))
    assert (spring.month, spring.offset_seconds) == (date(2026, 3, 1), 7200)
    assert spring.local_midnight == datetime(2026, 3, 28, 22, tzinfo=UTC)  # 00:00 at UTC+2
    autumn = next(s for s in found if s.start == datetime(2026, 10, 25, 1, tzinfo=UTC))
    assert (autumn.month, autumn.offset_seconds) == (date(2026, 10, 1), 3600)
    assert [s.month for s in found].count(date(2026, 3, 1)) == 2
