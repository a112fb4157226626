from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from people.rules import national_id_hash, national_id_masked, national_id_problem, synthetic_national_id


@pytest.mark.parametrize(
    "value",
    [
        "01010750160",  # fødselsnummer, born 1 January 2007 (Skatteetaten's documentation example)
        synthetic_national_id(date(1961, 4, 12), 100),  # synthetic test number, month + 80
    ],
)
def test_valid_numbers(value: str) -> None:
    assert national_id_problem(value) is None


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("0101075016", "length"),
        ("010107501600", "length"),
        ("0101075016a", "digits"),
        ("\uff10" * 11, "digits"),  # full-width digits are not ASCII digits
        ("32010750160", "date"),
        ("01130750160", "date"),
        ("01010750161", "checksum"),
        ("01010750170", "checksum"),
    ],
)
def test_invalid_numbers(value: str, problem: str) -> None:
    assert national_id_problem(value) == problem


@given(born=st.dates(min_value=date(1940, 1, 1), max_value=date(2039, 12, 31)), start=st.integers(0, 400))
def test_synthetic_numbers_are_valid_and_keep_the_birth_date(born: date, start: int) -> None:
    value = synthetic_national_id(born, start)
    assert national_id_problem(value) is None
    assert value[:2] == f"{born.day:02d}"
    assert int(value[2:4]) == born.month + 80


def test_hash_is_keyed_and_masking_hides_the_personal_number() -> None:
    value = "01010750160"
    assert national_id_hash(value, b"a") != national_id_hash(value, b"b")
    assert len(national_id_hash(value, b"a")) == 64
    assert national_id_masked(value) == "010107 *****"
