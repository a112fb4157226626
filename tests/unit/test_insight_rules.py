"""The pure rules of the views around the decision."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from booking.rules import REVIEW_WEEK, Period
from insight.rules import (
    BPA,
    EVALUATION,
    NEAR,
    OVER,
    RESPITE_SHARE,
    REVIEW,
    WEEKLY_HOURS,
    Choice,
    CoverageWeek,
    Evaluation,
    Grant,
    Load,
    Minutes,
    Share,
    Staffed,
    Terms,
    Thresholds,
    Visit,
    committee_reasons,
    coverage,
    coverage_level,
    default_review_date,
    evaluate,
    evaluated_until,
    feedback_counts,
    feedback_shown,
    monday_of,
    periods_between,
    review_due,
    staffed_by_day,
    threshold_problems,
    valid_between,
    weekly_share,
)

OSLO = ZoneInfo("Europe/Oslo")


def test_review_date_is_monday_of_week_47() -> None:
    assert default_review_date(date(2026, 1, 5)) == date(2026, 11, 16)
    assert default_review_date(date(2026, 11, 16)) == date(2026, 11, 16)
    assert default_review_date(date(2026, 11, 17)) == date(2027, 11, 22)
    # 1 January 2027 belongs to ISO year 2026 (week 53): its week 47 has passed, so the next ISO year's.
    assert default_review_date(date(2027, 1, 1)) == date(2027, 11, 22)


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2200, 12, 31)))
@example(date(2026, 12, 31))
@example(date(2020, 12, 31))  # ISO year 2020 has 53 weeks
def test_review_date_is_the_first_week_47_monday_on_or_after_the_start(valid_from: date) -> None:
    review = default_review_date(valid_from)
    iso = review.isocalendar()
    assert (iso.week, iso.weekday) == (REVIEW_WEEK, 1)
    assert review >= valid_from
    assert review - valid_from < timedelta(days=371)
    # No week-47 Monday lies between the start and the review date.
    earlier = date.fromisocalendar(iso.year - 1, REVIEW_WEEK, 1)
    assert earlier < valid_from


# --- Weekly shares ---


def test_weekly_share_of_each_period() -> None:
    assert weekly_share(180, "week") == 180
    assert weekly_share(900, "month") == Fraction(900 * 12, 52)
    assert weekly_share(600, "four_weeks") == 150
    with pytest.raises(ValueError, match="unknown period"):
        weekly_share(60, "fortnight")


@given(st.integers(min_value=1, max_value=100_000))
def test_a_month_a_year_is_twelve_months(minutes: int) -> None:
    assert weekly_share(minutes, "month") * 52 == minutes * 12
    assert weekly_share(minutes, "four_weeks") * 4 == minutes


def test_valid_between() -> None:
    first, last = date(2026, 3, 2), date(2026, 3, 8)
    assert valid_between(date(2026, 3, 8), None, first, last)
    assert not valid_between(date(2026, 3, 9), None, first, last)
    assert valid_between(date(2026, 1, 1), date(2026, 3, 2), first, last)
    assert not valid_between(date(2026, 1, 1), date(2026, 3, 1), first, last)


# --- Evaluation ---

TRIAL = Terms(minutes=180, period="week", anchor=None, valid_from=date(2026, 3, 4), valid_to=date(2026, 6, 30),
              evaluation_date=date(2026, 3, 29))  # fmt: skip


def _visit(day: int, hour: int, status: str, *, minutes: int = 60, charged: bool = True) -> Visit:
    start = datetime(2026, 3, day, hour, tzinfo=OSLO)
    return Visit(start.astimezone(UTC), minutes, status, monday_of(start.date()), charged)


def test_evaluation_counts_each_status_per_week_and_the_times_chosen() -> None:
    visits = [
        _visit(4, 9, "delivered"),  # Wednesday, week 10
        _visit(6, 14, "no_show"),
        _visit(10, 9, "delivered", minutes=120),  # Tuesday, week 11
        _visit(12, 9, "late_cancelled"),
        _visit(13, 9, "cancelled", charged=False),
        _visit(17, 18, "no_show"),  # week 12
        _visit(25, 9, "booked"),  # week 13, still booked
        _visit(30, 9, "booked"),  # week 14: after the evaluation date, left out
    ]
    result = evaluate(TRIAL, visits, today=date(2026, 4, 15), zone=OSLO)
    assert result.last == date(2026, 3, 29)
    assert [(p.period.start, p.period.end) for p in result.periods] == [
        (date(2026, 3, 2), date(2026, 3, 8)), (date(2026, 3, 9), date(2026, 3, 15)),
        (date(2026, 3, 16), date(2026, 3, 22)), (date(2026, 3, 23), date(2026, 3, 29)),
    ]  # fmt: skip
    assert [p.minutes for p in result.periods] == [
        Minutes(granted=180, delivered=60, no_show=60, charged=120),
        Minutes(granted=180, delivered=120, late_cancelled=60, cancelled=60, charged=180),
        Minutes(granted=180, no_show=60, charged=60),
        Minutes(granted=180, booked=60, charged=60),
    ]
    assert result.total == Minutes(granted=720, booked=60, delivered=180, cancelled=60, late_cancelled=60,
                                   no_show=120, charged=420)  # fmt: skip
    assert result.total.left == 300
    # Chosen: the visits that held the recipient's time (booked, delivered, no-show), in local time.
    assert result.hours == (Choice(9, 3, 240), Choice(14, 1, 60), Choice(18, 1, 60))
    assert result.weekdays == (Choice(2, 2, 180), Choice(3, 2, 120), Choice(5, 1, 60))


def test_evaluation_runs_to_today_when_that_is_earlier_and_is_empty_before_the_start() -> None:
    ordinary = Terms(120, "four_weeks", date(2026, 1, 5), date(2026, 1, 20), None, None)
    result = evaluate(ordinary, [], today=date(2026, 3, 3), zone=OSLO)
    assert result.last == date(2026, 3, 3)
    assert [p.period.start for p in result.periods] == [date(2026, 1, 5), date(2026, 2, 2), date(2026, 3, 2)]
    assert result.total == Minutes(granted=360)
    early = evaluate(ordinary, [], today=date(2026, 1, 19), zone=OSLO)
    assert early == Evaluation(None, (), Minutes(), (), ())


def test_a_month_decision_ends_with_its_valid_to() -> None:
    monthly = Terms(600, "month", None, date(2026, 1, 15), date(2026, 2, 10), None)
    assert evaluated_until(monthly, date(2026, 5, 1)) == date(2026, 2, 10)
    assert periods_between("month", None, date(2026, 1, 15), date(2026, 2, 10)) == [
        Period(date(2026, 1, 1), date(2026, 1, 31)), Period(date(2026, 2, 1), date(2026, 2, 28)),
    ]  # fmt: skip


@given(
    st.sampled_from(["week", "month", "four_weeks"]),
    st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 1, 1)),
    st.integers(min_value=0, max_value=400),
)
@example("week", date(2026, 3, 29), 0)  # a DST Sunday
def test_periods_tile_the_span_without_gaps(period: str, first: date, days: int) -> None:
    anchor = date(2019, 12, 30) if period == "four_weeks" else None
    last = first + timedelta(days=days)
    periods = periods_between(period, anchor, first, last)
    assert periods[0].start <= first <= periods[0].end
    assert periods[-1].start <= last <= periods[-1].end
    for earlier, later in itertools.pairwise(periods):
        assert later.start == earlier.end + timedelta(days=1)


def test_feedback_counts_every_answer_kind() -> None:
    assert feedback_counts(["yes", "no", "yes", "maybe"]) == {"yes": 2, "mixed": 0, "no": 1}


def test_feedback_counts_are_shown_to_others_than_the_coordinator_only_from_five_answers() -> None:
    four = {"yes": 2, "mixed": 1, "no": 1}
    assert feedback_shown(four, individual=True, min_group=5) == four
    assert feedback_shown(four, individual=False, min_group=5) is None
    assert feedback_shown(four | {"no": 2}, individual=False, min_group=5) == {"yes": 2, "mixed": 1, "no": 2}


# --- Coverage ---


def test_staffed_minutes_add_up_per_day() -> None:
    stretches = [Staffed(date(2026, 3, 2), 15, 2), Staffed(date(2026, 3, 2), 15, 3), Staffed(date(2026, 3, 3), 60, 1)]
    assert staffed_by_day(stretches) == {date(2026, 3, 2): 75, date(2026, 3, 3): 60}


def test_coverage_levels() -> None:
    assert coverage_level(Fraction(1001), 1000) == OVER
    assert coverage_level(Fraction(1000), 1000) == NEAR
    assert coverage_level(Fraction(901), 1000) == NEAR
    assert coverage_level(Fraction(900), 1000) is None
    assert coverage_level(Fraction(1), 0) == OVER
    assert coverage_level(Fraction(0), 0) is None


def test_coverage_per_week_in_staff_unit_minutes() -> None:
    week1, week2 = date(2026, 3, 2), date(2026, 3, 9)
    days = {week1: 960, week1 + timedelta(days=6): 960, week2: 480, date(2026, 3, 1): 999}
    shares = [
        Share(600, "week", date(2026, 1, 1), None, 2),  # 1200 a week
        Share(520, "month", date(2026, 3, 8), date(2026, 3, 8), 1),  # 120 a week, only on week 1's Sunday
        Share(400, "four_weeks", date(2026, 3, 16), None, 1),  # not yet
    ]
    loads = [
        Load(week1, 60, 2, "delivered"), Load(week1, 60, 1, "no_show"), Load(week1, 30, 1, "cancelled"),
        Load(week2, 60, 1, "booked"), Load(date(2026, 3, 16), 60, 1, "booked"),
    ]  # fmt: skip
    first, second = coverage([week1, week2], days, shares, loads)
    assert first == CoverageWeek(week1, 1920, Fraction(1320), 180, 120, None)
    assert first.percent == Fraction(1320 * 100, 1920)
    assert second == CoverageWeek(week2, 480, Fraction(1200), 60, 0, OVER)
    closed = coverage([date(2026, 3, 23)], {}, [], [])[0]
    assert closed.percent is None
    assert closed.level is None


# --- Committee ---

LIMITS = Thresholds(weekly_minutes=900, respite_percent=50, bpa=True)


def test_threshold_problems() -> None:
    assert threshold_problems(LIMITS) == []
    assert threshold_problems(Thresholds(0, 101, bpa=True)) == ["weekly_minutes", "respite_percent"]
    assert threshold_problems(Thresholds(10081, 0, bpa=False)) == ["weekly_minutes", "respite_percent"]
    assert threshold_problems(Thresholds(10080, 100, bpa=False)) == []


def test_committee_reasons() -> None:
    assert committee_reasons([Grant(900, "week", "ordinary")], LIMITS) == ()
    assert committee_reasons([Grant(600, "week", "ordinary"), Grant(1400, "four_weeks", "ordinary")], LIMITS) == (
        WEEKLY_HOURS,
    )
    # Respite above 50 % of the week's 10080 minutes: more than 5040 minutes a week.
    assert committee_reasons([Grant(5040, "week", "respite")], Thresholds(6000, 50, bpa=True)) == ()
    assert committee_reasons([Grant(5041, "week", "respite")], Thresholds(6000, 50, bpa=True)) == (RESPITE_SHARE,)
    assert committee_reasons([Grant(6000, "week", "ordinary")], Thresholds(5000, 50, bpa=True)) == (WEEKLY_HOURS,)
    assert committee_reasons([Grant(60, "month", "bpa")], LIMITS) == (BPA,)
    assert committee_reasons([Grant(60, "month", "bpa")], Thresholds(900, 50, bpa=False)) == ()
    assert committee_reasons([Grant(23000, "month", "respite"), Grant(60, "week", "bpa")], LIMITS) == (
        WEEKLY_HOURS, RESPITE_SHARE, BPA,
    )  # fmt: skip


# --- Reviews ---


def test_review_due_is_the_earlier_of_review_and_evaluation() -> None:
    assert review_due(None, None) is None
    assert review_due(date(2026, 11, 16), None) == (date(2026, 11, 16), REVIEW)
    assert review_due(None, date(2026, 4, 1)) == (date(2026, 4, 1), EVALUATION)
    assert review_due(date(2026, 11, 16), date(2026, 4, 1)) == (date(2026, 4, 1), EVALUATION)
    assert review_due(date(2026, 3, 1), date(2026, 4, 1)) == (date(2026, 3, 1), REVIEW)
    assert review_due(date(2026, 4, 1), date(2026, 4, 1)) == (date(2026, 4, 1), EVALUATION)
