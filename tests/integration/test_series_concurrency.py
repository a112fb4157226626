"""Series runs racing single bookings on the same cells, committed for real: never oversold, the share held.

Three series runs (each its own transaction, as the daily job and two creations might be) book occurrences at
10:00 while recipients book 10:00 one by one, all at once. The cell has CAPACITY staff and a 50 % share: whatever
the interleaving, the cell's units are never oversold, series hold at most half, and the ledgers agree with the
bookings. Runs three times, each in a municipality of its own.
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

import asyncpg
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from booking.consistency import ledger_differences
from booking.errors import BookingRefusedError
from booking.series import book_series_days
from booking.tables import Booking, BookingSeries, SeriesFailure
from core.settings import Settings, async_database_url
from departments.ledger import rematerialize
from departments.tables import CapacityCell, Department, OpeningRule, Service
from people.tables import Municipality
from tests.booking_world import OSLO
from tests.conftest import RunServers
from tests.waitlist_world import add_recipients, book_at
from tjenesteshop import embedded
from tjenesteshop.migrate import upgrade

pytestmark = [pytest.mark.slow, pytest.mark.serial]
RUNS = 3
CAPACITY = 4  # staff on duty; the share (50 %) lets series hold 2
SERIES = 9  # three runs of three
SINGLES = 6
NOW = datetime(2027, 10, 23, 11, 0, tzinfo=UTC)
DAY = date(2027, 10, 28)  # a Thursday inside the horizon
NUMBERS = itertools.count(1)


@pytest.fixture(scope="module")
def committed_url(servers: RunServers) -> Iterator[str]:
    name = f"tjenesteshop_series_{uuid.uuid4().hex[:8]}"
    asyncio.run(embedded.ensure_database(servers.admin_url, name))
    url = async_database_url(make_url(servers.admin_url).set(database=name).render_as_string(hide_password=False))
    upgrade(url)
    yield url

    async def drop() -> None:
        conn = await asyncpg.connect(servers.admin_url)
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()

    asyncio.run(drop())


@pytest.fixture
async def engine(committed_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(committed_url, pool_size=12, max_overflow=0)
    yield engine
    await engine.dispose()


@dataclass
class Scene:
    municipality_id: uuid.UUID
    department_id: uuid.UUID
    service_id: uuid.UUID
    series: list[uuid.UUID]
    singles: list[uuid.UUID]


async def _scene(engine: AsyncEngine, settings: Settings) -> Scene:
    async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
        municipality = Municipality(id=uuid.uuid4(), number=f"8{next(NUMBERS):03d}", name="Seriekommune")
        session.add(municipality)
        await session.flush()
        department = Department(id=uuid.uuid4(), municipality_id=municipality.id, name="Faste", notice_hours=0)
        session.add(department)
        await session.flush()
        svc = Service(id=uuid.uuid4(), municipality_id=municipality.id, department_id=department.id,
                      name={"nb": "Besøk"}, description={"nb": "Besøk"}, durations=[60])  # fmt: skip
        session.add(svc)
        session.add_all(
            OpeningRule(municipality_id=municipality.id, department_id=department.id, weekday=d, start_minute=480,
                        end_minute=960, staff=CAPACITY)
            for d in range(7)
        )  # fmt: skip
        people = await add_recipients(session, municipality.id, department.id, svc.id, SERIES + SINGLES,
                                      key=settings.national_id_key, valid_from=date(2027, 1, 1))  # fmt: skip
        await rematerialize(session, department, now=NOW)
        series = [
            BookingSeries(id=uuid.uuid4(), municipality_id=municipality.id, recipient_id=p, department_id=department.id,
                          service_id=svc.id, minutes=60, weekdays=[DAY.weekday()], local_time=time(10),
                          valid_from=DAY, valid_until=DAY, acted_by="recipient", created_by_id=p)
            for p in people[:SERIES]
        ]  # fmt: skip
        session.add_all(series)
    return Scene(municipality.id, department.id, svc.id, [s.id for s in series], people[SERIES:])


async def _series_run(engine: AsyncEngine, scene: Scene, ids: list[uuid.UUID]) -> int:
    async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
        department = await session.get(Department, scene.department_id)
        assert department is not None
        series = (await session.scalars(select(BookingSeries).where(BookingSeries.id.in_(ids)).with_for_update())).all()
        outcomes = await book_series_days(session, department, now=NOW, series=series)
    return sum(o.booking_id is not None for o in outcomes)


async def _single(engine: AsyncEngine, scene: Scene, person: uuid.UUID) -> str:
    try:
        async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
            await book_at(session, scene.municipality_id, person, scene.service_id,
                          datetime.combine(DAY, time(10), tzinfo=OSLO), NOW)  # fmt: skip
    except BookingRefusedError as exc:
        return exc.code
    return "booked"


@pytest.mark.parametrize("run", range(RUNS))
async def test_series_runs_racing_single_bookings_never_oversell_and_keep_the_share(
    run: int, engine: AsyncEngine, settings: Settings
) -> None:
    del run  # the scenario runs RUNS times, each in a municipality of its own
    scene = await _scene(engine, settings)
    thirds = [scene.series[i::3] for i in range(3)]
    results = await asyncio.gather(
        *(_series_run(engine, scene, ids) for ids in thirds), *(_single(engine, scene, p) for p in scene.singles)
    )
    series_booked = sum(r for r in results[:3] if isinstance(r, int))
    singles_booked = sum(r == "booked" for r in results[3:])
    assert set(results[3:]) <= {"booked", "slot_full"}
    start = datetime.combine(DAY, time(10), tzinfo=OSLO)
    async with AsyncSession(engine) as session:
        assert await ledger_differences(session) == []
        used = await session.scalar(
            select(CapacityCell.used).where(CapacityCell.department_id == scene.department_id,
                                            CapacityCell.starts_at == start)
        )  # fmt: skip
        by_series = await session.scalar(
            select(func.count()).select_from(Booking)
            .where(Booking.department_id == scene.department_id, Booking.status == "booked",
                   Booking.series_id.is_not(None))
        )  # fmt: skip
        failed = await session.scalar(
            select(func.count()).select_from(SeriesFailure).where(SeriesFailure.series_id.in_(scene.series))
        )
    assert failed == SERIES - series_booked, "every refused occurrence is recorded"
    assert by_series == series_booked
    assert by_series <= CAPACITY // 2, "series took more than their share"
    assert used == series_booked + singles_booked <= CAPACITY, "oversold"
    assert used == CAPACITY, "with more wanting than there is room, every unit is taken"
