"""Which reminders should exist: planned in set-based SQL from the bookings, so one path serves one booking or all.

The database is the schedule (DESIGN.md, invariant 6). Planning inserts the missing reminder rows (one per
booking, person, lead time and start; the unique key makes it idempotent) and skips the rows a change made
obsolete. Redis only ever holds the jobs that are due soon, and can be rebuilt from these rows at any time.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import Uuid, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

# Whom to remind of a booking: the recipient, and the proxies who asked for reminders and act for them today.
# Their channel: the one they chose, else e-mail when known, else SMS when known; `none` or nothing: nobody.
_PLAN = """
INSERT INTO reminder (municipality_id, booking_id, person_id, lead_minutes, starts_at, due_at, channel,
                      next_attempt_at)
SELECT b.municipality_id, b.id, p.id, lead.minutes, b.starts_at, b.starts_at - make_interval(mins => lead.minutes),
       c.channel, b.starts_at - make_interval(mins => lead.minutes)
FROM booking b
JOIN department d ON d.id = b.department_id
CROSS JOIN LATERAL unnest(d.reminder_lead_minutes) AS lead(minutes)
CROSS JOIN LATERAL (
    SELECT b.recipient_id AS person_id
    UNION
    SELECT pl.proxy_id FROM proxy_link pl
    WHERE pl.municipality_id = b.municipality_id AND pl.recipient_id = b.recipient_id AND pl.reminders
      AND pl.valid_from <= (CAST(:now AS timestamptz) AT TIME ZONE d.timezone)::date
      AND (pl.valid_to IS NULL OR pl.valid_to >= (CAST(:now AS timestamptz) AT TIME ZONE d.timezone)::date)
      AND pl.ended_at IS NULL
) who
JOIN person p ON p.id = who.person_id
CROSS JOIN LATERAL (
    SELECT CASE WHEN p.reminder_channel IS NOT NULL THEN p.reminder_channel
                WHEN p.email IS NOT NULL THEN 'email'
                WHEN p.phone IS NOT NULL THEN 'sms' END AS channel
) c
WHERE b.status = 'booked'
  AND b.starts_at > :now
  AND b.starts_at - make_interval(mins => lead.minutes) >= :now
  AND lead.minutes > 0
  AND c.channel IS NOT NULL AND c.channel <> 'none'
  {only}
  {ahead}
ON CONFLICT ON CONSTRAINT uq_reminder_once DO NOTHING
"""

# A reminder planned for a start the booking no longer has, or for a booking no longer booked, never goes.
_SKIP_OBSOLETE = """
UPDATE reminder r SET status = 'skipped', changed_at = :now,
       last_error = CASE WHEN b.status <> 'booked' THEN 'booking ' || b.status ELSE 'booking moved' END
FROM booking b
WHERE r.booking_id = b.id AND r.status = 'scheduled'
  AND (b.status <> 'booked' OR r.starts_at <> b.starts_at)
  {only}
"""

# A send that was claimed but never acknowledged may have gone out: never resend it, show it instead.
_GIVE_UP_UNCERTAIN = """
UPDATE reminder SET status = 'dead', changed_at = :now,
       last_error = 'uncertain: the worker stopped during the send; not sent again, to avoid a duplicate'
WHERE status = 'sending' AND changed_at < :before
"""

_AHEAD = "AND b.starts_at - make_interval(mins => lead.minutes) < :until"
_IDS = bindparam("ids", type_=ARRAY(Uuid()))


async def _run(
    session: AsyncSession, sql: str, now: datetime, booking_ids: Sequence[uuid.UUID] | None,
    ahead: timedelta | None = None,
) -> int:  # fmt: skip
    only = "" if booking_ids is None else "AND b.id = ANY(:ids)"
    statement = text(sql.format(only=only, ahead="" if ahead is None else _AHEAD))
    params: dict[str, object] = {"now": now}
    if ahead is not None:
        params["until"] = now + ahead
    if booking_ids is not None:
        statement = statement.bindparams(_IDS)
        params["ids"] = list(booking_ids)
    result = await session.execute(statement, params)
    return int(getattr(result, "rowcount", 0) or 0)


async def plan(
    session: AsyncSession, now: datetime, booking_ids: Sequence[uuid.UUID] | None = None, *,
    ahead: timedelta | None = None,
) -> int:  # fmt: skip
    """Insert the reminders that should exist and do not: for `booking_ids`, or every upcoming booking.

    With `ahead`, only those due before `now + ahead`: reconciliation repairs in that window, each pass
    (every 10 minutes) reaching a little further, instead of writing every row of every booking at once.
    """
    return await _run(session, _PLAN, now, booking_ids, ahead)


async def skip_obsolete(session: AsyncSession, now: datetime, booking_ids: Sequence[uuid.UUID] | None = None) -> int:
    """Skip scheduled reminders whose booking moved or is no longer booked."""
    return await _run(session, _SKIP_OBSOLETE, now, booking_ids)


async def give_up_uncertain(session: AsyncSession, now: datetime, after: timedelta) -> int:
    """Sends claimed longer than `after` ago and never acknowledged become dead letters (at most once)."""
    result = await session.execute(text(_GIVE_UP_UNCERTAIN), {"now": now, "before": now - after})
    return int(getattr(result, "rowcount", 0) or 0)
