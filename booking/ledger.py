"""Taking and giving back ledger rows: allocation minutes first, then capacity cells in id order.

Every booking change goes through here, so the lock order is the same everywhere and two transactions
never wait on each other in a cycle (DESIGN.md: lock the allocation row first, then the cells by id).
Each change is one round trip to a SQL function that keeps that order: `book_visit` takes a new booking's
rows and inserts it, `move_visit` gives back the old time's and takes the new's, and `cancel_visit` gives them
back (each has one source file in `booking/sql/`, sharing its helpers; see `booking.functions`; `booking.driver`
calls them). This module holds what a change takes (`Claim`, `NewBooking`) and the no-show's give-back. Each waits
at most 2 s for a row another booking holds (`lock_timeout`): past that the answer is "busy, try again", not a
queue without bound.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from booking.tables import AllocationPeriod, Booking


class AllocationLike(Protocol):
    """What a claim needs of the decision it is charged to (the ORM's `Allocation`, or the driver's facts)."""

    @property
    def id(self) -> uuid.UUID: ...  # noqa: D102 - as the class says
    @property
    def municipality_id(self) -> uuid.UUID: ...  # noqa: D102
    @property
    def minutes(self) -> int: ...  # noqa: D102
    @property
    def period(self) -> str: ...  # noqa: D102
    @property
    def period_anchor(self) -> date | None: ...  # noqa: D102


@dataclass(frozen=True)
class Claim:
    """What a booking takes: minutes of one allocation period, and staff units in the cells of a span."""

    allocation: AllocationLike
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


async def give_back_minutes(session: AsyncSession, booking: Booking) -> None:
    """Return a booking's minutes to the allocation period they were taken from (a no-show not charged)."""
    await session.execute(
        update(AllocationPeriod)
        .where(AllocationPeriod.municipality_id == booking.municipality_id,
               AllocationPeriod.allocation_id == booking.allocation_id,
               AllocationPeriod.period_start == booking.period_start)
        .values(used=AllocationPeriod.used - booking.minutes)
    )  # fmt: skip
