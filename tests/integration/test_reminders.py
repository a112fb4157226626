"""Reminders through the real arq worker, real Redis (a private server, so FLUSHALL harms nobody) and real SMTP.

Time is a controllable clock handed to the worker, never a sleep: each step sets the clock and runs the
worker in burst mode until its queue is empty.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session
from arq.connections import RedisSettings, create_pool
from redis.asyncio import Redis
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from booking.service import BookRequest, book, cancel, move
from booking.tables import Allocation
from core.clock import utcnow
from core.settings import Settings
from notifications import dispatch, planning, sending
from notifications.channels import EmailChannel, channels_from_settings
from notifications.dispatch import queue_due
from notifications.queue import create_worker, queue_name, scheduler
from notifications.tables import ContactProblem, Reminder
from people.access import Principal
from people.audit import Origin
from people.tables import Person, ProxyLink
from tests.booking_world import at, bookable_day, open_department, service_of
from tests.servers import Mailbox, running
from tests.world import World, build_world
from tjenesteshop.embedded import start_valkey

ORIGIN = Origin(ip="127.0.0.1", user_agent="test", request_id="test")


@dataclass
class Clock:
    """The worker's clock, moved by the test."""

    now: datetime = field(default_factory=utcnow)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="module")
def private_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = start_valkey(Path(tmp_path_factory.mktemp("redis")), persist=False)
    try:
        yield server.connection_url
    finally:
        server.stop()


@pytest.fixture
def inbox() -> Iterator[tuple[Mailbox, int]]:
    mailbox = Mailbox()
    mailbox.refuse = {"gone@example.no": "550 5.1.1 No such user", "busy@example.no": "451 4.3.0 Try again later"}
    with running(mailbox) as port:
        yield mailbox, port


@dataclass
class Rig:
    """Everything a test needs to book and to run the worker."""

    settings: Settings
    world: World
    session: AsyncSession
    sessionmaker: async_sessionmaker[AsyncSession]
    clock: Clock
    inbox: Mailbox
    ctx: dict[str, Any]

    async def run_worker(self, job: str = "tick") -> None:
        """Queue `job` and run the worker until nothing is left to run."""
        pool = await create_pool(RedisSettings.from_dsn(self.settings.redis_url or ""))
        try:
            await pool.enqueue_job(job, _queue_name=queue_name(self.settings))
        finally:
            await pool.aclose()
        worker = create_worker(self.settings, ctx=self.ctx, burst=True, cron_jobs=[], handle_signals=False,
                               poll_delay=0.01, max_jobs=1)  # fmt: skip
        try:
            await worker.main()
            assert worker.jobs_failed == 0
        finally:
            await worker.close()


@pytest.fixture
async def rig(
    db_session: AsyncSession, connection: AsyncConnection, settings: Settings, private_redis: str,
    inbox: tuple[Mailbox, int],
) -> Rig:  # fmt: skip
    handler, port = inbox
    own = settings.model_copy(
        update={"redis_url": private_redis, "smtp_host": "127.0.0.1", "smtp_port": port, "smtp_security": "none",
                "mail_from": "Tjenesteshop <ikke-svar@kommune.example>"}
    )  # fmt: skip
    world = await build_world(db_session, own)
    department = await open_department(db_session, world.departments["d1"], staff=2)
    recipient = await db_session.get(Person, world.people["recipient"])
    assert recipient is not None
    recipient.email = "kari@example.no"
    await db_session.execute(  # room for every booking these tests make
        update(Allocation).where(Allocation.recipient_id == recipient.id).values(minutes=6000)
    )
    await db_session.commit()
    redis = Redis.from_url(private_redis)
    await redis.flushall()
    await redis.aclose()
    clock = Clock()
    maker = async_sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    ctx = {"sessionmaker": maker, "clock": clock, "window": timedelta(0), "channels": channels_from_settings(own)}
    assert department.reminder_lead_minutes == [1440, 120]
    return Rig(own, world, db_session, maker, clock, handler, ctx)


