"""Signed webhooks from the outbox to a real HTTP receiver (tests/webhook_receiver.py), in process.

The worker's two steps run as the worker runs them: `dispatch_events` takes the booking outbox (and makes the
deliveries in that transaction), `deliver_webhooks`' parts send what is due. Time is a clock the test moves.
The kill -9 and Redis-flush proof with a real worker process is in test_webhook_worker.py.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from litestar import Litestar
from pydantic import SecretStr
from redis.asyncio import Redis
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from booking.allocations import AllocationInput, create_allocation
from booking.service import BookRequest, book, cancel, move, record_outcome
from booking.tables import Allocation, BookingEvent
from core.clock import utcnow
from core.settings import Settings
from notifications.dispatch import dispatch_events
from notifications.queue import webhook_sender
from people.access import Principal
from people.audit import Origin
from people.tables import AuditEntry, Person
from tests.booking_world import at, bookable_day, open_department, service_of
from tests.conftest import app_on, client_of, http_client
from tests.webhook_receiver import WebhookReceiver
from tests.world import World, build_world, sign_in
from webhooks import delivery, fanout
from webhooks.rules import EVENT_TYPES, new_secret
from webhooks.tables import WebhookDelivery, WebhookSubscription

ORIGIN = Origin(ip="127.0.0.1", user_agent="test", request_id="test")
PROBLEM = "application/problem+json"


@dataclass
class Clock:
    """The worker's (and the receiver's) clock, moved by the test."""

    now: datetime = field(default_factory=utcnow)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Rig:
    """A world with two open departments, an API client, the worker's steps and a clock."""

    settings: Settings
    world: World
    session: AsyncSession
    sessionmaker: async_sessionmaker[AsyncSession]
    clock: Clock
    client: httpx.AsyncClient
    redis: Redis
    http: httpx.AsyncClient
    sender: delivery.Sender

    async def act_as(self, who: str) -> None:
        await sign_in(self.client, self.redis, self.settings, self.world, who)

    async def subscribe(self, who: str, url: str, **fields: Any) -> tuple[str, str]:
        """Subscribe through the API as `who`; the subscription's id and secret."""
        await self.act_as(who)
        body = {"url": url, "event_types": list(EVENT_TYPES)} | fields
        response = await self.client.post("/api/v1/webhooks", json=body)
        assert response.status_code == 201, response.text
        created = response.json()
        assert created["secret"].startswith("whsec_")
        return created["webhook"]["id"], created["secret"]

    async def run_worker(self) -> dict[str, int]:
        """The worker's webhook work once: take the outboxes, send what is due."""
        await dispatch_events(self.sessionmaker, self.clock())
        await fanout.decision_events(self.sessionmaker, self.clock())
        return await delivery.deliver_due(self.sessionmaker, self.http, self.sender, self.clock)

    def principal(self, who: str, role: str, department: str | None = None) -> Principal:
        unit = None if department is None else self.world.departments[department]
        return Principal(self.world.municipality, self.world.people[who], roles=frozenset({(role, unit)}))

    async def book(self, who: str, department: str, start: datetime) -> uuid.UUID:
        service = await service_of(self.session, self.world.departments[department])
        person = self.world.people[who]
        request = BookRequest(person, service.id, start, 60)
        booking = await book(self.session, self.principal(who, "recipient"), ORIGIN, request, key=uuid.uuid4().hex,
                             now=utcnow())  # fmt: skip
        await self.session.commit()
        return booking.id


@pytest.fixture
async def rig(
    db_session: AsyncSession, connection: AsyncConnection, settings: Settings, app: Litestar
) -> AsyncIterator[Rig]:
    world = await build_world(db_session, settings)
    await open_department(db_session, world.departments["d1"], staff=3)
    await open_department(db_session, world.departments["d2"], staff=3)
    await db_session.execute(update(Allocation).values(minutes=6000))  # room for every booking here
    await db_session.commit()
    maker = async_sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    own = settings.model_copy(update={"webhook_retry_seconds": (5.0, 300.0), "webhook_timeout_seconds": 5.0})
    async with client_of(app) as client, httpx.AsyncClient() as http:
        yield Rig(own, world, db_session, maker, Clock(), client, app.state.redis, http, webhook_sender(own))


