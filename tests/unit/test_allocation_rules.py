from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from booking.rules import Grant, allocation_problem, counting_on, default_review_date, period_of, renewal


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


@pytest.mark.parametrize(("kind", "anchor"), [("fortnight", None), ("four_weeks", None)])
def test_an_unknown_period_or_four_weeks_without_an_anchor_is_a_programming_error(
    kind: str, anchor: date | None
) -> None:
    with pytest.raises(ValueError, match="unknown period"):
        period_of(kind, anchor, date(2026, 9, 9))


def _grant(valid_from: date, valid_to: date | None = None, period: str = "week", anchor: date | None = None) -> Grant:
    return Grant(uuid.uuid4(), period, anchor, valid_from, valid_to)


WEDNESDAY = date(2026, 9, 9)


@pytest.mark.parametrize(
    ("grants", "renews"),
    [
        ([_grant(date(2026, 1, 1))], date(2026, 9, 14)),  # next Monday
        ([_grant(date(2026, 1, 1), period="month")], date(2026, 10, 1)),
        ([_grant(date(2026, 1, 1), period="four_weeks", anchor=date(2026, 8, 31))], date(2026, 9, 28)),
        ([_grant(date(2026, 1, 1), date(2026, 9, 11))], None),  # ends this week, nothing after
        ([_grant(date(2026, 1, 1), date(2026, 9, 13)), _grant(date(2026, 10, 5))], date(2026, 10, 5)),  # a gap
        ([_grant(date(2026, 1, 1)), _grant(date(2026, 9, 10))], date(2026, 9, 10)),  # a new decision takes over
        # An older decision ending this week changes nothing: the latest one still counts until Monday.
        ([_grant(date(2026, 9, 1)), _grant(date(2026, 8, 1), date(2026, 9, 10))], date(2026, 9, 14)),
        ([_grant(date(2026, 9, 20))], date(2026, 9, 20)),  # no decision yet: the first day of the coming one
        ([], None),
    ],
)
def test_new_minutes_begin_at_the_next_period_or_decision(grants: list[Grant], renews: date | None) -> None:
    assert renewal(grants, WEDNESDAY) == renews


def test_the_latest_valid_decision_counts_and_a_tie_goes_to_the_larger_id() -> None:
    older, newer = _grant(date(2026, 1, 1)), _grant(date(2026, 9, 1), period="month")
    assert counting_on([older, newer], WEDNESDAY) == (newer, period_of("month", None, WEDNESDAY))
    assert counting_on([older, newer], date(2026, 8, 31)) == (older, period_of("week", None, date(2026, 8, 31)))
    assert counting_on([older, newer], date(2025, 12, 31)) is None
    twins = [_grant(date(2026, 1, 1)), _grant(date(2026, 1, 1))]
    assert counting_on(twins, WEDNESDAY) == (max(twins, key=lambda g: g.id), period_of("week", None, WEDNESDAY))


@st.composite
def _grants(draw: st.DrawFn) -> list[Grant]:
    grants = []
    for _ in range(draw(st.integers(0, 3))):
        valid_from = date(2026, 1, 1) + timedelta(days=draw(st.integers(0, 200)))
        ends = draw(st.one_of(st.none(), st.integers(0, 120)))
        period = draw(st.sampled_from(["week", "month", "four_weeks"]))
        anchor = valid_from - timedelta(days=draw(st.integers(0, 27))) if period == "four_weeks" else None
        valid_to = None if ends is None else valid_from + timedelta(days=ends)
        grants.append(Grant(uuid.UUID(int=draw(st.integers(0, 5))), period, anchor, valid_from, valid_to))
    return grants


@given(_grants(), st.integers(0, 340))
def test_new_minutes_begin_on_the_first_later_date_counted_in_another_period(grants: list[Grant], offset: int) -> None:
    """Against the plain version: every later date tried in turn (all changes fall before the end of 2027)."""
    day = date(2026, 1, 1) + timedelta(days=offset)
    now = counting_on(grants, day)
    later = (day + timedelta(days=n) for n in range(1, (date(2027, 12, 31) - day).days))
    assert renewal(grants, day) == next((d for d in later if (c := counting_on(grants, d)) and c != now), None)
