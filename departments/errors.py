"""Refusals of department administration (codes map to problem types in `api/problems.py`)."""

from __future__ import annotations

from core.errors import DomainError


class UnknownTimezoneError(DomainError):
    """Not a time zone of the IANA database (e.g. "Europe/Atlantis")."""

    code = "unknown_timezone"


class InvalidOpeningHoursError(DomainError):
    """Opening hours that do not fit together; `problems` lists each finding as `{code, weekday|day, index}`."""

    code = "invalid_opening_hours"


class InvalidExceptionError(DomainError):
    """A closed day with opening windows, or an open day without any."""

    code = "invalid_exception"


class ExceptionExistsError(DomainError):
    """The department already has an exception on that day (one a day; delete it to replace it)."""

    code = "exception_exists"


class DayPassedError(DomainError):
    """The day is before the department's local today."""

    code = "day_passed"


class NotAHolidayError(DomainError):
    """The day is not a Norwegian public holiday, so there is nothing to open."""

    code = "not_a_holiday"


class InvalidDurationsError(DomainError):
    """Service durations that are not multiples of the department's grid; `grid_minutes` says which grid."""

    code = "invalid_durations"


class ServiceTextRequiredError(DomainError):
    """A service's name or description is missing or blank in bokmål; `fields` names them (`name.nb`, ...)."""

    code = "service_text_required"
