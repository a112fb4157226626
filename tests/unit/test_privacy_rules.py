from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from privacy.rules import RetentionPeriods, email_problem, months_before, normalised_phone, retention_problems


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("91234567", "+4791234567"),
        ("912 34 567", "+4791234567"),
        ("0047 912 34 567", "+4791234567"),
        ("+47 912-34-567", "+4791234567"),
        ("+4791234567", "+4791234567"),
        ("+46701234567", "+46701234567"),
        ("+1 202 555 0143", "+12025550143"),
        ("01234567", None),  # a Norwegian number never starts with 0
        ("1234567", None),
        ("912345678", None),
        ("+0123456789", None),  # no country code starts with 0
        ("+1234567890123456", None),  # 16 digits: longer than E.164 allows
        ("912  34 567", None),  # one separator between digits, not two
        ("+47 91a34567", None),
        ("", None),
    ],
)
def test_phone_numbers_are_norwegian_eight_digits_or_e164(value: str, expected: str | None) -> None:
    assert normalised_phone(value) == expected


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("kari@example.no", None),
        ("kari.nordmann+tjenester@post.kommune.no", None),
        ("kari@example", "format"),
        ("kari example@example.no", "format"),
        ("@example.no", "format"),
        ("kari@@example.no", "format"),
        ("kari@example..no", "format"),
        ("k" * 310 + "@example.no", "length"),
    ],
)
def test_e_mail_addresses(value: str, problem: str | None) -> None:
    assert email_problem(value) == problem


@pytest.mark.parametrize(
    ("periods", "problems"),
    [
        (RetentionPeriods(36, 24, 12), []),
        (RetentionPeriods(12, 12, 1), []),
        (RetentionPeriods(120, 120, 120), []),
        (RetentionPeriods(11, 1, 1), [("booking_months", "below_minimum")]),
        (RetentionPeriods(121, 1, 0), [("booking_months", "above_maximum"), ("push_months", "below_minimum")]),
        (RetentionPeriods(12, 0, 121), [("feedback_months", "below_minimum"), ("push_months", "above_maximum")]),
        (RetentionPeriods(24, 25, 12), [("feedback_months", "longer_than_bookings")]),
    ],
)
def test_retention_periods_keep_their_limits(periods: RetentionPeriods, problems: list[tuple[str, str]]) -> None:
    assert retention_problems(periods) == problems


@pytest.mark.parametrize(
    ("instant", "months", "expected"),
    [
        (datetime(2026, 9, 9, 8, tzinfo=UTC), 36, datetime(2023, 9, 9, 8, tzinfo=UTC)),
        (datetime(2026, 3, 31, 8, tzinfo=UTC), 1, datetime(2026, 2, 28, 8, tzinfo=UTC)),
        (datetime(2028, 3, 31, 8, tzinfo=UTC), 1, datetime(2028, 2, 29, 8, tzinfo=UTC)),
        (datetime(2026, 1, 15, tzinfo=UTC), 1, datetime(2025, 12, 15, tzinfo=UTC)),
        (datetime(2026, 1, 15, tzinfo=UTC), 12, datetime(2025, 1, 15, tzinfo=UTC)),
    ],
)
def test_months_before(instant: datetime, months: int, expected: datetime) -> None:
    assert months_before(instant, months) == expected


@given(st.datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2100, 1, 1)), st.integers(0, 120))  # noqa: DTZ001 - naive by hypothesis; the rule keeps the tzinfo it is given
def test_months_before_is_never_later_and_at_most_a_month_off(instant: datetime, months: int) -> None:
    earlier = months_before(instant, months)
    assert earlier <= instant
    assert (instant.year * 12 + instant.month) - (earlier.year * 12 + earlier.month) == months
