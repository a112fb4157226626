"""The capacity timeline of a department: staff on duty and in use per grid cell (staff and administrators)."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

import msgspec
from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from sqlalchemy import select

from api.dependencies import DbSession
from api.problems import Problem
from core.errors import NotFoundError
from departments.tables import CapacityCell, Department
from people.access import Principal
from people.errors import ForbiddenError

MAX_RANGE_DAYS = 62


class CellRead(msgspec.Struct):
    """One grid cell: times in the department's zone (RFC 3339 with offset)."""

    start: datetime
    end: datetime
    local_date: date
    capacity: int
    used: int


class CapacityRead(msgspec.Struct):
    """A department's ledger for a range of local dates."""

    department_id: uuid.UUID
    timezone: str
    grid_minutes: int
    cells: list[CellRead]


async def staffed_department(db_session: DbSession, current: Principal, department_id: uuid.UUID) -> Department:
    """The department, if the caller works there or administers it; 404 across municipalities, else 403."""
    department = await db_session.get(Department, department_id)
    if department is None or department.municipality_id != current.municipality_id:
        raise NotFoundError
    if not current.is_municipality_admin and department.id not in current.departments("staff", "department_admin"):
        raise ForbiddenError
    return department


class CapacityController(Controller):
    """`GET /api/v1/departments/{id}/capacity?from=&to=`."""

    path = "/api/v1/departments/{department_id:uuid}/capacity"
    tags = ["departments"]  # noqa: RUF012 - Litestar's declared attribute type

    @get("/", summary="Capacity and use per grid cell, for staff and administrators")
    async def capacity(
        self,
        db_session: DbSession,
        current: NamedDependency[Principal],
        department_id: FromPath[uuid.UUID],
        first: Annotated[date, QueryParameter(name="from", description="First local date (YYYY-MM-DD)")],
        last: Annotated[date, QueryParameter(name="to", description="Last local date, inclusive")],
    ) -> CapacityRead:
        """The ledger's cells on the local dates [from, to] (at most 62 days)."""
        if last < first or last - first > timedelta(days=MAX_RANGE_DAYS):
            raise Problem("invalid_range", extra={"max_days": MAX_RANGE_DAYS})
        department = await staffed_department(db_session, current, department_id)
        zone = ZoneInfo(department.timezone)
        rows = await db_session.scalars(
            select(CapacityCell)
            .where(
                CapacityCell.department_id == department.id,
                CapacityCell.municipality_id == department.municipality_id,
                CapacityCell.local_date.between(first, last),
            )
            .order_by(CapacityCell.starts_at)
        )
        cells = [
            CellRead(c.starts_at.astimezone(zone), c.ends_at.astimezone(zone), c.local_date, c.capacity, c.used)
            for c in rows
        ]
        return CapacityRead(department.id, department.timezone, department.grid_minutes, cells)
