"""People use cases: register persons, grant roles, link proxies and coordinators. Never commits."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import column, select, table
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import NotFoundError
from people.access import Principal
from people.audit import Origin, record
from people.errors import (
    ForbiddenError,
    InvalidNationalIdError,
    InvalidPeriodError,
    InvalidScopeError,
    PersonExistsError,
)
from people.rules import national_id_hash, national_id_masked, national_id_problem
from people.tables import Coordinator, Person, ProxyLink, RoleAssignment

DEPARTMENT_ROLES = frozenset({"staff", "department_admin"})


@dataclass(frozen=True)
class NewPerson:
    """What registering a person takes."""

    national_id: str
    given_name: str
    family_name: str
    phone: str | None = None
    email: str | None = None
    language: str = "nb"
    address: str | None = None


async def create_person(
    session: AsyncSession, principal: Principal, origin: Origin, new: NewPerson, *, key: bytes
) -> Person:
    """Register a person in the principal's municipality (administrators only)."""
    if not (principal.is_municipality_admin or principal.has_role("department_admin")):
        raise ForbiddenError
    problem = national_id_problem(new.national_id)
    if problem is not None:
        raise InvalidNationalIdError(reason=problem)
    person = Person(
        municipality_id=principal.municipality_id,
        national_id_hash=national_id_hash(new.national_id, key),
        national_id_masked=national_id_masked(new.national_id),
        given_name=new.given_name,
        family_name=new.family_name,
        phone=new.phone,
        email=new.email,
        language=new.language,
        address=new.address,
    )
    try:
        async with session.begin_nested():
            session.add(person)
    except IntegrityError as exc:
        raise PersonExistsError from exc
    await record(session, principal, origin, action="person.create", object_type="person", object_id=person.id,
                 subject_person_id=person.id)  # fmt: skip
    return person


async def find_by_national_id(
    session: AsyncSession, municipality_id: uuid.UUID | None, value: str, *, key: bytes
) -> Person | None:
    """The person with this national id (in one municipality, or any when `municipality_id` is None)."""
    query = select(Person).where(Person.national_id_hash == national_id_hash(value, key))
    if municipality_id is not None:
        query = query.where(Person.municipality_id == municipality_id)
    return (await session.scalars(query.limit(2))).one_or_none()


async def people_by_national_id(session: AsyncSession, value: str, *, key: bytes) -> list[Person]:
    """Everyone with this national id, one a municipality (a person may be registered in several)."""
    query = select(Person).where(Person.national_id_hash == national_id_hash(value, key))
    return list((await session.scalars(query.order_by(Person.municipality_id))).all())


async def get_person_in(session: AsyncSession, municipality_id: uuid.UUID, person_id: uuid.UUID) -> Person:
    """A person of the municipality, or `NotFoundError`."""
    person = await session.get(Person, person_id)
    if person is None or person.municipality_id != municipality_id:
        raise NotFoundError
    return person


def _may_grant(principal: Principal, role: str, department_id: uuid.UUID | None) -> bool:
    if principal.is_municipality_admin:
        return True
    # A department administrator staffs their own department, nothing more.
    return role in DEPARTMENT_ROLES and department_id in principal.departments("department_admin")


async def grant_role(  # noqa: PLR0913 - keyword-only; each names what is granted
    session: AsyncSession,
    principal: Principal,
    origin: Origin,
    *,
    person_id: uuid.UUID,
    role: str,
    department_id: uuid.UUID | None,
) -> RoleAssignment:
    """Give a person a role; idempotent (the same role twice is the same row)."""
    person = await get_person_in(session, principal.municipality_id, person_id)
    if (role in DEPARTMENT_ROLES) != (department_id is not None):
        raise InvalidScopeError(role=role)
    if not _may_grant(principal, role, department_id):
        raise ForbiddenError
    await _check_department(session, principal.municipality_id, department_id)
    existing = await session.scalar(
        select(RoleAssignment).where(
            RoleAssignment.person_id == person.id,
            RoleAssignment.role == role,
            RoleAssignment.department_id.is_not_distinct_from(department_id),
        )
    )
    if existing is not None:
        return existing
    assignment = RoleAssignment(
        municipality_id=person.municipality_id, person_id=person.id, role=role, department_id=department_id
    )
    session.add(assignment)
    await session.flush()
    await record(session, principal, origin, action="role.grant", object_type="role_assignment",
                 object_id=assignment.id, subject_person_id=person.id)  # fmt: skip
    return assignment


async def revoke_role(
    session: AsyncSession, principal: Principal, origin: Origin, *, person_id: uuid.UUID, role_id: uuid.UUID
) -> None:
    """Take a role away."""
    assignment = await session.get(RoleAssignment, role_id)
    if (
        assignment is None
        or assignment.person_id != person_id
        or assignment.municipality_id != principal.municipality_id
    ):
        raise NotFoundError
    if not _may_grant(principal, assignment.role, assignment.department_id):
        raise ForbiddenError
    await session.delete(assignment)
    await record(session, principal, origin, action="role.revoke", object_type="role_assignment",
                 object_id=role_id, subject_person_id=person_id)  # fmt: skip


async def _check_department(session: AsyncSession, municipality_id: uuid.UUID, department_id: uuid.UUID | None) -> None:
    if department_id is None:
        return
    # The table by name, not the model: people/ stays below departments/ in the import floors.
    department = table("department", column("id"), column("municipality_id"))
    found = await session.scalar(
        select(department.c.id).where(department.c.id == department_id, department.c.municipality_id == municipality_id)
    )
    if found is None:
        raise InvalidScopeError(department_id=str(department_id))


