"""Taking and giving back ledger rows: allocation minutes first, then capacity cells in id order.

Every booking change goes through here, so the lock order is the same everywhere and two transactions
never wait on each other in a cycle (DESIGN.md: lock the allocation row first, then the cells by id).
A new booking takes its rows and is inserted in one round trip, by the SQL function `book_visit`
(migration 0008), and a cancellation gives them back in one, by `cancel_visit` (migration 0010); both keep
the same order.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from booking.errors import BookingRefusedError
from booking.tables import Allocation, AllocationPeriod, Booking
from departments.tables import CapacityCell
from people.access import Principal
from people.audit import Origin

LOCK_TIMEOUT = "2s"  # past this, answer "busy, try again" rather than queue without bound (book_visit too)
REFUSED = "TJ409"  # the SQLSTATE of book_visit's refusals: the code is the message, the fields JSON in the detail
# The function takes the rows and inserts the booking; the statement around it writes, only for a booking
# this request inserted (not one an earlier request with the same key made), the outbox event and the audit
# entry `booking.service` would otherwise add to the session: the same rows as `outbox.emit(..., "created")` and
# `people.audit.record(..., action="booking.create")`, without two more round trips at the commit.
BOOK_VISIT = text("""
WITH b AS (
    SELECT * FROM book_visit(:id, :municipality, :recipient, :department, :service, :allocation, :period_start,
                             :period_end, :granted, :starts, :ends, :span_start, :span_end, :minutes, :units, :cells,
                             :acted_by, :actor_person, :actor_token, :key, :scope)
), event AS (
    INSERT INTO booking_event (municipality_id, booking_id, kind, details)
    SELECT b.municipality_id, b.id, 'created', '{}' FROM b WHERE b.id = :id
), audit AS (
    INSERT INTO audit_entry (municipality_id, actor_person_id, actor_token_id, subject_person_id, action, object_type,
                             object_id, outcome, ip, user_agent, request_id)
    SELECT b.municipality_id, b.actor_person_id, b.actor_token_id, b.recipient_id, 'booking.create', 'booking',
           CAST(b.id AS text), 'ok', :ip, :user_agent, :request_id
    FROM b WHERE b.id = :id
)
SELECT * FROM b
""")


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


async def book_visit(session: AsyncSession, claim: Claim, new: NewBooking, origin: Origin) -> Booking:
    """Take the claim's minutes and cells and insert the booking, in one round trip (`book_visit`, migration 0008).

    The outbox event `created` and the audit entry `booking.create` (from `origin`) are written in that round trip.

    Returns the inserted booking, or the booking another request with the same Idempotency-Key committed
    meanwhile (its id then differs from `new.id`). A refusal (`BookingRefusedError`) leaves the transaction
    aborted: roll it back, as the API does when it answers 409.
    """
    allocation = claim.allocation
    params = {
        "id": new.id, "municipality": allocation.municipality_id, "recipient": new.recipient_id,
        "department": claim.department_id, "service": new.service_id, "allocation": allocation.id,
        "period_start": claim.period_start, "period_end": claim.period_end, "granted": allocation.minutes,
        "starts": new.starts_at, "ends": new.ends_at, "span_start": claim.span_start, "span_end": claim.span_end,
        "minutes": claim.minutes, "units": claim.staff_units, "cells": claim.cells_needed, "acted_by": new.acted_by,
        "actor_person": new.actor_person_id, "actor_token": new.actor_token_id, "key": new.idempotency_key,
        "scope": new.idempotency_scope, "ip": origin.ip, "user_agent": (origin.user_agent or "")[:400] or None,
        "request_id": origin.request_id,
    }  # fmt: skip
    try:
        booking: Booking = (await session.scalars(select(Booking).from_statement(BOOK_VISIT), params)).one()
    except DBAPIError as exc:
        if getattr(exc.orig, "sqlstate", None) != REFUSED:
            raise
        refusal = exc.orig.__cause__ if exc.orig is not None else None
        fields = json.loads(getattr(refusal, "detail", None) or "{}")
        raise BookingRefusedError(str(getattr(refusal, "message", "")), **fields) from exc
    return booking


CANCEL_VISIT = text(
    "SELECT * FROM cancel_visit(:booking, :municipality, :status, :minutes_back, :now, :actor_person, :actor_token, "
    ":ip, :user_agent, :request_id)"
)


async def cancel_visit(  # noqa: PLR0913 - keyword-only after the booking; each is needed
    session: AsyncSession, booking: Booking, *, status: str, minutes_back: bool, now: datetime, principal: Principal,
    origin: Origin,
) -> Booking:  # fmt: skip
    """Give the booking's cells (and, if `minutes_back`, its minutes) back and set its status, in one round trip.

    The function `cancel_visit` (migration 0010) keeps the lock order (allocation period, then cells by id)
    and writes the outbox event `cancelled` and the audit entry `booking.<status>`. Lock the booking and
    check that it is active first (`booking.service.locked_booking`). Returns the booking as it now is.
    """
    params = {
        "booking": booking.id, "municipality": booking.municipality_id, "status": status,
        "minutes_back": minutes_back, "now": now, "actor_person": principal.person_id,
        "actor_token": principal.token_id, "ip": origin.ip, "user_agent": (origin.user_agent or "")[:400] or None,
        "request_id": origin.request_id,
    }  # fmt: skip
    statement = select(Booking).from_statement(CANCEL_VISIT).execution_options(populate_existing=True)
    cancelled: Booking = (await session.scalars(statement, params)).one()
    return cancelled


async def lock_timeout(session: AsyncSession) -> None:
    """Bound how long this transaction waits for a row another booking holds."""
    await session.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))


async def take_minutes(session: AsyncSession, claim: Claim) -> None:
    """Charge the allocation period in one statement (creating it on first use); refuse when too few are left.

    The upsert locks the period row like an UPDATE would; its WHERE keeps `used <= granted`, and the
    table's CHECK refuses a first booking longer than the whole period's grant.
    """
    allocation = claim.allocation
    statement = insert(AllocationPeriod).values(
        municipality_id=allocation.municipality_id, allocation_id=allocation.id, period_start=claim.period_start,
        period_end=claim.period_end, granted=allocation.minutes, used=claim.minutes,
    )  # fmt: skip
    charged = await session.scalar(
        statement.on_conflict_do_update(
            constraint="uq_allocation_period_start",
            set_={"used": AllocationPeriod.used + statement.excluded.used},
            where=AllocationPeriod.used + statement.excluded.used <= AllocationPeriod.granted,
        ).returning(AllocationPeriod.id)
    )
    if charged is None:
        left = await session.scalar(
            select(AllocationPeriod.granted - AllocationPeriod.used).where(
                AllocationPeriod.allocation_id == allocation.id, AllocationPeriod.period_start == claim.period_start
            )
        )
        raise BookingRefusedError(
            "allocation_used_up", period_start=claim.period_start.isoformat(), minutes_left=int(left or 0)
        )


async def give_back_minutes(session: AsyncSession, allocation_id: uuid.UUID, period_start: date, minutes: int) -> None:
    """Return minutes to the allocation period they were taken from."""
    await session.execute(
        update(AllocationPeriod)
        .where(AllocationPeriod.allocation_id == allocation_id, AllocationPeriod.period_start == period_start)
        .values(used=AllocationPeriod.used - minutes)
    )


def _cells(department_id: uuid.UUID, span_start: datetime, span_end: datetime) -> ColumnElement[bool]:
    return (
        (CapacityCell.department_id == department_id)
        & (CapacityCell.starts_at < span_end)
        & (CapacityCell.ends_at > span_start)
    )


async def take_cells(session: AsyncSession, claim: Claim) -> None:
    """Lock the span's cells in id order; refuse when one is missing (closed) or full; then use them."""
    rows = (
        (
            await session.execute(
                select(CapacityCell.id, CapacityCell.used, CapacityCell.capacity)
                .where(_cells(claim.department_id, claim.span_start, claim.span_end))
                .order_by(CapacityCell.id)
                .with_for_update()
            )
        )
        .tuples()
        .all()
    )
    if len(rows) < claim.cells_needed or any(capacity == 0 for _, _, capacity in rows):
        raise BookingRefusedError("outside_opening_hours")
    if any(used + claim.staff_units > capacity for _, used, capacity in rows):
        raise BookingRefusedError("slot_full")
    await session.execute(
        update(CapacityCell)
        .where(CapacityCell.id.in_([cell_id for cell_id, _, _ in rows]))
        .values(used=CapacityCell.used + claim.staff_units)
    )


async def give_back_cells(
    session: AsyncSession, department_id: uuid.UUID, span_start: datetime, span_end: datetime, units: int
) -> None:
    """Return staff units to the span's cells (locked in id order first, like every other change)."""
    ids = (
        await session.scalars(
            select(CapacityCell.id)
            .where(_cells(department_id, span_start, span_end))
            .order_by(CapacityCell.id)
            .with_for_update()
        )
    ).all()
    if ids:
        await session.execute(
            update(CapacityCell).where(CapacityCell.id.in_(ids)).values(used=CapacityCell.used - units)
        )