async def _deliveries(rig: Rig, subscription: str) -> list[WebhookDelivery]:
    rows = await rig.session.scalars(
        select(WebhookDelivery).where(WebhookDelivery.subscription_id == uuid.UUID(subscription))
        .order_by(WebhookDelivery.id).execution_options(populate_existing=True)
    )  # fmt: skip
    return list(rows.all())


async def test_every_booking_and_decision_event_reaches_the_receiver_once_signed_and_minimal(rig: Rig) -> None:
    async with WebhookReceiver() as receiver:
        subscription, secret = await rig.subscribe("muni_admin", receiver.url, description="Fagsystem")
        receiver.secrets.append(secret)
        day = bookable_day()
        kept, moved, cancelled, late = [await rig.book("recipient", "d1", at(day, hour)) for hour in (8, 10, 12, 14)]
        admin = rig.principal("muni_admin", "municipality_admin")
        await move(rig.session, admin, ORIGIN, moved, start=at(day, 11), minutes=None, now=utcnow())
        await cancel(rig.session, admin, ORIGIN, cancelled, now=utcnow())
        await cancel(rig.session, admin, ORIGIN, late, now=at(day, 13))  # within the 24-hour deadline: late
        await record_outcome(rig.session, admin, ORIGIN, kept, outcome="delivered", now=at(day, 9))
        await record_outcome(rig.session, admin, ORIGIN, moved, outcome="no_show", now=at(day, 12))
        service = await service_of(rig.session, rig.world.departments["d2"])
        decision, _ = await create_allocation(rig.session, admin, ORIGIN, AllocationInput(
            rig.world.people["new_person"], service.id, 60, "week", day, external_ref="SAK-1"))  # fmt: skip
        await rig.session.commit()

        counts = await rig.run_worker()
        events = await rig.session.scalar(select(func.count()).select_from(BookingEvent))
        assert counts == {"delivered": 10, "retry": 0, "dead": 0}, events
        unique = receiver.unique()
        assert len(receiver.valid) == len(unique) == 10
        assert receiver.invalid == []
        types = sorted(item.payload["type"] for item in unique.values())
        once = ["booking.moved", "booking.cancelled", "booking.late_cancelled", "visit.delivered", "visit.no_show"]
        assert types == sorted(["booking.booked"] * 4 + once + ["decision.created"])
        by_type = receiver.by_type()
        assert by_type["booking.moved"][0]["data"]["booking_id"] == str(moved)
        assert by_type["booking.moved"][0]["data"]["previous_starts_at"] == at(day, 10).astimezone(UTC).isoformat()
        assert by_type["booking.late_cancelled"][0]["data"]["booking_id"] == str(late)
        assert by_type["decision.created"][0]["data"]["decision_id"] == str(decision.id)
        # No personal data without the scope: neither the person's id, name nor national id, nor the case number.
        recipient = await rig.session.get_one(Person, rig.world.people["recipient"])
        for item in unique.values():
            body = item.body.decode()
            assert "recipient" not in item.payload["data"]
            for secret_thing in (str(recipient.id), recipient.given_name, recipient.national_id_masked, "SAK-1"):
                assert secret_thing not in body

        # Exactly once: the outbox taken again, the fan-out repeated, the worker run again add nothing.
        every = list((await rig.session.scalars(select(BookingEvent))).all())
        assert await fanout.booking_events(rig.session, every, rig.clock()) == 0
        assert await rig.run_worker() == {"delivered": 0, "retry": 0, "dead": 0}
        assert len(receiver.received) == 10
        rows = await _deliveries(rig, subscription)
        assert {row.status for row in rows} == {"delivered"}
        assert {row.message_id for row in rows} == set(unique)
        disclosed = select(func.count()).where(AuditEntry.action == "webhook.personal_data")
        assert await rig.session.scalar(disclosed) == 0  # no personal data, nothing in anyone's access log


