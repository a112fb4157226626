"""Many replicas, as compose.yaml runs them: two API processes and two workers on one PostgreSQL and one Redis prefix.

The API processes are `tjenesteshop serve --no-worker --no-migrate`, twice, each on a port of its own, so the test
can alternate between them as a load balancer would; the workers are `tjenesteshop worker`, twice. They all run on
the machine's clock (like the browser suite's `serve`), so the scene is set relative to it: a day two days ahead
that is not a public holiday. Proved here:
(a) a rush through both API processes sells exactly the capacity, and the ledger agrees with the bookings;
(b) every due reminder reaches the SMTP server exactly once while both workers race for it (each send queued twice
    more under other job ids, as a lost Redis and a reconcile would);
(c) each booking event is dispatched once, and renders the calendar feeds that show it at most once (test-only
    triggers in this test's own database count both).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from arq.connections import RedisSettings, create_pool
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from booking.consistency import ledger_differences
from booking.tables import Allocation, Booking, BookingEvent
from core import clock
from core.settings import Settings, plain_database_url
from departments.ledger import rematerialize
from departments.rules import norwegian_holidays
from departments.tables import Department, OpeningRule, Service
from notifications.queue import queue_name
from notifications.tables import CalendarFeed, Reminder
from people.rules import national_id_hash, national_id_masked, synthetic_national_id
from people.tables import Municipality, Person, RoleAssignment
from tests.booking_world import OSLO, at
from tests.conftest import RunServers, committed_database
from tests.servers import Mailbox, free_port, running, wait_ready
from tests.world import session_headers

pytestmark = [pytest.mark.slow, pytest.mark.serial]
RUSH = 60
CAPACITY = 3
FEED_PEOPLE = 4  # recipients with a calendar feed, each booking BOOKINGS_EACH visits at other hours
BOOKINGS_EACH = 2
READY_WITHIN_SECONDS = 120  # as the browser suite allows `serve` on a busy 2-core machine
SETTLED_WITHIN_SECONDS = 40

RENDER_LOG = (  # test-only: a row each time a feed is rendered (changed), and each time an event is dispatched
    "CREATE TABLE test_feed_render (feed_id uuid NOT NULL, rendered_at timestamptz NOT NULL)",
    "CREATE TABLE test_event_dispatch (event_id bigint NOT NULL)",
    """CREATE FUNCTION test_event_dispatched() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN INSERT INTO test_event_dispatch VALUES (NEW.id); RETURN NEW; END $$""",
    """CREATE TRIGGER test_event_dispatched AFTER UPDATE OF processed_at ON booking_event
       FOR EACH ROW WHEN (NEW.processed_at IS NOT NULL)
       EXECUTE FUNCTION test_event_dispatched()""",
    """CREATE FUNCTION test_feed_rendered() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN INSERT INTO test_feed_render VALUES (NEW.id, NEW.rendered_at); RETURN NEW; END $$""",
    # Any update: two bookings of one person in one batch render the feed twice at the same `now`, and the second
    # render changes the body but not `rendered_at`.
    """CREATE TRIGGER test_feed_rendered AFTER UPDATE ON calendar_feed
       FOR EACH ROW EXECUTE FUNCTION test_feed_rendered()""",
)


@dataclass
class Scene:
    municipality_id: uuid.UUID
    department_id: uuid.UUID
    service_id: uuid.UUID
    recipients: list[uuid.UUID]
    feeds: dict[uuid.UUID, uuid.UUID]  # recipient -> feed
    day: date


@pytest.fixture(scope="module")
def committed_url(servers: RunServers) -> Iterator[str]:
    with committed_database(servers, "replicas") as url:
        yield url


@pytest.fixture
async def engine(committed_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(committed_url, pool_size=4, max_overflow=0)
    yield engine
    await engine.dispose()


def _machine_day(now: datetime) -> date:
    """Two days ahead on the machine's clock (the served processes'), skipping public holidays."""
    day = now.astimezone(OSLO).date() + timedelta(days=2)
    holidays = norwegian_holidays(day, day + timedelta(days=10))
    while day in holidays:
        day += timedelta(days=1)
    return day


async def _scene(engine: AsyncEngine, settings: Settings, now: datetime) -> Scene:
    async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
        for statement in RENDER_LOG:
            await session.execute(text(statement))
        municipality = Municipality(id=uuid.uuid4(), number="4601", name="Replikakommune")
        session.add(municipality)
        await session.flush()
        department = Department(id=uuid.uuid4(), municipality_id=municipality.id, name="Replika", notice_hours=0,
                                reminder_lead_minutes=[60])  # fmt: skip
        session.add(department)
        await session.flush()
        service = Service(id=uuid.uuid4(), municipality_id=municipality.id, department_id=department.id,
                          name={"nb": "Besøk"}, description={"nb": "Besøk"}, durations=[15, 30, 60])  # fmt: skip
        session.add(service)
        session.add_all(
            OpeningRule(municipality_id=municipality.id, department_id=department.id, weekday=d, start_minute=480,
                        end_minute=960, staff=CAPACITY)
            for d in range(7)
        )  # fmt: skip
        people = []
        for index in range(RUSH):
            national_id = synthetic_national_id(date(1950, 1, 1) + timedelta(days=index * 3), 100 + index)
            people.append(Person(
                id=uuid.uuid4(), municipality_id=municipality.id, given_name=f"R{index}", family_name="Replika",
                national_id_hash=national_id_hash(national_id + "4601", settings.national_id_key),
                national_id_masked=national_id_masked(national_id), email=f"r{index}@replika.example",
            ))  # fmt: skip
        session.add_all(people)
        await session.flush()
        session.add_all(
            RoleAssignment(municipality_id=municipality.id, person_id=p.id, role="recipient") for p in people
        )
        session.add_all(
            Allocation(municipality_id=municipality.id, recipient_id=p.id, department_id=department.id,
                       service_id=service.id, minutes=600, period="week", valid_from=now.date() - timedelta(days=7))
            for p in people
        )  # fmt: skip
        feeds = {}
        for person in people[:FEED_PEOPLE]:
            feed = CalendarFeed(id=uuid.uuid4(), municipality_id=municipality.id, person_id=person.id, kind="recipient",
                                token_hash=hashlib.sha256(uuid.uuid4().bytes).hexdigest(), prefix="replika",
                                language="nb")  # fmt: skip
            session.add(feed)
            feeds[person.id] = feed.id
        await session.flush()
        await rematerialize(session, department, now=now)
    return Scene(municipality.id, department.id, service.id, [p.id for p in people], feeds, _machine_day(now))


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def _replicas(committed_url: str, servers: RunServers, prefix: str, smtp_port: int, tmp: Path) -> Iterator[list[str]]:
    """Two API processes (their addresses yielded) and two workers, all on one database and one Redis prefix."""
    database_url = plain_database_url(committed_url)
    env = dict(os.environ, DATABASE_URL=database_url, REDIS_URL=servers.redis_url, TJENESTESHOP_REDIS_PREFIX=prefix,
               TJENESTESHOP_DATA_DIR=str(tmp), TJENESTESHOP_SMTP_HOST="127.0.0.1",
               TJENESTESHOP_SMTP_PORT=str(smtp_port), TJENESTESHOP_SMTP_SECURITY="none",
               TJENESTESHOP_MAIL_FROM="Tjenesteshop <ikke-svar@replika.example>",
               TJENESTESHOP_LOG_LEVEL="WARNING")  # fmt: skip
    with ExitStack() as stack:
        bases = []
        for _ in range(2):
            port = free_port()
            api = subprocess.Popen(  # noqa: S603 - our own CLI
                [sys.executable, "-m", "tjenesteshop", "serve", "--no-worker", "--no-migrate", "--workers", "1",
                 "--port", str(port)],
                env=dict(env, TJENESTESHOP_TRUSTED_PROXIES="127.0.0.0/8"),
            )  # fmt: skip
            stack.callback(_stop, api)
            bases.append((f"http://127.0.0.1:{port}", api))
        for _ in range(2):
            worker = subprocess.Popen([sys.executable, "-m", "tjenesteshop", "worker"], env=env)
            stack.callback(_stop, worker)
        for base, api in bases:
            wait_ready(base, api, time.monotonic() + READY_WITHIN_SECONDS, what="an API process")
        yield [base for base, _ in bases]


async def _book(client: httpx.AsyncClient, scene: Scene, headers: dict[str, str], recipient: uuid.UUID,
                start: datetime, minutes: int) -> httpx.Response:  # fmt: skip
    while True:
        response = await client.post(
            "/api/v1/bookings",
            json={"recipient_id": str(recipient), "service_id": str(scene.service_id), "start": start.isoformat(),
                  "minutes": minutes},
            headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
        )  # fmt: skip
        if response.status_code not in {429, 503}:
            return response
        await asyncio.sleep(float(response.headers.get("retry-after", "1")))


async def _machine_clock_sessions(settings: Settings, scene: Scene) -> dict[uuid.UUID, dict[str, str]]:
    """Signed-in sessions stamped with the machine's clock (the served processes' clock), then the tests' again."""
    offset = clock._OFFSET[0]
    clock._OFFSET[0] = timedelta(0)
    try:
        return {r: await session_headers(settings, r, scene.municipality_id) for r in scene.recipients}
    finally:
        clock._OFFSET[0] = offset


