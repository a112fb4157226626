"""The public department catalogue: departments, opening hours and services (no personal data)."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, get
from litestar.params import FromPath, QueryParameter

from api.dependencies import DbSession, RequestLanguage
from api.schemas.departments import DepartmentRead, OpeningRuleRead, ServiceRead
from departments import service


class DepartmentController(Controller):
    """Read the catalogue. Changing it (administrators) comes with sign-in."""

    path = "/api/v1/departments"
    tags = ["departments"]  # noqa: RUF012 - Litestar's declared attribute type

    @get("/", summary="The departments of a municipality")
    async def list_departments(
        self,
        db_session: DbSession,
        municipality: Annotated[str, QueryParameter(pattern=r"^[0-9]{4}$", description="Kommunenummer, e.g. 3805")],
    ) -> list[DepartmentRead]:
        """Departments of the municipality with this number, by name."""
        return [DepartmentRead.of(row) for row in await service.list_departments(db_session, municipality)]

    @get("/{department_id:uuid}", summary="One department")
    async def get_department(self, db_session: DbSession, department_id: FromPath[uuid.UUID]) -> DepartmentRead:
        """A department and its booking policy."""
        return DepartmentRead.of(await service.get_department(db_session, department_id))

    @get("/{department_id:uuid}/opening-hours", summary="Weekly opening hours with staff on duty")
    async def opening_hours(self, db_session: DbSession, department_id: FromPath[uuid.UUID]) -> list[OpeningRuleRead]:
        """The weekly rules, by weekday and time."""
        return [OpeningRuleRead.of(row) for row in await service.list_opening_rules(db_session, department_id)]

    @get("/{department_id:uuid}/services", summary="The service catalogue")
    async def services(
        self, db_session: DbSession, user_language: RequestLanguage, department_id: FromPath[uuid.UUID]
    ) -> list[ServiceRead]:
        """Active services, texts in the request's language."""
        return [ServiceRead.of(row, user_language) for row in await service.list_services(db_session, department_id)]
