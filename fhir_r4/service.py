"""What the FHIR interface reads and does, through the same services and access rules as /api/v1. Never commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from booking import service as booking_service
from booking.access import recipient_scope, visible_in_department
from booking.availability import Slot, load_free_times, load_service_free_times
from booking.errors import BookingRefusedError
from booking.tables import Booking
from core.errors import NotFoundError
from departments.tables import Department, Service
from fhir_r4.appointments import NewAppointment
from fhir_r4.codes import BOOKING_STATUSES_OF
from fhir_r4.errors import GoneError
from fhir_r4.search import Range
from people.access import Principal
from people.audit import Origin
from people.errors import ForbiddenError, InvalidNationalIdError
from people.rules import national_id_problem
from people.service import find_by_national_id
from people.tables import Person

APPOINTMENT_LIMIT = 1000  # a search's matches are counted and paged in memory: one person's bookings are few


@dataclass(frozen=True)
class Patient:
    """Whom a search or booking is for: by id, or by national identity number (then `number` is kept to echo)."""

    person_id: uuid.UUID | None = None
    number: str | None = None


async def patient_id(session: AsyncSession, principal: Principal, patient: Patient, *, key: bytes) -> uuid.UUID:
    """The person's id; a national id that is not valid is refused, one not registered here is a 404."""
    if patient.person_id is not None:
        return patient.person_id
    number = patient.number or ""
    problem = national_id_problem(number)
    if problem is not None:
        raise InvalidNationalIdError(reason=problem)
    person = await find_by_national_id(session, principal.municipality_id, number, key=key)
    if person is None:
        raise NotFoundError
    return person.id


async def schedules(
    session: AsyncSession, principal: Principal, department_id: uuid.UUID | None
) -> Sequence[tuple[Service, Department]]:
    """The municipality's active services (one Schedule each), or one department's."""
    query = (
        select(Service, Department)
        .join(Department, Department.id == Service.department_id)
        .where(Service.municipality_id == principal.municipality_id, Service.active)
    )
    if department_id is not None:
        query = query.where(Department.id == department_id)
    return (await session.execute(query.order_by(Department.name, Service.id))).tuples().all()


async def schedule(session: AsyncSession, principal: Principal, service_id: uuid.UUID) -> tuple[Service, Department]:
    """One service's Schedule: 404 when unknown here, 410 when retired."""
    try:
        return await booking_service.service_and_department(session, principal, service_id)
    except BookingRefusedError as error:
        if error.code == "service_retired":
            raise GoneError(service_id=str(service_id)) from error
        raise


def _sees_department(principal: Principal, department_id: uuid.UUID) -> bool:
    return principal.is_municipality_admin or department_id in principal.departments("staff", "department_admin")


@dataclass(frozen=True)
class FreeSlots:
    """A service's starts in a range, for one recipient or (`recipient_id` None) for the department."""

    service: Service
    department: Department
    recipient_id: uuid.UUID | None
    days: list[list[Slot]]


async def free_slots(  # noqa: PLR0913 - keyword-only; each is needed
    session: AsyncSession, principal: Principal, *, service_id: uuid.UUID, within: Range, patient: uuid.UUID | None,
    now: datetime,
) -> FreeSlots:  # fmt: skip
    """Free and busy starts of a service from the same calculation as /api/v1/availability.

    For a patient: what they can book (their decision, their own visits), if the caller may see them in the
    service's department. Without one: the department's view, for its staff, administrators and tokens; a person
    who is none of those is asking for themself.
    """
    service, department = await schedule(session, principal, service_id)
    policy = booking_service.policy_of(department)
    zone = ZoneInfo(department.timezone)
    today = now.astimezone(zone).date()
    first, last = today, today + timedelta(days=department.horizon_days)
    if within.lower is not None:
        first = max(first, within.lower.astimezone(zone).date())
    if within.upper is not None:
        last = min(last, (within.upper - timedelta(microseconds=1)).astimezone(zone).date())
    if patient is None and not _sees_department(principal, department.id):
        if principal.person_id is None:
            raise ForbiddenError
        patient = principal.person_id
    if last < first:
        return FreeSlots(service, department, patient, [])
    if patient is None:
        by_day = await load_service_free_times(session, service=service, department=department, first=first,
                                               last=last, policy=policy, now=now)  # fmt: skip
        days = [by_day[day] for day in sorted(by_day)]
    else:
        await visible_in_department(session, principal, patient, department.id, today)
        free = await load_free_times(session, recipient_id=patient, service=service, department=department,
                                     first=first, last=last, policy=policy, now=now)  # fmt: skip
        days = [day.slots for day in free]
    picked = [[slot for slot in day if within.holds(slot.start)] for day in days]
    return FreeSlots(service, department, patient, picked)


