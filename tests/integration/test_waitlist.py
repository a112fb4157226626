"""The waitlist on real PostgreSQL: a freed time is held for the first in line, and handed on in order."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
import pytest
from arq import create_pool
from arq.connections import RedisSettings
from litestar import Litestar
from redis.asyncio import Redis
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from booking.consistency import ledger_differences
from booking.errors import BookingRefusedError
from booking.tables import Allocation, Booking, BookingEvent
from core.clock import utcnow
from core.errors import NotFoundError
from core.settings import Settings
from notifications import offers
from notifications.channels import LogChannel, Message, TransientFailure
from notifications.queue import create_worker, queue_name
from people.tables import AuditEntry, Person, ProxyLink
from tests.booking_world import at, bookable_day, open_department, service_of
from tests.waitlist_world import (
    ORIGIN,
    add_recipients,
    book_at,
    cancel_as,
    held,
    me,
    run_worker,
    used_at,
    wait_for,
)
from tests.world import World, build_world, sign_in
from waitlist import passes, service
from waitlist.tables import WaitlistEntry, WaitlistFreed, WaitlistOffer


@dataclass
class Line:
    world: World
    session: AsyncSession
    maker: async_sessionmaker[AsyncSession]
    department_id: uuid.UUID
    service_id: uuid.UUID
    booker: uuid.UUID
    waiters: list[uuid.UUID]
    start: datetime
    now: datetime


@pytest.fixture
async def line(db_session: AsyncSession, connection: AsyncConnection, settings: Settings) -> Line:
    """Department d1 with one staff member; the booker holds 10:00 on a bookable day; four wait, in order."""
    world = await build_world(db_session, settings)
    department = await open_department(db_session, world.departments["d1"], staff=1)
    svc = await service_of(db_session, department.id)
    now = utcnow()
    people = await add_recipients(db_session, world.municipality, department.id, svc.id, 5,
                                  key=settings.national_id_key, valid_from=now.date() - timedelta(days=7))  # fmt: skip
    booker, waiters = people[0], people[1:]
    day = bookable_day()
    start = at(day, 10)
    await book_at(db_session, world.municipality, booker, svc.id, start, now)
    for index, waiter in enumerate(waiters):  # in line one second apart: the order they asked in
        await wait_for(db_session, world.municipality, waiter, svc.id, day, now + timedelta(seconds=index))
    await db_session.commit()
    maker = async_sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    return Line(world, db_session, maker, department.id, svc.id, booker, waiters, start, now)


async def _booking_of(line: Line) -> uuid.UUID:
    found = await line.session.scalar(select(Booking.id).where(Booking.recipient_id == line.booker))
    assert found is not None
    return found


async def _free_it(line: Line) -> None:
    await cancel_as(line.session, line.world.municipality, line.booker, await _booking_of(line), line.now)
    await line.session.commit()
    await run_worker(line.maker, line.now)


async def _consistent(session: AsyncSession) -> None:
    assert await ledger_differences(session) == []


async def test_a_cancellation_is_held_for_the_first_in_line_who_books_it(line: Line) -> None:
    assert await used_at(line.session, line.department_id, line.start) == 1
    await _free_it(line)
    offers_now = await held(line.session)
    assert [o.recipient_id for o in offers_now] == [line.waiters[0]]
    offer = offers_now[0]
    offer_id, entry_id = offer.id, offer.entry_id
    assert offer.starts_at == line.start
    assert offer.expires_at == line.now + timedelta(minutes=30)  # the department's default hold
    # The hold counts in the ledger: the freed time is not free for anyone else meanwhile.
    assert await used_at(line.session, line.department_id, line.start) == 1
    await _consistent(line.session)
    with pytest.raises(BookingRefusedError) as refused:
        await book_at(line.session, line.world.municipality, line.waiters[3], line.service_id, line.start, line.now)
    assert refused.value.code == "slot_full"
    await line.session.rollback()

    # The worker tells the first in line (through the channels reminders use), once.
    channels = {name: LogChannel(name) for name in ("email", "sms", "push", "log")}
    result = await offers.waitlist_pass(line.maker, channels, now=line.now, base_url="https://t.example/")
    assert result == {"ended": 0, "lapsed": 0, "offered": 0, "sent": 1}
    again = await offers.waitlist_pass(line.maker, channels, now=line.now, base_url="https://t.example/")
    assert again["sent"] == 0

    booking = await service.accept(line.session, me(line.world.municipality, line.waiters[0]), ORIGIN, offer_id,
                                   now=line.now + timedelta(minutes=5))  # fmt: skip
    await line.session.commit()
    assert (booking.recipient_id, booking.starts_at, booking.status) == (line.waiters[0], line.start, "booked")
    assert await used_at(line.session, line.department_id, line.start) == 1  # the hold became the booking
    answered = await line.session.get(WaitlistOffer, offer_id, populate_existing=True)
    assert answered is not None
    assert (answered.status, answered.booking_id) == ("booked", booking.id)
    entry = await line.session.get(WaitlistEntry, entry_id, populate_existing=True)
    assert entry is not None
    assert entry.status == "booked"
    assert await held(line.session) == []
    await _consistent(line.session)
    actions = set((await line.session.scalars(select(AuditEntry.action))).all())
    assert {"waitlist.create", "waitlist.accept", "booking.create"} <= actions
    # Accepting twice answers with the same booking; declining after booking is refused.
    twice = await service.accept(line.session, me(line.world.municipality, line.waiters[0]), ORIGIN, offer_id,
                                 now=line.now + timedelta(minutes=6))  # fmt: skip
    assert twice.id == booking.id
    with pytest.raises(BookingRefusedError) as gone:
        await service.decline(line.session, me(line.world.municipality, line.waiters[0]), ORIGIN, offer_id,
                              now=line.now + timedelta(minutes=6))  # fmt: skip
    assert gone.value.code == "offer_gone"
    await line.session.rollback()


async def test_declining_and_lapsing_hand_the_time_on_in_line_order(line: Line) -> None:
    await _free_it(line)
    first = (await held(line.session))[0]
    assert first.recipient_id == line.waiters[0]

    await service.decline(line.session, me(line.world.municipality, line.waiters[0]), ORIGIN, first.id,
                          now=line.now + timedelta(minutes=1))  # fmt: skip
    await line.session.commit()
    second = await held(line.session)
    assert [o.recipient_id for o in second] == [line.waiters[1]]
    assert await used_at(line.session, line.department_id, line.start) == 1
    await _consistent(line.session)

    # Nobody answers: at the deadline the worker gives it back and holds it for the third.
    assert await passes.lapse_expired(line.maker, line.now + timedelta(minutes=30)) == 0  # not yet: held 30 min
    lapse_at = second[0].expires_at
    assert await passes.lapse_expired(line.maker, lapse_at) == 1
    third = await held(line.session)
    assert [o.recipient_id for o in third] == [line.waiters[2]]
    assert third[0].expires_at == lapse_at + timedelta(minutes=30)
    await _consistent(line.session)

    # The third leaves the line: the fourth gets it; the fourth lapses and the line is empty: the time is free.
    await service.withdraw(line.session, me(line.world.municipality, line.waiters[2]), ORIGIN, third[0].entry_id,
                           now=lapse_at + timedelta(minutes=1))  # fmt: skip
    await line.session.commit()
    fourth = await held(line.session)
    assert [o.recipient_id for o in fourth] == [line.waiters[3]]
    assert await passes.lapse_expired(line.maker, fourth[0].expires_at) == 1
    assert await held(line.session) == []
    assert await used_at(line.session, line.department_id, line.start) == 0
    statuses = (await line.session.scalars(
        select(WaitlistOffer.status).order_by(WaitlistOffer.offered_at)
        .execution_options(populate_existing=True))).all()  # fmt: skip
    assert statuses == ["declined", "lapsed", "released", "lapsed"]
    freed = (await line.session.scalars(select(WaitlistFreed).execution_options(populate_existing=True))).one()
    assert freed.status == "done"
    await _consistent(line.session)
    # Each was offered this start once: a lapse never comes back to someone who had it.
    book_now = await book_at(line.session, line.world.municipality, line.waiters[0], line.service_id, line.start,
                             lapse_at + timedelta(minutes=40))  # fmt: skip
    assert book_now is not None


async def test_a_lapsed_hold_cannot_be_accepted(line: Line) -> None:
    await _free_it(line)
    offer = (await held(line.session))[0]
    with pytest.raises(BookingRefusedError) as gone:
        await service.accept(line.session, me(line.world.municipality, line.waiters[0]), ORIGIN, offer.id,
                             now=offer.expires_at)  # fmt: skip
    assert gone.value.code == "offer_gone"
    await line.session.rollback()


async def test_a_waiter_who_does_not_fit_is_passed_over(line: Line) -> None:
    entry = await line.session.scalar(select(WaitlistEntry).where(WaitlistEntry.recipient_id == line.waiters[0]))
    assert entry is not None
    entry.from_minute = 12 * 60  # the first in line wants afternoons only
    await line.session.commit()
    await _free_it(line)
    assert [o.recipient_id for o in await held(line.session)] == [line.waiters[1]]


async def test_over_http_join_list_accept(
    line: Line, client: httpx.AsyncClient, app: Litestar, settings: Settings
) -> None:
    waiter = line.waiters[0]
    line.world.people["waiter"] = waiter
    await sign_in(client, app.state.redis, settings, line.world, "waiter")
    day = line.start.date()
    bad = await client.post("/api/v1/waitlist", json={
        "recipient_id": str(waiter), "service_id": str(line.service_id), "minutes": 60,
        "first_day": day.isoformat(), "last_day": (day - timedelta(days=1)).isoformat()})  # fmt: skip
    assert bad.status_code == 422, bad.text
    assert bad.json()["type"].endswith(":invalid_range")
    listed = await client.get("/api/v1/waitlist")
    assert listed.status_code == 200, listed.text
    assert [e["status"] for e in listed.json()] == ["waiting"]
    await _free_it(line)
    listed = (await client.get("/api/v1/waitlist")).json()
    offer = listed[0]["offer"]
    assert offer is not None
    assert offer["start"] == line.start.isoformat()
    seen = await client.get(f"/api/v1/waitlist/offers/{offer['id']}")
    assert seen.status_code == 200
    accepted = await client.post(f"/api/v1/waitlist/offers/{offer['id']}/accept")
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["start"] == line.start.isoformat()
    again = await client.post(f"/api/v1/waitlist/offers/{offer['id']}/decline")
    assert again.status_code == 409
    assert again.json()["type"].endswith(":offer_gone")
    # Another waiter's offer is not this one's to see.
    other = await client.get(f"/api/v1/waitlist/offers/{uuid.uuid4()}")
    assert other.status_code == 404


async def test_the_department_sets_how_long_a_time_is_held(
    line: Line, client: httpx.AsyncClient, app: Litestar, settings: Settings
) -> None:
    await sign_in(client, app.state.redis, settings, line.world, "dept_admin")
    path = f"/api/v1/departments/{line.department_id}"
    too_short = await client.patch(path, json={"waitlist_hold_minutes": 2})
    assert too_short.status_code == 422, too_short.text
    changed = await client.patch(path, json={"waitlist_hold_minutes": 45})
    assert changed.status_code == 200, changed.text
    assert changed.json()["waitlist_hold_minutes"] == 45
    await _free_it(line)
    assert (await held(line.session))[0].expires_at == line.now + timedelta(minutes=45)


class _Inbox:
    """A channel that keeps what it is given."""

    name = "inbox"

    def __init__(self) -> None:
        self.sent: list[Message] = []

    async def send(self, message: Message) -> None:
        self.sent.append(message)


async def test_the_offer_reaches_the_recipient_and_the_proxy_who_gets_reminders(line: Line) -> None:
    proxy = await line.session.get(Person, line.world.people["proxy"])
    assert proxy is not None
    proxy.email = "forelder@example.no"
    line.session.add(ProxyLink(municipality_id=line.world.municipality, proxy_id=proxy.id,
                               recipient_id=line.waiters[0], kind="parent",
                               valid_from=line.now.date() - timedelta(days=1), reminders=True))  # fmt: skip
    await line.session.commit()
    await _free_it(line)
    inbox = _Inbox()
    channels = dict.fromkeys(("email", "sms", "push", "log"), inbox)
    result = await offers.waitlist_pass(line.maker, channels, now=line.now, base_url="https://t.example/")
    assert result["sent"] == 1
    offer = (await held(line.session))[0]
    assert sorted(m.to for m in inbox.sent) == ["forelder@example.no", "venter1@example.no"]
    assert all(m.url == f"https://t.example/venteliste/tilbud/{offer.id}" for m in inbox.sent)
    assert "Den holdes for deg til kl." in inbox.sent[0].text


async def test_entries_whose_last_day_has_passed_leave_the_line(line: Line) -> None:
    entry = await line.session.scalar(select(WaitlistEntry).where(WaitlistEntry.recipient_id == line.waiters[3]))
    assert entry is not None
    entry.first_day = entry.last_day = line.now.date() - timedelta(days=2)
    await line.session.commit()
    assert await passes.end_past(line.maker, line.now) == 1
    await line.session.refresh(entry)
    assert entry.status == "ended"


async def test_the_worker_offers_and_lapses_whatever_redis_lost(line: Line, settings: Settings) -> None:
    """The arq worker's tick, run for real: once, then Redis emptied and a new worker later: the line moves on."""
    own = settings.model_copy(update={"redis_prefix": f"waitlist-{uuid.uuid4().hex[:8]}:"})
    booking_id = await _booking_of(line)
    await cancel_as(line.session, line.world.municipality, line.booker, booking_id, line.now)
    await line.session.commit()

    async def tick(at: datetime) -> None:
        redis = Redis.from_url(own.redis_url or "")
        try:
            # Redis lost everything of this installation before each run (its keys only: the database is shared
            # with the rest of the suite): only PostgreSQL remembers.
            async for key in redis.scan_iter(match=f"{own.redis_prefix}*"):
                await redis.delete(key)
            pool = await create_pool(RedisSettings.from_dsn(own.redis_url or ""))
            await pool.enqueue_job("tick", _queue_name=queue_name(own))
            await pool.aclose()
        finally:
            await redis.aclose()
        ctx = {"sessionmaker": line.maker, "clock": lambda: at, "window": timedelta(0),
               "channels": {name: LogChannel(name) for name in ("email", "sms", "push", "log")}}  # fmt: skip
        worker = create_worker(own, ctx=ctx, burst=True, cron_jobs=[], handle_signals=False, poll_delay=0.01,
                               max_jobs=1)  # fmt: skip
        try:
            await worker.main()
            assert worker.jobs_failed == 0
        finally:
            await worker.close()

    await tick(line.now)
    first = await held(line.session)
    assert [o.recipient_id for o in first] == [line.waiters[0]]
    await tick(first[0].expires_at)  # a new worker, after the hold ran out
    assert [o.recipient_id for o in await held(line.session)] == [line.waiters[1]]
    await _consistent(line.session)


