"""Pure rules of the views around the decision: review dates, weekly shares, evaluation, coverage, committee."""

from __future__ import annotations

from datetime import date

REVIEW_WEEK = 47  # the seed's yearly cycle: decisions are reviewed in ISO week 47


def default_review_date(valid_from: date) -> date:
    """The default yearly review date of a decision starting on `valid_from`.

    The Monday of ISO week 47 of `valid_from`'s ISO year if that is on or after `valid_from`, else the
    Monday of ISO week 47 of the next ISO year (the same as migration 0009's backfill).

    Args:
        valid_from: The decision's first day.

    Returns:
        A Monday on or after `valid_from`.

    """
    year = valid_from.isocalendar().year
    this_year = date.fromisocalendar(year, REVIEW_WEEK, 1)
    return this_year if this_year >= valid_from else date.fromisocalendar(year + 1, REVIEW_WEEK, 1)
