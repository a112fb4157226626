"""The public department catalogue (no personal data), and its administration (signed-in administrators)."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, delete, get, patch, post, put
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_204_NO_CONTENT

from api.dependencies import Current, DbSession, RequestLanguage, Where
from api.schemas.departments import (
    DepartmentCreate,
    DepartmentPatch,
    DepartmentRead,
    ExceptionCreate,
    ExceptionRead,
    HolidayOpeningCreate,
    HolidayOpeningRead,
    HolidayRead,
    OpeningHoursWrite,
    OpeningRuleRead,
    ServiceCreate,
    ServicePatch,
    ServiceRead,
    given,
)
from core.clock import utcnow
from departments import admin, service
from notifications import feeds

DepartmentId = FromPath[uuid.UUID]


class DepartmentController(Controller):
    """Read the catalogue (public), and change it (administrators).

    Changes are for municipality administrators, and department administrators of that department.
    Another municipality's department is a 404; one of the caller's own municipality that the caller
    does not administer is a 403. Every change is audited; a change to the hours or the grid, horizon or
    time zone brings the capacity ledger in line, or is refused (409) if booked staff time would be lost.
    """

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
    async def get_department(self, db_session: DbSession, department_id: DepartmentId) -> DepartmentRead:
        """A department and its booking policy."""
        return DepartmentRead.of(await service.get_department(db_session, department_id))

    @get("/{department_id:uuid}/opening-hours", summary="Weekly opening hours with staff on duty")
    async def opening_hours(self, db_session: DbSession, department_id: DepartmentId) -> list[OpeningRuleRead]:
        """The weekly rules, by weekday and time."""
        return [OpeningRuleRead.of(row) for row in await service.list_opening_rules(db_session, department_id)]

    @get("/{department_id:uuid}/services", summary="The service catalogue")
    async def services(
        self, db_session: DbSession, user_language: RequestLanguage, department_id: DepartmentId
    ) -> list[ServiceRead]:
        """Active services, texts in the request's language."""
        return [ServiceRead.of(row, user_language) for row in await service.list_services(db_session, department_id)]

    @post("/", summary="Create a department (municipality administrators)")
    async def create(
        self, db_session: DbSession, current: Current, origin: Where, data: JSONBody[DepartmentCreate]
    ) -> DepartmentRead:
        """An unknown time zone is a 422."""
        return DepartmentRead.of(await admin.create_department(db_session, current, origin, fields=given(data)))

    @patch("/{department_id:uuid}", summary="Change a department's settings")
    async def update(
        self,
        db_session: DbSession,
        current: Current,
        origin: Where,
        department_id: DepartmentId,
        data: JSONBody[DepartmentPatch],
    ) -> DepartmentRead:
        """Only the fields sent change. A new grid must fit the opening hours and the services' durations."""
        changes = given(data)
        now = utcnow()
        department = await admin.update_department(
            db_session, current, origin, department_id=department_id, changes=changes, now=now
        )
        if "staff_feed_details" in changes:  # what staff calendars show changes now, not at the nightly render
            await feeds.refresh_staff_feeds(db_session, department, now)
        return DepartmentRead.of(department)

    @put("/{department_id:uuid}/opening-hours", summary="Replace the weekly opening hours")
    async def replace_opening_hours(
        self,
        db_session: DbSession,
        current: Current,
        origin: Where,
        department_id: DepartmentId,
        data: OpeningHoursWrite,
    ) -> list[OpeningRuleRead]:
        """The whole set at once. Overlaps, times off the grid or empty windows: 422 `invalid_opening_hours`."""
        rules = await service.replace_opening_hours(
            db_session, current, origin, department_id=department_id, rules=[r.rule() for r in data], now=utcnow()
        )
        return [OpeningRuleRead.of(row) for row in rules]

    @get("/{department_id:uuid}/exceptions", summary="Closed days and other hours, from today on")
    async def exceptions(
        self, db_session: DbSession, current: Current, department_id: DepartmentId
    ) -> list[ExceptionRead]:
        """By day, from the department's local today."""
        rows = await service.list_exceptions(db_session, current, department_id, now=utcnow())
        return [ExceptionRead.of(row) for row in rows]

    @post("/{department_id:uuid}/exceptions", summary="Close a day, or give it other hours")
    async def create_exception(
        self,
        db_session: DbSession,
        current: Current,
        origin: Where,
        department_id: DepartmentId,
        data: JSONBody[ExceptionCreate],
    ) -> ExceptionRead:
        """One exception a day (a second is a 409); a closed day has no windows, an open day at least one."""
        row = await service.create_exception(
            db_session, current, origin, department_id=department_id, exception=data.exception(), note=data.note,
            now=utcnow(),
        )  # fmt: skip
        return ExceptionRead.of(row)

    @delete("/{department_id:uuid}/exceptions/{exception_id:uuid}", summary="Remove an exception",
            status_code=HTTP_204_NO_CONTENT)  # fmt: skip
    async def delete_exception(
        self,
        db_session: DbSession,
        current: Current,
        origin: Where,
        department_id: DepartmentId,
        exception_id: FromPath[uuid.UUID],
    ) -> None:
        """The weekly hours (and holidays) decide that day again."""
        await service.delete_exception(
            db_session, current, origin, department_id=department_id, exception_id=exception_id, now=utcnow()
        )

    @get("/{department_id:uuid}/holiday-openings", summary="The coming twelve months' public holidays")
    async def holidays(self, db_session: DbSession, current: Current, department_id: DepartmentId) -> list[HolidayRead]:
        """Each holiday, closed unless the department opens on it with its ordinary hours."""
        return [
            HolidayRead.of(h) for h in await service.list_holidays(db_session, current, department_id, now=utcnow())
        ]

    @post("/{department_id:uuid}/holiday-openings", summary="Open with ordinary hours on a public holiday")
    async def open_on_holiday(
        self,
        db_session: DbSession,
        current: Current,
        origin: Where,
        department_id: DepartmentId,
        data: JSONBody[HolidayOpeningCreate],
    ) -> HolidayOpeningRead:
        """A day that is not a public holiday is a 422; opening twice returns the same opening."""
        row = await service.open_on_holiday(
            db_session, current, origin, department_id=department_id, day=data.day, now=utcnow()
        )
        return HolidayOpeningRead.of(row)

    @delete("/{department_id:uuid}/holiday-openings/{opening_id:uuid}", summary="Close on a public holiday again",
            status_code=HTTP_204_NO_CONTENT)  # fmt: skip
    async def close_on_holiday(
        self,
        db_session: DbSession,
        current: Current,
        origin: Where,
        department_id: DepartmentId,
        opening_id: FromPath[uuid.UUID],
    ) -> None:
        """The department is closed that day again."""
        await service.close_on_holiday(
            db_session, current, origin, department_id=department_id, opening_id=opening_id, now=utcnow()
        )

    @get("/{department_id:uuid}/services/all", summary="The whole service catalogue, retired services included")
    async def all_services(
        self, db_session: DbSession, current: Current, user_language: RequestLanguage, department_id: DepartmentId
    ) -> list[ServiceRead]:
        """Active services first, then retired ones (`active: false`)."""
        rows = await admin.all_services(db_session, current, department_id)
        return [ServiceRead.of(row, user_language) for row in rows]

    @post("/{department_id:uuid}/services", summary="Add a service to the catalogue")
    async def create_service(
        self,
        db_session: DbSession,
        current: Current,
        origin: Where,
        user_language: RequestLanguage,
        department_id: DepartmentId,
        data: JSONBody[ServiceCreate],
    ) -> ServiceRead:
        """Durations on the department's grid (422 `invalid_durations`); name and description in bokmål at least.

        Without bokmål (or blank): 422 `service_text_required`, naming the `fields`. Nynorsk and English fall back.
        """
        row = await admin.create_service(db_session, current, origin, department_id=department_id, fields=given(data))
        return ServiceRead.of(row, user_language)

    @patch("/{department_id:uuid}/services/{service_id:uuid}", summary="Change or retire a service")
    async def update_service(
        self,
        db_session: DbSession,
        current: Current,
        origin: Where,
        user_language: RequestLanguage,
        department_id: DepartmentId,
        service_id: FromPath[uuid.UUID],
        data: JSONBody[ServicePatch],
    ) -> ServiceRead:
        """Only the fields sent change; `active: false` takes it out of the public catalogue.

        A name or description sent replaces all its languages: bokmål required (422 `service_text_required`).
        """
        row = await admin.update_service(
            db_session, current, origin, department_id=department_id, service_id=service_id, changes=given(data)
        )
        return ServiceRead.of(row, user_language)