async def _settled(engine: AsyncEngine, query: str, expected: int) -> int:
    """Poll `query` (a count) until it is `expected` or the time is up; its last value."""
    deadline = time.monotonic() + SETTLED_WITHIN_SECONDS
    while True:
        async with engine.connect() as conn:
            value = int(await conn.scalar(text(query)) or 0)
        if value == expected or time.monotonic() > deadline:
            return value
        await asyncio.sleep(0.5)


async def test_two_api_processes_and_two_workers_sell_remind_and_render_once(
    engine: AsyncEngine, committed_url: str, servers: RunServers, settings: Settings, tmp_path: Path
) -> None:
    now = datetime.now(UTC)  # the served processes run on the machine's clock, not the tests' fixed one
    scene = await _scene(engine, settings, now)
    prefix = f"{servers.key_prefix}replicas:"
    own = settings.model_copy(update={"redis_prefix": prefix})
    headers = await _machine_clock_sessions(own, scene)
    for index, recipient in enumerate(scene.recipients):
        headers[recipient]["X-Forwarded-For"] = f"10.2.0.{index + 1}"
    mailbox = Mailbox()
    with running(mailbox) as smtp_port, _replicas(committed_url, servers, prefix, smtp_port, tmp_path) as bases:
        async with httpx.AsyncClient(base_url=bases[0], timeout=30) as first, \
                httpx.AsyncClient(base_url=bases[1], timeout=30) as second:  # fmt: skip
            clients = [first, second]
            # (a) The rush, alternating between the processes.
            rush = await asyncio.gather(*(
                _book(clients[i % 2], scene, headers[r], r, at(scene.day, 10), 15)
                for i, r in enumerate(scene.recipients)
            ))  # fmt: skip
            statuses = Counter(response.status_code for response in rush)
            assert statuses == {201: CAPACITY, 409: RUSH - CAPACITY}, statuses
            # (c) The feed people book visits at other hours, through both processes.
            more = await asyncio.gather(*(
                _book(clients[(i + k) % 2], scene, headers[r], r, at(scene.day, 11 + i, 30 * k), 30)
                for i, r in enumerate(scene.feeds) for k in range(BOOKINGS_EACH)
            ))  # fmt: skip
            assert [response.status_code for response in more] == [201] * len(more), [r.text for r in more]

        async with AsyncSession(engine) as session:
            assert await ledger_differences(session) == []
            booked = await session.scalar(select(func.count()).select_from(Booking).where(Booking.status == "booked"))
        assert booked == CAPACITY + FEED_PEOPLE * BOOKINGS_EACH

        # The workers dispatch every booking event once; each renders the feeds showing its booking.
        events = await _settled(engine, "SELECT count(*) FROM booking_event WHERE processed_at IS NOT NULL", booked)
        assert events == booked
        reminders = await _settled(engine, "SELECT count(*) FROM reminder", booked)
        assert reminders == booked  # one lead time (60 minutes), e-mail known for everyone

        # (b) Make every reminder due now; queue each send twice more under other job ids, so both workers race.
        async with engine.begin() as conn:
            await conn.execute(text("UPDATE reminder SET next_attempt_at = now()"))
            ids = list(await conn.scalars(select(Reminder.id)))
            expected = Counter(
                (await conn.execute(select(Person.email).join(Reminder, Reminder.person_id == Person.id))).scalars()
            )
        redis = await create_pool(RedisSettings.from_dsn(servers.redis_url))
        try:
            for reminder_id in ids:
                for copy in range(2):
                    await redis.enqueue_job("send_reminder", reminder_id, _job_id=f"race:{reminder_id}:{copy}",
                                            _queue_name=queue_name(own))  # fmt: skip
        finally:
            await redis.aclose()
        sent = await _settled(engine, "SELECT count(*) FROM reminder WHERE status = 'sent'", len(ids))
        assert sent == len(ids)
        await asyncio.sleep(2)  # any second send would arrive now
        recipients = Counter(a.addr_spec for message in mailbox.messages for a in message["To"].addresses)
        assert len(mailbox.messages) == len(ids), recipients
        assert recipients == expected  # one message a reminder: no reminder sent twice, none lost

    async with AsyncSession(engine) as session:
        dispatched = Counter((await session.execute(text("SELECT event_id FROM test_event_dispatch"))).scalars().all())
        event_rows = (await session.execute(select(BookingEvent.id, Booking.recipient_id).join(
            Booking, Booking.id == BookingEvent.booking_id))).tuples().all()  # fmt: skip
        renders = Counter((await session.execute(text("SELECT feed_id FROM test_feed_render"))).scalars().all())
        shown = {
            feed: (await session.scalar(select(CalendarFeed.body).where(CalendarFeed.id == feed)) or "")
            for feed in scene.feeds.values()
        }
        booked_by = {
            r: (await session.scalars(select(Booking.id).where(Booking.recipient_id == r))).all() for r in scene.feeds
        }
    # Each booking event was dispatched by exactly one of the two workers, once.
    assert dispatched == Counter(event_id for event_id, _ in event_rows), dispatched
    for recipient, feed in scene.feeds.items():
        # Rendered at least once and never more than once a change (a batch holding two of the person's changes
        # renders once, showing both); the feed shows every booking of the person.
        changes = sum(1 for _, whose in event_rows if whose == recipient)
        assert 1 <= renders[feed] <= changes, (renders, changes)
        assert all(f"UID:{booking}@tjenesteshop" in shown[feed] for booking in booked_by[recipient]), shown[feed]
