"""SMS through a LINK Mobility stand-in, its delivery receipts at our route, and the e-mail when an SMS fails.

The gateway is a real aiohttp server that answers as LINK Mobility's REST SMS API does and then posts its
delivery reports to `/api/v1/sms/receipts`; the e-mail goes to the real SMTP test server. Time is a fixed clock.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from arq.connections import RedisSettings, create_pool
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from booking.service import BookRequest, book
from core.clock import utcnow
from core.settings import Settings
from notifications import dispatch, queue, sending
from notifications.channels import channels_from_settings
from notifications.tables import ContactProblem, Reminder
from people.access import Principal
from people.audit import Origin
from people.tables import Person
from tests.booking_world import at, bookable_day, open_department, service_of
from tests.conftest import app_on, http_client
from tests.servers import Mailbox, running
from tests.world import World, build_world

ORIGIN = Origin(ip="127.0.0.1", user_agent="test", request_id="test")
SECRET = "kvittering-hemmelig-0123456789"  # noqa: S105 - a test's secret
USER, PASSWORD = "kommunen", "gateway-passord"
REFUSED = "+4740000000"  # the stand-in says "invalid destination" for this number
RECEIPTS = "/api/v1/sms/receipts"


@dataclass
class Gateway:
    """A LINK Mobility stand-in: checks Basic auth, keeps each send request, answers as the API does.

    `report` then plays the gate: it posts a delivery report for a message to our receipt route.
    """

    base: str = ""
    sent: list[dict[str, Any]] = field(default_factory=list)
    authorizations: list[str] = field(default_factory=list)
    callback: httpx.AsyncClient | None = None

    async def handle(self, request: web.Request) -> web.Response:
        self.authorizations.append(request.headers.get("Authorization", ""))
        expected = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        if request.headers.get("Authorization") != expected:
            return web.json_response({"resultCode": 1401, "description": "Unauthorized"}, status=401)
        body = await request.json()
        self.sent.append(body)
        if body.get("destination") == REFUSED:
            return web.json_response({"resultCode": 106, "description": "Invalid destination"}, status=400)
        return web.json_response({"messageId": f"msg{len(self.sent)}", "resultCode": 1005, "description": "Queued"})

    async def report(self, ref_id: str, result_code: int, secret: str | None = SECRET) -> httpx.Response:
        """Post LINK Mobility's delivery report for `ref_id` to our route, as the configured gate does."""
        assert self.callback is not None
        report = {
            "refId": ref_id, "id": "msg1", "operator": "no.telenor", "sentTimestamp": "2026-12-04T08:00:00Z",
            "timestamp": "2026-12-04T08:00:05Z", "resultCode": result_code, "operatorResultCode": "0", "segments": 1,
        }  # fmt: skip
        headers = {"X-Receipt-Secret": secret} if secret is not None else {}
        return await self.callback.post(RECEIPTS, json=report, headers=headers)


