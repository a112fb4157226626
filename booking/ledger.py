"""Taking and giving back ledger rows: allocation minutes first, then capacity cells in id order.

Every booking change goes through here, so the lock order is the same everywhere and two transactions
never wait on each other in a cycle (DESIGN.md: lock the allocation row first, then the cells by id).
Each change is one round trip to a SQL function that keeps that order: `book_visit` takes a new booking's
rows and inserts it, `move_visit` gives back the old time's and takes the new's, and `cancel_visit` gives them
back (each has one source file in `booking/sql/`, sharing its helpers; see `booking.functions`). Each waits
at most 2 s for a row another booking holds (`lock_timeout`): past that the answer is "busy, try again", not a
queue without bound.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import TextClause, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from booking.errors import refusal
from booking.tables import Allocation, AllocationPeriod, Booking
from people.access import Principal
from people.audit import Origin


@dataclass(frozen=True)
class Claim:
    """What a booking takes: minutes of one allocation period, and staff units in the cells of a span."""

    allocation: Allocation
    period_start: date
    period_end: date
    minutes: int
    department_id: uuid.UUID
    span_start: datetime
    span_end: datetime
    staff_units: int
    cells_needed: int


@dataclass(frozen=True)
class NewBooking:
    """Who books which visit of a claim, and under which Idempotency-Key."""

    id: uuid.UUID
    recipient_id: uuid.UUID
    service_id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    acted_by: str
    actor_person_id: uuid.UUID | None
    actor_token_id: uuid.UUID | None
    idempotency_key: str | None
    idempotency_scope: str


def _origin_params(person: uuid.UUID | None, token: uuid.UUID | None, origin: Origin) -> dict[str, object]:
    """Who acted and from where, for the audit entry the functions write."""
    return {"actor_person": person, "actor_token": token, "ip": origin.ip,
            "user_agent": (origin.user_agent or "")[:400] or None, "request_id": origin.request_id}  # fmt: skip


async def _booking_from(session: AsyncSession, statement: TextClause, params: dict[str, object]) -> Booking:
    """The booking row one of the functions returns (the session's copy refreshed); their refusals as errors.

    A refusal (SQLSTATE TJ409: the code as the message, its fields as JSON in the detail) becomes a
    `BookingRefusedError` and leaves the transaction aborted: roll it back, as the API does when it answers 409.
    """
    query = select(Booking).from_statement(statement).execution_options(populate_existing=True)
    try:
        booking: Booking = (await session.scalars(query, params)).one()
    except DBAPIError as exc:
        refused = refusal(exc.orig.__cause__ if exc.orig is not None else None)
        if refused is None:
            raise
        raise refused from exc
    return booking


MOVE_VISIT = text(
    "SELECT * FROM move_visit(:booking, :municipality, :allocation, :period_start, :period_end, :granted, :starts, "
    ":ends, :span_start, :span_end, :minutes, :units, :cells, :now, :actor_person, :actor_token, :ip, :user_agent, "
    ":request_id)"
)


async def move_visit(  # noqa: PLR0913 - keyword-only after the claim; each is needed
    session: AsyncSession, booking: Booking, claim: Claim, *, starts_at: datetime, now: datetime,
    principal: Principal, origin: Origin,
) -> Booking:  # fmt: skip
    """Give back what the booking holds and take the claim's minutes and cells for its new time, in one round trip.

    The function `move_visit` (`booking/sql/`) keeps the lock order (allocation periods, then the cells of
    both spans by id), keeps the assigned staff member only if free then, and writes the outbox event `moved`
    and the audit entry `booking.move`. Lock the booking and check that it is active first. A refusal
    (`BookingRefusedError`) leaves the transaction aborted: roll it back, and the old time stands.
    """
    allocation = claim.allocation
    params = {
        "booking": booking.id, "municipality": booking.municipality_id, "allocation": allocation.id,
        "period_start": claim.period_start, "period_end": claim.period_end, "granted": allocation.minutes,
        "starts": starts_at, "ends": starts_at + timedelta(minutes=claim.minutes), "span_start": claim.span_start,
        "span_end": claim.span_end, "minutes": claim.minutes, "units": claim.staff_units, "cells": claim.cells_needed,
        "now": now, **_origin_params(principal.person_id, principal.token_id, origin),
    }  # fmt: skip
    return await _booking_from(session, MOVE_VISIT, params)


CANCEL_VISIT = text(
    "SELECT * FROM cancel_visit(:booking, :municipality, :status, :minutes_back, :now, :actor_person, :actor_token, "
    ":ip, :user_agent, :request_id)"
)


async def cancel_visit(  # noqa: PLR0913 - keyword-only after the booking; each is needed
    session: AsyncSession, booking: Booking, *, status: str, minutes_back: bool, now: datetime, principal: Principal,
    origin: Origin,
) -> Booking:  # fmt: skip
    """Give the booking's cells (and, if `minutes_back`, its minutes) back and set its status, in one round trip.

    The function `cancel_visit` (`booking/sql/`) keeps the lock order (allocation period, then cells by id)
    and writes the outbox event `cancelled` and the audit entry `booking.<status>`. Lock the booking and
    check that it is active first (`booking.service.locked_booking`). Returns the booking as it now is.
    """
    params = {
        "booking": booking.id, "municipality": booking.municipality_id, "status": status,
        "minutes_back": minutes_back, "now": now, **_origin_params(principal.person_id, principal.token_id, origin),
    }  # fmt: skip
    return await _booking_from(session, CANCEL_VISIT, params)


async def give_back_minutes(session: AsyncSession, booking: Booking) -> None:
    """Return a booking's minutes to the allocation period they were taken from (a no-show not charged)."""
    await session.execute(
        update(AllocationPeriod)
        .where(AllocationPeriod.municipality_id == booking.municipality_id,
               AllocationPeriod.allocation_id == booking.allocation_id,
               AllocationPeriod.period_start == booking.period_start)
        .values(used=AllocationPeriod.used - booking.minutes)
    )  # fmt: skip