async def _book(rig: Rig, start: datetime) -> uuid.UUID:
    service = await service_of(rig.session, rig.world.departments["d1"])
    principal = Principal(municipality_id=rig.world.municipality, person_id=rig.world.people["recipient"])
    booking = await book(rig.session, principal, ORIGIN, BookRequest(rig.world.people["recipient"], service.id,
                         start, 60), key=uuid.uuid4().hex, now=utcnow())  # fmt: skip
    await rig.session.commit()
    return booking.id


def _principal(rig: Rig) -> Principal:
    return Principal(municipality_id=rig.world.municipality, person_id=rig.world.people["recipient"])


async def _statuses(rig: Rig, booking_id: uuid.UUID) -> list[tuple[int, str]]:
    rows = await rig.session.execute(
        select(Reminder.lead_minutes, Reminder.status).where(Reminder.booking_id == booking_id)
        .order_by(Reminder.starts_at, Reminder.lead_minutes.desc())
    )  # fmt: skip
    return [(lead, status) for lead, status in rows.all()]


async def test_a_booking_25_hours_ahead_gets_exactly_two_reminders_at_their_times(rig: Rig) -> None:
    start = at(bookable_day(2), 10)
    booking_id = await _book(rig, start)
    rig.clock.now = start - timedelta(hours=25)
    await rig.run_worker()
    assert await _statuses(rig, booking_id) == [(1440, "scheduled"), (120, "scheduled")]
    rig.clock.now = start - timedelta(hours=24, minutes=1)
    await rig.run_worker()
    assert rig.inbox.messages == []
    rig.clock.now = start - timedelta(hours=24)
    await rig.run_worker()
    assert len(rig.inbox.messages) == 1
    first = rig.inbox.messages[0]
    assert first["To"] == "kari@example.no"
    assert "kl. 10.00" in str(first["Subject"])
    assert first.get_body(preferencelist=("plain",)) is not None
    assert first.get_body(preferencelist=("html",)) is not None
    rig.clock.now = start - timedelta(hours=2)
    await rig.run_worker()
    await rig.run_worker()  # a second pass finds nothing more to send
    assert len(rig.inbox.messages) == 2
    sent = (await rig.session.execute(select(Reminder.sent_at).where(Reminder.booking_id == booking_id)
                                      .order_by(Reminder.sent_at))).scalars().all()  # fmt: skip
    assert sent == [start - timedelta(hours=24), start - timedelta(hours=2)]


async def test_a_moved_booking_is_reminded_at_its_new_time_and_a_cancelled_one_never(rig: Rig) -> None:
    day = bookable_day(2)
    moved_id = await _book(rig, at(day, 10))
    cancelled_id = await _book(rig, at(day, 13))
    rig.clock.now = at(day, 10) - timedelta(hours=25)
    await rig.run_worker()
    await move(rig.session, _principal(rig), ORIGIN, moved_id, start=at(day, 11), minutes=None, now=utcnow())
    await cancel(rig.session, _principal(rig), ORIGIN, cancelled_id, now=utcnow())
    await rig.session.commit()
    await rig.run_worker()
    assert await _statuses(rig, moved_id) == [
        (1440, "skipped"), (120, "skipped"), (1440, "scheduled"), (120, "scheduled")
    ]  # fmt: skip
    assert await _statuses(rig, cancelled_id) == [(1440, "skipped"), (120, "skipped")]
    steps = [at(day, hour) - timedelta(hours=24) for hour in (10, 11, 13)] + [at(day, 9), at(day, 11)]
    for when in steps:
        rig.clock.now = when
        await rig.run_worker()
    subjects = [str(message["Subject"]) for message in rig.inbox.messages]
    assert len(subjects) == 2, subjects
    assert all("kl. 11.00" in subject for subject in subjects)


async def test_a_rolled_back_booking_causes_nothing(rig: Rig) -> None:
    service = await service_of(rig.session, rig.world.departments["d1"])
    start = at(bookable_day(2), 9)
    savepoint = await rig.session.begin_nested()
    await book(rig.session, _principal(rig), ORIGIN, BookRequest(rig.world.people["recipient"], service.id, start, 60),
               key="rolled-back", now=utcnow())  # fmt: skip
    await savepoint.rollback()
    rig.clock.now = start - timedelta(hours=2)
    await rig.run_worker()
    assert await rig.session.scalar(select(func.count()).select_from(Reminder)) == 0
    assert rig.inbox.messages == []


