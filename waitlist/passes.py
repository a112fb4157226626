"""The worker's waitlist passes: offer the freed times, lapse the holds nobody answered. One short transaction each.

The state is in PostgreSQL (the freed times, the offers and their expiry), so a restarted worker or a Redis that
lost its data only delays a pass. One freed time or offer that fails is logged and retried later; it never
stops the others (a savepoint each).
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from waitlist import holds
from waitlist.tables import WaitlistFreed, WaitlistOffer

log = logging.getLogger(__name__)

BATCH = 50
MAX_ATTEMPTS = 5  # a freed time that fails this often is given up (logged each time)


async def offer_freed(sessionmaker: async_sessionmaker[AsyncSession], now: datetime) -> int:
    """Hold each pending freed time for the first in line it fits; returns how many offers were made."""
    made = 0
    while True:
        async with sessionmaker.begin() as session:
            freed = await session.scalar(
                select(WaitlistFreed)
                .where(WaitlistFreed.status == "pending", WaitlistFreed.attempts < MAX_ATTEMPTS)
                .order_by(WaitlistFreed.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            )
            if freed is None:
                return made
            try:
                async with session.begin_nested():
                    offer = await holds.hand_on(session, freed, now)
                made += offer is not None
            except Exception:  # one bad freed time must not stop the others; retried, then given up
                log.exception("waitlist: offering freed time %s failed", freed.id)
                freed.attempts += 1
                freed.changed_at = now
                if freed.attempts >= MAX_ATTEMPTS:
                    freed.status = "done"


async def lapse_expired(sessionmaker: async_sessionmaker[AsyncSession], now: datetime) -> int:
    """Give back the holds whose time ran out and hand each on to the next in line; returns how many lapsed."""
    async with sessionmaker() as session:
        due = (
            await session.scalars(
                select(WaitlistOffer.id)
                .where(WaitlistOffer.status == "held", WaitlistOffer.expires_at <= now)
                .order_by(WaitlistOffer.expires_at)
                .limit(BATCH)
            )
        ).all()
    lapsed = 0
    for offer_id in due:
        async with sessionmaker.begin() as session:
            row = await session.get(WaitlistOffer, offer_id)
            if row is None:
                continue
            try:
                async with session.begin_nested():
                    offer = await holds.locked_offer(session, offer_id, row.municipality_id)
                    if offer is None or offer.status != "held" or offer.expires_at > now:
                        continue
                    await holds.release(session, offer, "lapsed", now)
                lapsed += 1
            except Exception:  # the next pass tries again
                log.exception("waitlist: lapsing offer %s failed", offer_id)
    return lapsed


# Entries whose last day has passed in their department's zone leave the line (none of them holds an offer then:
# a hold is never longer than a day and is offered only for the entry's own days).
_END_PAST = text("""
UPDATE waitlist_entry e SET status = 'ended', changed_at = :now
FROM department d
WHERE d.id = e.department_id AND e.status = 'waiting'
  AND e.last_day < (CAST(:now AS timestamptz) AT TIME ZONE d.timezone)::date
  AND NOT EXISTS (SELECT 1 FROM waitlist_offer o WHERE o.entry_id = e.id AND o.status = 'held')
""")


async def end_past(sessionmaker: async_sessionmaker[AsyncSession], now: datetime) -> int:
    """End the entries whose last day has passed; returns how many."""
    async with sessionmaker.begin() as session:
        result = await session.execute(_END_PAST, {"now": now})
    return int(getattr(result, "rowcount", 0) or 0)
