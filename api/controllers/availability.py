"""`GET /api/v1/availability`: free and busy times for a recipient and a service, per local date."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

import msgspec
from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from api.dependencies import DbSession
from api.problems import Problem
from booking.access import visible_person
from booking.availability import Slot, load_free_times
from booking.service import policy_of, service_and_department
from core.clock import utcnow
from people.access import Principal


class LengthRead(msgspec.Struct):
    """One allowed length at one start, and whether it can be booked.

    `free`; `busy` (taken by others); `yours` (you have a visit then); `no_hours` (not enough left in
    your decision for that period).
    """

    minutes: int
    status: Literal["free", "busy", "yours", "no_hours"]


class SlotRead(msgspec.Struct):
    """A start time (RFC 3339 with the department's offset)."""

    start: datetime
    lengths: list[LengthRead]


class DayRead(msgspec.Struct):
    """A local date and its start times."""

    date: date
    slots: list[SlotRead]


class AvailabilityRead(msgspec.Struct):
    """Free times for a recipient and service."""

    recipient_id: uuid.UUID
    service_id: uuid.UUID
    timezone: str
    days: list[DayRead]


class AvailabilityController(Controller):
    """Times shown as busy stay in the list, so the calendar does not jump about."""

    path = "/api/v1/availability"
    tags = ["bookings"]  # noqa: RUF012 - Litestar's declared attribute type

    @get("/", summary="Free and busy times for the next days")
    async def availability(
        self,
        db_session: DbSession,
        current: NamedDependency[Principal],
        recipient_id: Annotated[uuid.UUID, QueryParameter()],
        service_id: Annotated[uuid.UUID, QueryParameter()],
        first: Annotated[date | None, QueryParameter(name="from")] = None,
        last: Annotated[date | None, QueryParameter(name="to")] = None,
    ) -> AvailabilityRead:
        """From `from` (default today) through `to` (default the horizon's last day), in the department's zone."""
        now = utcnow()
        service, department = await service_and_department(db_session, current, service_id)
        policy = policy_of(department)
        today = now.astimezone(ZoneInfo(department.timezone)).date()
        await visible_person(db_session, current, recipient_id, today)
        horizon_last = today + timedelta(days=department.horizon_days)
        first, last = max(first or today, today), min(last or horizon_last, horizon_last)
        if last < first:
            raise Problem("invalid_range", extra={"max_days": department.horizon_days})
        days = await load_free_times(
            db_session, recipient_id=recipient_id, service=service, department=department,
            first=first, last=last, policy=policy, now=now,
        )  # fmt: skip
        return AvailabilityRead(
            recipient_id=recipient_id, service_id=service.id, timezone=department.timezone, days=_days(days)
        )


def _days(days: dict[date, list[Slot]]) -> list[DayRead]:
    """The days in order, each distinct list of lengths built once and shared.

    A 14-day answer has hundreds of starts but a handful of distinct length lists; they are only read (to be
    encoded), so sharing them saves a few structs a start.
    """
    shared: dict[tuple[tuple[int, str], ...], list[LengthRead]] = {}

    def lengths(durations: dict[int, str]) -> list[LengthRead]:
        key = tuple(durations.items())
        found = shared.get(key)
        if found is None:
            found = shared[key] = [LengthRead(minutes, status) for minutes, status in key]  # type: ignore[arg-type]
        return found

    return [
        DayRead(day, [SlotRead(s.start, lengths(s.durations)) for s in slots]) for day, slots in sorted(days.items())
    ]