async def test_personal_data_only_with_the_scope_and_only_for_municipality_administrators(rig: Rig) -> None:
    async with WebhookReceiver() as receiver:
        await rig.act_as("dept_admin")
        refused = await rig.client.post("/api/v1/webhooks", json={
            "url": receiver.url, "event_types": ["booking.booked"], "department_id": str(rig.world.departments["d1"]),
            "personal_data": True})  # fmt: skip
        assert refused.status_code == 403
        assert refused.headers["content-type"] == PROBLEM
        assert refused.json()["type"] == "urn:tjenesteshop:problem:webhook_personal_data_not_allowed"
        _, secret = await rig.subscribe("muni_admin", receiver.url, event_types=["booking.booked"], personal_data=True)
        receiver.secrets.append(secret)
        booking = await rig.book("recipient", "d1", at(bookable_day(), 9))
        await rig.run_worker()
        (item,) = receiver.unique().values()
        recipient = await rig.session.get_one(Person, rig.world.people["recipient"])
        assert item.payload["data"]["booking_id"] == str(booking)
        assert item.payload["data"]["recipient_id"] == str(recipient.id)
        assert item.payload["data"]["recipient"] == {"given_name": recipient.given_name,
                                                     "family_name": recipient.family_name,
                                                     "national_id_masked": recipient.national_id_masked}  # fmt: skip
        assert rig.world.national_ids["recipient"] not in item.body.decode()  # never the full number
        # The disclosure is in the person's access log, in the name of whoever subscribed.
        await rig.act_as("recipient")
        log = (await rig.client.get("/api/v1/me/access-log")).json()
        sent = [entry for entry in log if entry["action"] == "webhook.personal_data"]
        assert [(entry["actor_name"], entry["actor_kind"]) for entry in sent] == [("Muni Admin Testesen", "person")]


async def test_a_wrong_secret_is_detected_by_the_receiver(rig: Rig) -> None:
    async with WebhookReceiver() as receiver:
        subscription, secret = await rig.subscribe("muni_admin", receiver.url, event_types=["booking.booked"])
        receiver.secrets.append(new_secret())  # another subscription's, say
        await rig.book("recipient", "d1", at(bookable_day(), 9))
        assert await rig.run_worker() == {"delivered": 0, "retry": 1, "dead": 0}
        (refused,) = receiver.received
        assert (refused.valid, refused.reason, refused.answered) == (False, "bad_signature", 401)
        (row,) = await _deliveries(rig, subscription)
        assert (row.status, row.last_status, row.attempts) == ("pending", 401, 1)
        receiver.secrets[:] = [secret]  # the integrator fixes their configuration: the retry is accepted
        rig.clock.now += timedelta(seconds=5)
        assert await rig.run_worker() == {"delivered": 1, "retry": 0, "dead": 0}
        assert receiver.received[1].message_id == refused.message_id