async def test_accepting_obeys_every_booking_rule_and_a_refusal_keeps_the_hold(line: Line) -> None:
    await _free_it(line)
    offer = (await held(line.session))[0]
    offer_id = offer.id
    await line.session.execute(  # the first in line has only half an hour left this week
        update(Allocation).where(Allocation.recipient_id == line.waiters[0]).values(minutes=30)
    )
    await line.session.commit()
    with pytest.raises(BookingRefusedError) as refused:
        await service.accept(line.session, me(line.world.municipality, line.waiters[0]), ORIGIN, offer_id,
                             now=line.now + timedelta(minutes=1))  # fmt: skip
    assert refused.value.code == "allocation_used_up"
    await line.session.rollback()
    still = await held(line.session)
    assert [(o.id, o.recipient_id) for o in still] == [(offer_id, line.waiters[0])]
    assert await used_at(line.session, line.department_id, line.start) == 1
    await _consistent(line.session)
    # Someone else cannot answer it: to them it does not exist.
    with pytest.raises(NotFoundError):
        await service.accept(line.session, me(line.world.municipality, line.waiters[1]), ORIGIN, offer_id,
                             now=line.now + timedelta(minutes=1))  # fmt: skip
    await line.session.rollback()


async def test_asking_twice_keeps_one_place_in_line(line: Line) -> None:
    day = line.start.date()
    again = await wait_for(line.session, line.world.municipality, line.waiters[0], line.service_id, day, line.now)
    first = await line.session.scalar(select(WaitlistEntry.id).where(WaitlistEntry.recipient_id == line.waiters[0]))
    assert again == first


