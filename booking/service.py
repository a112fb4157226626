"""Booking use cases, one transaction each: book, move, cancel, record the outcome. Never commits."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Date, DateTime, Select, bindparam, cast, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from booking import driver, ledger, outbox, rules
from booking.access import visible_in_department
from booking.driver import idempotency_scope
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


@dataclass(frozen=True)
class BookRequest:
    """A recipient's visit of `minutes` of a service from `start`."""

    recipient_id: uuid.UUID
    service_id: uuid.UUID
    start: datetime
    minutes: int


def policy_of(department: Department) -> rules.Policy:
    """The department's booking policy for the pure rules."""
    return rules.Policy(
        zone=ZoneInfo(department.timezone),
        grid_minutes=department.grid_minutes,
        horizon_days=department.horizon_days,
        notice_hours=department.notice_hours,
        cancel_deadline_hours=department.cancel_deadline_hours,
    )


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


def plan(context: Context, request: BookRequest, now: datetime) -> ledger.Claim:
    """Check everything that needs no lock (the pure rules, the decision), and work out what the visit would take."""
    service, department, allocation = context.service, context.department, context.allocation
    policy = policy_of(department)
    problem = rules.start_problem(request.start, request.minutes, list(service.durations), policy, now)
    if problem is not None:
        raise BookingRefusedError(problem)
    day = request.start.astimezone(policy.zone).date()
    if allocation is None:
        raise BookingRefusedError("no_valid_allocation", date=day.isoformat())
    period = rules.period_of(allocation.period, allocation.period_anchor, day)
    span_start, span_end = rules.occupied(request.start, request.minutes, service.buffer_before, service.buffer_after)
    return ledger.Claim(
        allocation=allocation,
        period_start=period.start,
        period_end=period.end,
        minutes=request.minutes,
        department_id=department.id,
        span_start=span_start,
        span_end=span_end,
        staff_units=service.staff_units,
        cells_needed=rules.cells_covering(span_start, span_end, department.grid_minutes),
    )


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
    booking = await session.get(Booking, row["id"], populate_existing=True)
    assert booking is not None  # noqa: S101 - booked a moment ago; bookings are never deleted
    return booking, replayed


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


async def locked_booking(session: AsyncSession, principal: Principal, booking_id: uuid.UUID, today: date) -> Booking:
    """The booking, locked for change, if the principal may see its recipient in its department; else a 404."""
    booking, _ = await locked_booking_and_department(session, principal, booking_id, today)
    return booking


async def cancel(
    session: AsyncSession, principal: Principal, origin: Origin, booking_id: uuid.UUID, *, now: datetime
) -> Booking:
    """Cancel: staff time always comes back; within the deadline the department's policy decides the minutes."""
    booking, department = await locked_booking_and_department(session, principal, booking_id, now.date())
    if booking.status != "booked":
        raise BookingRefusedError("not_active", booking_status=booking.status)
    if booking.starts_at <= now:
        raise BookingRefusedError("in_the_past")
    late = rules.is_late_cancellation(booking.starts_at, now, policy_of(department))
    return await ledger.cancel_visit(
        session, booking, status="late_cancelled" if late else "cancelled",
        minutes_back=not (late and department.late_cancel_uses_allocation), now=now, principal=principal, origin=origin,
    )  # fmt: skip


async def move(  # noqa: PLR0913 - keyword-only; each is needed
    session: AsyncSession, principal: Principal, origin: Origin, booking_id: uuid.UUID, *, start: datetime,
    minutes: int | None, now: datetime,
) -> Booking:  # fmt: skip
    """Move a booking in one transaction: give back the old time, take the new; if that fails, nothing moved."""
    booking = await locked_booking(session, principal, booking_id, now.date())
    if booking.status != "booked":
        raise BookingRefusedError("not_active", booking_status=booking.status)
    if booking.starts_at <= now:
        raise BookingRefusedError("in_the_past")
    request = BookRequest(booking.recipient_id, booking.service_id, start, minutes or booking.minutes)
    claim = plan(await context_of(session, principal, request), request, now)
    return await ledger.move_visit(
        session, booking, claim, starts_at=start, now=now, principal=principal, origin=origin
    )


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