async def test_retries_back_off_then_a_dead_letter_that_an_administrator_redelivers(rig: Rig) -> None:
    async with WebhookReceiver(clock=rig.clock) as receiver:
        subscription, secret = await rig.subscribe("dept_admin", receiver.url, event_types=["booking.booked"],
                                                   department_id=str(rig.world.departments["d1"]))  # fmt: skip
        receiver.secrets.append(secret)
        receiver.fail_next(3, status=503)
        await rig.book("recipient", "d1", at(bookable_day(), 9))
        start = rig.clock.now
        assert await rig.run_worker() == {"delivered": 0, "retry": 1, "dead": 0}
        (row,) = await _deliveries(rig, subscription)
        assert row.next_attempt_at == start + timedelta(seconds=5)
        rig.clock.now = start + timedelta(seconds=4)  # not yet due
        assert await rig.run_worker() == {"delivered": 0, "retry": 0, "dead": 0}
        rig.clock.now = start + timedelta(seconds=5)
        assert await rig.run_worker() == {"delivered": 0, "retry": 1, "dead": 0}
        (row,) = await _deliveries(rig, subscription)
        assert row.next_attempt_at == start + timedelta(seconds=305)
        rig.clock.now = start + timedelta(seconds=305)
        assert await rig.run_worker() == {"delivered": 0, "retry": 0, "dead": 1}
        assert [r.answered for r in receiver.received] == [503, 503, 503]
        assert len({r.message_id for r in receiver.received}) == 1  # the same webhook-id on every try

        # The dead letter: its department's and the municipality's administrators see it, d2's do not.
        await rig.act_as("other_dept_admin")
        assert (await rig.client.get("/api/v1/webhooks/dead-letters")).json() == []
        await rig.act_as("dept_admin")
        (letter,) = (await rig.client.get("/api/v1/webhooks/dead-letters")).json()
        assert (letter["attempts"], letter["last_status"], letter["event_type"]) == (3, 503, "booking.booked")
        await rig.act_as("other_dept_admin")
        hidden = await rig.client.post(f"/api/v1/webhooks/dead-letters/{letter['id']}/redeliver")
        assert hidden.status_code == 404
        assert hidden.headers["content-type"] == PROBLEM
        await rig.act_as("dept_admin")
        again = await rig.client.post(f"/api/v1/webhooks/dead-letters/{letter['id']}/redeliver")
        assert again.json() == {"id": letter["id"], "status": "pending"}
        twice = await rig.client.post(f"/api/v1/webhooks/dead-letters/{letter['id']}/redeliver")
        assert (twice.status_code, twice.json()["type"]) == (409, "urn:tjenesteshop:problem:webhook_not_dead")
        rig.clock.now = utcnow() + timedelta(seconds=1)
        assert await rig.run_worker() == {"delivered": 1, "retry": 0, "dead": 0}
        assert receiver.unique()[letter["message_id"]].answered == 204
        audited = await rig.session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "webhook.redeliver")
        )
        assert audited == 1


async def test_rotation_signs_with_both_secrets_until_the_overlap_ends(rig: Rig) -> None:
    async with WebhookReceiver(clock=rig.clock) as old_only, WebhookReceiver(clock=rig.clock) as new_only:
        first, old = await rig.subscribe("muni_admin", old_only.url, event_types=["booking.booked"])
        old_only.secrets.append(old)
        await rig.act_as("muni_admin")
        rotated = await rig.client.post(f"/api/v1/webhooks/{first}/rotate-secret")
        assert rotated.status_code == 201, rotated.text
        new = rotated.json()["secret"]
        assert new != old
        assert rotated.json()["webhook"]["rotating_until"] is not None
        new_only.secrets.append(new)
        # Point the subscription at the second receiver halfway: both receivers must accept the same signatures.
        await rig.book("recipient", "d1", at(bookable_day(), 9))
        await rig.run_worker()
        (item,) = old_only.unique().values()
        assert len(item.signatures) == 2  # new and old, space-separated
        changed = await rig.client.patch(f"/api/v1/webhooks/{first}", json={"url": new_only.url})
        assert changed.status_code == 200, changed.text
        await rig.book("recipient", "d1", at(bookable_day(), 11))
        await rig.run_worker()
        (second,) = new_only.unique().values()
        assert len(second.signatures) == 2
        # After the overlap only the new secret signs: a receiver still on the old one refuses.
        rig.clock.now += timedelta(hours=24, seconds=1)
        new_only.secrets[:] = [old]
        await rig.book("recipient", "d1", at(bookable_day(), 13))
        await rig.run_worker()
        last = new_only.received[-1]
        assert (last.valid, last.reason, len(last.signatures)) == (False, "bad_signature", 1)


