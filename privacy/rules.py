"""Pure rules of the data-protection duties: contact data a person may give, retention periods and cut-offs."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import datetime

_E164 = re.compile(r"\+[1-9][0-9]{6,14}")  # ITU-T E.164: a country code and at most 15 digits in all
_NORWEGIAN = re.compile(r"(?:0047)?([2-9][0-9]{7})")  # eight digits; Norwegian numbers never start with 0 or 1
_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+")
EMAIL_MAX_LENGTH = 320

# Past visits are kept at least a year: the allocation periods, the decision's yearly review and a complaint
# about a visit (forvaltningsloven's deadlines) all look back that far. No law asks this system for more: the
# health record (journal) lives in the case system, not here. At most ten years: beyond that is no retention.
MIN_BOOKING_MONTHS = 12
MAX_MONTHS = 120
MIN_MONTHS = 1


def normalised_phone(value: str) -> str | None:
    """The number in E.164 (`+4791234567`), from E.164 or eight Norwegian digits; None when it is neither.

    Spaces and hyphens between digits are allowed (`912 34 567`, `+47 912-34-567`).
    """
    compact = re.sub(r"(?<=[0-9])[ -](?=[0-9])", "", value.strip())
    norwegian = _NORWEGIAN.fullmatch(compact)
    if norwegian:
        return f"+47{norwegian.group(1)}"
    if _E164.fullmatch(compact):
        return compact
    return None


def email_problem(value: str) -> str | None:
    """Why `value` is not an e-mail address one can write to (`format` or `length`), or None."""
    if len(value) > EMAIL_MAX_LENGTH:
        return "length"
    return None if _EMAIL.fullmatch(value) else "format"


@dataclass(frozen=True)
class RetentionPeriods:
    """Months a municipality keeps past visits, feedback answers and push subscriptions."""

    booking_months: int
    feedback_months: int
    push_months: int


def retention_problems(periods: RetentionPeriods) -> list[tuple[str, str]]:
    """What is wrong with the periods, as `(field, reason)`: `below_minimum`, `above_maximum`, `longer_than_bookings`.

    Feedback answers belong to a visit and go with it, so they cannot outlive the visits.
    """
    problems: list[tuple[str, str]] = []
    for name, value, least in (
        ("booking_months", periods.booking_months, MIN_BOOKING_MONTHS),
        ("feedback_months", periods.feedback_months, MIN_MONTHS),
        ("push_months", periods.push_months, MIN_MONTHS),
    ):
        if value < least:
            problems.append((name, "below_minimum"))
        elif value > MAX_MONTHS:
            problems.append((name, "above_maximum"))
    if not problems and periods.feedback_months > periods.booking_months:
        problems.append(("feedback_months", "longer_than_bookings"))
    return problems


def months_before(instant: datetime, months: int) -> datetime:
    """The same time `months` calendar months earlier (the 31st becomes the month's last day)."""
    total = instant.year * 12 + instant.month - 1 - months
    year, month = divmod(total, 12)
    day = min(instant.day, calendar.monthrange(year, month + 1)[1])
    return instant.replace(year=year, month=month + 1, day=day)
