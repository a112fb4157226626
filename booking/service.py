"""Booking use cases, one transaction each: book, move, cancel, record the outcome. Never commits."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Date, DateTime, Select, bindparam, cast, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from booking import driver, ledger, outbox
from booking.access import visible_in_department
from booking.driver import BookRequest, idempotency_scope, plan, policy_of
from booking.errors import BookingRefusedError
from booking.follow_up import after_no_show
from booking.tables import Allocation, Booking
from core.db import driver_of
from core.errors import NotFoundError
from departments.tables import Department, Service
from people.access import Principal, is_proxy_for
from people.audit import Origin, record
from people.errors import ForbiddenError
from people.tables import Person


async def acting_as(session: AsyncSession, principal: Principal, recipient: Person, today: date) -> str:
    """Who is acting, as the booking records it: the recipient, a proxy, staff, an admin or an integration."""
    proxy = (
        principal.token_id is None
        and principal.person_id != recipient.id
        and await is_proxy_for(session, principal, recipient.id, today)
    )
    return driver.acted_by(principal, recipient.id, proxy=proxy)


_SERVICE_AND_DEPARTMENT = (
    select(Service, Department)
    .join(Department, Department.id == Service.department_id)
    .where(Service.id == bindparam("service"), Service.municipality_id == bindparam("municipality"))
)


async def service_and_department(
    session: AsyncSession, principal: Principal, service_id: uuid.UUID
) -> tuple[Service, Department]:
    """An active service of the principal's municipality and its department (404 / `service_retired`), in one query."""
    params = {"service": service_id, "municipality": principal.municipality_id}
    found = (await session.execute(_SERVICE_AND_DEPARTMENT, params)).tuples().first()
    if found is None:
        raise NotFoundError(service_id=str(service_id))
    service, department = found
    if not service.active:
        raise BookingRefusedError("service_retired")
    return service, department


__all__ = [  # planning lives in `booking.driver`; callers of this module find it here too
    "BookRequest",
    "book",
    "book_once",
    "cancel",
    "move",
    "plan",
    "policy_of",
    "record_outcome",
]


@dataclass(frozen=True)
class Context:
    """What a booking needs to know first, read in one query.

    An active service of the principal's municipality, its department, the recipient's decision valid on the
    visit's local date (if any), and the booking an earlier request with the same Idempotency-Key made (if any).
    """

    service: Service
    department: Department
    allocation: Allocation | None
    earlier_id: uuid.UUID | None


def _context_statement() -> Select[tuple[Service, Department, Allocation, uuid.UUID]]:
    """Built once: SQLAlchemy then keys and compiles it once, and each call only binds its values."""
    day = cast(func.timezone(Department.timezone, bindparam("start", type_=DateTime(timezone=True))), Date)
    valid = aliased(Allocation)
    current = (
        select(valid.id)
        .where(valid.recipient_id == bindparam("recipient"), valid.service_id == Service.id, valid.valid_from <= day,
               or_(valid.valid_to.is_(None), valid.valid_to >= day))
        .order_by(valid.valid_from.desc())
        .limit(1)
        .scalar_subquery()
    )  # fmt: skip
    earlier = (
        select(Booking.id)
        .where(Booking.municipality_id == bindparam("municipality"), Booking.idempotency_scope == bindparam("scope"),
               Booking.idempotency_key == bindparam("key"))
        .scalar_subquery()
    )  # fmt: skip
    return (
        select(Service, Department, Allocation, earlier)
        .join(Department, Department.id == Service.department_id)
        .outerjoin(Allocation, Allocation.id == current)
        .where(Service.id == bindparam("service"), Service.municipality_id == bindparam("municipality"))
    )


CONTEXT = _context_statement()


async def context_of(
    session: AsyncSession, principal: Principal, request: BookRequest, key: str | None = None
) -> Context:
    """The request's context in one round trip (404 for an unknown service, `service_retired` for a retired one).

    Without a key (`= NULL` matches nothing) no earlier booking is looked for.
    """
    params = {"start": request.start, "recipient": request.recipient_id, "service": request.service_id,
              "municipality": principal.municipality_id, "scope": idempotency_scope(principal), "key": key}  # fmt: skip
    found = (await session.execute(CONTEXT, params)).tuples().first()
    if found is None:
        raise NotFoundError(service_id=str(request.service_id))
    context = Context(*found)
    if not context.service.active and context.earlier_id is None:
        raise BookingRefusedError("service_retired")
    return context


