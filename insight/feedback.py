"""Min stemme teller: the recipient's own answer about a delivered visit, and monthly figures per department.

The person's own voice comes first: the recipient answers; a proxy only when stating that the recipient
cannot. The individual answer is seen by the recipient and their coordinator only; a department sees
monthly counts, and only of months with at least `MIN_GROUP` answers (privacy).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Date, cast, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from booking.access import may_see_in_department
from booking.tables import Booking
from core.errors import DomainError, NotFoundError
from departments.service import administered_department
from departments.tables import Department, Service
from insight.tables import VisitFeedback
from people.access import Principal, is_coordinator_for, is_proxy_for
from people.audit import Origin, note_read, record
from people.errors import ForbiddenError
from people.tables import Person

PENDING_DAYS = 30  # a delivered visit is offered the question this long
MIN_GROUP = 5  # months with fewer answers are shown without counts
MAX_MONTHS = 36


class VisitNotDeliveredError(DomainError):
    """Only a delivered visit can be answered about; `visit_status` is the visit's."""

    code = "visit_not_delivered"


class FeedbackExistsError(DomainError):
    """The visit has been answered about already (one answer a visit)."""

    code = "feedback_exists"


class OwnVoiceError(DomainError):
    """A proxy answers only when stating that the recipient cannot (`on_behalf`)."""

    code = "feedback_own_voice"


class InvalidMonthRangeError(DomainError):
    """`from_month` after `to_month`, or a range longer than `MAX_MONTHS`."""

    code = "invalid_month_range"


@dataclass(frozen=True)
class Visit:
    """A visit as the feedback views show it."""

    booking_id: uuid.UUID
    department_id: uuid.UUID
    department_name: str
    service_name: dict[str, str]
    starts_at: datetime
    ends_at: datetime
    timezone: str


@dataclass(frozen=True)
class Answer:
    """One individual answer, with its visit."""

    feedback: VisitFeedback
    visit: Visit


@dataclass(frozen=True)
class MonthFigures:
    """One calendar month of a department: counts, or suppressed when fewer than `MIN_GROUP` answered."""

    month: date  # the first day
    suppressed: bool
    yes: int | None = None
    mixed: int | None = None
    no: int | None = None
    total: int | None = None


def months_between(first: date, last: date) -> list[date]:
    """The first days of the calendar months from `first`'s through `last`'s."""
    months, month = [], first.replace(day=1)
    while month <= last:
        months.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    return months


def month_figures(months: Sequence[date], counts: dict[tuple[date, str], int]) -> list[MonthFigures]:
    """Each month's counts by answer, suppressed below `MIN_GROUP` answers (no counts leave then)."""
    figures = []
    for month in months:
        yes, mixed, no = (counts.get((month, answer), 0) for answer in ("yes", "mixed", "no"))
        total = yes + mixed + no
        if total < MIN_GROUP:
            figures.append(MonthFigures(month, suppressed=True))
        else:
            figures.append(MonthFigures(month, suppressed=False, yes=yes, mixed=mixed, no=no, total=total))
    return figures


_VISIT_COLUMNS = (
    Booking.id, Booking.department_id, Department.name, Service.name, Booking.starts_at, Booking.ends_at,
    Department.timezone,
)  # fmt: skip


async def _recipient(session: AsyncSession, principal: Principal, recipient_id: uuid.UUID | None) -> Person:
    person_id = recipient_id or principal.person_id
    person = None if person_id is None else await session.get(Person, person_id)
    if person is None or person.municipality_id != principal.municipality_id:
        raise NotFoundError
    return person


async def pending(
    session: AsyncSession, principal: Principal, recipient_id: uuid.UUID | None, *, now: datetime, today: date
) -> list[Visit]:
    """Delivered visits of the last `PENDING_DAYS` days without an answer, newest first.

    For the recipient and their proxies (who may answer on their behalf); 404 for everyone else.
    """
    person = await _recipient(session, principal, recipient_id)
    if person.id != principal.person_id and not await is_proxy_for(session, principal, person.id, today):
        raise NotFoundError
    note_read(session, principal, (person.id,))
    answered = (
        select(VisitFeedback.id)
        .where(VisitFeedback.municipality_id == Booking.municipality_id, VisitFeedback.booking_id == Booking.id)
        .exists()
    )
    query = (
        select(*_VISIT_COLUMNS)
        .join(Department, Department.id == Booking.department_id)
        .join(Service, Service.id == Booking.service_id)
        .where(Booking.recipient_id == person.id, Booking.municipality_id == person.municipality_id,
               Booking.status == "delivered", Booking.starts_at >= now - timedelta(days=PENDING_DAYS), ~answered)
        .order_by(Booking.starts_at.desc())
    )  # fmt: skip
    return [Visit(*row) for row in (await session.execute(query)).tuples()]


async def _answering_as(
    session: AsyncSession, principal: Principal, booking: Booking, *, on_behalf: bool, today: date
) -> bool:
    """Whether a proxy answers (True) or the recipient (False); refuses everyone else."""
    if principal.person_id == booking.recipient_id:
        return False
    if await is_proxy_for(session, principal, booking.recipient_id, today):
        if not on_behalf:
            raise OwnVoiceError(on_behalf=False)
        return True
    recipient = await session.get(Person, booking.recipient_id)
    department_id = booking.department_id
    if recipient is not None and await may_see_in_department(session, principal, recipient, department_id, today):
        raise ForbiddenError  # staff, coordinators and administrators see the visit but never answer for it
    raise NotFoundError


