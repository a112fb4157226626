from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from booking.rules import allocation_problem, default_review_date


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)))
@example(date(2026, 11, 16))  # the Monday of week 47 itself
@example(date(2026, 11, 17))  # the day after: next year's
@example(date(2020, 12, 31))  # ISO year 2020 has 53 weeks
def test_the_review_is_the_first_monday_of_week_47_on_or_after_the_start(start: date) -> None:
    review = default_review_date(start)
    assert review.isocalendar().week == 47
    assert review.weekday() == 0
    assert review >= start
    assert review - start < timedelta(days=7 * 53)


def test_review_dates_pinned() -> None:
    assert default_review_date(date(2026, 12, 7)) == date(2027, 11, 22)
    assert default_review_date(date(2026, 1, 1)) == date(2026, 11, 16)
    assert default_review_date(date(2026, 11, 16)) == date(2026, 11, 16)


BASE = {"period": "week", "period_anchor": None, "valid_from": date(2026, 1, 1), "valid_to": None, "kind": "ordinary",
        "evaluation_date": None}  # fmt: skip


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({}, None),
        ({"period": "four_weeks", "period_anchor": date(2026, 1, 5)}, None),
        ({"period": "four_weeks"}, "allocation_anchor"),
        ({"period_anchor": date(2026, 1, 5)}, "allocation_anchor"),
        ({"valid_to": date(2025, 12, 31)}, "invalid_range"),
        ({"valid_to": date(2026, 1, 1)}, None),
        ({"kind": "trial"}, "allocation_evaluation_date"),
        ({"evaluation_date": date(2026, 2, 1)}, "allocation_evaluation_date"),
        ({"kind": "trial", "evaluation_date": date(2026, 2, 1)}, None),
        ({"kind": "trial", "evaluation_date": date(2025, 2, 1)}, "allocation_evaluation_date"),
        (
            {"kind": "trial", "evaluation_date": date(2026, 2, 1), "valid_to": date(2026, 1, 31)},
            "allocation_evaluation_date",
        ),
        ({"kind": "trial", "evaluation_date": date(2026, 1, 31), "valid_to": date(2026, 1, 31)}, None),
    ],
)
def test_a_decision_shape_is_checked(changes: dict[str, object], problem: str | None) -> None:
    assert allocation_problem(**(BASE | changes)) == problem  # type: ignore[arg-type]
