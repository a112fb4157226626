"""What the worker gave up on, for administrators: dead reminders and booking events that kept failing."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from booking.tables import Booking, BookingEvent
from core.errors import ConflictError, NotFoundError
from notifications.dispatch import MAX_EVENT_ATTEMPTS
from notifications.tables import Reminder
from people.access import Principal
from people.audit import Origin, record

_Row = TypeVar("_Row", bound=tuple[Any, ...])


class NotRetryableError(ConflictError):
    """The reminder's visit has started or changed, so a retry would remind of something that is not so."""

    code = "reminder_not_retryable"


@dataclass(frozen=True)
class DeadLetter:
    """One thing the worker gave up on."""

    kind: str  # reminder or booking_event
    id: int
    booking_id: uuid.UUID
    department_id: uuid.UUID
    person_id: uuid.UUID | None  # whom the reminder was for
    channel: str | None
    attempts: int
    reason: str | None
    at: datetime | None


def _scoped(query: Select[_Row], principal: Principal) -> Select[_Row]:
    departments = principal.administered_departments()
    query = query.where(Booking.municipality_id == principal.municipality_id)
    return query if departments is None else query.where(Booking.department_id.in_(departments))


async def dead_letters(session: AsyncSession, principal: Principal, limit: int = 500) -> list[DeadLetter]:
    """Dead reminders and stuck events in the administrator's scope, newest first."""
    reminders = await session.execute(
        _scoped(select(Reminder, Booking.department_id).join(Booking, Booking.id == Reminder.booking_id), principal)
        .where(Reminder.status == "dead").order_by(Reminder.changed_at.desc()).limit(limit)
    )  # fmt: skip
    events = await session.execute(
        _scoped(select(BookingEvent, Booking.department_id).join(Booking, Booking.id == BookingEvent.booking_id),
                principal)
        .where(BookingEvent.processed_at.is_(None), BookingEvent.attempts >= MAX_EVENT_ATTEMPTS)
        .order_by(BookingEvent.id.desc()).limit(limit)
    )  # fmt: skip
    letters = [
        DeadLetter(
            "reminder", r.id, r.booking_id, department, r.person_id, r.channel, r.attempts, r.last_error, r.changed_at
        )
        for r, department in reminders.all()
    ]
    letters += [
        DeadLetter("booking_event", e.id, e.booking_id, department, None, None, e.attempts, e.kind, e.at)
        for e, department in events.all()
    ]
    return letters


async def retry_reminder(
    session: AsyncSession, principal: Principal, origin: Origin, reminder_id: int, now: datetime
) -> Reminder:
    """Send a dead reminder again (after the address was corrected, say), if its visit is still ahead as planned."""
    row = (
        await session.execute(
            _scoped(select(Reminder, Booking).join(Booking, Booking.id == Reminder.booking_id), principal)
            .where(Reminder.id == reminder_id, Reminder.status == "dead").with_for_update(of=Reminder)
        )
    ).first()  # fmt: skip
    if row is None:
        raise NotFoundError(reminder_id=reminder_id)
    reminder: Reminder = row[0]
    booking: Booking = row[1]
    if booking.status != "booked" or booking.starts_at != reminder.starts_at or booking.starts_at <= now:
        raise NotRetryableError(reminder_id=reminder_id)
    reminder.status, reminder.attempts, reminder.next_attempt_at, reminder.changed_at = "scheduled", 0, now, now
    await record(session, principal, origin, action="reminder.retry", object_type="reminder",
                 object_id=str(reminder.id), subject_person_id=reminder.person_id)  # fmt: skip
    return reminder
