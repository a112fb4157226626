"""Pure rules about people: national identity numbers (fødselsnummer, D-nummer, synthetic test numbers)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import date

_WEIGHTS_1 = (3, 7, 6, 1, 8, 9, 4, 5, 2)
_WEIGHTS_2 = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
NATIONAL_ID_LENGTH = 11
_D_NUMBER_OFFSET = 40  # D-nummer: 40 added to the day
_H_NUMBER_OFFSET = 40  # H-nummer: 40 added to the month
_SYNTHETIC_OFFSET = 80  # Skatteetaten's synthetic test numbers (Tenor): 80 added to the month
# The first month digit of a synthetic test number (month + 80: 81 to 92); no real person's number has it.
SYNTHETIC_MONTH_FIRST_DIGITS = ("8", "9")
# From 2032 the first check digit may leave these remainders too (remainder 0 is the old rule).
_NEW_SERIES_REMAINDERS = frozenset({1, 2, 3})
_SYNTHETIC_NAV_OFFSET = 40  # NAV's older synthetic numbers: 40 added to the month (same as H-nummer)


def _check_digit(digits: str, weights: tuple[int, ...]) -> int | None:
    remainder = sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11
    check = 11 - remainder
    if check == 11:  # noqa: PLR2004 - the modulus-11 rule: 11 means 0
        return 0
    if check == 10:  # noqa: PLR2004 - 10 cannot be a digit: the number is invalid
        return None
    return check


def _first_check_remainder(digits: str) -> int:
    """The remainder of the first modulus-11 sum over the nine digits and K1 (0 for every number issued before 2032)."""
    return sum(int(d) * w for d, w in zip(digits, (*_WEIGHTS_1, 1), strict=True)) % 11


def _day_and_month(digits: str) -> tuple[int, int]:
    day, month = int(digits[0:2]), int(digits[2:4])
    if day > _D_NUMBER_OFFSET:
        day -= _D_NUMBER_OFFSET
    if month > _SYNTHETIC_OFFSET:
        month -= _SYNTHETIC_OFFSET
    elif month > _H_NUMBER_OFFSET:
        month -= _H_NUMBER_OFFSET
    return day, month


def _birth_date(digits: str) -> date | None:
    day, month = _day_and_month(digits)
    year2 = int(digits[4:6])
    individual = int(digits[6:9])
    century = 1900 if individual < 500 or (individual >= 900 and year2 >= 40) else 2000  # noqa: PLR2004
    if 500 <= individual < 750 and year2 >= 54:  # noqa: PLR2004 - 1854-1899
        century = 1800
    try:
        return date(century + year2, month, day)
    except ValueError:
        return None


def _date_exists_in_some_century(digits: str) -> bool:
    day, month = _day_and_month(digits)
    try:
        date(2000 + int(digits[4:6]), month, day)  # 2000 was a leap year: the most lenient century
    except ValueError:
        return False
    return True


def national_id_problem(value: str) -> str | None:
    """Why `value` is not a valid Norwegian national identity number, or None when it is.

    Accepts fødselsnummer, D-nummer and H-nummer, and the synthetic test numbers of the national test
    data (month + 80, and NAV's month + 40), all with both modulus-11 check digits.

    Numbers issued from 1 January 2032 (Skatteetaten, "Nytt fødselsnummer fra 2032") have a first check
    digit K1 whose modulus-11 sum (the nine digits weighted 3 7 6 1 8 9 4 5 2, plus K1) leaves a
    remainder of 0, 1, 2 or 3 instead of only 0; K2 is computed as before over the ten digits. Such a
    number's individual number no longer tells the century, so when K1's remainder is 1 to 3 (a number
    that can only be from the new series) the date only has to exist in some century. A new-series
    number with remainder 0 cannot be told from an old one and is checked as before.

    Returns:
        A stable code: `length`, `digits`, `date` or `checksum`; None when valid.

    """
    if len(value) != NATIONAL_ID_LENGTH:
        return "length"
    if not value.isascii() or not value.isdigit():
        return "digits"
    remainder = _first_check_remainder(value[:10])
    new_series = remainder in _NEW_SERIES_REMAINDERS
    if not (_date_exists_in_some_century(value) if new_series else _birth_date(value) is not None):
        return "date"
    second = _check_digit(value[:10], _WEIGHTS_2)
    if (remainder != 0 and not new_series) or second is None or second != int(value[10]):
        return "checksum"
    return None


def national_id_hash(value: str, key: bytes) -> str:
    """Keyed hash of a national identity number: lets us find a person without storing the number."""
    return hmac.new(key, value.encode("ascii"), hashlib.sha256).hexdigest()


def national_id_masked(value: str) -> str:
    """What may be shown: the six date digits, the personal number hidden (`010190 *****`)."""
    return f"{value[:6]} *****"


def synthetic_national_id(born: date, individual: int) -> str:
    """A valid synthetic test number (month + 80) for `born`, at the first usable individual number.

    Used for demo data and tests: such numbers can never belong to a real person.
    """
    for number in range(individual, 1000):
        stem = f"{born.day:02d}{born.month + _SYNTHETIC_OFFSET:02d}{born.year % 100:02d}{number:03d}"
        first = _check_digit(stem, _WEIGHTS_1)
        if first is None:
            continue
        second = _check_digit(stem + str(first), _WEIGHTS_2)
        if second is None:
            continue
        candidate = f"{stem}{first}{second}"
        if national_id_problem(candidate) is None:
            return candidate
    msg = f"no synthetic number for {born} from {individual}"
    raise ValueError(msg)