class _Down:
    """A channel whose service is down for now."""

    name = "down"

    async def send(self, message: Message) -> None:  # noqa: ARG002 - the channel's signature
        raise TransientFailure("503 from the gateway")


async def test_an_offer_the_channel_could_not_take_is_retried_later(line: Line) -> None:
    await _free_it(line)
    channels = {name: _Down() for name in ("email", "sms", "push", "log")}
    first = await offers.waitlist_pass(line.maker, channels, now=line.now, base_url="https://t.example/")
    assert first["sent"] == 0
    offer = (await held(line.session))[0]
    assert (offer.notice_status, offer.notice_attempts) == ("scheduled", 1)
    assert offer.notice_next_at == line.now + timedelta(minutes=1)  # the reminders' first back-off
    assert offer.notice_error == "503 from the gateway"
    inbox = _Inbox()
    up = dict.fromkeys(("email", "sms", "push", "log"), inbox)
    assert (await offers.waitlist_pass(line.maker, up, now=line.now + timedelta(seconds=30), base_url="x"))["sent"] == 0
    later = await offers.waitlist_pass(
        line.maker, up, now=line.now + timedelta(minutes=1), base_url="https://t.example/"
    )
    assert later["sent"] == 1
    assert [m.to for m in inbox.sent] == ["venter1@example.no"]


async def test_one_bad_event_never_stalls_the_outbox_or_the_others(line: Line) -> None:
    booking_id = await _booking_of(line)
    line.session.add(BookingEvent(municipality_id=line.world.municipality, booking_id=booking_id, kind="moved",
                                  details={"previous_start": "not a time"}))  # fmt: skip
    await line.session.commit()
    await _free_it(line)  # the cancellation after it: dispatched in the same batch
    pending = await line.session.scalar(
        select(func.count()).select_from(BookingEvent).where(BookingEvent.processed_at.is_(None))
        .execution_options(populate_existing=True)
    )  # fmt: skip
    assert pending == 0
    freed = (await line.session.scalars(select(WaitlistFreed))).all()
    assert len(freed) == 1  # the cancellation's; the unreadable move's was logged and left out
    assert [o.recipient_id for o in await held(line.session)] == [line.waiters[0]]