async def test_a_crash_between_send_and_acknowledgement_does_not_send_twice(rig: Rig) -> None:
    start = at(bookable_day(2), 10)
    booking_id = await _book(rig, start)
    rig.clock.now = start - timedelta(hours=2)
    await rig.run_worker()  # plans both; the day-before one is already past, so only the 2-hour one exists
    assert await _statuses(rig, booking_id) == [(120, "sent")]
    # A second booking's reminder: the SMTP server holds the message, and the worker dies before it hears back.
    other = await _book(rig, start + timedelta(hours=3))
    rig.clock.now = start + timedelta(hours=1)
    async with rig.sessionmaker.begin() as session:  # planned by hand: the worker would send at once
        await planning.plan(session, rig.clock.now, [other])
    reminder_id = await rig.session.scalar(select(Reminder.id).where(Reminder.booking_id == other))
    assert reminder_id is not None
    rig.inbox.hold, rig.inbox.received = threading.Event(), threading.Event()
    rig.clock.now = start + timedelta(hours=1)
    send = sending.send_reminder(rig.sessionmaker, rig.ctx["channels"], reminder_id, now=rig.clock,
                                 base_url=rig.settings.base_url)  # fmt: skip
    job = asyncio.create_task(send)
    assert await asyncio.to_thread(rig.inbox.received.wait, 10)
    job.cancel()  # the worker process dies here: sent, never acknowledged
    rig.inbox.hold.set()
    with pytest.raises(asyncio.CancelledError):
        await job
    rig.inbox.hold = None
    await rig.run_worker()  # arq would run the job again: it finds the claim and sends nothing
    again = await sending.send_reminder(rig.sessionmaker, rig.ctx["channels"], reminder_id, now=rig.clock,
                                        base_url=rig.settings.base_url)  # fmt: skip
    assert again == "gone"
    assert len(rig.inbox.messages) == 2
    rig.clock.now += timedelta(minutes=16)
    await rig.run_worker("reconcile")
    status, error = (await rig.session.execute(select(Reminder.status, Reminder.last_error)
                                               .where(Reminder.id == reminder_id))).one()  # fmt: skip
    assert status == "dead"
    assert error is not None
    assert error.startswith("uncertain")


async def test_redis_losing_everything_loses_no_reminder(rig: Rig) -> None:
    day = bookable_day(2)
    ids = [await _book(rig, at(day, hour)) for hour in (9, 11, 14)]
    rig.clock.now = at(day, 9) - timedelta(hours=30)
    await rig.run_worker()  # the outbox: six reminders planned
    pool = await create_pool(RedisSettings.from_dsn(rig.settings.redis_url or ""))
    try:  # queue all six in Redis, deferred to their times, as a long window would
        ctx = {**rig.ctx, "redis": pool, "settings": rig.settings}
        assert await queue_due(rig.sessionmaker, rig.clock.now, timedelta(days=3), scheduler(ctx)) == 6
        assert await pool.zcard(queue_name(rig.settings)) == 6
        await pool.flushall()  # Redis restarts without persistence
        assert await pool.zcard(queue_name(rig.settings)) == 0
    finally:
        await pool.aclose()
    await rig.run_worker("reconcile")
    for when in sorted({at(day, hour) - timedelta(minutes=lead) for hour in (9, 11, 14) for lead in (1440, 120)}):
        rig.clock.now = when
        await rig.run_worker()
    assert len(rig.inbox.messages) == 6
    for booking_id in ids:
        assert await _statuses(rig, booking_id) == [(1440, "sent"), (120, "sent")]


