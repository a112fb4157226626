"""Department queries and changes. Takes a session; never commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import NotFoundError
from departments.tables import Department, OpeningRule, Service
from people.tables import Municipality


async def list_departments(session: AsyncSession, municipality_number: str) -> Sequence[Department]:
    """The departments of one municipality, by name."""
    query = (
        select(Department)
        .join(Municipality, Municipality.id == Department.municipality_id)
        .where(Municipality.number == municipality_number)
        .order_by(Department.name)
    )
    return (await session.scalars(query)).all()


async def get_department(session: AsyncSession, department_id: uuid.UUID) -> Department:
    """One department, or `NotFoundError`."""
    department = await session.get(Department, department_id)
    if department is None:
        raise NotFoundError(department_id=str(department_id))
    return department


async def list_opening_rules(session: AsyncSession, department_id: uuid.UUID) -> Sequence[OpeningRule]:
    """A department's weekly opening rules, by weekday and time."""
    department = await get_department(session, department_id)
    query = (
        select(OpeningRule)
        .where(OpeningRule.department_id == department.id, OpeningRule.municipality_id == department.municipality_id)
        .order_by(OpeningRule.weekday, OpeningRule.start_minute)
    )
    return (await session.scalars(query)).all()


async def list_services(session: AsyncSession, department_id: uuid.UUID) -> Sequence[Service]:
    """A department's active services."""
    department = await get_department(session, department_id)
    query = (
        select(Service)
        .where(
            Service.department_id == department.id,
            Service.municipality_id == department.municipality_id,
            Service.active.is_(True),
        )
        .order_by(Service.name["nb"].astext, Service.id)
    )
    return (await session.scalars(query)).all()