@dataclass(frozen=True)
class Visit:
    """A booking with what its Appointment names: the service, its department, the recipient, the staff member."""

    booking: Booking
    service: Service
    department: Department
    recipient: Person
    staff: Person | None


async def _visits(session: AsyncSession, bookings: Sequence[Booking], recipient: Person) -> list[Visit]:
    services = {b.service_id for b in bookings}
    rows = (
        await session.execute(
            select(Service, Department).join(Department, Department.id == Service.department_id)
            .where(Service.id.in_(services))
        )
    ).tuples().all()  # fmt: skip
    found = {service.id: (service, department) for service, department in rows}
    staff_ids = {b.assigned_staff_id for b in bookings if b.assigned_staff_id is not None}
    staff = {p.id: p for p in (await session.scalars(select(Person).where(Person.id.in_(staff_ids)))).all()}
    return [
        Visit(b, *found[b.service_id], recipient, staff.get(b.assigned_staff_id) if b.assigned_staff_id else None)
        for b in bookings
    ]


async def appointments(  # noqa: PLR0913 - keyword-only; each is needed
    session: AsyncSession, principal: Principal, *, patient: uuid.UUID, within: Range,
    statuses: frozenset[str] | None, today: date,
) -> list[Visit]:  # fmt: skip
    """The patient's bookings the caller may see (their departments' only, for staff and department tokens)."""
    person, departments = await recipient_scope(session, principal, patient, today)
    query = select(Booking).where(Booking.municipality_id == principal.municipality_id,
                                  Booking.recipient_id == person.id)  # fmt: skip
    if departments is not None:
        query = query.where(Booking.department_id.in_(departments))
    if within.lower is not None:
        query = query.where(Booking.starts_at >= within.lower)
    if within.upper is not None:
        query = query.where(Booking.starts_at < within.upper)
    if statuses is not None:
        query = query.where(Booking.status.in_([s for status in statuses for s in BOOKING_STATUSES_OF[status]]))
    bookings = (await session.scalars(query.order_by(Booking.starts_at, Booking.id).limit(APPOINTMENT_LIMIT))).all()
    return await _visits(session, bookings, person)


async def appointment(session: AsyncSession, principal: Principal, booking_id: uuid.UUID, today: date) -> Visit:
    """One booking, if the caller may see its recipient in its department (404 otherwise)."""
    booking = await session.scalar(
        select(Booking).where(Booking.id == booking_id, Booking.municipality_id == principal.municipality_id)
    )
    if booking is None:
        raise NotFoundError
    person = await visible_in_department(session, principal, booking.recipient_id, booking.department_id, today)
    return (await _visits(session, [booking], person))[0]


async def book(  # noqa: PLR0913 - keyword-only; each is needed
    session: AsyncSession, principal: Principal, origin: Origin, new: NewAppointment, *, key: bytes, idempotency: str,
    now: datetime,
) -> tuple[Visit, bool]:  # fmt: skip
    """Book the slot through `booking.service.book_once`: the same rules, refusals, ledger, outbox and audit."""
    recipient = await patient_id(session, principal, Patient(new.patient_id, new.national_id), key=key)
    request = booking_service.BookRequest(recipient, new.slot.service_id, new.slot.start, new.slot.minutes)
    booking, replayed = await booking_service.book_once(session, principal, origin, request, key=idempotency, now=now)
    person = await session.get(Person, booking.recipient_id)
    assert person is not None  # noqa: S101 - a foreign key guarantees it
    return (await _visits(session, [booking], person))[0], replayed


async def cancel(
    session: AsyncSession, principal: Principal, origin: Origin, booking_id: uuid.UUID, *, now: datetime
) -> Visit:
    """Cancel through `booking.service.cancel` (inside the deadline it is a late cancellation)."""
    booking = await booking_service.cancel(session, principal, origin, booking_id, now=now)
    person = await session.get(Person, booking.recipient_id)
    assert person is not None  # noqa: S101 - a foreign key guarantees it
    return (await _visits(session, [booking], person))[0]