async def test_failures_retry_with_backoff_then_dead_letter_and_bad_addresses_are_recorded(rig: Rig) -> None:
    recipient = await rig.session.get(Person, rig.world.people["recipient"])
    assert recipient is not None
    recipient.email = "busy@example.no"
    await rig.session.commit()
    start = at(bookable_day(2), 10)
    booking_id = await _book(rig, start)
    second = await _book(rig, start + timedelta(hours=4))
    third = await _book(rig, start + timedelta(hours=5))
    rig.clock.now = start - timedelta(hours=3)
    await rig.run_worker()  # plans the two-hour reminders of all three
    for attempt in range(sending.MAX_ATTEMPTS):
        rig.clock.now = start - timedelta(hours=2) + sum(sending.BACKOFF[:attempt], timedelta(0))
        await rig.run_worker()
    status, attempts = (await rig.session.execute(select(Reminder.status, Reminder.attempts)
                                                  .where(Reminder.booking_id == booking_id))).one()  # fmt: skip
    assert (status, attempts) == ("dead", sending.MAX_ATTEMPTS)
    recipient.email = "gone@example.no"
    await rig.session.commit()
    rig.clock.now = start + timedelta(hours=2)
    await rig.run_worker()
    assert await _statuses(rig, second) == [(120, "dead")]
    problem = await rig.session.scalar(select(ContactProblem).where(ContactProblem.person_id == recipient.id))
    assert problem is not None
    assert problem.address == "gone@example.no"
    rig.clock.now = start + timedelta(hours=3)
    await rig.run_worker()
    assert await _statuses(rig, third) == [(120, "skipped")]  # known bad: not tried again
    assert rig.inbox.messages == []


async def test_a_batch_where_one_send_fails_marks_the_others_sent_and_retries_that_one(rig: Rig) -> None:
    """The recipient's and a proxy's reminders go in one batch; the proxy's server answers 451 and is tried again."""
    await rig.session.execute(
        update(ProxyLink).where(ProxyLink.id == rig.world.links["proxy"]).values(reminders=True)
    )  # fmt: skip
    proxy = await rig.session.get(Person, rig.world.people["proxy"])
    assert proxy is not None
    proxy.email, proxy.language = "busy@example.no", "en"
    await rig.session.commit()
    start = at(bookable_day(2), 10)
    ids = [await _book(rig, start), await _book(rig, start + timedelta(minutes=90))]
    rig.clock.now = start - timedelta(hours=3)
    await rig.run_worker()  # plans the 2-hour reminders of both visits, for both people
    rig.clock.now = start - timedelta(minutes=30)  # all four are due: one batch
    await rig.run_worker()
    rows = (await rig.session.execute(
        select(Reminder.person_id, Reminder.status, Reminder.attempts, Reminder.last_error, Reminder.next_attempt_at)
        .where(Reminder.booking_id.in_(ids), Reminder.lead_minutes == 120)
    )).all()  # fmt: skip
    assert len(rows) == 4
    for person_id, status, attempts, error, next_attempt_at in rows:
        if person_id == proxy.id:
            assert (status, attempts) == ("scheduled", 1)
            assert error is not None
            assert error.startswith("SMTP 451")
            assert next_attempt_at == rig.clock.now + sending.BACKOFF[0]
        else:
            assert (status, attempts, error) == ("sent", 1, None)
    assert [message["To"] for message in rig.inbox.messages] == ["kari@example.no"] * 2
    proxy.email = "ola@example.no"  # the proxy's server takes mail again
    await rig.session.commit()
    rig.clock.now += sending.BACKOFF[0]
    await rig.run_worker()
    await rig.run_worker()  # nothing is left to send
    to = sorted(str(message["To"]) for message in rig.inbox.messages)
    assert to == ["kari@example.no", "kari@example.no", "ola@example.no", "ola@example.no"]
    english = [message for message in rig.inbox.messages if message["To"] == "ola@example.no"]
    assert all(message["Content-Language"] == "en" for message in english)
    statuses = await rig.session.scalars(select(Reminder.status).where(Reminder.booking_id.in_(ids))
                                         .execution_options(populate_existing=True))  # fmt: skip
    assert set(statuses.all()) == {"sent"}


