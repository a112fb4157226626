"""Schemas of the department catalogue and its administration."""

from __future__ import annotations

import uuid
from datetime import date, time
from typing import Annotated, Any, Literal

import msgspec
from litestar.enums import RequestEncodingType
from litestar.params import Body

from api.schemas.people import Phone, Strict
from departments.rules import DateException, WeeklyRule, Window
from departments.service import Holiday
from departments.tables import Department, HolidayOpening, OpeningException, OpeningRule, Service

MinuteOfDay = Annotated[int, msgspec.Meta(ge=0, le=1440, description="Minutes after local midnight; 1440 = 24:00")]


class DepartmentRead(msgspec.Struct):
    """A department and its booking policy."""

    id: uuid.UUID
    name: str
    timezone: str
    grid_minutes: int
    horizon_days: int
    notice_hours: int
    cancel_deadline_hours: int
    phone: str | None
    address: str | None
    no_show_uses_allocation: bool
    late_cancel_uses_allocation: bool
    reminder_lead_minutes: list[int]
    staff_feed_details: bool
    waitlist_hold_minutes: int
    series_allowed: bool
    series_share_percent: int

    @classmethod
    def of(cls, row: Department) -> DepartmentRead:
        """From a row."""
        return cls(
            id=row.id,
            name=row.name,
            timezone=row.timezone,
            grid_minutes=row.grid_minutes,
            horizon_days=row.horizon_days,
            notice_hours=row.notice_hours,
            cancel_deadline_hours=row.cancel_deadline_hours,
            phone=row.phone,
            address=row.address,
            no_show_uses_allocation=row.no_show_uses_allocation,
            late_cancel_uses_allocation=row.late_cancel_uses_allocation,
            reminder_lead_minutes=list(row.reminder_lead_minutes),
            staff_feed_details=row.staff_feed_details,
            waitlist_hold_minutes=row.waitlist_hold_minutes,
            series_allowed=row.series_allowed,
            series_share_percent=row.series_share_percent,
        )


class OpeningRuleRead(msgspec.Struct):
    """A weekly rule: on `weekday` (0 = Monday), `staff` on duty from `start` to `end` local time."""

    id: uuid.UUID
    weekday: int
    start: str
    end: str
    start_minute: MinuteOfDay
    end_minute: MinuteOfDay
    staff: int
    valid_from: date | None
    valid_to: date | None

    @classmethod
    def of(cls, row: OpeningRule) -> OpeningRuleRead:
        """From a row."""
        return cls(
            id=row.id,
            weekday=row.weekday,
            start=_clock(row.start_minute),
            end=_clock(row.end_minute),
            start_minute=row.start_minute,
            end_minute=row.end_minute,
            staff=row.staff,
            valid_from=row.valid_from,
            valid_to=row.valid_to,
        )


class ServiceRead(msgspec.Struct):
    """A service in the catalogue, with its texts in the request's language and in all three."""

    id: uuid.UUID
    department_id: uuid.UUID
    name: str
    description: str
    names: dict[str, str]
    descriptions: dict[str, str]
    durations: list[int]
    staff_units: int
    buffer_before: int
    buffer_after: int
    home_visit: bool
    active: bool

    @classmethod
    def of(cls, row: Service, language: str) -> ServiceRead:
        """From a row, texts in `language` (bokmål when missing)."""
        return cls(
            id=row.id,
            department_id=row.department_id,
            name=row.name.get(language) or row.name["nb"],
            description=row.description.get(language) or row.description.get("nb", ""),
            names=row.name,
            descriptions=row.description,
            durations=list(row.durations),
            staff_units=row.staff_units,
            buffer_before=row.buffer_before,
            buffer_after=row.buffer_after,
            home_visit=row.home_visit,
            active=row.active,
        )


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


# --- Administration: request bodies refuse unknown fields; PATCH bodies change only the fields they carry.