async def answer(  # noqa: PLR0913 - keyword-only after the principal; one value each
    session: AsyncSession, principal: Principal, origin: Origin, *, booking_id: uuid.UUID, answer: str,
    comment: str | None, on_behalf: bool, now: datetime, today: date,
) -> VisitFeedback:  # fmt: skip
    """Record the answer about a delivered visit, once (a second answer is `feedback_exists`). Audited."""
    booking = await session.scalar(
        select(Booking).where(Booking.id == booking_id, Booking.municipality_id == principal.municipality_id)
    )
    if booking is None:
        raise NotFoundError
    by_proxy = await _answering_as(session, principal, booking, on_behalf=on_behalf, today=today)
    if booking.status != "delivered":
        raise VisitNotDeliveredError(visit_status=booking.status)
    assert principal.person_id is not None  # noqa: S101 - the recipient or a proxy: a person
    values = {
        "id": uuid.uuid4(), "municipality_id": booking.municipality_id, "booking_id": booking.id,
        "recipient_id": booking.recipient_id, "department_id": booking.department_id, "answer": answer,
        "comment": comment or None, "answered_by_id": principal.person_id, "by_proxy": by_proxy, "answered_at": now,
    }  # fmt: skip
    # Two answers at once: the unique constraint lets one in, the other learns it came second.
    created = await session.scalar(
        insert(VisitFeedback).values(values)
        .on_conflict_do_nothing(index_elements=["municipality_id", "booking_id"])
        .returning(VisitFeedback.id)
    )  # fmt: skip
    if created is None:
        raise FeedbackExistsError
    await record(session, principal, origin, action="feedback.create", object_type="visit_feedback",
                 object_id=created, subject_person_id=booking.recipient_id)  # fmt: skip
    feedback = await session.get(VisitFeedback, created)
    assert feedback is not None  # noqa: S101 - inserted a moment ago
    return feedback


async def may_see_answers(session: AsyncSession, principal: Principal, recipient_id: uuid.UUID, today: date) -> bool:
    """The individual answers are for the recipient and their coordinator only."""
    if principal.person_id == recipient_id:
        return True
    return await is_coordinator_for(session, principal, recipient_id, today)


async def answers_where(session: AsyncSession, *conditions: object) -> list[Answer]:
    """The answers meeting `conditions` (on the answer, its booking, department or service), newest visit first."""
    query = (
        select(VisitFeedback, *_VISIT_COLUMNS)
        .join(Booking, Booking.id == VisitFeedback.booking_id)
        .join(Department, Department.id == Booking.department_id)
        .join(Service, Service.id == Booking.service_id)
        .where(*conditions)  # type: ignore[arg-type]
        .order_by(Booking.starts_at.desc())
    )
    return [Answer(row[0], Visit(*row[1:])) for row in (await session.execute(query)).tuples()]


async def _audit_read(session: AsyncSession, principal: Principal, origin: Origin, recipient_id: uuid.UUID) -> None:
    if principal.person_id != recipient_id:
        await record(session, principal, origin, action="feedback.read", object_type="person",
                     object_id=recipient_id, subject_person_id=recipient_id)  # fmt: skip


async def answer_of_booking(
    session: AsyncSession, principal: Principal, origin: Origin, booking_id: uuid.UUID, today: date
) -> tuple[Booking, Answer | None]:
    """The visit and its answer (if any), for the recipient and their coordinator; 404 for everyone else."""
    booking = await session.scalar(
        select(Booking).where(Booking.id == booking_id, Booking.municipality_id == principal.municipality_id)
    )
    if booking is None or not await may_see_answers(session, principal, booking.recipient_id, today):
        raise NotFoundError
    await _audit_read(session, principal, origin, booking.recipient_id)
    found = await answers_where(
        session, VisitFeedback.municipality_id == booking.municipality_id, VisitFeedback.booking_id == booking.id
    )
    return booking, (found[0] if found else None)


async def answers_of(
    session: AsyncSession, principal: Principal, origin: Origin, recipient_id: uuid.UUID | None, today: date
) -> list[Answer]:
    """Every answer about the recipient's visits, newest visit first; the recipient and their coordinator only."""
    person = await _recipient(session, principal, recipient_id)
    if not await may_see_answers(session, principal, person.id, today):
        raise NotFoundError
    await _audit_read(session, principal, origin, person.id)
    return await answers_where(
        session, VisitFeedback.recipient_id == person.id, VisitFeedback.municipality_id == person.municipality_id
    )


async def department_months(
    session: AsyncSession, principal: Principal, department_id: uuid.UUID, first: date, last: date
) -> tuple[Department, list[MonthFigures]]:
    """A department's answers counted per calendar month of the visit (its local time), `first`..`last` months.

    For the department's administrators and the municipality's; months under `MIN_GROUP` answers suppressed.
    """
    department = await administered_department(session, principal, department_id)
    months = months_between(first, last)
    if not months or len(months) > MAX_MONTHS:
        raise InvalidMonthRangeError(max_months=MAX_MONTHS)
    local_month = cast(func.date_trunc("month", func.timezone(department.timezone, Booking.starts_at)), Date)
    start = months[0]
    end = (months[-1] + timedelta(days=32)).replace(day=1)
    query = (
        select(local_month, VisitFeedback.answer, func.count())
        .join(Booking, Booking.id == VisitFeedback.booking_id)
        .where(VisitFeedback.department_id == department.id,
               VisitFeedback.municipality_id == department.municipality_id, local_month >= start, local_month < end)
        .group_by(local_month, VisitFeedback.answer)
    )  # fmt: skip
    counts = {(month, answer): int(n) for month, answer, n in (await session.execute(query)).tuples()}
    return department, month_figures(months, counts)
