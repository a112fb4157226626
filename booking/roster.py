"""Rosters: the day's visits for a department or a staff member, and assigning staff to visits."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from booking import outbox
from booking.tables import Booking
from core.errors import NotFoundError
from departments.tables import Department, Service
from people.access import Principal
from people.audit import Origin, record
from people.errors import ForbiddenError, InvalidScopeError
from people.tables import Person, RoleAssignment

SHOWN = ("booked", "delivered", "no_show")


@dataclass(frozen=True)
class Visit:
    """A line of the roster."""

    booking: Booking
    recipient: Person
    service: Service


def _day(zone: ZoneInfo, day: date) -> tuple[datetime, datetime]:
    return datetime.combine(day, time(0), tzinfo=zone), datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)


async def _visits(session: AsyncSession, *conditions: object) -> list[Visit]:
    rows = await session.execute(
        select(Booking, Person, Service)
        .join(Person, Person.id == Booking.recipient_id)
        .join(Service, Service.id == Booking.service_id)
        .where(Booking.status.in_(SHOWN), *conditions)  # type: ignore[arg-type]
        .order_by(Booking.starts_at, Person.family_name)
    )
    return [Visit(b, p, s) for b, p, s in rows.tuples()]


async def _audit_reads(session: AsyncSession, principal: Principal, origin: Origin, visits: list[Visit]) -> None:
    for recipient_id in sorted({v.recipient.id for v in visits if v.recipient.id != principal.person_id}):
        await record(session, principal, origin, action="roster.read", object_type="person",
                     object_id=recipient_id, subject_person_id=recipient_id)  # fmt: skip


async def department_roster(
    session: AsyncSession, principal: Principal, origin: Origin, department_id: uuid.UUID, day: date
) -> tuple[Department, list[Visit]]:
    """The department's visits on a local date (its staff and administrators)."""
    department = await session.get(Department, department_id)
    if department is None or department.municipality_id != principal.municipality_id:
        raise NotFoundError
    if not principal.is_municipality_admin and department.id not in principal.departments("staff", "department_admin"):
        raise ForbiddenError
    start, end = _day(ZoneInfo(department.timezone), day)
    visits = await _visits(session, Booking.department_id == department.id, Booking.starts_at >= start,
                           Booking.starts_at < end)  # fmt: skip
    await _audit_reads(session, principal, origin, visits)
    return department, visits


async def staff_roster(  # noqa: PLR0913 - keyword-only after the principal
    session: AsyncSession, principal: Principal, origin: Origin, *, staff_id: uuid.UUID, day: date, zone: ZoneInfo
) -> list[Visit]:
    """The visits assigned to a staff member on a local date.

    The staff member and the municipality's administrators see them all; an administrator of one of the staff
    member's departments sees that department's visits only (the staff member may work in others too).
    """
    staff = await session.get(Person, staff_id)
    if staff is None or staff.municipality_id != principal.municipality_id:
        raise NotFoundError
    works_in = (RoleAssignment.person_id == staff_id) & (RoleAssignment.role == "staff")
    departments = set((await session.scalars(select(RoleAssignment.department_id).where(works_in))).all())
    administered = departments & principal.departments("department_admin")
    sees_all = staff_id == principal.person_id or principal.is_municipality_admin
    if not (sees_all or administered):
        raise NotFoundError
    start, end = _day(zone, day)
    conditions = [Booking.assigned_staff_id == staff_id, Booking.starts_at >= start, Booking.starts_at < end]
    if not sees_all:
        conditions.append(Booking.department_id.in_(administered))
    visits = await _visits(session, *conditions)
    await _audit_reads(session, principal, origin, visits)
    return visits


async def assign(
    session: AsyncSession, principal: Principal, origin: Origin, booking_id: uuid.UUID, staff_id: uuid.UUID | None
) -> Booking:
    """Assign a staff member of the booking's department (or none). Overlaps are refused by PostgreSQL."""
    booking = await session.scalar(
        select(Booking).where(Booking.id == booking_id, Booking.municipality_id == principal.municipality_id)
        .with_for_update()
    )  # fmt: skip
    if booking is None:
        raise NotFoundError
    if not principal.is_municipality_admin and booking.department_id not in principal.departments(
        "staff", "department_admin"
    ):
        raise NotFoundError
    if staff_id is not None:
        works_here = await session.scalar(
            select(RoleAssignment.id).where(RoleAssignment.person_id == staff_id, RoleAssignment.role == "staff",
                                            RoleAssignment.department_id == booking.department_id).limit(1)
        )  # fmt: skip
        if works_here is None:
            raise InvalidScopeError(staff_id=str(staff_id))
    previous_staff_id = booking.assigned_staff_id
    booking.assigned_staff_id = staff_id
    await session.flush()
    if previous_staff_id != staff_id:
        outbox.emit(session, booking, "assigned", previous_staff_id=previous_staff_id)
    await record(session, principal, origin, action="booking.assign", object_type="booking", object_id=booking.id,
                 subject_person_id=booking.recipient_id)  # fmt: skip
    return booking