DepartmentName = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Timezone = Annotated[
    str, msgspec.Meta(min_length=1, max_length=64, description="An IANA time zone", examples=["Europe/Oslo"])
]
Grid = Literal[5, 10, 15, 30, 60]
HorizonDays = Annotated[int, msgspec.Meta(ge=1, le=60, description="How many days ahead recipients may book")]
Hours = Annotated[int, msgspec.Meta(ge=0, le=168)]
HoldMinutes = Annotated[int, msgspec.Meta(ge=5, le=1440, description="Minutes a freed time is held for the waitlist")]
SeriesShare = Annotated[
    int, msgspec.Meta(ge=0, le=100, description="The share (%) of each capacity cell recurring visits may hold")
]
ReminderLeads = Annotated[
    list[Annotated[int, msgspec.Meta(ge=5, le=10080)]],
    msgspec.Meta(max_length=5, description="Minutes before a visit that reminders go out"),
]
Address = Annotated[str, msgspec.Meta(max_length=500)]
# Weekday and staff ranges are checked by `departments.rules.validate_rules`, so a problem names the rule's index
# (Litestar reports errors inside a top-level list body without it).
Weekday = Annotated[int, msgspec.Meta(description="0 = Monday ... 6 = Sunday")]
Clock = Annotated[str, msgspec.Meta(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", examples=["08:00"])]
EndClock = Annotated[
    str,
    msgspec.Meta(pattern=r"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$", description="24:00 = the end of the day"),
]
Staff = Annotated[int, msgspec.Meta(description="Staff units on duty, 1 to 50")]
Duration = Annotated[int, msgspec.Meta(gt=0, le=600, description="Minutes; a multiple of the department's grid")]
Buffer = Annotated[int, msgspec.Meta(ge=0, le=240, multiple_of=5, description="Minutes (travel, preparation)")]
Note = Annotated[str, msgspec.Meta(max_length=500)]


def clock(value: str) -> time:
    """Read "HH:MM" as a time; "24:00" is 00:00, the end of the day in the pure rules."""
    hours, minutes = (int(part) for part in value.split(":"))
    return time(hours % 24, minutes)


def given(body: msgspec.Struct) -> dict[str, Any]:
    """The fields a body carries (PATCH: the ones to change), nested texts as plain dicts."""
    values = {name: getattr(body, name) for name in body.__struct_fields__}
    return {
        name: value.texts() if isinstance(value, (ServiceName, ServiceDescription)) else value
        for name, value in values.items()
        if value is not msgspec.UNSET
    }


class DepartmentCreate(Strict):
    """A new department; what is left out takes the usual defaults."""

    name: DepartmentName
    timezone: Timezone = "Europe/Oslo"
    grid_minutes: Grid = 15
    horizon_days: HorizonDays = 14
    notice_hours: Hours = 2
    cancel_deadline_hours: Hours = 24
    no_show_uses_allocation: bool = True
    late_cancel_uses_allocation: bool = True
    reminder_lead_minutes: ReminderLeads = msgspec.field(default_factory=lambda: [1440, 120])
    phone: Phone | None = None
    address: Address | None = None
    staff_feed_details: bool = False
    waitlist_hold_minutes: HoldMinutes = 30
    series_allowed: bool = True
    series_share_percent: SeriesShare = 50


class DepartmentPatch(Strict):
    """Change some of a department's settings; `null` clears the phone or address."""

    name: DepartmentName | msgspec.UnsetType = msgspec.UNSET
    timezone: Timezone | msgspec.UnsetType = msgspec.UNSET
    grid_minutes: Grid | msgspec.UnsetType = msgspec.UNSET
    horizon_days: HorizonDays | msgspec.UnsetType = msgspec.UNSET
    notice_hours: Hours | msgspec.UnsetType = msgspec.UNSET
    cancel_deadline_hours: Hours | msgspec.UnsetType = msgspec.UNSET
    no_show_uses_allocation: bool | msgspec.UnsetType = msgspec.UNSET
    late_cancel_uses_allocation: bool | msgspec.UnsetType = msgspec.UNSET
    reminder_lead_minutes: ReminderLeads | msgspec.UnsetType = msgspec.UNSET
    phone: Phone | msgspec.UnsetType | None = msgspec.UNSET
    address: Address | msgspec.UnsetType | None = msgspec.UNSET
    # Staff calendar feeds: the recipient's full name and home address instead of initials (lock screens).
    staff_feed_details: bool | msgspec.UnsetType = msgspec.UNSET
    # How long a time freed for the waitlist is held for the first in line before it passes on.
    waitlist_hold_minutes: HoldMinutes | msgspec.UnsetType = msgspec.UNSET
    # Recurring visits (faste avtaler): whether the department allows them, and the share of each cell's capacity
    # they may hold, so the rest stays open for single bookings. A change applies to occurrences booked from now.
    series_allowed: bool | msgspec.UnsetType = msgspec.UNSET
    series_share_percent: SeriesShare | msgspec.UnsetType = msgspec.UNSET


class RuleWrite(Strict):
    """A weekly rule: on `weekday`, `staff` on duty from `start` to `end` (local time), optionally in a period."""

    weekday: Weekday
    start: Clock
    end: EndClock
    staff: Staff
    valid_from: date | None = None
    valid_to: date | None = None

    def rule(self) -> WeeklyRule:
        """As the pure rules take it."""
        return WeeklyRule(self.weekday, clock(self.start), clock(self.end), self.staff, self.valid_from, self.valid_to)


MAX_RULES = 100
OpeningHoursWrite = Annotated[list[RuleWrite], Body(media_type=RequestEncodingType.JSON, max_items=MAX_RULES)]
"""The whole weekly rule set (a JSON body; Litestar enforces `max_items` on a list body, not a `Meta` on it)."""


class WindowWrite(Strict):
    """`staff` on duty from `start` to `end`, local time."""

    start: Clock
    end: EndClock
    staff: Staff


class WindowRead(msgspec.Struct):
    """An exception's window."""

    start: str
    end: str
    start_minute: MinuteOfDay
    end_minute: MinuteOfDay
    staff: int


class ExceptionCreate(Strict):
    """On `day`: closed (no windows), or open with these windows instead of the weekly hours."""

    day: date
    closed: bool
    windows: Annotated[list[WindowWrite], msgspec.Meta(max_length=24)] = msgspec.field(default_factory=list)
    note: Note | None = None

    def exception(self) -> DateException:
        """As the pure rules take it."""
        return DateException(
            self.day, self.closed, tuple(Window(clock(w.start), clock(w.end), w.staff) for w in self.windows)
        )


class ExceptionRead(msgspec.Struct):
    """A dated exception."""

    id: uuid.UUID
    day: date
    closed: bool
    windows: list[WindowRead]
    note: str | None

    @classmethod
    def of(cls, row: OpeningException) -> ExceptionRead:
        """From a row."""
        windows = [
            WindowRead(
                _clock(w["start_minute"]), _clock(w["end_minute"]), w["start_minute"], w["end_minute"], w["staff"]
            )
            for w in row.windows
        ]
        return cls(id=row.id, day=row.day, closed=row.closed, windows=windows, note=row.note)


class HolidayOpeningCreate(Strict):
    """Open with the ordinary weekly hours on this public holiday."""

    day: date


class HolidayOpeningRead(msgspec.Struct):
    """A holiday on which the department opens."""

    id: uuid.UUID
    day: date

    @classmethod
    def of(cls, row: HolidayOpening) -> HolidayOpeningRead:
        """From a row."""
        return cls(id=row.id, day=row.day)


class HolidayRead(msgspec.Struct):
    """A public holiday (named in bokmål): closed unless `open`, then with the ordinary weekly hours."""

    day: date
    name: str
    open: bool
    opening_id: uuid.UUID | None = None

    @classmethod
    def of(cls, holiday: Holiday) -> HolidayRead:
        """From the service's value."""
        return cls(holiday.day, holiday.name, holiday.opening_id is not None, holiday.opening_id)


# Bokmål is required and may not be blank (422 `service_text_required`, also when it is left out); nynorsk and
# English are optional: left out, null or blank, the service shows its bokmål text in that language.
_REQUIRED = "Required, not blank (422 `service_text_required`)"
_OPTIONAL = "Optional: left out, null or blank, bokmål is shown instead"
NameText = Annotated[str, msgspec.Meta(max_length=200, description=_REQUIRED)]
OptionalNameText = Annotated[str, msgspec.Meta(max_length=200, description=_OPTIONAL)]
DescriptionText = Annotated[str, msgspec.Meta(max_length=4000, description=_REQUIRED)]
OptionalDescriptionText = Annotated[str, msgspec.Meta(max_length=4000, description=_OPTIONAL)]


class ServiceName(Strict):
    """A service's name: bokmål, and nynorsk and English when given."""

    nb: NameText
    nn: OptionalNameText | None = None
    en: OptionalNameText | None = None

    def texts(self) -> dict[str, str]:
        """The texts given, by language."""
        return {language: text for language, text in msgspec.structs.asdict(self).items() if text is not None}


class ServiceDescription(Strict):
    """A service's plain-language description (tjenestebeskrivelse): bokmål, and nynorsk and English when given."""

    nb: DescriptionText
    nn: OptionalDescriptionText | None = None
    en: OptionalDescriptionText | None = None

    def texts(self) -> dict[str, str]:
        """The texts given, by language."""
        return {language: text for language, text in msgspec.structs.asdict(self).items() if text is not None}


Durations = Annotated[list[Duration], msgspec.Meta(min_length=1, max_length=10)]


class ServiceCreate(Strict):
    """A new service in the catalogue."""

    name: ServiceName
    description: ServiceDescription
    durations: Durations
    staff_units: Literal[1, 2] = 1
    buffer_before: Buffer = 0
    buffer_after: Buffer = 0
    home_visit: bool = False


class ServicePatch(Strict):
    """Change some of a service; `active: false` retires it (kept for administrators and past bookings)."""

    name: ServiceName | msgspec.UnsetType = msgspec.UNSET
    description: ServiceDescription | msgspec.UnsetType = msgspec.UNSET
    durations: Durations | msgspec.UnsetType = msgspec.UNSET
    staff_units: Literal[1, 2] | msgspec.UnsetType = msgspec.UNSET
    buffer_before: Buffer | msgspec.UnsetType = msgspec.UNSET
    buffer_after: Buffer | msgspec.UnsetType = msgspec.UNSET
    home_visit: bool | msgspec.UnsetType = msgspec.UNSET
    active: bool | msgspec.UnsetType = msgspec.UNSET
