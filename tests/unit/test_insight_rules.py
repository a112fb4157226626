"""The pure rules of the views around the decision."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import example, given
from hypothesis import strategies as st

from insight.rules import REVIEW_WEEK, default_review_date


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
