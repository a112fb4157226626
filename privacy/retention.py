"""Retention: each municipality's periods, and erasing what is past them (the worker runs it nightly).

What goes, and what stays:
- a past visit (booking) whose end is older than `retention_booking_months` is counted into `booking_statistic`
  (department, service, local month, status: visits and minutes) and deleted with its reminders, outbox events
  and feedback; the booking row is the personal link (recipient, decision, who booked, assigned staff), and the
  schema holds it NOT NULL under the booking invariants, so it is removed rather than blanked, and the counts
  outlive it;
- a feedback answer older than `retention_feedback_months` is deleted;
- a push subscription older than `retention_push_months` is deleted (by the notifications layer, which owns it);
- sign-in sessions live in Redis and end by themselves within the session's absolute lifetime (hours);
- audit entries are never touched: they are append-only for the application role and kept for their statutory
  period; the run itself is one audit entry (actor `retention`) with what it counted.
Idempotent: a second run finds nothing past its period that the first left, and writes no entry then.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from insight.tables import VisitFeedback
from people.access import Principal
from people.audit import Origin, record
from people.errors import ForbiddenError
from people.tables import AuditEntry, Municipality
from privacy.errors import InvalidRetentionError
from privacy.rules import RetentionPeriods, months_before, retention_problems
from privacy.tables import BookingStatistic

SYSTEM_ACTOR = "retention"
LOCK_TIMEOUT = "5s"

# The deleted bookings are counted in the same statement that deletes them, so a booking is counted exactly
# once however many workers run the job: a second DELETE waits for the first and then finds the rows gone.
# The ledgers give back what the deleted bookings held, so they still agree with the bookings
# (booking/consistency.py); only past cells and periods are touched, which nobody books any more.
_FOLD_BOOKINGS = text("""
WITH gone AS (
    DELETE FROM booking WHERE municipality_id = :municipality AND ends_at < :cutoff
    RETURNING municipality_id, department_id, service_id, allocation_id, period_start, starts_at, status,
              minutes, minutes_returned, staff_units, span_start, span_end
), folded AS (
    INSERT INTO booking_statistic AS s (municipality_id, department_id, service_id, month, status, visits, minutes)
    SELECT g.municipality_id, g.department_id, g.service_id,
           date_trunc('month', g.starts_at AT TIME ZONE d.timezone)::date, g.status, count(*), sum(g.minutes)
    FROM gone g JOIN department d ON d.id = g.department_id
    GROUP BY 1, 2, 3, 4, 5
    ON CONFLICT (municipality_id, department_id, service_id, month, status)
    DO UPDATE SET visits = s.visits + excluded.visits, minutes = s.minutes + excluded.minutes
    RETURNING 1
), periods AS (
    UPDATE allocation_period p SET used = p.used - g.minutes
    FROM (SELECT allocation_id, period_start, sum(minutes) AS minutes FROM gone WHERE NOT minutes_returned
          GROUP BY allocation_id, period_start) g
    WHERE p.municipality_id = :municipality AND p.allocation_id = g.allocation_id AND p.period_start = g.period_start
    RETURNING 1
), cells AS (
    UPDATE capacity_cell c SET used = c.used - g.units
    FROM (SELECT c2.id, sum(gone.staff_units) AS units
          FROM capacity_cell c2 JOIN gone
            ON c2.municipality_id = gone.municipality_id AND c2.department_id = gone.department_id
           AND gone.status IN ('booked', 'delivered', 'no_show')
           AND gone.span_start < c2.ends_at AND gone.span_end > c2.starts_at
          GROUP BY c2.id) g
    WHERE c.id = g.id
    RETURNING 1
)
SELECT count(*) FROM gone
""")


def periods_of(municipality: Municipality) -> RetentionPeriods:
    """The municipality's periods."""
    return RetentionPeriods(
        municipality.retention_booking_months,
        municipality.retention_feedback_months,
        municipality.retention_push_months,
    )


async def _administered(session: AsyncSession, principal: Principal) -> Municipality:
    if not principal.is_municipality_admin:
        raise ForbiddenError
    municipality = await session.get(Municipality, principal.municipality_id)
    if municipality is None:
        raise ForbiddenError
    return municipality


async def retention_policy(session: AsyncSession, principal: Principal) -> RetentionPeriods:
    """The caller's municipality's periods (municipality administrators)."""
    return periods_of(await _administered(session, principal))


async def change_retention_policy(
    session: AsyncSession, principal: Principal, origin: Origin, periods: RetentionPeriods
) -> RetentionPeriods:
    """Set the periods (municipality administrators); audited.

    Raises:
        InvalidRetentionError: a period below the minimum or above the maximum (nothing is written).

    """
    municipality = await _administered(session, principal)
    problems = retention_problems(periods)
    if problems:
        raise InvalidRetentionError(errors=[{"field": name, "reason": reason} for name, reason in problems])
    municipality.retention_booking_months = periods.booking_months
    municipality.retention_feedback_months = periods.feedback_months
    municipality.retention_push_months = periods.push_months
    await session.flush()
    await record(session, principal, origin, action="retention.update", object_type="municipality",
                 object_id=municipality.id)  # fmt: skip
    return periods


async def erase_visits_and_feedback(session: AsyncSession, municipality: Municipality, now: datetime) -> dict[str, int]:
    """Delete the feedback and the visits past their periods (visits counted first); return how many went."""
    await session.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
    feedback_cutoff = months_before(now, municipality.retention_feedback_months)
    feedback = await session.execute(
        delete(VisitFeedback)
        .where(VisitFeedback.municipality_id == municipality.id, VisitFeedback.answered_at < feedback_cutoff)
        .returning(VisitFeedback.id)
    )
    feedback_count = len(feedback.all())
    booking_cutoff = months_before(now, municipality.retention_booking_months)
    bookings = await session.scalar(_FOLD_BOOKINGS, {"municipality": municipality.id, "cutoff": booking_cutoff})
    return {"bookings": int(bookings or 0), "feedback": feedback_count}


def record_run(session: AsyncSession, municipality_id: uuid.UUID, counts: Mapping[str, int]) -> bool:
    """One audit entry of the job with what it erased; none when it erased nothing (a rerun changes nothing)."""
    if not any(counts.values()):
        return False
    session.add(
        AuditEntry(
            municipality_id=municipality_id,
            actor_system=SYSTEM_ACTOR,
            action="retention.run",
            object_type="municipality",
            object_id=str(municipality_id),
            details=dict(counts),
        )
    )
    return True


async def municipality_ids(session: AsyncSession) -> list[uuid.UUID]:
    """Every municipality, in a fixed order (each is handled in a transaction of its own)."""
    return list((await session.scalars(select(Municipality.id).order_by(Municipality.id))).all())


async def statistics_total(session: AsyncSession, municipality_id: uuid.UUID) -> int:
    """How many visits the statistics hold (for reports and tests)."""
    query = select(func.coalesce(func.sum(BookingStatistic.visits), 0)).where(
        BookingStatistic.municipality_id == municipality_id
    )
    return int(await session.scalar(query) or 0)
