"""Two workers run the retention job at the same moment, committed for real: each visit is counted and erased once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from booking.consistency import ledger_differences
from booking.tables import Allocation, Booking
from core.settings import Settings
from notifications.retention import run_retention
from people.tables import AuditEntry
from privacy.retention import statistics_total
from tests.conftest import RunServers, committed_database
from tests.world import build_world

pytestmark = [pytest.mark.slow, pytest.mark.serial]
NOW = datetime(2026, 9, 9, 8, 0, tzinfo=UTC)
VISITS = 40


@pytest.fixture(scope="module")
def committed_url(servers: RunServers) -> Iterator[str]:
    with committed_database(servers, "retention") as url:
        yield url


@pytest.fixture
async def engine(committed_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(committed_url, pool_size=4, max_overflow=0)
    yield engine
    await engine.dispose()


async def test_two_workers_at_once_erase_and_count_each_visit_once(engine: AsyncEngine, settings: Settings) -> None:
    maker = async_sessionmaker(engine, expire_on_commit=False)
    async with maker() as session:
        world = await build_world(session, settings)
        allocation = await session.scalar(
            select(Allocation).where(Allocation.recipient_id == world.people["recipient"])
        )
        assert allocation is not None
        start = datetime(2022, 1, 3, 8, 0, tzinfo=UTC)
        for index in range(VISITS):
            at = start + timedelta(days=7 * index)  # a visit a week through 2022: all past 36 months
            session.add(
                Booking(
                    municipality_id=world.municipality, recipient_id=allocation.recipient_id,
                    department_id=allocation.department_id, service_id=allocation.service_id,
                    allocation_id=allocation.id, period_start=at.date(), starts_at=at, ends_at=at + timedelta(hours=1),
                    span_start=at, span_end=at + timedelta(hours=1), minutes=60, staff_units=1, status="delivered",
                    acted_by="recipient",
                )
            )  # fmt: skip
        await session.commit()

    first, second = await asyncio.gather(run_retention(maker, NOW), run_retention(maker, NOW))

    assert first["bookings"] + second["bookings"] == VISITS
    assert sorted([first["municipalities"], second["municipalities"]]) == [0, 1]  # one of them found it all gone
    async with maker() as session:
        assert await session.scalar(select(func.count()).select_from(Booking)) == 0
        assert await statistics_total(session, world.municipality) == VISITS
        runs = await session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "retention.run")
        )
        assert runs == 1
        assert await ledger_differences(session) == []
