"""The shared plan: one recipient's decisions, visits, follow-ups and answers across departments.

Seen by the recipient, their proxies (without the individual answers), their coordinator and the
municipality's administrators; a coordinator also gets everyone they coordinate in one list.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Date, cast, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from booking.allocations import used_in_periods
from booking.rules import Period, period_of
from booking.tables import Allocation, Booking, FollowUp
from core.errors import NotFoundError
from departments.tables import Department, Service
from insight.feedback import Answer, answers_where
from insight.tables import VisitFeedback
from people.access import Principal, is_coordinator_for, is_proxy_for
from people.audit import Origin, record
from people.errors import ForbiddenError
from people.tables import Coordinator, Person

UPCOMING_DAYS = 14
PAST_DAYS = 30
FEEDBACK_DAYS = 90  # answers about visits this far back


@dataclass(frozen=True)
class AllocationLine:
    """A decision, its department and service, and the minutes used in the period containing today."""

    allocation: Allocation
    department_name: str
    service_name: dict[str, str]
    period: Period
    used: int


@dataclass(frozen=True)
class VisitLine:
    """A visit in the plan."""

    booking: Booking
    department_name: str
    service_name: dict[str, str]
    timezone: str


@dataclass(frozen=True)
class Plan:
    """Everything about one recipient's help, across departments. `feedback` is None for those who may not see it."""

    recipient: Person
    allocations: list[AllocationLine]
    upcoming: list[VisitLine]
    past: list[VisitLine]
    follow_ups: Sequence[FollowUp]
    feedback: list[Answer] | None


async def plan_access(session: AsyncSession, principal: Principal, person: Person, today: date) -> bool | None:
    """None: may not see the plan; otherwise whether the individual answers are included.

    The recipient and their coordinator see the answers; proxies and the municipality's administrators the
    rest of the plan.
    """
    if person.municipality_id != principal.municipality_id:
        return None
    if principal.person_id == person.id or await is_coordinator_for(session, principal, person.id, today):
        return True
    if principal.is_municipality_admin or await is_proxy_for(session, principal, person.id, today):
        return False
    return None


async def _allocations(session: AsyncSession, person: Person, now: datetime) -> list[AllocationLine]:
    rows = (
        await session.execute(
            select(Allocation, Department.name, Department.timezone, Service.name)
            .join(Department, Department.id == Allocation.department_id)
            .join(Service, Service.id == Allocation.service_id)
            .where(Allocation.recipient_id == person.id, Allocation.municipality_id == person.municipality_id,
                   or_(Allocation.valid_to.is_(None),
                       Allocation.valid_to >= cast(func.timezone(Department.timezone, now), Date)))
            .order_by(Department.name, Allocation.valid_from, Allocation.id)
        )
    ).tuples().all()  # fmt: skip
    periods = []
    for allocation, _, zone, _ in rows:
        today = now.astimezone(ZoneInfo(zone)).date()
        periods.append(period_of(allocation.period, allocation.period_anchor, max(today, allocation.valid_from)))
    used = await used_in_periods(
        session, person.municipality_id, [(row[0].id, period.start) for row, period in zip(rows, periods, strict=True)]
    )
    return [
        AllocationLine(allocation, department, service, period, used.get((allocation.id, period.start), 0))
        for (allocation, department, _, service), period in zip(rows, periods, strict=True)
    ]


async def _visits(session: AsyncSession, person: Person, now: datetime) -> tuple[list[VisitLine], list[VisitLine]]:
    rows = (
        await session.execute(
            select(Booking, Department.name, Service.name, Department.timezone)
            .join(Department, Department.id == Booking.department_id)
            .join(Service, Service.id == Booking.service_id)
            .where(Booking.recipient_id == person.id, Booking.municipality_id == person.municipality_id,
                   Booking.starts_at >= now - timedelta(days=PAST_DAYS),
                   Booking.starts_at < now + timedelta(days=UPCOMING_DAYS))
            .order_by(Booking.starts_at, Booking.id)
        )
    ).tuples().all()  # fmt: skip
    lines = [VisitLine(*row) for row in rows]
    upcoming = [v for v in lines if v.booking.starts_at >= now and v.booking.status == "booked"]
    past = [v for v in reversed(lines) if v.booking.starts_at < now]
    return upcoming, past


