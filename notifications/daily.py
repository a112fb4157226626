"""Daily upkeep of the capacity ledger: open each new day at the end of every department's horizon.

In the same transaction, before the new day's cells are visible to anyone, the active recurring visits book
their occurrences on it (`booking.series`): series go first, the rest stays open for single bookings.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from booking.series import book_series_days
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
    opened = refused = booked = failed = 0
    for department_id in department_ids:
        try:
            async with sessionmaker.begin() as session:
                opened_days = await open_new_days(session, department_id, now=now)
                department = await session.get(Department, department_id)
                if opened_days is not None and department is not None:
                    outcomes = await book_series_days(session, department, now=now)
                    booked += sum(o.booking_id is not None for o in outcomes)
                    failed += sum(o.refusal is not None for o in outcomes)
            opened += 1
        except CapacityConflictError as exc:  # rules changed under booked cells: an administrator must act
            refused += 1
            log.warning("department %s: ledger not updated, booked cells in the way: %s", department_id, exc.fields)
    async with sessionmaker.begin() as session:
        pruned = await session.execute(delete(CapacityCell).where(CapacityCell.ends_at < now - KEEP_PAST_CELLS))
    return {"departments": opened, "refused": refused, "pruned": int(getattr(pruned, "rowcount", 0) or 0),
            "series_booked": booked, "series_failed": failed}  # fmt: skip


async def open_days_job(ctx: dict[str, Any]) -> dict[str, int]:
    """Arq job: `open_days` with the worker's sessionmaker."""
    result = await open_days(ctx["sessionmaker"], utcnow())
    log.info("capacity ledger opened: %s", result)
    return result
