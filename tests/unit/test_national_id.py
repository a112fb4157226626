from __future__ import annotations

from datetime import date, timedelta

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


def _valid_with_stem(stem: str) -> str:
    """The valid number whose first nine digits are `stem` (some stems have none: try the next individual number)."""
    for individual in range(int(stem[6:9]), 1000):
        start = f"{stem[:6]}{individual:03d}"
        for checks in range(100):
            candidate = f"{start}{checks:02d}"
            if national_id_problem(candidate) is None:
                return candidate
    msg = f"no valid number from {stem}"
    raise AssertionError(msg)


@pytest.mark.parametrize(
    ("stem", "born"),
    [
        ("410107501", "D-nummer: day + 40, born 1 January 2007"),
        ("014107501", "H-nummer: month + 40, born 1 January 2007"),
        ("010160600", "individual number 500-749 with year 54-99: born 1860"),
    ],
)
def test_d_and_h_numbers_and_the_nineteenth_century_are_valid(stem: str, born: str) -> None:
    number = _valid_with_stem(stem)
    assert number[:6] == stem[:6], born
    assert national_id_problem(number) is None
    assert national_id_problem(number[:9] + str((int(number[9]) + 1) % 10) + number[10]) == "checksum"


def test_every_day_of_a_year_has_a_synthetic_number_and_an_exhausted_search_says_so() -> None:
    days = [date(2024, 1, 1) + timedelta(days=n) for n in range(366)]
    numbers = {synthetic_national_id(day, 0) for day in days}
    assert len(numbers) == 366
    assert all(national_id_problem(n) is None for n in numbers)
    with pytest.raises(ValueError, match="no synthetic number"):
        synthetic_national_id(date(2024, 1, 1), 1000)


def test_a_synthetic_number_skips_individual_numbers_whose_second_check_digit_would_be_10() -> None:
    # 01 81 80 029: the first check digit exists, the second would be 10; the next individual number is used.
    number = synthetic_national_id(date(1980, 1, 1), 29)
    assert number[:6] == "018180"
    assert int(number[6:9]) > 29


def test_a_synthetic_number_for_29_february_2000_takes_an_individual_number_of_the_2000s() -> None:
    # Individual numbers 000-499 date a year 00 to 1900, which had no 29 February: the first usable is 500.
    number = synthetic_national_id(date(2000, 2, 29), 0)
    assert int(number[6:9]) >= 500
    assert national_id_problem(number) is None


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("02013299997", "born 2 January 2032, K1 by the old rule (Skatteetaten's first example)"),
        ("30108299920", "born 1982, numbered in 2032, K1 remainder 0 (Skatteetaten's second example)"),
        ("30108299939", "the same date and individual number, K1 remainder 1 (Skatteetaten's third example)"),
    ],
)
def test_numbers_of_the_2032_series_are_valid(value: str, why: str) -> None:
    assert national_id_problem(value) is None, why


def _with_first_check_remainder(stem: str, remainder: int) -> str | None:
    """The number from `stem` whose K1 leaves `remainder`, with K2 computed as always (None if K1 or K2 is 10)."""
    weighted = sum(int(d) * w for d, w in zip(stem, (3, 7, 6, 1, 8, 9, 4, 5, 2), strict=True))
    first = (remainder - weighted) % 11
    if first == 10:
        return None
    weights_2 = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
    second = (11 - sum(int(d) * w for d, w in zip(stem + str(first), weights_2, strict=True)) % 11) % 11
    return None if second == 10 else f"{stem}{first}{second}"


@given(
    born=st.dates(min_value=date(1900, 1, 1), max_value=date(2039, 12, 31)),
    individual=st.integers(900, 999),
    remainder=st.integers(0, 10),
)
def test_the_first_check_digit_may_leave_remainder_0_to_3_and_nothing_else(
    born: date, individual: int, remainder: int
) -> None:
    number = _with_first_check_remainder(f"{born:%d%m%y}{individual:03d}", remainder)
    if number is None:
        return
    assert (national_id_problem(number) is None) == (remainder <= 3), number


def test_a_2032_number_with_a_wrong_second_check_digit_or_a_d_number_of_the_new_series() -> None:
    assert national_id_problem("30108299938") == "checksum"  # K1 remainder 1, K2 off by one
    assert national_id_problem("30108299949") == "checksum"  # K1 remainder 2 would need another K2
    d_numbers = [_with_first_check_remainder("710182999", r) for r in (1, 2, 3)]  # D-nummer: day + 40
    assert [n for n in d_numbers if n is not None and national_id_problem(n) is None]


def test_a_new_series_number_does_not_tell_the_century_so_29_february_00_is_a_date() -> None:
    # Individual number 100 dated year 00 to 1900 (no 29 February); from 2032 it no longer tells the century.
    old = _with_first_check_remainder("290200100", 0) or _with_first_check_remainder("290200102", 0)
    assert old is not None
    assert national_id_problem(old) == "date"  # an old-rule number: individual 100-499 means 1900
    new = next(
        n
        for individual in range(100, 500)
        for remainder in (1, 2, 3)
        if (n := _with_first_check_remainder(f"290200{individual:03d}", remainder)) is not None
    )
    assert national_id_problem(new) is None
    assert national_id_problem(_with_first_check_remainder("300200100", 1) or "30020010010") == "date"