async def book_once(  # noqa: PLR0913 - keyword-only after the request; each is needed
    session: AsyncSession, principal: Principal, origin: Origin, request: BookRequest, *, key: str, now: datetime
) -> tuple[Booking, bool]:
    """Book a visit, or find the booking an earlier request with the same Idempotency-Key made (`driver.book`).

    The same two statements as the API's, on the session's connection and in its transaction; then the booking
    is loaded as an ORM object.

    Returns:
        The booking, and whether it was an earlier request's (a retry, answered with the first answer).

    """
    row, replayed = await driver.book(await driver_of(session), principal, origin, request, key=key, now=now)
    return await _loaded(session, row["id"]), replayed


async def book(  # noqa: PLR0913 - keyword-only after the request; each is needed
    session: AsyncSession, principal: Principal, origin: Origin, request: BookRequest, *, key: str, now: datetime
) -> Booking:
    """Book a visit (DESIGN.md's order: the allocation period, then the cells, then the insert); see `book_once`."""
    booking, _ = await book_once(session, principal, origin, request, key=key, now=now)
    return booking


_LOCKED = (
    select(Booking, Department)
    .join(Department, Department.id == Booking.department_id)
    .where(Booking.id == bindparam("booking"), Booking.municipality_id == bindparam("municipality"))
    .with_for_update(of=Booking)
)  # built once: SQLAlchemy keys and compiles it once, each call only binds


async def locked_booking_and_department(
    session: AsyncSession, principal: Principal, booking_id: uuid.UUID, today: date
) -> tuple[Booking, Department]:
    """The booking, locked for change, and its department, in one query.

    A 404 unless the principal may see the booking's recipient in its department.
    """
    found = (
        await session.execute(_LOCKED, {"booking": booking_id, "municipality": principal.municipality_id})
    ).tuples().first()  # fmt: skip
    if found is None:
        raise NotFoundError
    booking, department = found
    await visible_in_department(session, principal, booking.recipient_id, booking.department_id, today)
    return booking, department


async def cancel(
    session: AsyncSession, principal: Principal, origin: Origin, booking_id: uuid.UUID, *, now: datetime
) -> Booking:
    """Cancel (`driver.cancel`, on the session's connection and in its transaction); the booking as it now is."""
    row = await driver.cancel(await driver_of(session), principal, origin, booking_id, now=now)
    return await _loaded(session, row["id"])


async def move(  # noqa: PLR0913 - keyword-only; each is needed
    session: AsyncSession, principal: Principal, origin: Origin, booking_id: uuid.UUID, *, start: datetime,
    minutes: int | None, now: datetime,
) -> Booking:  # fmt: skip
    """Move (`driver.move`, on the session's connection and in its transaction); the booking at its new time."""
    row = await driver.move(await driver_of(session), principal, origin, booking_id, start=start, minutes=minutes,
                            now=now)  # fmt: skip
    return await _loaded(session, row["id"])


async def _loaded(session: AsyncSession, booking_id: uuid.UUID) -> Booking:
    """The booking as the driver's statement left it, as an ORM object (the session's copy refreshed)."""
    booking = await session.get(Booking, booking_id, populate_existing=True)
    assert booking is not None  # noqa: S101 - changed a moment ago; bookings are never deleted
    return booking


async def record_outcome(  # noqa: PLR0913 - keyword-only; each is needed
    session: AsyncSession, principal: Principal, origin: Origin, booking_id: uuid.UUID, *, outcome: str, now: datetime
) -> Booking:
    """Staff record what happened: delivered, or not met (no-show). Not before the visit starts."""
    booking, department = await locked_booking_and_department(session, principal, booking_id, now.date())
    staff_here = booking.department_id in principal.departments("staff", "department_admin")
    if not (staff_here or principal.is_municipality_admin):
        raise ForbiddenError
    if booking.status != "booked":
        raise BookingRefusedError("not_active", booking_status=booking.status)
    if now < booking.starts_at:
        raise BookingRefusedError("outcome_too_early", starts_at=booking.starts_at.isoformat())
    if outcome == "no_show" and not department.no_show_uses_allocation:
        await ledger.give_back_minutes(session, booking)
        booking.minutes_returned = True
    booking.status = outcome
    booking.changed_at = now
    outbox.emit(session, booking, "outcome", outcome=outcome)
    if outcome == "no_show":
        await after_no_show(session, booking, department, now)
    await record(session, principal, origin, action=f"booking.{outcome}", object_type="booking",
                 object_id=booking.id, subject_person_id=booking.recipient_id)  # fmt: skip
    return booking
