"""Schemas of the waitlist (venteliste)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

import msgspec

from waitlist.tables import WaitlistEntry, WaitlistOffer

Minutes = Annotated[int, msgspec.Meta(gt=0, le=720)]
Weekday = Annotated[int, msgspec.Meta(ge=0, le=6, description="0 = Monday")]
DayMinute = Annotated[int, msgspec.Meta(ge=0, le=1440, description="Local minutes after midnight")]


class WaitlistCreate(msgspec.Struct, forbid_unknown_fields=True):
    """Tell me if `minutes` of a service frees up between two local dates, perhaps only on some weekdays or hours."""

    recipient_id: uuid.UUID
    service_id: uuid.UUID
    minutes: Minutes
    first_day: date
    last_day: date
    weekdays: Annotated[list[Weekday], msgspec.Meta(min_length=1, max_length=7)] | None = None
    from_minute: DayMinute | None = None
    to_minute: DayMinute | None = None


class WaitlistOfferRead(msgspec.Struct):
    """A freed time held for the entry until `expires_at`: accept to book it, or decline to pass it on."""

    id: uuid.UUID
    entry_id: uuid.UUID
    recipient_id: uuid.UUID
    department_id: uuid.UUID
    start: datetime
    end: datetime
    status: str
    expires_at: datetime
    booking_id: uuid.UUID | None

    @classmethod
    def of(cls, row: WaitlistOffer, zone: ZoneInfo) -> WaitlistOfferRead:
        """From a row, shown in `zone`."""
        return cls(
            id=row.id, entry_id=row.entry_id, recipient_id=row.recipient_id, department_id=row.department_id,
            start=row.starts_at.astimezone(zone), end=row.ends_at.astimezone(zone), status=row.status,
            expires_at=row.expires_at.astimezone(zone), booking_id=row.booking_id,
        )  # fmt: skip


class WaitlistEntryRead(msgspec.Struct):
    """An entry in line, with the offer held for it now (if any)."""

    id: uuid.UUID
    recipient_id: uuid.UUID
    department_id: uuid.UUID
    service_id: uuid.UUID
    minutes: int
    first_day: date
    last_day: date
    weekdays: list[int] | None
    from_minute: int | None
    to_minute: int | None
    status: str
    created_at: datetime
    offer: WaitlistOfferRead | None

    @classmethod
    def of(cls, row: WaitlistEntry, offer: WaitlistOffer | None, zone: ZoneInfo) -> WaitlistEntryRead:
        """From a row and its held offer, shown in `zone`."""
        return cls(
            id=row.id, recipient_id=row.recipient_id, department_id=row.department_id, service_id=row.service_id,
            minutes=row.minutes, first_day=row.first_day, last_day=row.last_day,
            weekdays=list(row.weekdays) if row.weekdays is not None else None, from_minute=row.from_minute,
            to_minute=row.to_minute, status=row.status, created_at=row.created_at.astimezone(zone),
            offer=WaitlistOfferRead.of(offer, zone) if offer is not None else None,
        )  # fmt: skip
