"""The booking lifecycle: book (idempotent), list, move, cancel, record the outcome."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any

import msgspec
from asyncpg import Record
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, HeaderParameter, JSONBody, QueryParameter
from sqlalchemy import select

from api.auth import SIGNED_IN, caller, provide_origin
from api.dependencies import Current, DbSession, Where
from api.driver import driver_connection
from api.ratelimit import Admission, RateLimit, per_ip, per_person
from api.responses import Encoded
from api.schemas.bookings import BookingCreate, BookingMove, BookingOutcome, BookingRead
from api.transactions import AUTOCOMMIT, READS
from booking import driver, service
from booking.access import recipient_scope
from booking.errors import BookingRefusedError
from booking.tables import Booking
from core.clock import utcnow

IdempotencyKey = Annotated[
    str,
    HeaderParameter(name="Idempotency-Key", min_length=8, max_length=200, description="A new random value per booking"),
]
REPLAYED = {"Idempotent-Replayed": "true"}
STATUSES = "^(booked|cancelled|late_cancelled|delivered|no_show)$"
BOOKING_LIMITS = (per_ip("booking", 1200), per_person("booking", 60))
# A bounded queue a process: 4 requests a database connection (20 for bench.rush's 5 a process, 40 for the
# default 10). Past that, callers are told at once to retry (429, Retry-After) rather than wait: in a rush of 500
# at 2 processes the last answer came after 530 ms at 32 a process and 464 ms at 20 (p99; medians of 3 runs), and
# at 100 a process after 3 s. It is checked before the rate limits: a request turned away costs no Redis round
# trip and counts against no one.
BOOKING_ADMISSION = Admission(per_connection=4)
BOOKING_WRITES = RateLimit(*BOOKING_LIMITS, admission=BOOKING_ADMISSION)
"""The middleware of the routes that book, move or cancel: admitted, then counted against the booking limits."""
BOOKING_REQUESTS = RateLimit(*BOOKING_LIMITS)
"""Counted against the same limits, not admitted: a series and joining a waitlist (the ORM's routes)."""


def _answer(
    request: Request[Any, Any, Any], row: Record, *, status_code: int | None = None,
    headers: dict[str, str] | None = None,
) -> Encoded[BookingRead]:  # fmt: skip
    """A hot route's booking row as its answer: `BookingRead` in the installation's zone, encoded once."""
    body = msgspec.json.encode(BookingRead.of(row, request.app.state.settings.zone))
    return Encoded(body, status_code=status_code, headers=headers)


class BookingController(Controller):
    """`/api/v1/bookings`: for the recipient, their proxies, staff and administrators who serve them."""

    path = "/api/v1/bookings"
    tags = ["bookings"]  # noqa: RUF012 - Litestar's declared attribute type
    middleware = [BOOKING_WRITES]  # noqa: RUF012 - Litestar's type

    # On the driver (`api.driver`, `booking.driver`): the caller, then the context, then `book_visit`'s one
    # statement (booking, ledgers, outbox event, audit entry): three statements, no ORM session, no transaction.
    @post(
        "/", summary="Book a visit (send an Idempotency-Key; a retry returns the first answer)", opt={SIGNED_IN: True}
    )
    async def create(
        self, request: Request[Any, Any, Any], key: IdempotencyKey, data: JSONBody[BookingCreate]
    ) -> Response[BookingRead]:
        """201 with the booking; 409/422 problem details saying exactly why not."""
        wanted = service.BookRequest(data.recipient_id, data.service_id, data.start, data.minutes)
        async with driver_connection(request) as conn:
            current = await caller(request, conn)
            row, replayed = await driver.book(conn, current, provide_origin(request), wanted, key=key, now=utcnow())
        return _answer(request, row, status_code=201, headers=REPLAYED if replayed else None)

    @get("/", summary="My bookings, or those of a recipient I may see", opt={READS: "booking.read", AUTOCOMMIT: True})
    async def list_bookings(
        self, db_session: DbSession, current: Current, state: State, today: NamedDependency[date],
        recipient_id: Annotated[uuid.UUID | None, QueryParameter()] = None,
        first: Annotated[date | None, QueryParameter(name="from")] = None,
        last: Annotated[date | None, QueryParameter(name="to")] = None,
        status: Annotated[str | None, QueryParameter(pattern=STATUSES)] = None,
    ) -> list[BookingRead]:  # fmt: skip
        """From `from` (default today) through `to` (default 60 days on), by start."""
        zone = state.settings.zone
        if recipient_id is None and current.person_id is None:
            raise BookingRefusedError("recipient_required")
        who, departments = await recipient_scope(db_session, current, recipient_id or current.person_id, today)  # type: ignore[arg-type]
        start = datetime.combine(first or today, time(0), tzinfo=zone)
        end = datetime.combine(
            (last or (first or today) + timedelta(days=60)) + timedelta(days=1), time(0), tzinfo=zone
        )
        query = select(Booking).where(
            Booking.recipient_id == who.id, Booking.starts_at >= start, Booking.starts_at < end
        )
        if departments is not None:  # staff and department administrators see their departments' bookings only
            query = query.where(Booking.department_id.in_(departments))
        if status is not None:
            query = query.where(Booking.status == status)
        rows = await db_session.scalars(query.order_by(Booking.starts_at).limit(500))
        return [BookingRead.of(row, zone) for row in rows]

    @post("/{booking_id:uuid}/move", summary="Move a booking (if the new time fails, the old one stands)",
          opt={SIGNED_IN: True})  # fmt: skip
    async def move(
        self,
        request: Request[Any, Any, Any],
        booking_id: FromPath[uuid.UUID],
        data: JSONBody[BookingMove],
    ) -> Response[BookingRead]:
        """The booking at its new time."""
        async with driver_connection(request) as conn:  # on the driver, as `create`
            current = await caller(request, conn)
            row = await driver.move(conn, current, provide_origin(request), booking_id, start=data.start,
                                    minutes=data.minutes, now=utcnow())  # fmt: skip
        return _answer(request, row)

    @post("/{booking_id:uuid}/cancel", summary="Cancel a booking (within the deadline it is a late cancellation)",
          opt={SIGNED_IN: True})  # fmt: skip
    async def cancel(self, request: Request[Any, Any, Any], booking_id: FromPath[uuid.UUID]) -> Response[BookingRead]:
        """The cancelled booking; its status says whether it was late."""
        async with driver_connection(request) as conn:  # on the driver, as `create`
            current = await caller(request, conn)
            row = await driver.cancel(conn, current, provide_origin(request), booking_id, now=utcnow())
        return _answer(request, row)

    @post("/{booking_id:uuid}/outcome", summary="Record what happened (staff; not before the start)")
    async def outcome(
        self, db_session: DbSession, current: Current, origin: Where, state: State,
        booking_id: FromPath[uuid.UUID], data: JSONBody[BookingOutcome],
    ) -> BookingRead:  # fmt: skip
        """Delivered, or not met (no-show)."""
        booking = await service.record_outcome(
            db_session, current, origin, booking_id, outcome=data.outcome, now=utcnow()
        )
        return BookingRead.of(booking, state.settings.zone)
