"""Reading FHIR search parameters: dates with prefixes, tokens, references and paging. Pure."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from fhir_r4.codes import PATIENT_SYSTEMS
from fhir_r4.errors import InvalidSearchError, UnknownIdentifierSystemError

_PREFIXED = re.compile(r"^(eq|ne|gt|lt|ge|le|sa|eb|ap)?(\d{4}-\d{2}-\d{2}(?:T.*)?)$")
_SUPPORTED_PREFIXES = frozenset({"eq", "gt", "lt", "ge", "le"})
_MICROSECOND = timedelta(microseconds=1)
DEFAULT_COUNT = 50
MAX_COUNT = 500


@dataclass(frozen=True)
class Range:
    """Instants in [lower, upper); None is open on that side."""

    lower: datetime | None = None
    upper: datetime | None = None

    def holds(self, moment: datetime) -> bool:
        """Whether `moment` is in the range."""
        return (self.lower is None or moment >= self.lower) and (self.upper is None or moment < self.upper)

    def narrowed(self, other: Range) -> Range:
        """Both ranges at once (a search's `date=ge...&date=le...`)."""
        lower = max((b for b in (self.lower, other.lower) if b is not None), default=None)
        upper = min((b for b in (self.upper, other.upper) if b is not None), default=None)
        return Range(lower, upper)


def _value_range(parameter: str, value: str, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The instants a date or dateTime value covers: a local day, or one instant (a microsecond's width)."""
    try:
        if "T" not in value:
            day = date.fromisoformat(value)
            start = datetime.combine(day, time(0), tzinfo=zone)
            return start, datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
        moment = datetime.fromisoformat(value.replace(" ", "+"))  # an unencoded + in a query is a space
    except ValueError as error:
        raise InvalidSearchError(parameter=parameter, value=value, reason="not a date") from error
    if moment.tzinfo is None:
        raise InvalidSearchError(parameter=parameter, value=value, reason="a time needs an offset")
    return moment, moment + _MICROSECOND


def date_range(parameter: str, values: list[str], zone: ZoneInfo) -> Range:
    """The range a date parameter's values give together (`ge2026-12-04`, `lt2026-12-10T12:00:00+01:00`).

    A date without a time is the whole local day in `zone`. Prefixes eq (the default), ge, gt, le and lt.
    """
    found = Range()
    for value in values:
        match = _PREFIXED.match(value.strip())
        if match is None:
            raise InvalidSearchError(parameter=parameter, value=value, reason="not a date")
        prefix = match.group(1) or "eq"
        if prefix not in _SUPPORTED_PREFIXES:
            raise InvalidSearchError(parameter=parameter, value=value, reason=f"prefix {prefix} is not supported")
        start, end = _value_range(parameter, match.group(2), zone)
        bounds = {
            "eq": Range(start, end), "ge": Range(start, None), "gt": Range(end, None),
            "le": Range(None, end), "lt": Range(None, start),
        }  # fmt: skip
        found = found.narrowed(bounds[prefix])
    return found


def tokens(parameter: str, values: list[str], allowed: frozenset[str]) -> frozenset[str] | None:
    """The codes a token parameter asks for (comma means or), each one of `allowed`; None when not given."""
    if not values:
        return None
    codes = {code.strip() for value in values for code in value.split(",")}
    unknown = sorted(codes - allowed)
    if unknown:
        raise InvalidSearchError(parameter=parameter, value=unknown[0], reason=f"one of {', '.join(sorted(allowed))}")
    return frozenset(codes)


def reference_id(parameter: str, value: str, resource_type: str) -> uuid.UUID:
    """The id in a reference parameter: `Type/<id>` or `<id>`, or a full URL ending in `Type/<id>`."""
    tail = value.strip().rstrip("/")
    prefix = f"{resource_type}/"
    if prefix in tail:
        tail = tail.rsplit(prefix, 1)[1]
    elif "/" in tail:
        raise InvalidSearchError(parameter=parameter, value=value, reason=f"a reference to {resource_type}")
    try:
        return uuid.UUID(tail)
    except ValueError as error:
        raise InvalidSearchError(parameter=parameter, value=value, reason="not an id of ours") from error


def national_id(parameter: str, value: str) -> str:
    """The number in an identifier token `system|value`; the system must be the national id or D number's."""
    system, bar, number = value.partition("|")
    if not bar:
        raise InvalidSearchError(parameter=parameter, value=value, reason="system|value")
    if system not in PATIENT_SYSTEMS:
        raise UnknownIdentifierSystemError(system=system)
    return number.strip()


def count(values: list[str]) -> int:
    """`_count`: how many entries a page holds (default 50, at most 500)."""
    return _whole("_count", values, DEFAULT_COUNT, 1, MAX_COUNT)


def offset(values: list[str]) -> int:
    """`_offset`: where the page starts (the `next` link sets it)."""
    return _whole("_offset", values, 0, 0, 10**6)


def _whole(parameter: str, values: list[str], default: int, least: int, most: int) -> int:
    if not values:
        return default
    value = values[-1]
    if not value.isdigit() or not least <= int(value) <= most:
        raise InvalidSearchError(parameter=parameter, value=value, reason=f"a whole number from {least} to {most}")
    return int(value)
