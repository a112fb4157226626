"""The outbox: each booking change writes the event it causes in its own transaction (DESIGN.md, invariant 6)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from booking.tables import Allocation, AllocationEvent, Booking, BookingEvent


def emit(session: AsyncSession, booking: Booking, kind: str, **details: object) -> None:
    """Add the event `kind` for `booking` to the session's transaction, and bump the booking's sequence.

    Call it after the change: a later change of the same booking in the same transaction adds its own event.
    `details` keeps what the change replaced (the previous start or staff member) as JSON-ready values.
    """
    if kind != "created":
        booking.sequence = (booking.sequence or 0) + 1
    session.add(
        BookingEvent(
            municipality_id=booking.municipality_id,
            booking_id=booking.id,
            kind=kind,
            details={key: str(value) if value is not None else None for key, value in details.items()},
        )
    )


def emit_decision(session: AsyncSession, allocation: Allocation, kind: str) -> None:
    """Add the decision event `kind` (created, changed) for `allocation` to the session's transaction."""
    session.add(AllocationEvent(municipality_id=allocation.municipality_id, allocation_id=allocation.id, kind=kind))