async def test_a_department_administrator_never_subscribes_to_or_receives_another_departments_events(
    rig: Rig,
) -> None:
    async with WebhookReceiver() as d1_receiver, WebhookReceiver() as d2_receiver:
        d1, d2 = (str(rig.world.departments[name]) for name in ("d1", "d2"))
        await rig.act_as("other_dept_admin")  # d2's administrator
        for body in ({"department_id": d1}, {}, {"department_id": d1, "personal_data": True}):
            refused = await rig.client.post(
                "/api/v1/webhooks", json={"url": d2_receiver.url, "event_types": ["booking.booked"]} | body
            )
            assert refused.status_code == 403, body
            assert refused.headers["content-type"] == PROBLEM
        d2_subscription, d2_secret = await rig.subscribe("other_dept_admin", d2_receiver.url, department_id=d2)
        d1_subscription, d1_secret = await rig.subscribe("dept_admin", d1_receiver.url, department_id=d1)
        d2_receiver.secrets.append(d2_secret)
        d1_receiver.secrets.append(d1_secret)
        # d2's administrator neither sees nor changes d1's subscription.
        await rig.act_as("other_dept_admin")
        listed = (await rig.client.get("/api/v1/webhooks")).json()
        assert [item["id"] for item in listed] == [d2_subscription]
        for method in ("PATCH", "DELETE"):
            other = await rig.client.request(method, f"/api/v1/webhooks/{d1_subscription}", json={"active": False})
            assert other.status_code == 404
        assert (await rig.client.post(f"/api/v1/webhooks/{d1_subscription}/rotate-secret")).status_code == 404

        in_d1 = await rig.book("recipient", "d1", at(bookable_day(), 9))
        in_d2 = await rig.book("other_recipient", "d2", at(bookable_day(), 9))
        await rig.run_worker()
        assert [item.payload["data"]["booking_id"] for item in d1_receiver.unique().values()] == [str(in_d1)]
        assert [item.payload["data"]["booking_id"] for item in d2_receiver.unique().values()] == [str(in_d2)]
        assert d1_receiver.invalid == d2_receiver.invalid == []


async def test_a_paused_subscription_gets_nothing_and_a_deleted_one_is_gone(rig: Rig) -> None:
    async with WebhookReceiver() as receiver:
        subscription, secret = await rig.subscribe("token_admin", receiver.url, event_types=["booking.booked"])
        receiver.secrets.append(secret)
        paused = await rig.client.patch(f"/api/v1/webhooks/{subscription}", json={"active": False})
        assert paused.json()["active"] is False
        await rig.book("recipient", "d1", at(bookable_day(), 9))
        await rig.run_worker()
        assert receiver.received == []
        gone = await rig.client.delete(f"/api/v1/webhooks/{subscription}")
        assert gone.status_code == 204
        assert (await rig.client.get("/api/v1/webhooks")).json() == []
        actions = (
            await rig.session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("webhook.%")))
        ).all()
        assert sorted(actions) == ["webhook.create", "webhook.delete", "webhook.update"]


@pytest.mark.parametrize(
    ("body", "status", "problem"),
    [
        ({"url": "http://journal.example.no/hooks"}, 422, "webhook_endpoint_not_allowed"),
        ({"url": "http://127.0.0.1:9/hooks"}, 422, "webhook_endpoint_not_allowed"),
        ({"url": "https://127.0.0.1/hooks"}, 422, "webhook_endpoint_not_allowed"),
        ({"url": "https://10.0.0.7/hooks"}, 422, "webhook_endpoint_not_allowed"),
        ({"url": "https://169.254.169.254/latest"}, 422, "webhook_endpoint_not_allowed"),
        ({"url": "https://[::1]/hooks"}, 422, "webhook_endpoint_not_allowed"),
        ({"url": "https://journal.internal/hooks"}, 422, "webhook_endpoint_not_allowed"),
        ({"url": "https://user:pw@journal.example.no/hooks"}, 422, "webhook_endpoint_not_allowed"),
        ({"url": "https://journal.example.no:8443/hooks"}, 422, "webhook_endpoint_not_allowed"),
        ({"url": "https://journal.example.no/hooks", "event_types": ["booking.exploded"]}, 422, "validation_failed"),
        ({"url": "https://journal.example.no/hooks", "event_types": []}, 422, "validation_failed"),
        ({"url": "https://journal.example.no/h\u0000ooks"}, 422, "text_contains_nul"),
        ({"url": "https://journal.example.no/hooks", "description": "a\u0000b"}, 422, "text_contains_nul"),
        ({"url": "https://journal.example.no/hooks", "secret": "mine"}, 422, "validation_failed"),
    ],
)
async def test_bad_input_in_production_is_a_problem_and_writes_nothing(
    settings: Settings, connection: AsyncConnection, db_session: AsyncSession, body: dict[str, Any], status: int,
    problem: str,
) -> None:  # fmt: skip
    world = await build_world(db_session, settings)
    production = settings.model_copy(update={"environment": "production", "secret_key": SecretStr("x" * 40)})
    async with http_client(app_on(production, connection)) as client:
        client.headers["authorization"] = f"Bearer {world.secrets['token_admin']}"
        response = await client.post("/api/v1/webhooks", json={"event_types": ["booking.booked"]} | body)
        assert response.status_code == status, response.text
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["type"] == f"urn:tjenesteshop:problem:{problem}"
        # The same production app accepts a public https endpoint.
        accepted = await client.post("/api/v1/webhooks", json={"url": "https://journal.example.no/hooks",
                                                               "event_types": ["booking.booked"]})  # fmt: skip
        assert accepted.status_code == 201, accepted.text
    rows = await db_session.scalar(select(func.count()).select_from(WebhookDelivery))
    assert rows == 0
    assert json.loads(accepted.text)["webhook"]["url"] == "https://journal.example.no/hooks"


