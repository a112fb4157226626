"""Daily upkeep of the capacity ledger: open each new day at the end of every department's horizon."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.clock import utcnow
from departments.ledger import CapacityConflictError, open_new_days
from departments.tables import CapacityCell, Department

log = logging.getLogger(__name__)
KEEP_PAST_CELLS = timedelta(days=35)  # past cells carry nothing the allocation ledger needs; keep a month to look at


async def open_days(sessionmaker: async_sessionmaker[AsyncSession], now: datetime) -> dict[str, int]:
    """Materialise every department through its horizon, one transaction each; prune old cells.

    Idempotent: run twice for the same day, it creates each cell once (an upsert on the cell's start).
    """
    async with sessionmaker() as session:
        department_ids = (await session.scalars(select(Department.id).order_by(Department.id))).all()
    opened = refused = 0
    for department_id in department_ids:
        try:
            async with sessionmaker.begin() as session:
                await open_new_days(session, department_id, now=now)
            opened += 1
        except CapacityConflictError as exc:  # rules changed under booked cells: an administrator must act
            refused += 1
            log.warning("department %s: ledger not updated, booked cells in the way: %s", department_id, exc.fields)
    async with sessionmaker.begin() as session:
        pruned = await session.execute(delete(CapacityCell).where(CapacityCell.ends_at < now - KEEP_PAST_CELLS))
    return {"departments": opened, "refused": refused, "pruned": int(getattr(pruned, "rowcount", 0) or 0)}


async def open_days_job(ctx: dict[str, Any]) -> dict[str, int]:
    """Arq job: `open_days` with the worker's sessionmaker."""
    result = await open_days(ctx["sessionmaker"], utcnow())
    log.info("capacity ledger opened: %s", result)
    return result
