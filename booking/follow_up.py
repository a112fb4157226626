"""Follow-up of repeated no-shows: in care, a missed visit can mean that something is wrong."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from booking.tables import Allocation, Booking, FollowUp
from core.errors import NotFoundError
from departments.tables import Department
from people.access import Principal
from people.audit import Origin, note_read, record
from people.errors import ForbiddenError
from people.tables import Coordinator


async def after_no_show(session: AsyncSession, booking: Booking, department: Department, now: datetime) -> None:
    """Raise a follow-up when the recipient has missed `count` visits within `weeks` (once while open)."""
    since = now - timedelta(weeks=department.no_show_follow_up_weeks)
    missed = await session.scalars(
        select(Booking.id).where(
            Booking.recipient_id == booking.recipient_id,
            Booking.department_id == department.id,
            Booking.status == "no_show",
            Booking.starts_at >= since,
        )
    )
    ids = [str(i) for i in missed]
    if len(ids) < department.no_show_follow_up_count:
        return
    details = {"no_shows": len(ids), "weeks": department.no_show_follow_up_weeks, "booking_ids": ids}
    await session.execute(
        insert(FollowUp)
        .values(id=uuid.uuid4(), municipality_id=booking.municipality_id, recipient_id=booking.recipient_id,
                department_id=department.id, kind="repeated_no_show", details=details)
        .on_conflict_do_nothing(index_elements=["municipality_id", "recipient_id", "department_id", "kind"],
                                index_where=FollowUp.resolved_at.is_(None))
    )  # fmt: skip


async def _coordinated(session: AsyncSession, principal: Principal, today: date) -> list[uuid.UUID]:
    if principal.person_id is None:
        return []
    rows = await session.scalars(
        select(Coordinator.recipient_id).where(
            Coordinator.staff_id == principal.person_id,
            Coordinator.municipality_id == principal.municipality_id,
            Coordinator.valid_from <= today,
            or_(Coordinator.valid_to.is_(None), Coordinator.valid_to >= today),
        )
    )
    return list(rows)


async def _is_case_worker(session: AsyncSession, principal: Principal) -> bool:
    if principal.person_id is None:
        return False
    query = select(Allocation.id).where(
        Allocation.case_worker_id == principal.person_id, Allocation.municipality_id == principal.municipality_id
    )
    return await session.scalar(query.limit(1)) is not None


async def open_follow_ups(session: AsyncSession, principal: Principal, today: date) -> Sequence[FollowUp]:
    """Open follow-ups the principal should see.

    Those of the recipients they coordinate, of their departments (staff and department administrators;
    evaluations due only to the administrators), of the decisions they are case worker for (evaluations
    due), or all of the municipality (its administrators).
    """
    query = select(FollowUp).where(
        FollowUp.municipality_id == principal.municipality_id, FollowUp.resolved_at.is_(None)
    )
    if not principal.is_municipality_admin:
        departments = principal.departments("staff", "department_admin")
        coordinated = await _coordinated(session, principal, today)
        case_worker = await _is_case_worker(session, principal)
        if not departments and not coordinated and not case_worker:
            raise ForbiddenError
        # A decision's evaluation is for the department's administrators and the decision's case worker, not
        # for every staff member on shift.
        evaluation = FollowUp.kind == "evaluation_due"
        query = query.where(
            or_(
                ~evaluation & FollowUp.department_id.in_(departments),
                evaluation & FollowUp.department_id.in_(principal.departments("department_admin")),
                evaluation & (FollowUp.details["case_worker_id"].astext == str(principal.person_id)),
                FollowUp.recipient_id.in_(coordinated),
            )
        )
    rows = (await session.scalars(query.order_by(FollowUp.created_at))).all()
    note_read(session, principal, {row.recipient_id for row in rows if row.recipient_id is not None})
    return rows


async def resolve(  # noqa: PLR0913 - keyword-only after the principal
    session: AsyncSession, principal: Principal, origin: Origin, *, follow_up_id: uuid.UUID, note: str | None,
    now: datetime,
) -> FollowUp:  # fmt: skip
    """Mark a follow-up as handled, with a note of what was done."""
    visible = await open_follow_ups(session, principal, now.date())
    follow_up = next((f for f in visible if f.id == follow_up_id), None)
    if follow_up is None:
        raise NotFoundError
    follow_up.resolved_at, follow_up.resolved_by_id, follow_up.note = now, principal.person_id, note
    await record(session, principal, origin, action="follow_up.resolve", object_type="follow_up",
                 object_id=follow_up.id, subject_person_id=follow_up.recipient_id)  # fmt: skip
    return follow_up
