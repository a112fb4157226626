"""Benefit realisation (gevinstrealisering): figures per department and month, the baseline, the research export."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, Response, get, put
from litestar.params import FromPath, JSONBody, QueryParameter

from api.dependencies import Current, DbSession, Where
from api.schemas.benefits import (
    BaselineRead,
    BaselineWrite,
    BenefitsExport,
    BenefitsRead,
    DepartmentBenefitsRead,
    export_csv,
)
from core.clock import utcnow
from insight import benefit_export, benefits

CSV_MEDIA_TYPE = "text/csv"
BENEFITS_DESCRIPTION = (
    "Per department and local month over the last twelve months (this one included, still running): no-show rate "
    "(no-shows / visits due), late cancellations, the share booked by the recipient or a proxy against staff, "
    "allocated, booked and delivered minutes, staff minutes lost to no-shows (visit and travel buffers x staff "
    "units), how far ahead bookings are made, the local time of day chosen, and the 'Min stemme teller' answers "
    "(counted in the month they were given; months under five answers suppressed); each figure's trend over the "
    "complete months; the baseline from before self-booking and the change since. Municipality administrators get "
    "every department, department administrators their own; `department` picks one."
)
EXPORT_DESCRIPTION = (
    "The figures plus one row per visit, pseudonymised: no name, national identity number, address or id; a key "
    "per recipient drawn at random for this export; ISO weeks instead of dates; rows whose combination of values "
    "occurs fewer than five times left out. The JSON carries the data dictionary. Every export is audited."
)
DepartmentParam = Annotated[
    uuid.UUID | None, QueryParameter(name="department", description="One department (default: all you administer)")
]


class BenefitController(Controller):
    """`/api/v1/benefits`, `/api/v1/benefits/export.json|csv`, `/api/v1/departments/{id}/benefit-baseline`."""

    path = "/api/v1"
    tags = ["reports"]  # noqa: RUF012 - Litestar's declared attribute type

    @get("/benefits", summary="Benefit realisation per department and month", description=BENEFITS_DESCRIPTION)
    async def read(self, db_session: DbSession, current: Current, department: DepartmentParam = None) -> BenefitsRead:
        """For municipality and department administrators."""
        now = utcnow()
        found = await benefits.departments_for(db_session, current, department)
        return BenefitsRead(
            [DepartmentBenefitsRead.of(await benefits.department_benefits(db_session, d, now=now))
             for d in found]
        )  # fmt: skip

    @get("/benefits/export.json", summary="Benefit figures and pseudonymised visits for research",
         description=EXPORT_DESCRIPTION)  # fmt: skip
    async def export_json(
        self, db_session: DbSession, current: Current, origin: Where, department: DepartmentParam = None
    ) -> Response[BenefitsExport]:
        """For municipality and department administrators; audited."""
        found = await benefit_export.export(
            db_session, current, origin, await benefits.departments_for(db_session, current, department), now=utcnow()
        )
        return Response(
            BenefitsExport.of(found),
            headers={"Content-Disposition": 'attachment; filename="gevinster.json"', "Cache-Control": "no-store"},
        )

    @get("/benefits/export.csv", summary="Pseudonymised visits for research as CSV", media_type=CSV_MEDIA_TYPE,
         description=EXPORT_DESCRIPTION)  # fmt: skip
    async def export_csv(
        self, db_session: DbSession, current: Current, origin: Where, department: DepartmentParam = None
    ) -> Response[str]:
        """The visit rows, semicolon-separated UTF-8 with a byte order mark; audited."""
        found = await benefit_export.export(
            db_session, current, origin, await benefits.departments_for(db_session, current, department), now=utcnow()
        )
        return Response(
            export_csv(found),
            media_type=CSV_MEDIA_TYPE,
            headers={"Content-Disposition": 'attachment; filename="gevinster.csv"', "Cache-Control": "no-store"},
        )

    @put("/departments/{department_id:uuid}/benefit-baseline", summary="Record the figures from before self-booking")
    async def set_baseline(
        self, db_session: DbSession, current: Current, origin: Where, department_id: FromPath[uuid.UUID],
        data: JSONBody[BaselineWrite],
    ) -> BaselineRead:  # fmt: skip
        """For the department's administrators and the municipality's; audited."""
        baseline = await benefits.set_baseline(
            db_session, current, origin, department_id, self_booking_from=data.self_booking_from,
            no_show_percent=data.no_show_percent, visits_per_month=data.visits_per_month,
            minutes_per_month=data.minutes_per_month, source=data.source.strip(), now=utcnow(),
        )  # fmt: skip
        return BaselineRead.of(baseline)
