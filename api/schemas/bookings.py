"""Schemas of bookings."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

import msgspec
from asyncpg import Record

from booking.tables import Booking

Minutes = Annotated[int, msgspec.Meta(gt=0, le=720)]
# A time a client sends must say which instant it means: without an offset it is refused (422 time_zone_required).
AwareDatetime = Annotated[datetime, msgspec.Meta(tz=True, description="RFC 3339 with an offset (Z or +01:00)")]


class BookingCreate(msgspec.Struct, forbid_unknown_fields=True):
    """Book `minutes` of a service for a recipient from `start` (RFC 3339 with offset)."""

    recipient_id: uuid.UUID
    service_id: uuid.UUID
    start: AwareDatetime
    minutes: Minutes


class BookingMove(msgspec.Struct, forbid_unknown_fields=True):
    """Move to a new start (and optionally another allowed length)."""

    start: AwareDatetime
    minutes: Minutes | None = None


class BookingOutcome(msgspec.Struct, forbid_unknown_fields=True):
    """What happened: the visit took place, or the recipient was not there."""

    outcome: Literal["delivered", "no_show"]


class BookingRead(msgspec.Struct):
    """A booking; times in the department's zone."""

    id: uuid.UUID
    recipient_id: uuid.UUID
    service_id: uuid.UUID
    department_id: uuid.UUID
    start: datetime
    end: datetime
    minutes: int
    status: str
    acted_by: str
    assigned_staff_id: uuid.UUID | None

    @classmethod
    def of(cls, row: Booking | Record, zone: ZoneInfo) -> BookingRead:
        """From a row (the ORM's object, or the driver's record of `SELECT * FROM booking`), shown in `zone`."""
        if isinstance(row, Record):
            return cls(row["id"], row["recipient_id"], row["service_id"], row["department_id"],
                       row["starts_at"].astimezone(zone), row["ends_at"].astimezone(zone), row["minutes"],
                       row["status"], row["acted_by"], row["assigned_staff_id"])  # fmt: skip
        return cls(
            id=row.id,
            recipient_id=row.recipient_id,
            service_id=row.service_id,
            department_id=row.department_id,
            start=row.starts_at.astimezone(zone),
            end=row.ends_at.astimezone(zone),
            minutes=row.minutes,
            status=row.status,
            acted_by=row.acted_by,
            assigned_staff_id=row.assigned_staff_id,
        )
