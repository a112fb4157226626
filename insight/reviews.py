"""The yearly review list: decisions whose review (or trial evaluation) is due, for administrators."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from booking.tables import Allocation
from departments.tables import Department, Service
from insight import rules
from people.access import Principal
from people.audit import Origin, record
from people.tables import Person


@dataclass(frozen=True)
class Review:
    """A decision to review, with when and why (`review` or `evaluation`), and what it is about."""

    allocation: Allocation
    recipient: Person
    service: Service
    department: Department
    due: date
    reason: str


async def reviews_due(
    session: AsyncSession, principal: Principal, origin: Origin, *, before: date, today: date
) -> list[Review]:
    """Decisions not yet ended whose review date, or trial evaluation date, is on or before `before`.

    Overdue ones (due before today) stay on the list until the date is moved. Department administrators
    see their departments' decisions, municipality administrators all of the municipality's. Soonest first.
    """
    departments = principal.administered_departments()
    query = (
        select(Allocation, Person, Service, Department)
        .join(Person, Person.id == Allocation.recipient_id)
        .join(Service, Service.id == Allocation.service_id)
        .join(Department, Department.id == Allocation.department_id)
        .where(
            Allocation.municipality_id == principal.municipality_id,
            or_(Allocation.valid_to.is_(None), Allocation.valid_to >= today),
            or_(Allocation.review_date <= before,
                and_(Allocation.kind == "trial", Allocation.evaluation_date <= before)),
        )
    )  # fmt: skip
    if departments is not None:
        query = query.where(Allocation.department_id.in_(departments))
    found = []
    for allocation, person, service, department in (await session.execute(query)).tuples():
        evaluation = allocation.evaluation_date if allocation.kind == "trial" else None
        due = rules.review_due(allocation.review_date, evaluation)
        if due is not None and due[0] <= before:
            found.append(Review(allocation, person, service, department, *due))
    found.sort(key=lambda r: (r.due, r.recipient.family_name, r.recipient.given_name, str(r.allocation.id)))
    for recipient_id in sorted({r.recipient.id for r in found}):
        await record(session, principal, origin, action="reviews.read", object_type="person",
                     object_id=recipient_id, subject_person_id=recipient_id)  # fmt: skip
    return found
