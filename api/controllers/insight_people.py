"""Visit feedback ("Min stemme teller") and the shared plan: for recipients, proxies and coordinators."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from litestar import Controller, get, post
from litestar.params import FromPath, JSONBody, QueryParameter

from api.dependencies import Current, DbSession, Today, Where
from api.problems import Problem
from api.schemas.insight_people import (
    AnswerRead,
    BookingFeedbackRead,
    CoordinatedRead,
    DepartmentFeedbackRead,
    FeedbackCreate,
    FeedbackRead,
    MonthRead,
    PlanRead,
    VisitRead,
)
from api.transactions import READS
from core.clock import utcnow
from insight import feedback, plan

MONTH = r"^[0-9]{4}-(0[1-9]|1[0-2])$"
MONTHS_SHOWN = 12  # by default: the last twelve months, this one included


def _first_of(year: int, month: int) -> date:
    """The month's first day; year 0 (`0000-01`, or twelve months before `0001-06`) is 422 `date_out_of_range`."""
    try:
        return date(year, month, 1)
    except ValueError as exc:
        raise Problem("date_out_of_range") from exc


def _month(value: str) -> date:
    year, month = value.split("-")
    return _first_of(int(year), int(month))


def _months_back(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 - count
    return _first_of(index // 12, index % 12 + 1)


class InsightPeopleController(Controller):
    """The recipient's own voice about their visits, and the plan across departments."""

    path = "/api/v1"
    tags = ["insight"]  # noqa: RUF012 - Litestar's declared attribute type

    @get(
        "/feedback/pending",
        summary="Delivered visits waiting for the recipient's answer",
        opt={READS: "feedback.pending.read"},
    )
    async def pending(
        self, db_session: DbSession, current: Current, today: Today,
        recipient_id: Annotated[uuid.UUID | None, QueryParameter()] = None,
    ) -> list[VisitRead]:  # fmt: skip
        """The last 30 days, newest first; for the recipient (default: me) and their proxies, 404 for others."""
        visits = await feedback.pending(db_session, current, recipient_id, now=utcnow(), today=today)
        return [VisitRead.of(v) for v in visits]

    @get("/feedback", summary="A recipient's answers (the recipient and their coordinator)")
    async def answers(
        self, db_session: DbSession, current: Current, origin: Where, today: Today,
        recipient_id: Annotated[uuid.UUID | None, QueryParameter()] = None,
    ) -> list[AnswerRead]:  # fmt: skip
        """Newest visit first; 404 for everyone but the recipient (default: me) and their coordinator."""
        found = await feedback.answers_of(db_session, current, origin, recipient_id, today)
        return [AnswerRead.of(a) for a in found]

    @post("/bookings/{booking_id:uuid}/feedback", summary='Answer "Var du fornøyd med besøket?" (once)')
    async def answer(
        self, db_session: DbSession, current: Current, origin: Where, today: Today,
        booking_id: FromPath[uuid.UUID], data: JSONBody[FeedbackCreate],
    ) -> FeedbackRead:  # fmt: skip
        """The recipient, after a delivered visit; a proxy only `on_behalf` of one who cannot answer. Audited."""
        row = await feedback.answer(
            db_session, current, origin, booking_id=booking_id, answer=data.answer, comment=data.comment,
            on_behalf=data.on_behalf, now=utcnow(), today=today,
        )  # fmt: skip
        return FeedbackRead.of(row)

    @get("/bookings/{booking_id:uuid}/feedback", summary="A visit's answer (the recipient and their coordinator)")
    async def answer_of_booking(
        self, db_session: DbSession, current: Current, origin: Where, today: Today, booking_id: FromPath[uuid.UUID]
    ) -> BookingFeedbackRead:
        """`feedback` is null until answered; 404 for everyone but the recipient and their coordinator."""
        booking, found = await feedback.answer_of_booking(db_session, current, origin, booking_id, today)
        answered = None if found is None else FeedbackRead.of(found.feedback)
        return BookingFeedbackRead(booking.id, booking.status, answered)

    @get("/departments/{department_id:uuid}/feedback", summary="A department's answers per month (groups of 5+)")
    async def department_months(
        self, db_session: DbSession, current: Current, today: Today, department_id: FromPath[uuid.UUID],
        from_month: Annotated[str | None, QueryParameter(pattern=MONTH, description="YYYY-MM")] = None,
        to_month: Annotated[str | None, QueryParameter(pattern=MONTH, description="YYYY-MM")] = None,
    ) -> DepartmentFeedbackRead:  # fmt: skip
        """Counts per calendar month of the visit; a month with fewer than 5 answers says only `suppressed`."""
        last = _month(to_month) if to_month else today.replace(day=1)
        first = _month(from_month) if from_month else _months_back(last, MONTHS_SHOWN - 1)
        department, months = await feedback.department_months(db_session, current, department_id, first, last)
        return DepartmentFeedbackRead(department.id, feedback.MIN_GROUP, [MonthRead.of(m) for m in months])

    @get("/recipients/{recipient_id:uuid}/plan", summary="A recipient's plan across departments")
    async def read_plan(
        self, db_session: DbSession, current: Current, origin: Where, today: Today, recipient_id: FromPath[uuid.UUID]
    ) -> PlanRead:
        """For the recipient, their proxies (without the answers), their coordinator and municipality administrators."""
        found = await plan.recipient_plan(db_session, current, origin, recipient_id, now=utcnow(), today=today)
        return PlanRead.of(found)

    @get("/coordinators/me/recipients", summary="Everyone I coordinate, one line each")
    async def coordinated(
        self, db_session: DbSession, current: Current, origin: Where, today: Today
    ) -> list[CoordinatedRead]:
        """Upcoming visits, open follow-ups and the latest answer of each; for staff (403 for others)."""
        lines = await plan.coordinated(db_session, current, origin, now=utcnow(), today=today)
        return [CoordinatedRead.of(line) for line in lines]
