"""Object-level access to a recipient's data: who may see (and act on) whose bookings and decisions.

Every check that hands out a person's data notes the read (`people.audit.note_read`); the request's
transaction logs it in the person's access log (`api.transactions`).
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import bindparam, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from booking.tables import Allocation
from core.errors import NotFoundError
from people.access import Principal, is_coordinator_for, is_proxy_for
from people.audit import note_read
from people.tables import Person

_SERVING = select(Allocation.department_id).where(
    Allocation.recipient_id == bindparam("recipient"),
    or_(Allocation.valid_to.is_(None), Allocation.valid_to >= bindparam("day")),
)  # built once: SQLAlchemy keys and compiles it once, each call only binds


async def serving_departments(session: AsyncSession, recipient_id: uuid.UUID, day: date) -> frozenset[uuid.UUID]:
    """The departments where the recipient has a decision valid on `day` or later."""
    return frozenset((await session.scalars(_SERVING, {"recipient": recipient_id, "day": day})).all())


async def sees_every_department(session: AsyncSession, principal: Principal, person: Person, day: date) -> bool:
    """The person themself, their proxy or coordinator, and administrators of their municipality see all of it."""
    if person.municipality_id != principal.municipality_id:
        return False
    return (
        principal.person_id == person.id
        or principal.is_municipality_admin
        or await is_proxy_for(session, principal, person.id, day)
        or await is_coordinator_for(session, principal, person.id, day)
    )


async def _served_by_mine(session: AsyncSession, principal: Principal, person: Person, day: date) -> bool:
    mine = principal.departments("staff", "department_admin")
    return bool(mine and mine & await serving_departments(session, person.id, day))


async def may_see_recipient(session: AsyncSession, principal: Principal, person: Person, day: date) -> bool:
    """Whether the principal may see this person (not yet which of their departments' data: `recipient_scope`).

    Yes for the person themself, their proxy or coordinator, staff and administrators of a department
    that serves them, and administrators of their municipality; never for another municipality.
    """
    if person.municipality_id != principal.municipality_id:
        return False
    return await sees_every_department(session, principal, person, day) or await _served_by_mine(
        session, principal, person, day
    )


async def visible_person(session: AsyncSession, principal: Principal, person_id: uuid.UUID, day: date) -> Person:
    """The person if the principal may see them; otherwise `NotFoundError`, so ids leak nothing."""
    person = await session.get(Person, person_id)
    if person is None or not await may_see_recipient(session, principal, person, day):
        raise NotFoundError
    note_read(session, principal, (person.id,))
    return person


async def recipient_scope(
    session: AsyncSession, principal: Principal, person_id: uuid.UUID, day: date
) -> tuple[Person, frozenset[uuid.UUID] | None]:
    """The person, and the departments whose bookings and free times of theirs the principal may see.

    None means every department (the person, their proxy or coordinator, the municipality's administrators);
    staff, department administrators and department tokens see their own departments' only, as with decisions.
    `NotFoundError` when the principal may not see the person at all.
    """
    person = await session.get(Person, person_id)
    if person is None or person.municipality_id != principal.municipality_id:
        raise NotFoundError
    if await sees_every_department(session, principal, person, day):
        note_read(session, principal, (person.id,))
        return person, None
    if not await _served_by_mine(session, principal, person, day):
        raise NotFoundError
    note_read(session, principal, (person.id,))
    return person, principal.departments("staff", "department_admin")


async def may_see_in_department(
    session: AsyncSession, principal: Principal, person: Person, department_id: uuid.UUID, day: date
) -> bool:
    """Whether the principal may see (and act on) the person's bookings and free times in `department_id`.

    Checked against the booking's department, or the department of the service being booked. The department
    is known already, so a caller of that department costs what `may_see_recipient` costs, or less.
    """
    if person.municipality_id != principal.municipality_id:
        return False
    if principal.person_id == person.id or principal.is_municipality_admin:
        return True
    if department_id in principal.departments("staff", "department_admin") and await _served_by_mine(
        session, principal, person, day
    ):
        return True
    return await is_proxy_for(session, principal, person.id, day) or await is_coordinator_for(
        session, principal, person.id, day
    )


def may_act_in_department(  # noqa: PLR0913 - the facts of one decision, keyword-only
    principal: Principal, recipient_id: uuid.UUID, department_id: uuid.UUID, *, recipient_found: bool,
    serving: frozenset[uuid.UUID], proxy: bool, coordinator: bool,
) -> bool:  # fmt: skip
    """`may_see_in_department` on facts read already (`booking.driver` reads them with the booking's context).

    Args:
        principal: The caller.
        recipient_id: Whose data.
        department_id: The department of the booking, or of the service being booked.
        recipient_found: The recipient is a person of the caller's municipality.
        serving: The departments with a decision of the recipient's valid today or later.
        proxy: The caller holds a proxy link to the recipient valid today.
        coordinator: The caller is the recipient's coordinator today.

    """
    if not recipient_found:
        return False
    if principal.person_id == recipient_id or principal.is_municipality_admin:
        return True
    mine = principal.departments("staff", "department_admin")
    if department_id in mine and mine & serving:
        return True
    return principal.person_id is not None and (proxy or (coordinator and principal.has_role("staff")))


async def visible_in_department(
    session: AsyncSession, principal: Principal, person_id: uuid.UUID, department_id: uuid.UUID, day: date
) -> Person:
    """The person if the principal may see their data in `department_id`; otherwise `NotFoundError`."""
    person = await session.get(Person, person_id)
    if person is None or not await may_see_in_department(session, principal, person, department_id, day):
        raise NotFoundError
    note_read(session, principal, (person.id,))
    return person