def _check_period(valid_from: date, valid_to: date | None, today: date) -> None:
    if valid_to is not None and (valid_to < valid_from or valid_to < today):
        raise InvalidPeriodError(valid_from=valid_from.isoformat(), valid_to=valid_to.isoformat())


async def link_proxy(  # noqa: PLR0913 - keyword-only; each is a field of the link
    session: AsyncSession,
    principal: Principal,
    origin: Origin,
    *,
    proxy_id: uuid.UUID,
    recipient_id: uuid.UUID,
    kind: str,
    valid_from: date,
    valid_to: date | None,
    today: date,
) -> ProxyLink:
    """Let `proxy_id` act for `recipient_id` in a period (municipality administrators)."""
    if not principal.is_municipality_admin:
        raise ForbiddenError
    _check_period(valid_from, valid_to, today)
    proxy = await get_person_in(session, principal.municipality_id, proxy_id)
    recipient = await get_person_in(session, principal.municipality_id, recipient_id)
    if proxy.id == recipient.id:
        raise InvalidScopeError(proxy_id=str(proxy_id))
    link = ProxyLink(
        municipality_id=principal.municipality_id,
        proxy_id=proxy.id,
        recipient_id=recipient.id,
        kind=kind,
        valid_from=valid_from,
        valid_to=valid_to,
        granted_by_id=principal.person_id,
    )
    session.add(link)
    await session.flush()
    await grant_role(session, principal, origin, person_id=proxy.id, role="proxy", department_id=None)
    await record(session, principal, origin, action="proxy_link.create", object_type="proxy_link",
                 object_id=link.id, subject_person_id=recipient.id)  # fmt: skip
    return link


async def end_proxy_link(  # noqa: PLR0913 - keyword-only after the principal; the date and the instant
    session: AsyncSession, principal: Principal, origin: Origin, *, link_id: uuid.UUID, today: date, now: datetime
) -> ProxyLink:
    """End a proxy link now: it grants nothing from this instant, and stays in the records ending today."""
    if not principal.is_municipality_admin:
        raise ForbiddenError
    link = await session.get(ProxyLink, link_id)
    if link is None or link.municipality_id != principal.municipality_id:
        raise NotFoundError
    link.valid_to = max(link.valid_from, today)
    link.ended_at = link.ended_at or now
    await record(session, principal, origin, action="proxy_link.end", object_type="proxy_link",
                 object_id=link.id, subject_person_id=link.recipient_id)  # fmt: skip
    return link


async def appoint_coordinator(  # noqa: PLR0913 - keyword-only; each is a field of the appointment
    session: AsyncSession,
    principal: Principal,
    origin: Origin,
    *,
    staff_id: uuid.UUID,
    recipient_id: uuid.UUID,
    valid_from: date,
    valid_to: date | None,
    today: date,
) -> Coordinator:
    """Make a staff member the recipient's coordinator (municipality administrators)."""
    if not principal.is_municipality_admin:
        raise ForbiddenError
    _check_period(valid_from, valid_to, today)
    staff = await get_person_in(session, principal.municipality_id, staff_id)
    recipient = await get_person_in(session, principal.municipality_id, recipient_id)
    is_staff = await session.scalar(
        select(RoleAssignment.id).where(RoleAssignment.person_id == staff.id, RoleAssignment.role == "staff").limit(1)
    )
    if is_staff is None or staff.id == recipient.id:
        raise InvalidScopeError(staff_id=str(staff_id))
    appointment = Coordinator(
        municipality_id=principal.municipality_id,
        staff_id=staff.id,
        recipient_id=recipient.id,
        valid_from=valid_from,
        valid_to=valid_to,
    )
    session.add(appointment)
    await session.flush()
    await record(session, principal, origin, action="coordinator.appoint", object_type="coordinator",
                 object_id=appointment.id, subject_person_id=recipient.id)  # fmt: skip
    return appointment


PERSON_DETAILS = frozenset({"given_name", "family_name", "phone", "email", "language", "address"})


async def update_person(
    session: AsyncSession, principal: Principal, origin: Origin, person: Person, changes: dict[str, object]
) -> Person:
    """Bring a person's name and contact details up to date (municipality administrators; the case system)."""
    if not principal.is_municipality_admin:
        raise ForbiddenError
    unknown = set(changes) - PERSON_DETAILS
    if unknown or person.municipality_id != principal.municipality_id:
        raise ValueError(f"not a person's detail: {sorted(unknown)}")
    for name, value in changes.items():
        setattr(person, name, value)
    await session.flush()
    await record(session, principal, origin, action="person.update", object_type="person", object_id=person.id,
                 subject_person_id=person.id)  # fmt: skip
    return person


async def update_proxy_link(  # noqa: PLR0913 - keyword-only after the link
    session: AsyncSession,
    principal: Principal,
    origin: Origin,
    link: ProxyLink,
    *,
    changes: dict[str, object],
    today: date,
) -> ProxyLink:
    """Change a live proxy link's kind, end date or reminders (municipality administrators)."""
    if not principal.is_municipality_admin:
        raise ForbiddenError
    if link.municipality_id != principal.municipality_id or link.ended_at is not None:
        raise NotFoundError
    if "valid_to" in changes:
        valid_to = changes["valid_to"]
        _check_period(link.valid_from, valid_to if isinstance(valid_to, date) else None, today)
    for name, value in changes.items():
        setattr(link, name, value)
    await session.flush()
    await record(session, principal, origin, action="proxy_link.update", object_type="proxy_link",
                 object_id=link.id, subject_person_id=link.recipient_id)  # fmt: skip
    return link