async def test_in_production_a_name_that_resolves_inwards_is_not_posted_to(rig: Rig) -> None:
    async with WebhookReceiver() as receiver:
        subscription, secret = await rig.subscribe("muni_admin", receiver.url, event_types=["booking.booked"])
        receiver.secrets.append(secret)
        # The name was public when it was subscribed; now it resolves to this machine (DNS rebinding, say).
        await rig.session.execute(
            update(WebhookSubscription)
            .where(WebhookSubscription.id == uuid.UUID(subscription))
            .values(url=receiver.url.replace("127.0.0.1", "localhost"))
        )
        await rig.session.commit()
        await rig.book("recipient", "d1", at(bookable_day(), 9))
        rig.sender = replace(rig.sender, production=True)
        assert await rig.run_worker() == {"delivered": 0, "retry": 1, "dead": 0}
        assert receiver.received == []
        (row,) = await _deliveries(rig, subscription)
        assert (row.status, row.last_error, row.last_status) == ("pending", "private_address", None)


async def test_deliveries_that_arrived_long_ago_are_pruned_and_dead_letters_kept(rig: Rig) -> None:
    async with WebhookReceiver() as receiver:
        subscription, secret = await rig.subscribe("muni_admin", receiver.url, event_types=["booking.booked"])
        receiver.secrets.append(secret)
        for hour in (9, 11, 13):
            await rig.book("recipient", "d1", at(bookable_day(), hour))
        await rig.run_worker()
        old, recent, dead = await _deliveries(rig, subscription)
        old.finished_at = rig.clock.now - timedelta(days=31)
        dead.status, dead.finished_at = "dead", rig.clock.now - timedelta(days=90)
        await rig.session.commit()
        assert await delivery.prune(rig.sessionmaker, rig.clock.now) == 1
        assert [row.id for row in await _deliveries(rig, subscription)] == [recent.id, dead.id]


async def test_many_deliveries_are_inserted_in_chunks_and_each_once(rig: Rig, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fanout, "INSERT_CHUNK", 3)  # eight rows: chunks of 3, 3 and 2
    async with WebhookReceiver() as first, WebhookReceiver() as second:
        made = [await rig.subscribe("muni_admin", r.url, event_types=["booking.booked", "booking.cancelled"]) for r in
                (first, second)]  # fmt: skip
        first.secrets.append(made[0][1])
        second.secrets.append(made[1][1])
        bookings = [await rig.book("recipient", "d1", at(bookable_day(), hour)) for hour in (9, 11, 13)]
        await cancel(rig.session, rig.principal("muni_admin", "municipality_admin"), ORIGIN, bookings[0], now=utcnow())
        await rig.session.commit()
        assert (await rig.run_worker())["delivered"] == 8
        assert len(first.unique()) == len(second.unique()) == 4
