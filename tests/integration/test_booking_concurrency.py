"""Races on real PostgreSQL, committed for real: many phones press "book" at the same moment.

These tests run in a database of their own (created, migrated and dropped here), because the rest of the
suite's rolled-back transactions cannot show what concurrent commits do. Each scenario runs several times.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from ipaddress import ip_network
from typing import Any

import asyncpg
import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from api.app import create_app
from api.controllers.bookings import BOOKING_ADMISSION
from booking.consistency import ledger_differences
from booking.tables import Allocation, AllocationPeriod, Booking
from core.clock import utcnow
from core.settings import Settings, plain_database_url
from departments.ledger import rematerialize
from departments.tables import CapacityCell, Department, OpeningRule, Service
from people.rules import national_id_hash, national_id_masked, synthetic_national_id
from people.tables import Municipality, Person, RoleAssignment
from tests.booking_world import at, bookable_day
from tests.conftest import RunServers, committed_database, http_client
from tests.world import session_headers

# ruff: noqa: E501, ARG001 - scenario tables read best on one line; `run` only repeats a scenario

pytestmark = [pytest.mark.slow, pytest.mark.serial]
RUNS = 3
RUSH = 200


@dataclass
class Scene:
    """A department with one popular hour, a service and many recipients."""

    department_id: uuid.UUID
    service_id: uuid.UUID
    municipality_id: uuid.UUID
    recipients: list[uuid.UUID]
    day: date


@pytest.fixture(scope="module")
def committed_url(servers: RunServers) -> Iterator[str]:
    with committed_database(servers, "race") as url:
        yield url


MUNICIPALITY_NUMBERS = itertools.count(1)


@pytest.fixture
async def engine(committed_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(committed_url, pool_size=20, max_overflow=0)
    yield engine
    await engine.dispose()


async def _scene(engine: AsyncEngine, settings: Settings, *, recipients: int, capacity: int, minutes: int) -> Scene:
    number = f"{next(MUNICIPALITY_NUMBERS):04d}"  # unique in the database (random ones met once in 17 module runs)
    async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
        municipality = Municipality(id=uuid.uuid4(), number=number, name="Rushkommune")
        session.add(municipality)
        await session.flush()
        department = Department(id=uuid.uuid4(), municipality_id=municipality.id, name="Rush", notice_hours=0)
        session.add(department)
        await session.flush()
        service = Service(id=uuid.uuid4(), municipality_id=municipality.id, department_id=department.id,
                          name={"nb": "Besøk"}, description={"nb": "Besøk"}, durations=[15, 30, 60])  # fmt: skip
        session.add(service)
        session.add_all(
            OpeningRule(municipality_id=municipality.id, department_id=department.id, weekday=d, start_minute=480,
                        end_minute=960, staff=capacity)
            for d in range(7)
        )  # fmt: skip
        people = []
        for index in range(recipients):
            national_id = synthetic_national_id(date(1950, 1, 1) + timedelta(days=index * 3), 100 + index % 800)
            person = Person(id=uuid.uuid4(), municipality_id=municipality.id, given_name=f"R{index}", family_name="Rush",
                            national_id_hash=national_id_hash(national_id + number, settings.national_id_key),
                            national_id_masked=national_id_masked(national_id))  # fmt: skip
            people.append(person)
        session.add_all(people)
        await session.flush()
        session.add_all(
            RoleAssignment(municipality_id=municipality.id, person_id=p.id, role="recipient") for p in people
        )
        session.add_all(
            Allocation(municipality_id=municipality.id, recipient_id=p.id, department_id=department.id,
                       service_id=service.id, minutes=minutes, period="week", valid_from=utcnow().date() - timedelta(days=7))
            for p in people
        )  # fmt: skip
        await session.flush()
        await rematerialize(session, department, now=utcnow())
    return Scene(department.id, service.id, municipality.id, [p.id for p in people], bookable_day())


async def _clients(
    settings: Settings, engine_url: str, scene: Scene
) -> tuple[Settings, dict[uuid.UUID, dict[str, str]]]:
    """Settings for an app on the committed database, and each recipient's signed-in session headers.

    Phones reach the API through the load balancer (the loopback here), each from an address of its own: otherwise
    the limit per address would count 200 phones and their retries as one client.
    """
    own = settings.model_copy(update={"database_url": engine_url, "trusted_proxies": (ip_network("127.0.0.0/8"),)})
    headers = {r: await session_headers(settings, r, scene.municipality_id) for r in scene.recipients}
    for index, recipient in enumerate(scene.recipients):
        headers[recipient]["X-Forwarded-For"] = f"10.0.{index // 250}.{index % 250 + 1}"
    return own, headers


async def _post_retrying(client: httpx.AsyncClient, url: str, **options: Any) -> httpx.Response:
    """POST as a phone does: when told to retry (429 or 503 with Retry-After), pause briefly and retry."""
    return await _retrying(client, "POST", url, **options)


async def _retrying(client: httpx.AsyncClient, method: str, url: str, **options: Any) -> httpx.Response:
    """Send as a phone or the case system does: on 429 or 503, wait the Retry-After it names (spread a little, so
    the waiting phones do not all come back in the same instant) and try again, for up to five minutes.

    Waiting as told matters: a phone that retried faster than Retry-After would meet its own per-person limit.
    """
    deadline = time.monotonic() + 300
    while True:
        response = await client.request(method, url, **options)
        if response.status_code not in {429, 503} or time.monotonic() > deadline:
            return response
        wait = float(response.headers.get("retry-after", "1"))
        await asyncio.sleep(wait * (1 + random.random() / 2))  # noqa: S311 - jitter, not secrecy


async def _rush(
    client: httpx.AsyncClient,
    scene: Scene,
    headers: dict[uuid.UUID, dict[str, str]],
    bodies: list[tuple[uuid.UUID, str, int, str]],
) -> Counter[str]:
    async def one(recipient: uuid.UUID, start: str, minutes: int, key: str) -> str:
        response = await _post_retrying(
            client,
            "/api/v1/bookings",
            json={
                "recipient_id": str(recipient),
                "service_id": str(scene.service_id),
                "start": start,
                "minutes": minutes,
            },
            headers={**headers[recipient], "Idempotency-Key": key},
        )
        body: dict[str, str] = response.json()
        if response.status_code == 201:
            return "booked:" + body["id"]
        return body.get("type", str(response.status_code)).rsplit(":", 1)[-1]

    results = await asyncio.gather(*(one(*body) for body in bodies))
    return Counter("booked" if r.startswith("booked:") else r for r in results) + Counter(
        r for r in results if r.startswith("booked:")
    )


async def _agree(engine: AsyncEngine) -> None:
    async with AsyncSession(engine) as session:
        assert await ledger_differences(session) == []


@pytest.mark.parametrize("run", [pytest.param(0, marks=pytest.mark.smoke), *range(1, RUNS)])
async def test_200_recipients_one_cell_of_capacity_3(
    run: int, engine: AsyncEngine, committed_url: str, settings: Settings
) -> None:
    scene = await _scene(engine, settings, recipients=RUSH, capacity=3, minutes=600)
    own, headers = await _clients(settings, committed_url, scene)
    start = at(scene.day, 10).isoformat()
    async with http_client(create_app(own)) as client:
        outcome = await _rush(client, scene, headers, [(r, start, 15, uuid.uuid4().hex) for r in scene.recipients])
    assert outcome["booked"] == 3, outcome
    assert outcome["slot_full"] == RUSH - 3, outcome
    await _agree(engine)
    async with AsyncSession(engine) as session:
        used = await session.scalar(
            select(CapacityCell.used).where(CapacityCell.department_id == scene.department_id,
                                            CapacityCell.starts_at == at(scene.day, 10))
        )  # fmt: skip
        active = await session.scalar(
            select(func.count()).select_from(Booking).where(Booking.department_id == scene.department_id)
        )
    assert used == active == 3


@pytest.mark.parametrize("run", range(RUNS))
async def test_one_recipient_with_60_minutes_fires_ten_30_minute_bookings(
    run: int, engine: AsyncEngine, committed_url: str, settings: Settings
) -> None:
    scene = await _scene(engine, settings, recipients=1, capacity=3, minutes=60)
    own, headers = await _clients(settings, committed_url, scene)
    recipient = scene.recipients[0]
    bodies = [(recipient, at(scene.day, 8 + i // 2, 30 * (i % 2)).isoformat(), 30, uuid.uuid4().hex) for i in range(10)]
    async with http_client(create_app(own)) as client:
        outcome = await _rush(client, scene, headers, bodies)
    assert outcome["booked"] == 2, outcome
    assert outcome["allocation_used_up"] == 8, outcome
    await _agree(engine)


@pytest.mark.parametrize("run", range(RUNS))
async def test_same_idempotency_key_at_once_books_once(
    run: int, engine: AsyncEngine, committed_url: str, settings: Settings
) -> None:
    scene = await _scene(engine, settings, recipients=1, capacity=3, minutes=600)
    own, headers = await _clients(settings, committed_url, scene)
    recipient = scene.recipients[0]
    key = uuid.uuid4().hex
    bodies = [(recipient, at(scene.day, 11).isoformat(), 60, key)] * 8
    async with http_client(create_app(own)) as client:
        outcome = await _rush(client, scene, headers, bodies)
    booked_ids = [k for k in outcome if k.startswith("booked:")]
    assert len(booked_ids) == 1, outcome  # every answer names the same booking
    assert outcome["booked"] == 8, outcome
    async with AsyncSession(engine) as session:
        count = await session.scalar(select(func.count()).select_from(Booking).where(Booking.recipient_id == recipient))
    assert count == 1
    await _agree(engine)


@pytest.mark.parametrize("run", range(RUNS))
async def test_book_cancel_and_move_racing_keep_ledger_and_bookings_in_agreement(
    run: int, engine: AsyncEngine, committed_url: str, settings: Settings
) -> None:
    scene = await _scene(engine, settings, recipients=30, capacity=2, minutes=600)
    own, headers = await _clients(settings, committed_url, scene)
    async with http_client(create_app(own)) as client:
        first = await _rush(client, scene, headers,
                            [(r, at(scene.day, 9).isoformat(), 60, uuid.uuid4().hex) for r in scene.recipients])  # fmt: skip
        booked = [k.split(":", 1)[1] for k in first if k.startswith("booked:")]
        assert len(booked) == 2

        async def cancel(booking_id: str) -> int:
            async with AsyncSession(engine) as session:
                recipient = await session.scalar(
                    select(Booking.recipient_id).where(Booking.id == uuid.UUID(booking_id))
                )
            return (await client.post(f"/api/v1/bookings/{booking_id}/cancel", headers=headers[recipient])).status_code  # type: ignore[index]

        async def move(booking_id: str, hour: int) -> int:
            async with AsyncSession(engine) as session:
                recipient = await session.scalar(
                    select(Booking.recipient_id).where(Booking.id == uuid.UUID(booking_id))
                )
            return (await client.post(f"/api/v1/bookings/{booking_id}/move", json={"start": at(scene.day, hour).isoformat()},
                                      headers=headers[recipient])).status_code  # type: ignore[index]  # fmt: skip

        others = [(r, at(scene.day, 9).isoformat(), 60, uuid.uuid4().hex) for r in scene.recipients[10:20]]
        await asyncio.gather(
            cancel(booked[0]), move(booked[1], 13), move(booked[1], 14), _rush(client, scene, headers, others)
        )
    await _agree(engine)


@pytest.mark.parametrize("run", range(RUNS))
async def test_free_times_read_while_bookings_commit_never_offer_a_booked_time(
    run: int, engine: AsyncEngine, committed_url: str, settings: Settings
) -> None:
    """Each API process keeps a department's grid while its cells' signature stays the same (`free_slots.GRIDS`).

    Twelve recipients book twelve half hours of a one-staff day while four others read the day's free times over and
    over: every read sent after a booking was answered must show that half hour busy, and a read after all of them
    must show every one busy. (A grid kept past a change would answer with the time free.)
    """
    scene = await _scene(engine, settings, recipients=16, capacity=1, minutes=600)
    own, headers = await _clients(settings, committed_url, scene)
    bookers, readers = scene.recipients[:12], scene.recipients[12:]
    starts = {b: at(scene.day, 8 + i // 2, 30 * (i % 2)).isoformat() for i, b in enumerate(bookers)}
    answered: dict[str, float] = {}  # a booked start -> when its 201 came back
    reads: list[tuple[float, dict[str, str]]] = []  # when a read was sent -> the 15-minute status of each start
    done = asyncio.Event()

    async with http_client(create_app(own)) as client:

        async def read(reader: uuid.UUID) -> dict[str, str]:
            params = {"recipient_id": str(reader), "service_id": str(scene.service_id),
                      "from": scene.day.isoformat(), "to": scene.day.isoformat()}  # fmt: skip
            response = await _retrying(client, "GET", "/api/v1/availability", params=params, headers=headers[reader])
            assert response.status_code == 200, response.text
            slots = response.json()["days"][0]["slots"]
            return {s["start"]: {x["minutes"]: x["status"] for x in s["lengths"]}[15] for s in slots}

        async def keep_reading(reader: uuid.UUID) -> None:
            # Until a read sent after the last booking was answered: on a busy machine a read can take longer
            # than all the bookings, and stopping at `done` then left no read to check.
            while True:
                finished = done.is_set()
                sent = time.monotonic()
                reads.append((sent, await read(reader)))
                if finished:
                    return

        async def book(booker: uuid.UUID) -> None:
            await asyncio.sleep(random.random() / 5)  # noqa: S311 - spread over the reads, not secrecy
            response = await _post_retrying(client, "/api/v1/bookings", json={
                "recipient_id": str(booker), "service_id": str(scene.service_id), "start": starts[booker], "minutes": 30,
            }, headers={**headers[booker], "Idempotency-Key": uuid.uuid4().hex})  # fmt: skip
            assert response.status_code == 201, response.text
            answered[starts[booker]] = time.monotonic()

        async def all_booked() -> None:
            await asyncio.gather(*(book(b) for b in bookers))
            done.set()

        await asyncio.gather(all_booked(), *(keep_reading(r) for r in readers))
        last = await read(readers[0])

    checked = 0
    for sent, statuses in reads:
        for start, at_ in answered.items():
            if at_ < sent:
                assert statuses[start] == "busy", (start, statuses[start])
                checked += 1
    assert checked > 0  # some reads did come after some bookings
    assert all(last[start] == "busy" for start in starts.values()), last
    await _agree(engine)


async def _admin_headers(settings: Settings, engine: AsyncEngine, scene: Scene) -> dict[str, str]:
    """A department administrator of the scene, signed in."""
    async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
        admin = Person(id=uuid.uuid4(), municipality_id=scene.municipality_id, given_name="A", family_name="Admin",
                       national_id_hash=uuid.uuid4().hex, national_id_masked="010180 *****")  # fmt: skip
        session.add(admin)
        await session.flush()
        session.add(RoleAssignment(municipality_id=scene.municipality_id, person_id=admin.id, role="department_admin",
                                   department_id=scene.department_id))  # fmt: skip
    return await session_headers(settings, admin.id, scene.municipality_id)


@pytest.mark.parametrize("run", range(RUNS))
async def test_the_case_system_sending_one_decision_eight_times_at_once_makes_one(
    run: int, engine: AsyncEngine, committed_url: str, settings: Settings
) -> None:
    scene = await _scene(engine, settings, recipients=1, capacity=3, minutes=60)
    own, _ = await _clients(settings, committed_url, scene)
    admin = await _admin_headers(settings, engine, scene)
    async with AsyncSession(engine, expire_on_commit=False) as session:
        newcomer = Person(id=uuid.uuid4(), municipality_id=scene.municipality_id, given_name="N", family_name="Ny",
                          national_id_hash=uuid.uuid4().hex, national_id_masked="020280 *****")  # fmt: skip
        session.add(newcomer)
        await session.commit()
    body = {"recipient_id": str(newcomer.id), "service_id": str(scene.service_id), "minutes": 90, "period": "week",
            "valid_from": scene.day.isoformat(), "external_ref": f"RACE-{uuid.uuid4().hex[:8]}"}  # fmt: skip
    async with http_client(create_app(own)) as client:
        answers = await asyncio.gather(
            *(_retrying(client, "POST", "/api/v1/allocations", json=body, headers=admin) for _ in range(8))
        )
    assert sorted(a.status_code for a in answers) == [200] * 7 + [201], [a.text for a in answers]
    assert len({a.json()["id"] for a in answers}) == 1
    async with AsyncSession(engine) as session:
        count = await session.scalar(
            select(func.count()).select_from(Allocation).where(Allocation.recipient_id == newcomer.id)
        )
    assert count == 1


@pytest.mark.parametrize("run", range(RUNS))
async def test_lowering_a_decision_while_its_recipient_books_never_grants_the_old_minutes(
    run: int, engine: AsyncEngine, committed_url: str, settings: Settings
) -> None:
    scene = await _scene(engine, settings, recipients=1, capacity=3, minutes=240)
    own, headers = await _clients(settings, committed_url, scene)
    admin = await _admin_headers(settings, engine, scene)
    recipient = scene.recipients[0]
    async with AsyncSession(engine) as session:
        allocation_id = await session.scalar(select(Allocation.id).where(Allocation.recipient_id == recipient))
    bodies = [(recipient, at(scene.day, 8 + i).isoformat(), 30, uuid.uuid4().hex) for i in range(6)]
    async with http_client(create_app(own)) as client:
        lowered, outcome = await asyncio.gather(
            _retrying(client, "PATCH", f"/api/v1/allocations/{allocation_id}", json={"minutes": 60}, headers=admin),
            _rush(client, scene, headers, bodies),
        )
    async with AsyncSession(engine) as session:
        rows = (await session.execute(
            select(AllocationPeriod.granted, AllocationPeriod.used).where(AllocationPeriod.allocation_id == allocation_id)
        )).tuples().all()  # fmt: skip
    if lowered.status_code == 200:  # it went first, or the bookings so far fitted in 60 minutes
        assert {granted for granted, _ in rows} == {60}, rows
        assert outcome["booked"] <= 2, outcome
    else:  # bookings went first and used more than 60 minutes: refused, listing them, nothing changed
        assert lowered.status_code == 409, lowered.text
        assert lowered.json()["bookings"]
        assert {granted for granted, _ in rows} == {240}, rows
    assert all(used <= granted for granted, used in rows)
    await _agree(engine)


@pytest.mark.parametrize("run", range(RUNS))
async def test_a_full_process_turns_the_rest_away_at_once_without_counting_them(
    run: int, engine: AsyncEngine, committed_url: str, settings: Settings
) -> None:
    """With `limit` bookings waiting on a held cell, the next ones get 429 and Retry-After before any of them ends.

    Admission sits outside the rate limits: a request turned away is counted against no one's per-person limit.
    """
    limit, extra = BOOKING_ADMISSION.limit(settings), 12
    scene = await _scene(engine, settings, recipients=limit + extra, capacity=3, minutes=600)
    prefix = f"{settings.redis_prefix}admission{run}:"
    own, headers = await _clients(settings.model_copy(update={"redis_prefix": prefix}), committed_url, scene)
    start = at(scene.day, 10).isoformat()
    holder = await asyncpg.connect(plain_database_url(committed_url))
    redis = Redis.from_url(settings.redis_url or "")
    try:
        hold = holder.transaction()
        await hold.start()
        await holder.execute("SELECT 1 FROM capacity_cell WHERE department_id = $1 FOR UPDATE", scene.department_id)
        async with http_client(create_app(own)) as client:
            keys = {recipient: uuid.uuid4().hex for recipient in scene.recipients}

            def request(recipient: uuid.UUID) -> dict[str, Any]:
                body = {"recipient_id": str(recipient), "service_id": str(scene.service_id), "start": start,
                        "minutes": 15}  # fmt: skip
                return {"json": body, "headers": {**headers[recipient], "Idempotency-Key": keys[recipient]}}

            async def one(recipient: uuid.UUID) -> tuple[uuid.UUID, httpx.Response]:
                return recipient, await client.post("/api/v1/bookings", **request(recipient))

            pending = {asyncio.create_task(one(r)) for r in scene.recipients}
            turned_away: list[httpx.Response] = []
            async with asyncio.timeout(20):
                while len(turned_away) < extra:
                    done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                    turned_away += [task.result()[1] for task in done]
            assert [r.status_code for r in turned_away] == [429] * extra  # while the admitted ones still wait
            assert all(r.headers["retry-after"] == "1" for r in turned_away)
            assert all(r.headers["content-type"] == "application/problem+json" for r in turned_away)
            assert len(pending) == limit
            await hold.rollback()
            answers = await asyncio.gather(*pending)
            # An admitted request that met a busy machine (a Redis or pool timeout: 503 with Retry-After) is sent
            # again as a phone would, with the same Idempotency-Key.
            admitted: Counter[int] = Counter()
            for recipient, response in answers:
                again = response.status_code == 503
                answer = await _post_retrying(client, "/api/v1/bookings", **request(recipient)) if again else response
                admitted[answer.status_code] += 1
            counted = [key async for key in redis.scan_iter(match=f"{prefix}rl:booking:person:*")]
    finally:
        await holder.close()
        await redis.aclose()
    assert admitted == Counter({201: 3, 409: limit - 3}), admitted
    assert len(counted) == limit  # one key per person, and only the admitted ones
    await _agree(engine)
