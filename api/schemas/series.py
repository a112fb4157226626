"""Schemas of recurring visits (faste avtaler)."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

import msgspec

from booking.series import Outcome
from booking.tables import BookingSeries, SeriesFailure

Minutes = Annotated[int, msgspec.Meta(gt=0, le=720)]
Weekday = Annotated[int, msgspec.Meta(ge=0, le=6, description="0 = Monday")]
Weekdays = Annotated[list[Weekday], msgspec.Meta(min_length=1, max_length=7)]


class SeriesCreate(msgspec.Struct, forbid_unknown_fields=True):
    """A recurring visit: `minutes` of a service on the weekdays at a local time, every 1 or 2 weeks."""

    recipient_id: uuid.UUID
    service_id: uuid.UUID
    minutes: Minutes
    weekdays: Weekdays
    local_time: Annotated[time, msgspec.Meta(description="Wall-clock time in the department's zone, e.g. 10:00")]
    valid_from: date
    valid_until: date | None = None
    every_weeks: Literal[1, 2] = 1


class SeriesUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """A new pattern from now on (only the fields given change); future occurrences of the old one are cancelled."""

    weekdays: Weekdays | None = None
    local_time: time | None = None
    every_weeks: Literal[1, 2] | None = None
    valid_until: date | None = None


class FailureRead(msgspec.Struct):
    """An occurrence that could not be booked: when, why (a problem code), and the nearest free times instead."""

    date: date
    start: datetime
    reason: str
    nearest: list[datetime]


class SeriesRead(msgspec.Struct):
    """A series, and its refused occurrences from today on."""

    id: uuid.UUID
    recipient_id: uuid.UUID
    department_id: uuid.UUID
    service_id: uuid.UUID
    minutes: int
    weekdays: list[int]
    local_time: time
    valid_from: date
    valid_until: date | None
    every_weeks: int
    ended_at: datetime | None
    failures: list[FailureRead]

    @classmethod
    def of(cls, row: BookingSeries, failures: list[SeriesFailure], zone: ZoneInfo) -> SeriesRead:
        """From a row and its failures, times shown in `zone`."""
        return cls(
            id=row.id, recipient_id=row.recipient_id, department_id=row.department_id, service_id=row.service_id,
            minutes=row.minutes, weekdays=list(row.weekdays), local_time=row.local_time, valid_from=row.valid_from,
            valid_until=row.valid_until, every_weeks=row.every_weeks, ended_at=row.ended_at,
            failures=[FailureRead(f.day, f.starts_at.astimezone(zone), f.reason,
                                  [datetime.fromisoformat(t).astimezone(zone) for t in f.nearest]) for f in failures],
        )  # fmt: skip


class OccurrenceRead(msgspec.Struct):
    """One occurrence booked or refused just now: the booking's id, or the refusal's problem code."""

    date: date
    start: datetime
    booking_id: uuid.UUID | None
    refusal: str | None

    @classmethod
    def of(cls, outcome: Outcome, zone: ZoneInfo) -> OccurrenceRead:
        """From an outcome of the run."""
        return cls(outcome.day, outcome.starts_at.astimezone(zone), outcome.booking_id, outcome.refusal)


class SeriesBooked(msgspec.Struct):
    """The series, and what became of each occurrence inside the horizon."""

    series: SeriesRead
    occurrences: list[OccurrenceRead]
