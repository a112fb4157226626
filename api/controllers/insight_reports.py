"""The report views around the decision: evaluation (JSON and CSV), reviews due, capacity coverage, committee."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Annotated

from litestar import Controller, Response, get, put
from litestar.params import FromPath, JSONBody, QueryParameter

from api.dependencies import Current, DbSession, RequestLanguage, Today, Where
from api.schemas.insight_reports import (
    CommitteeCaseRead,
    CommitteeRead,
    CoverageRead,
    EvaluationRead,
    ReviewRead,
    Thresholds,
    evaluation_csv,
)
from core.clock import utcnow
from insight import committee, coverage, evaluation, reviews

CSV_MEDIA_TYPE = "text/csv"  # Litestar adds "; charset=utf-8" to text types
REVIEW_DAYS_AHEAD = 30
MAX_WEEKS = 52
COMMITTEE_DESCRIPTION = (
    "Recipients with a decision valid today that meets one of the municipality's thresholds: `weekly_hours` (all "
    "their decisions' weekly shares together, across departments, exceed `weekly_minutes`), `respite_share` (one "
    "respite decision's weekly share exceeds `respite_percent` % of the whole week, 10080 minutes) or `bpa` (a BPA "
    "decision, when `bpa` is on). Weekly share: a week's minutes; a month's x 12 / 52; a 4-week period's / 4."
)
COVERAGE_DESCRIPTION = (
    "Per ISO week (the department's local dates), in staff-unit minutes: staffed = opening hours x staff on duty "
    "(the capacity ledger where it has the day, else the opening rules, exceptions and public holidays); allocated "
    "= every decision valid on a day of the week, its weekly share x its service's staff units; booked = visits "
    "booked, delivered or not met x staff units; delivered = delivered visits x staff units (travel buffers not "
    "counted). `warning` is `over` when allocated exceeds staffed, `near` above 90 %."
)
Before = Annotated[
    date | None, QueryParameter(name="before", description="Due on or before this date (default: today + 30 days)")
]
From = Annotated[date | None, QueryParameter(name="from", description="A day of the first week (default: this week)")]
Weeks = Annotated[int, QueryParameter(name="weeks", ge=1, le=MAX_WEEKS, description="How many weeks (1-52)")]


class InsightReportController(Controller):
    """`/api/v1/allocations/{id}/evaluation[.csv]`, `/api/v1/reviews`, `.../coverage`, `/api/v1/committee`."""

    path = "/"
    tags = ["reports"]  # noqa: RUF012 - Litestar's declared attribute type

    @get("/api/v1/allocations/{allocation_id:uuid}/evaluation", summary="How a decision has been used")
    async def evaluation(
        self, db_session: DbSession, current: Current, origin: Where, user_language: RequestLanguage,
        allocation_id: FromPath[uuid.UUID],
    ) -> EvaluationRead:  # fmt: skip
        """Minutes per period from the start to today (or the end or evaluation date), times chosen, feedback.

        For the department's and municipality's administrators, the case worker and the recipient's coordinator;
        everyone else gets 404.
        """
        report = await evaluation.evaluate(db_session, current, origin, allocation_id, now=utcnow())
        return EvaluationRead.of(report, user_language)

    @get(
        "/api/v1/allocations/{allocation_id:uuid}/evaluation.csv",
        summary="A decision's minutes per period as CSV (Excel)",
        media_type=CSV_MEDIA_TYPE,
    )
    async def evaluation_csv(
        self, db_session: DbSession, current: Current, origin: Where, user_language: RequestLanguage,
        allocation_id: FromPath[uuid.UUID],
    ) -> Response[str]:  # fmt: skip
        """One row per period, semicolon-separated UTF-8 with a byte order mark, headers in the request's language."""
        report = await evaluation.evaluate(db_session, current, origin, allocation_id, now=utcnow())
        filename = f"evaluering-{report.allocation.id}.csv"
        return Response(
            evaluation_csv(report, user_language),
            media_type=CSV_MEDIA_TYPE,
            headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
        )

    @get("/api/v1/reviews", summary="Decisions due for their yearly review or trial evaluation")
    async def reviews(
        self, db_session: DbSession, current: Current, origin: Where, today: Today, user_language: RequestLanguage,
        before: Before = None,
    ) -> list[ReviewRead]:  # fmt: skip
        """Soonest first, overdue ones included; department administrators see their departments'."""
        until = before or today + timedelta(days=REVIEW_DAYS_AHEAD)
        rows = await reviews.reviews_due(db_session, current, origin, before=until, today=today)
        return [ReviewRead.of(row, user_language, today) for row in rows]

    @get(
        "/api/v1/departments/{department_id:uuid}/coverage",
        summary="Staffed against allocated minutes per week (the resource allocation model)",
        description=COVERAGE_DESCRIPTION,
    )
    async def coverage(
        self, db_session: DbSession, current: Current, department_id: FromPath[uuid.UUID], first: From = None,
        weeks: Weeks = 12,
    ) -> CoverageRead:  # fmt: skip
        """For the department's administrators and the municipality's."""
        found = await coverage.department_coverage(
            db_session, current, department_id, first=first, weeks=weeks, now=utcnow()
        )
        return CoverageRead.of(found)

    @get("/api/v1/committee", summary="Recipients for the coordinating committee", description=COMMITTEE_DESCRIPTION)
    async def committee(
        self, db_session: DbSession, current: Current, origin: Where, today: Today, user_language: RequestLanguage
    ) -> CommitteeRead:
        """For municipality administrators, by family name."""
        limits, cases = await committee.committee_list(db_session, current, origin, today=today)
        return CommitteeRead(Thresholds.of(limits), [CommitteeCaseRead.of(case, user_language) for case in cases])

    @get("/api/v1/committee/thresholds", summary="The coordinating committee's thresholds")
    async def thresholds(self, db_session: DbSession, current: Current) -> Thresholds:
        """For municipality administrators."""
        return Thresholds.of(await committee.thresholds(db_session, current))

    @put("/api/v1/committee/thresholds", summary="Change the coordinating committee's thresholds")
    async def set_thresholds(
        self, db_session: DbSession, current: Current, origin: Where, data: JSONBody[Thresholds]
    ) -> Thresholds:
        """For municipality administrators; audited."""
        return Thresholds.of(await committee.set_thresholds(db_session, current, origin, data.as_rules()))