async def recipient_plan(  # noqa: PLR0913 - keyword-only after the recipient; one value each
    session: AsyncSession, principal: Principal, origin: Origin, recipient_id: uuid.UUID, *, now: datetime,
    today: date,
) -> Plan:  # fmt: skip
    """The recipient's plan; 404 for those who may not see it. Someone else reading it is audited."""
    person = await session.get(Person, recipient_id)
    with_answers = None if person is None else await plan_access(session, principal, person, today)
    if person is None or with_answers is None:
        raise NotFoundError
    upcoming, past = await _visits(session, person, now)
    follow_ups = (
        await session.scalars(
            select(FollowUp)
            .where(FollowUp.recipient_id == person.id, FollowUp.municipality_id == person.municipality_id,
                   FollowUp.resolved_at.is_(None))
            .order_by(FollowUp.created_at, FollowUp.id)
        )
    ).all()  # fmt: skip
    feedback = None
    if with_answers:
        feedback = await answers_where(
            session, VisitFeedback.recipient_id == person.id, VisitFeedback.municipality_id == person.municipality_id,
            Booking.starts_at >= now - timedelta(days=FEEDBACK_DAYS),
        )  # fmt: skip
    if principal.person_id != person.id:
        await record(session, principal, origin, action="plan.read", object_type="person", object_id=person.id,
                     subject_person_id=person.id)  # fmt: skip
    return Plan(person, await _allocations(session, person, now), upcoming, past, follow_ups, feedback)


@dataclass(frozen=True)
class Summary:
    """One line of a coordinator's list."""

    recipient: Person
    upcoming_visits: int
    next_visit: datetime | None
    open_follow_ups: int
    latest_feedback: VisitFeedback | None


async def coordinated(
    session: AsyncSession, principal: Principal, origin: Origin, *, now: datetime, today: date
) -> list[Summary]:
    """Everyone the staff member coordinates today, one line each, by name. Others get `ForbiddenError`."""
    if principal.person_id is None or not principal.has_role("staff"):
        raise ForbiddenError
    people = (
        await session.scalars(
            select(Person)
            .join(Coordinator, Coordinator.recipient_id == Person.id)
            .where(Coordinator.staff_id == principal.person_id,
                   Coordinator.municipality_id == principal.municipality_id, Coordinator.valid_from <= today,
                   or_(Coordinator.valid_to.is_(None), Coordinator.valid_to >= today))
            .distinct()
            .order_by(Person.family_name, Person.given_name, Person.id)
        )
    ).all()  # fmt: skip
    ids = [p.id for p in people]
    visits = {
        r: (n, first)
        for r, n, first in (
            await session.execute(
                select(Booking.recipient_id, func.count(), func.min(Booking.starts_at))
                .where(Booking.recipient_id.in_(ids), Booking.status == "booked", Booking.starts_at >= now,
                       Booking.starts_at < now + timedelta(days=UPCOMING_DAYS))
                .group_by(Booking.recipient_id)
            )
        ).tuples()
    }  # fmt: skip
    open_items = dict(
        (
            await session.execute(
                select(FollowUp.recipient_id, func.count())
                .where(FollowUp.recipient_id.in_(ids), FollowUp.resolved_at.is_(None))
                .group_by(FollowUp.recipient_id)
            )
        ).tuples().all()
    )  # fmt: skip
    latest = {
        f.recipient_id: f
        for f in await session.scalars(
            select(VisitFeedback)
            .where(VisitFeedback.recipient_id.in_(ids))
            .distinct(VisitFeedback.recipient_id)
            .order_by(VisitFeedback.recipient_id, VisitFeedback.answered_at.desc(), VisitFeedback.id)
        )
    }
    for person in people:
        await record(session, principal, origin, action="plan.summary", object_type="person", object_id=person.id,
                     subject_person_id=person.id)  # fmt: skip
    return [
        Summary(p, visits.get(p.id, (0, None))[0], visits.get(p.id, (0, None))[1], int(open_items.get(p.id, 0)),
                latest.get(p.id))
        for p in people
    ]  # fmt: skip