async def test_reconciliation_plans_what_is_missing_as_it_comes_within_plan_ahead(rig: Rig) -> None:
    """After a restore that lost the reminder rows, each pass plans those due within `PLAN_AHEAD`, never twice."""
    start = at(bookable_day(4), 10)
    day_before, two_hours = start - timedelta(hours=24), start - timedelta(hours=2)
    booking_id = await _book(rig, start)
    rig.clock.now = day_before - dispatch.PLAN_AHEAD - timedelta(hours=1)
    await rig.run_worker()  # the outbox plans both at once, however far ahead
    assert await _statuses(rig, booking_id) == [(1440, "scheduled"), (120, "scheduled")]
    await rig.session.execute(delete(Reminder).where(Reminder.booking_id == booking_id))  # a restore lost them
    await rig.session.commit()
    await rig.run_worker("reconcile")
    assert await _statuses(rig, booking_id) == []  # neither is due within PLAN_AHEAD yet
    rig.clock.now = day_before - dispatch.PLAN_AHEAD + timedelta(hours=1)
    await rig.run_worker("reconcile")
    assert await _statuses(rig, booking_id) == [(1440, "scheduled")]
    rig.clock.now = two_hours - dispatch.PLAN_AHEAD + timedelta(hours=1)
    await rig.run_worker("reconcile")
    await rig.run_worker("reconcile")
    assert await _statuses(rig, booking_id) == [(1440, "scheduled"), (120, "scheduled")]


class HoldsTheSecond(Mailbox):
    """An SMTP server that keeps the second message waiting until `release`, as a stalled server would."""

    def __init__(self) -> None:
        """Nothing held yet."""
        super().__init__()
        self.holding, self.release = threading.Event(), threading.Event()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        """Hold the second message, then keep it as the mailbox does."""
        if len(self.messages) == 1 and not self.release.is_set():
            self.holding.set()
            await asyncio.to_thread(self.release.wait, 30)
        return await super().handle_DATA(server, session, envelope)


async def test_a_batch_stopped_midway_records_what_went_and_schedules_what_was_never_tried(rig: Rig) -> None:
    start = at(bookable_day(2), 10)
    ids = [await _book(rig, start + timedelta(hours=hour)) for hour in range(3)]
    rig.clock.now = start - timedelta(hours=25)
    await rig.run_worker()  # plans all six; none is due
    rig.clock.now = start - timedelta(hours=22)  # the three day-before reminders are due: one batch
    stalled = HoldsTheSecond()
    with running(stalled) as port:
        email = EmailChannel(host="127.0.0.1", port=port, sender="ikke-svar@kommune.example", security="none")
        job = asyncio.create_task(sending.send_due(rig.sessionmaker, {**rig.ctx["channels"], "email": email},
                                                   now=rig.clock, base_url=rig.settings.base_url))  # fmt: skip
        for _ in range(1000):  # the first went, the second is on its way
            if stalled.holding.is_set() or job.done():
                break
            await asyncio.sleep(0.01)
        assert stalled.holding.is_set()
        job.cancel()  # a timeout or a shutdown stops the job here, at once: no goodbye to a server still busy
        with pytest.raises(asyncio.CancelledError):
            async with asyncio.timeout(10):  # not the SMTP timeout (30 s) that a polite QUIT would wait out
                await job
        stalled.release.set()
    rows = [
        (await rig.session.execute(
            select(Reminder.status, Reminder.attempts).where(Reminder.booking_id == booking_id,
                                                             Reminder.lead_minutes == 1440)
            .execution_options(populate_existing=True)
        )).one()
        for booking_id in ids
    ]  # fmt: skip
    assert rows == [("sent", 1), ("sending", 1), ("scheduled", 0)]
    rig.clock.now += timedelta(minutes=16)
    await rig.run_worker("reconcile")
    await rig.run_worker()
    assert [(await _statuses(rig, booking_id))[0] for booking_id in ids] == [
        (1440, "sent"), (1440, "dead"), (1440, "sent")
    ]  # fmt: skip
    assert len(rig.inbox.messages) == 1  # the third, once; the second is not sent again
