"""Object-level access to a recipient's data: who may see (and act on) whose bookings and decisions."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import bindparam, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from booking.tables import Allocation
from core.errors import NotFoundError
from people.access import Principal, is_coordinator_for, is_proxy_for
from people.tables import Person

_SERVING = select(Allocation.department_id).where(
    Allocation.recipient_id == bindparam("recipient"),
    or_(Allocation.valid_to.is_(None), Allocation.valid_to >= bindparam("day")),
)  # built once: SQLAlchemy keys and compiles it once, each call only binds


async def serving_departments(session: AsyncSession, recipient_id: uuid.UUID, day: date) -> frozenset[uuid.UUID]:
    """The departments where the recipient has a decision valid on `day` or later."""
    return frozenset((await session.scalars(_SERVING, {"recipient": recipient_id, "day": day})).all())


async def may_see_recipient(session: AsyncSession, principal: Principal, person: Person, day: date) -> bool:
    """Whether the principal may see this person's data.

    Yes for the person themself, their proxy or coordinator, staff and administrators of a department
    that serves them, and administrators of their municipality; never for another municipality.
    """
    if person.municipality_id != principal.municipality_id:
        return False
    if principal.person_id == person.id or principal.is_municipality_admin:
        return True
    if await is_proxy_for(session, principal, person.id, day):
        return True
    if await is_coordinator_for(session, principal, person.id, day):
        return True
    mine = principal.departments("staff", "department_admin")
    return bool(mine and mine & await serving_departments(session, person.id, day))


async def visible_person(session: AsyncSession, principal: Principal, person_id: uuid.UUID, day: date) -> Person:
    """The person if the principal may see them; otherwise `NotFoundError`, so ids leak nothing."""
    person = await session.get(Person, person_id)
    if person is None or not await may_see_recipient(session, principal, person, day):
        raise NotFoundError
    return person
