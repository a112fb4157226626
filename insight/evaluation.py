"""The evaluation of a decision (trial or ordinary): how it has been used, for those who decide on it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from booking.tables import Allocation, Booking
from core.errors import NotFoundError
from departments.tables import Department, Service
from insight import rules
from insight.feedback import MIN_GROUP, may_see_answers
from insight.tables import VisitFeedback
from people.access import Principal, is_coordinator_for
from people.audit import Origin, record
from people.tables import Person


@dataclass(frozen=True)
class Answer:
    """One feedback answer about one visit of the decision (individual: never shown to the department at large)."""

    booking_id: uuid.UUID
    visit_start: datetime
    answer: str
    comment: str | None
    by_proxy: bool
    answered_at: datetime


@dataclass(frozen=True)
class Report:
    """A decision's evaluation, with what it is about."""

    allocation: Allocation
    recipient: Person
    service: Service
    department: Department
    evaluation: rules.Evaluation
    feedback: dict[str, int] | None  # None: too few answers to show to this viewer
    answers: list[Answer]  # empty unless the viewer may see the individual answers
    answers_visible: bool


async def may_evaluate(session: AsyncSession, principal: Principal, allocation: Allocation, today: date) -> bool:
    """Whether the principal may see a decision's evaluation (individual feedback answers: `evaluate`).

    Administrators of its municipality or its department (people and tokens), its case worker, and the
    recipient's coordinator; not the recipient, proxies or other staff.
    """
    if allocation.municipality_id != principal.municipality_id:
        return False
    if principal.is_municipality_admin or allocation.department_id in principal.departments("department_admin"):
        return True
    if principal.person_id is not None and principal.person_id == allocation.case_worker_id:
        return True
    return await is_coordinator_for(session, principal, allocation.recipient_id, today)


async def evaluable_allocation(
    session: AsyncSession, principal: Principal, allocation_id: uuid.UUID, today: date
) -> Allocation:
    """The decision if the principal may evaluate it; otherwise `NotFoundError`, so ids leak nothing."""
    allocation = await session.get(Allocation, allocation_id)
    if allocation is None or not await may_evaluate(session, principal, allocation, today):
        raise NotFoundError
    return allocation


def terms_of(allocation: Allocation) -> rules.Terms:
    """The decision as the rules take it."""
    return rules.Terms(
        minutes=allocation.minutes,
        period=allocation.period,
        anchor=allocation.period_anchor,
        valid_from=allocation.valid_from,
        valid_to=allocation.valid_to,
        evaluation_date=allocation.evaluation_date,
    )


async def _visits(session: AsyncSession, allocation: Allocation) -> list[rules.Visit]:
    rows = await session.execute(
        select(Booking.starts_at, Booking.minutes, Booking.status, Booking.period_start, Booking.minutes_returned)
        .where(Booking.allocation_id == allocation.id, Booking.municipality_id == allocation.municipality_id)
    )  # fmt: skip
    return [rules.Visit(start, minutes, status, period, not returned) for start, minutes, status, period, returned
            in rows.tuples()]  # fmt: skip


async def _answers(session: AsyncSession, allocation: Allocation, periods: frozenset[date]) -> list[Answer]:
    rows = await session.execute(
        select(VisitFeedback, Booking.starts_at, Booking.period_start)
        .join(Booking, Booking.id == VisitFeedback.booking_id)
        .where(Booking.allocation_id == allocation.id, VisitFeedback.municipality_id == allocation.municipality_id)
        .order_by(Booking.starts_at)
    )
    return [
        Answer(f.booking_id, start, f.answer, f.comment, f.by_proxy, f.answered_at)
        for f, start, period_start in rows.tuples()
        if period_start in periods
    ]


async def evaluate(
    session: AsyncSession, principal: Principal, origin: Origin, allocation_id: uuid.UUID, *, now: datetime
) -> Report:
    """A decision's use per period, the hours and weekdays chosen, and the feedback on its visits.

    The individual feedback answers (and comments) are shown to the recipient's coordinator only, as everywhere
    ("Min stemme teller"); administrators and the case worker get the counts, from `MIN_GROUP` answers on.

    Periods run from the decision's start to today (local to the department), or to its end or evaluation
    date if earlier (`insight.rules.evaluate`). The read is audited: it is the recipient's data.

    Raises:
        NotFoundError: no such decision, or the principal may not evaluate it.

    """
    allocation = await evaluable_allocation(session, principal, allocation_id, now.date())
    department = await session.get(Department, allocation.department_id)
    service = await session.get(Service, allocation.service_id)
    recipient = await session.get(Person, allocation.recipient_id)
    # Foreign keys guarantee all three.
    assert department is not None  # noqa: S101
    assert service is not None  # noqa: S101
    assert recipient is not None  # noqa: S101
    zone = ZoneInfo(department.timezone)
    today = now.astimezone(zone).date()
    evaluation = rules.evaluate(terms_of(allocation), await _visits(session, allocation), today=today, zone=zone)
    answers = await _answers(session, allocation, frozenset(p.period.start for p in evaluation.periods))
    await record(session, principal, origin, action="allocation.evaluation.read", object_type="allocation",
                 object_id=allocation.id, subject_person_id=allocation.recipient_id)  # fmt: skip
    # "Min stemme teller": the individual answers are the recipient's and their coordinator's only.
    individual = await may_see_answers(session, principal, allocation.recipient_id, now.date())
    counts = rules.feedback_counts(a.answer for a in answers)
    feedback = rules.feedback_shown(counts, individual=individual, min_group=MIN_GROUP)
    shown = answers if individual else []
    return Report(allocation, recipient, service, department, evaluation, feedback, shown, individual)