@pytest.fixture
async def gateway() -> AsyncIterator[Gateway]:
    stand_in = Gateway()
    app = web.Application()
    app.router.add_post("/sms/send", stand_in.handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    stand_in.base = str(server.make_url("/"))
    try:
        yield stand_in
    finally:
        await server.close()


@pytest.fixture
def inbox() -> Iterator[tuple[Mailbox, int]]:
    mailbox = Mailbox()
    with running(mailbox) as port:
        yield mailbox, port


@dataclass
class Rig:
    settings: Settings
    world: World
    session: AsyncSession
    sessionmaker: async_sessionmaker[AsyncSession]
    gateway: Gateway
    inbox: Mailbox
    client: httpx.AsyncClient
    now: datetime

    def clock(self) -> datetime:
        return self.now

    async def send(self, reminder_id: int) -> str:
        channels = channels_from_settings(self.settings)
        return await sending.send_reminder(
            self.sessionmaker, channels, reminder_id, now=self.clock, base_url=self.settings.base_url
        )

    async def fallbacks(self) -> int:
        channels = channels_from_settings(self.settings)
        return await sending.send_due_fallbacks(
            self.sessionmaker, channels, now=self.clock, base_url=self.settings.base_url
        )

    async def tick(self) -> dict[str, int]:
        """The worker's periodic job, with this rig's clock, channels and database."""
        pool = await create_pool(RedisSettings.from_dsn(self.settings.redis_url or ""))
        ctx = {"sessionmaker": self.sessionmaker, "clock": self.clock, "window": timedelta(0), "redis": pool,
               "channels": channels_from_settings(self.settings), "settings": self.settings}  # fmt: skip
        try:
            return await queue.tick(ctx)
        finally:
            await pool.aclose()

    async def reminder(self, reminder_id: int) -> Reminder:
        found = await self.session.get(Reminder, reminder_id, populate_existing=True)
        assert found is not None
        return found


@pytest.fixture
async def rig(
    db_session: AsyncSession, connection: AsyncConnection, settings: Settings, gateway: Gateway,
    inbox: tuple[Mailbox, int],
) -> AsyncIterator[Rig]:  # fmt: skip
    mailbox, port = inbox
    own = settings.model_copy(
        update={"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_security": "none",
                "mail_from": "Tjenesteshop <ikke-svar@kommune.example>", "sms_provider": "linkmobility",
                "sms_gateway_url": gateway.base + "sms/send", "sms_gateway_token": PASSWORD,
                "sms_gateway_username": USER, "sms_platform_id": "COMMON_API", "sms_platform_partner_id": "4711",
                "sms_delivery_report_gate": "gate-tjenesteshop", "sms_receipt_secret": SECRET}
    )  # fmt: skip
    own = Settings.model_validate(own.model_dump())  # SecretStr fields from plain strings
    world = await build_world(db_session, own)
    await open_department(db_session, world.departments["d1"], staff=2)
    recipient = await db_session.get(Person, world.people["recipient"])
    assert recipient is not None
    recipient.phone, recipient.email, recipient.reminder_channel = "912 34 567", "kari@example.no", "sms"
    await db_session.commit()
    maker = async_sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    async with http_client(app_on(own, connection)) as client:
        gateway.callback = client
        yield Rig(own, world, db_session, maker, gateway, mailbox, client, utcnow())


async def _reminder_due(rig: Rig) -> int:
    """Book a visit two days ahead, plan its reminders, and move the clock to the 24-hour one's time."""
    service = await service_of(rig.session, rig.world.departments["d1"])
    recipient = rig.world.people["recipient"]
    principal = Principal(municipality_id=rig.world.municipality, person_id=recipient)
    start = at(bookable_day(2), 10)
    booking = await book(rig.session, principal, ORIGIN, BookRequest(recipient, service.id, start, 60),
                         key=uuid.uuid4().hex, now=utcnow())  # fmt: skip
    await rig.session.commit()
    await dispatch.dispatch_events(rig.sessionmaker, rig.now)
    reminder_id = await rig.session.scalar(
        select(Reminder.id).where(Reminder.booking_id == booking.id, Reminder.person_id == recipient,
                                  Reminder.lead_minutes == 1440)
    )  # fmt: skip
    assert reminder_id is not None
    rig.now = start - timedelta(hours=24)
    return reminder_id


def _reference(reminder_id: int) -> str:
    return f"reminder-{reminder_id}"


async def test_the_sms_has_link_mobilitys_shape_and_a_delivered_receipt_marks_it(rig: Rig) -> None:
    reminder_id = await _reminder_due(rig)
    assert await rig.send(reminder_id) == "sent"
    assert rig.gateway.authorizations == ["Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()]
    [request] = rig.gateway.sent
    text = request.pop("userData")
    assert request == {
        "source": "Kommunen", "sourceTON": "ALPHANUMERIC", "destination": "+4791234567", "platformId": "COMMON_API",
        "platformPartnerId": "4711", "refId": _reference(reminder_id), "useDeliveryReport": True,
        "deliveryReportGates": ["gate-tjenesteshop"],
    }  # fmt: skip
    assert "kl. 10.00" in text
    queued = await rig.gateway.report(_reference(reminder_id), 1005)  # not final: nothing changes
    assert queued.status_code == 200
    assert queued.json() == {"reference": _reference(reminder_id), "outcome": "pending"}
    assert (await rig.reminder(reminder_id)).receipt is None
    delivered = await rig.gateway.report(_reference(reminder_id), 1001)
    assert delivered.json() == {"reference": _reference(reminder_id), "outcome": "delivered"}
    reminder = await rig.reminder(reminder_id)
    assert (reminder.status, reminder.receipt, reminder.receipt_at, reminder.fallback) == (
        "sent", "delivered", reminder.receipt_at, None
    )  # fmt: skip
    assert reminder.receipt_at is not None
    late_failure = await rig.gateway.report(_reference(reminder_id), 1006)  # the first final receipt counts
    assert late_failure.json()["outcome"] == "unchanged"
    assert await rig.fallbacks() == 0
    assert (await rig.reminder(reminder_id)).receipt == "delivered"
    assert rig.inbox.messages == []


async def test_a_delayed_sms_is_waited_for_and_one_delivered_with_billing_later_counts_as_delivered(rig: Rig) -> None:
    """1012 (delayed: the gateway tries again) is not a failure, and 1007 (delivered, billed later) is delivered."""
    reminder_id = await _reminder_due(rig)
    assert await rig.send(reminder_id) == "sent"
    for code in (1012, 1011):
        answer = await rig.gateway.report(_reference(reminder_id), code)
        assert answer.json() == {"reference": _reference(reminder_id), "outcome": "pending"}
    assert (await rig.reminder(reminder_id)).fallback is None
    delivered = await rig.gateway.report(_reference(reminder_id), 1007)
    assert delivered.json()["outcome"] == "delivered"
    assert await rig.fallbacks() == 0
    assert rig.inbox.messages == []


async def test_a_failed_receipt_sends_the_reminder_by_email_once(rig: Rig) -> None:
    reminder_id = await _reminder_due(rig)
    assert await rig.send(reminder_id) == "sent"
    for _ in range(2):  # the gateway repeats itself
        answer = await rig.gateway.report(_reference(reminder_id), 1006)
        assert answer.status_code == 200
    assert (await rig.reminder(reminder_id)).fallback == "due"
    assert (await rig.tick())["fallbacks"] == 1  # the worker's tick sends it
    assert (await rig.gateway.report(_reference(reminder_id), 1006)).json()["outcome"] == "unchanged"
    assert await rig.fallbacks() == 0  # nothing due any more
    assert [str(message["To"]) for message in rig.inbox.messages] == ["kari@example.no"]
    assert "kl. 10.00" in str(rig.inbox.messages[0]["Subject"])
    reminder = await rig.reminder(reminder_id)
    assert (reminder.receipt, reminder.fallback) == ("failed", "sent")


async def test_a_number_the_gateway_refuses_is_recorded_and_emailed_instead(rig: Rig) -> None:
    recipient = await rig.session.get(Person, rig.world.people["recipient"])
    assert recipient is not None
    recipient.phone = REFUSED
    await rig.session.commit()
    reminder_id = await _reminder_due(rig)
    assert await rig.send(reminder_id) == "dead"
    assert [body["destination"] for body in rig.gateway.sent] == [REFUSED]
    problem = await rig.session.scalar(select(ContactProblem).where(ContactProblem.person_id == recipient.id))
    assert problem is not None
    assert (problem.channel, problem.address) == ("sms", REFUSED)
    assert "Invalid destination" in problem.reason
    assert await rig.fallbacks() == 0  # already sent by the job that met the refusal
    assert [str(message["To"]) for message in rig.inbox.messages] == ["kari@example.no"]
    assert (await rig.reminder(reminder_id)).fallback == "sent"


async def test_a_landline_is_refused_before_sending_and_without_email_nothing_goes(rig: Rig) -> None:
    recipient = await rig.session.get(Person, rig.world.people["recipient"])
    assert recipient is not None
    recipient.phone, recipient.email = "22 12 34 56", None  # an Oslo landline: no SMS
    await rig.session.commit()
    reminder_id = await _reminder_due(rig)
    assert await rig.send(reminder_id) == "dead"
    assert rig.gateway.sent == []  # refused here, never posted
    reminder = await rig.reminder(reminder_id)
    assert (reminder.last_error, reminder.fallback) == ("not a Norwegian mobile number", "unwanted")
    assert rig.inbox.messages == []


async def test_no_email_when_the_person_has_turned_reminders_off(rig: Rig) -> None:
    reminder_id = await _reminder_due(rig)
    assert await rig.send(reminder_id) == "sent"
    recipient = await rig.session.get(Person, rig.world.people["recipient"])
    assert recipient is not None
    recipient.reminder_channel = "none"
    await rig.session.commit()
    assert (await rig.gateway.report(_reference(reminder_id), 1006)).json()["outcome"] == "failed"
    assert await rig.fallbacks() == 1
    assert (await rig.reminder(reminder_id)).fallback == "unwanted"
    assert rig.inbox.messages == []


@pytest.mark.parametrize("secret", [None, "", "feil", SECRET + "x"])
async def test_a_receipt_without_the_secret_is_401_and_writes_nothing(rig: Rig, secret: str | None) -> None:
    reminder_id = await _reminder_due(rig)
    assert await rig.send(reminder_id) == "sent"
    answer = await rig.gateway.report(_reference(reminder_id), 1006, secret=secret)
    assert answer.status_code == 401
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["type"].endswith("unauthorized")
    reminder = await rig.reminder(reminder_id)
    assert (reminder.receipt, reminder.fallback) == (None, None)


async def test_unknown_references_are_404_and_bad_bodies_are_refused(rig: Rig) -> None:
    reminder_id = await _reminder_due(rig)  # planned, not yet sent: no SMS has this reference yet
    headers = {"X-Receipt-Secret": SECRET}
    for reference in (_reference(reminder_id), "reminder-999999999", "noe-annet", ""):
        answer = await rig.client.post(RECEIPTS, json={"refId": reference, "resultCode": 1001}, headers=headers)
        assert answer.status_code == 404, reference
        assert answer.headers["content-type"].startswith("application/problem+json")
    missing = await rig.client.post(RECEIPTS, json={"refId": _reference(reminder_id)}, headers=headers)
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "resultCode"
    broken = await rig.client.post(RECEIPTS, content=b"{", headers=headers | {"Content-Type": "application/json"})
    assert broken.status_code == 400
    assert (await rig.reminder(reminder_id)).receipt is None


async def test_the_generic_receipt_shape_is_understood(rig: Rig) -> None:
    reminder_id = await _reminder_due(rig)
    assert await rig.send(reminder_id) == "sent"
    body = {"reference": _reference(reminder_id), "status": "failed", "detail": json.dumps({"code": 42})}
    answer = await rig.client.post(RECEIPTS, json=body, headers={"X-Receipt-Secret": SECRET})
    assert answer.json() == {"reference": _reference(reminder_id), "outcome": "failed"}
    assert await rig.fallbacks() == 1
    assert len(rig.inbox.messages) == 1
