"""The waitlist racing on real PostgreSQL, committed for real: two cancellations, many waiters, single bookings.

Every freed staff unit is held by at most one waiter at a time, held times are handed on strictly in line order,
and a single booking racing the holds never takes a held unit: the cells are never oversold and the ledgers
always agree with the bookings and holds. Each scenario runs three times in a database of its own.
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from booking.consistency import ledger_differences
from booking.errors import BookingRefusedError
from booking.tables import Booking
from core.clock import utcnow
from core.settings import Settings
from departments.ledger import rematerialize
from departments.tables import Department, OpeningRule, Service
from people.tables import Municipality
from tests.booking_world import at, bookable_day
from tests.conftest import RunServers, committed_database
from tests.waitlist_world import ORIGIN, add_recipients, book_at, cancel_as, me, run_worker, wait_for
from waitlist import service
from waitlist.tables import WaitlistEntry, WaitlistOffer

pytestmark = [pytest.mark.slow, pytest.mark.serial]
RUNS = 3
CAPACITY = 2
WAITERS = 12
RUSHERS = 8
NUMBERS = itertools.count(1)


@pytest.fixture(scope="module")
def committed_url(servers: RunServers) -> Iterator[str]:
    with committed_database(servers, "waitlist") as url:
        yield url


@pytest.fixture
async def engine(committed_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(committed_url, pool_size=16, max_overflow=0)
    yield engine
    await engine.dispose()


@dataclass
class Scene:
    municipality_id: uuid.UUID
    department_id: uuid.UUID
    service_id: uuid.UUID
    bookers: list[uuid.UUID]
    waiters: list[uuid.UUID]  # in line order
    rushers: list[uuid.UUID]
    start: datetime
    now: datetime


async def _scene(engine: AsyncEngine, settings: Settings) -> Scene:
    now = utcnow()
    async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
        municipality = Municipality(id=uuid.uuid4(), number=f"9{next(NUMBERS):03d}", name="Ventekommune")
        session.add(municipality)
        await session.flush()
        department = Department(id=uuid.uuid4(), municipality_id=municipality.id, name="Kø", notice_hours=0)
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
        people = await add_recipients(
            session, municipality.id, department.id, svc.id, CAPACITY + WAITERS + RUSHERS,
            key=settings.national_id_key, valid_from=now.date() - timedelta(days=7),
        )  # fmt: skip
        await rematerialize(session, department, now=now)
    bookers, waiters, rushers = people[:CAPACITY], people[CAPACITY:-RUSHERS], people[-RUSHERS:]
    day = bookable_day()
    start = at(day, 10)
    async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
        for booker in bookers:
            await book_at(session, municipality.id, booker, svc.id, start, now)
        for index, waiter in enumerate(waiters):
            await wait_for(session, municipality.id, waiter, svc.id, day, now + timedelta(seconds=index))
    return Scene(municipality.id, department.id, svc.id, bookers, waiters, rushers, start, now)


async def _rush(engine: AsyncEngine, scene: Scene, person: uuid.UUID) -> str:
    try:
        async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
            await book_at(session, scene.municipality_id, person, scene.service_id, scene.start, utcnow())
    except BookingRefusedError as exc:
        return exc.code
    return "booked"


async def _cancel(engine: AsyncEngine, scene: Scene, booker: uuid.UUID) -> None:
    async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
        booking_id = await session.scalar(select(Booking.id).where(Booking.recipient_id == booker))
        assert booking_id is not None
        await cancel_as(session, scene.municipality_id, booker, booking_id, utcnow())


async def _decline(engine: AsyncEngine, scene: Scene, offer: WaitlistOffer) -> None:
    async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
        await service.decline(session, me(scene.municipality_id, offer.recipient_id), ORIGIN, offer.id, now=utcnow())


@dataclass
class Seen:
    held: list[WaitlistOffer]
    offered_entries: list[uuid.UUID]  # every entry offered so far, in line order
    booked_at_start: int


async def _look(engine: AsyncEngine, scene: Scene) -> Seen:
    """The state, checked: the ledgers agree, no more than the capacity booked or held, the offered lead the line."""
    async with AsyncSession(engine, expire_on_commit=False) as session:
        assert await ledger_differences(session) == []
        held = list((await session.scalars(
            select(WaitlistOffer).where(WaitlistOffer.department_id == scene.department_id,
                                        WaitlistOffer.status == "held"))).all())  # fmt: skip
        offered = (await session.scalars(
            select(WaitlistEntry.id).where(WaitlistEntry.department_id == scene.department_id,
                                           WaitlistEntry.id.in_(select(WaitlistOffer.entry_id)))
            .order_by(WaitlistEntry.created_at))).all()  # fmt: skip
        booked = await session.scalar(
            select(func.count()).select_from(Booking)
            .where(Booking.department_id == scene.department_id, Booking.status == "booked",
                   Booking.starts_at == scene.start)
        )  # fmt: skip
    seen = Seen(held, list(offered), int(booked or 0))
    assert seen.booked_at_start + len(held) <= CAPACITY, "oversold: more booked and held than the staff on duty"
    assert len({o.recipient_id for o in held}) == len(held), "one person holds two of the freed units"
    line = await _line(engine, scene)
    assert seen.offered_entries == line[: len(seen.offered_entries)], "handed on out of line order"
    return seen


async def _line(engine: AsyncEngine, scene: Scene) -> list[uuid.UUID]:
    async with AsyncSession(engine) as session:
        return list((await session.scalars(
            select(WaitlistEntry.id).where(WaitlistEntry.department_id == scene.department_id)
            .order_by(WaitlistEntry.created_at, WaitlistEntry.id))).all())  # fmt: skip


@pytest.mark.parametrize("run", range(RUNS))
async def test_two_cancellations_many_waiters_and_single_bookings_racing(
    run: int, engine: AsyncEngine, settings: Settings
) -> None:
    del run  # the scenario runs RUNS times, each in a municipality of its own
    scene = await _scene(engine, settings)
    maker = async_sessionmaker(engine, expire_on_commit=False)
    await _look(engine, scene)

    # Two cancellations, two workers offering, and the rushers booking the same cells, all at once.
    async def worker() -> None:
        for _ in range(4):
            await run_worker(maker, utcnow())
            await asyncio.sleep(0.01)

    tasks = [*(_cancel(engine, scene, b) for b in scene.bookers), worker(), worker()]
    rushed = await asyncio.gather(*tasks, *(_rush(engine, scene, r) for r in scene.rushers[:4]))
    await run_worker(maker, utcnow())
    seen = await _look(engine, scene)
    rush_booked = sum(r == "booked" for r in rushed[len(tasks) :])
    assert seen.booked_at_start == rush_booked
    assert len(seen.held) == CAPACITY - rush_booked  # every freed unit no rusher took is held by one waiter
    # The rushers who won cancel too (with the workers running): now both units are the waiters'.
    winners = [r for r, result in zip(scene.rushers[:4], rushed[len(tasks) :], strict=True) if result == "booked"]
    await asyncio.gather(*(_cancel(engine, scene, w) for w in winners), worker(), worker())
    await run_worker(maker, utcnow())
    seen = await _look(engine, scene)
    assert (seen.booked_at_start, len(seen.held)) == (0, CAPACITY)

    # Hand on, round by round: the holders decline at once while the other rushers try the same cells. A held
    # unit passes straight to the next in line, so no rusher gets it while anyone is still waiting.
    rounds = 0
    while seen.held:
        rounds += 1
        waiting_after = len(scene.waiters) - len(seen.offered_entries)
        results = await asyncio.gather(
            *(_decline(engine, scene, o) for o in seen.held), *(_rush(engine, scene, r) for r in scene.rushers[4:])
        )
        before = seen
        seen = await _look(engine, scene)
        got = sum(r == "booked" for r in results[len(before.held) :])
        if waiting_after >= len(before.held):
            assert got == 0, "a single booking took a unit that should have passed to the next in line"
            assert len(seen.held) == len(before.held)
            assert len(seen.offered_entries) == len(before.offered_entries) + len(before.held)
        assert rounds <= WAITERS
    assert seen.offered_entries == (await _line(engine, scene))[: len(seen.offered_entries)]
    assert len(seen.offered_entries) == WAITERS or seen.booked_at_start == CAPACITY
    print(f"waitlist race: {rush_booked} of {CAPACITY} freed units to rushers first, {rounds} hand-on rounds, "  # noqa: T201
          f"{len(seen.offered_entries)} of {WAITERS} waiters offered in line order")  # fmt: skip
