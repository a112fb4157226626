"""`GET /api/v1/availability`: free and busy times for a recipient and a service, per local date."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, Response, get
from litestar.params import QueryParameter

from api.auth import SIGNED_IN, caller, provide_origin
from api.driver import driver_connection
from api.problems import Problem
from api.responses import Encoded
from booking.free_slots import Asked, RangeError, availability
from core.clock import utcnow


class LengthRead(msgspec.Struct):
    """One allowed length at one start, and whether it can be booked.

    `free`; `busy` (taken by others, or fewer staff on duty than the visit needs); `yours` (you have a visit
    then); `no_hours` (fewer minutes left in your decision's period than this length: see the day's `hours`);
    `too_soon` (inside the department's notice, `notice_hours` from now).
    """

    minutes: int
    status: Literal["free", "busy", "yours", "no_hours", "too_soon"]


class SlotRead(msgspec.Struct):
    """A start time (RFC 3339 with the department's offset)."""

    start: datetime
    lengths: list[LengthRead]


class HoursRead(msgspec.Struct):
    """The recipient's decision on that date: its period, the minutes left in it, and when new minutes begin.

    `next_period_start`: the first later date counted in another period (the next week, month or four weeks, or
    the day another decision takes over); null when no decision is valid after.
    """

    period: Literal["week", "month", "four_weeks"]
    period_start: date
    period_end: date
    left_minutes: int
    next_period_start: date | None


class DayRead(msgspec.Struct):
    """A local date with a valid decision, and its start times.

    `closed`: the department has no staff on duty that day (its weekly hours, a closed day or a public holiday), so
    there are no starts.
    """

    date: date
    closed: bool
    hours: HoursRead
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

    @get("/", summary="Free and busy times for the next days", opt={SIGNED_IN: True})
    async def availability(
        self,
        request: Request[Any, Any, Any],
        recipient_id: Annotated[uuid.UUID, QueryParameter()],
        service_id: Annotated[uuid.UUID, QueryParameter()],
        first: Annotated[date | None, QueryParameter(name="from")] = None,
        last: Annotated[date | None, QueryParameter(name="to")] = None,
        moving: Annotated[
            uuid.UUID | None,
            QueryParameter(description="A booked visit of theirs on the service, being moved: given back first"),
        ] = None,
    ) -> Response[AvailabilityRead]:
        """From `from` (default today) through `to` (default the horizon's last day), in the department's zone.

        Every date with a valid decision is listed, with no starts when closed or when all have passed; a
        recipient without a valid decision in the range gets no dates. With `moving`, the times are those the booking
        can move to: its own time, staff and minutes count as free (404 when it is not the recipient's booked visit
        of this service). Computed in PostgreSQL on the driver (`booking.free_slots`), answered as it encodes it.
        """
        asked = Asked(recipient_id, service_id, first, last, moving)
        async with driver_connection(request) as conn:
            current = await caller(request, conn)
            try:
                body = await availability(conn, current, provide_origin(request), asked, now=utcnow())
            except RangeError as exc:
                raise Problem("invalid_range", extra={"max_days": exc.max_days}) from exc
        return Encoded(body)  # encoded already; the annotation documents what it holds
