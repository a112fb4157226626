"""The nightly retention job: erase what is past each municipality's periods (privacy/retention.py says what)."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from notifications.tables import PushSubscription
from people.tables import Municipality
from privacy.retention import erase_visits_and_feedback, municipality_ids, record_run
from privacy.rules import months_before

log = logging.getLogger(__name__)


async def _erase_push_subscriptions(session: AsyncSession, municipality: Municipality, now: datetime) -> int:
    cutoff = months_before(now, municipality.retention_push_months)
    gone = await session.execute(
        delete(PushSubscription)
        .where(PushSubscription.municipality_id == municipality.id, PushSubscription.created_at < cutoff)
        .returning(PushSubscription.id)
    )
    return len(gone.all())


async def run_retention(sessionmaker: async_sessionmaker[AsyncSession], now: datetime) -> dict[str, int]:
    """Erase, municipality by municipality, each in a transaction of its own; return the totals.

    The municipality's row is locked (FOR NO KEY UPDATE: rows referring to it can still be written) so two
    workers running the job at once take turns, and the second finds nothing left and logs nothing.
    """
    totals = {"bookings": 0, "feedback": 0, "push_subscriptions": 0, "municipalities": 0}
    async with sessionmaker() as session:
        ids = await municipality_ids(session)
    for municipality_id in ids:
        async with sessionmaker.begin() as session:
            municipality = await session.scalar(
                select(Municipality).where(Municipality.id == municipality_id).with_for_update(key_share=True)
            )
            if municipality is None:
                continue
            counts = await erase_visits_and_feedback(session, municipality, now)
            counts["push_subscriptions"] = await _erase_push_subscriptions(session, municipality, now)
            if record_run(session, municipality_id, counts):
                totals["municipalities"] += 1
            for name, count in counts.items():
                totals[name] += count
    log.info("retention: %s", totals)
    return totals
