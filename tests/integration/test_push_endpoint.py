"""A Web Push subscription names a public https push service, never an address inside the network (finding 15)."""

from __future__ import annotations

import json

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from litestar import Litestar
from py_vapid import Vapid
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.settings import Settings
from notifications.channels.base import Message, PermanentFailure
from notifications.channels.push import PushChannel
from notifications.push_endpoint import refusal
from notifications.tables import PushSubscription
from tests.world import World, build_world, sign_in

KEYS = {"p256dh": "B" + "A" * 86, "auth": "A" * 22}
REFUSED = [
    "https://127.0.0.1/push",
    "https://localhost/push",
    "https://169.254.169.254/latest/meta-data",
    "https://10.0.0.7/push",
    "https://192.168.1.1/push",
    "https://172.16.5.4/push",
    "https://[::1]/push",
    "https://[fe80::1]/push",
    "https://[fd00::1]/push",
    "https://[::ffff:127.0.0.1]/push",
    "https://100.64.0.1/push",
    "https://0.0.0.0/push",
    "https://2130706433/push",
    "https://127.1/push",
    "https://0x7f.0.0.1/push",
    "https://redis.internal/push",
    "https://printer.local/push",
    "https://app.localhost/push",
    "https://router.home.arpa/push",
    "https://intranet/push",
    "https://fcm.googleapis.com:8443/fcm/send/x",
    "https://user:pw@fcm.googleapis.com/fcm/send/x",
    "http://fcm.googleapis.com/fcm/send/x",
]
ACCEPTED = [
    "https://fcm.googleapis.com/fcm/send/abc",
    "https://updates.push.services.mozilla.com/wpush/v2/abc",
    "https://web.push.apple.com/QGx",
    "https://wns2-db5p.notify.windows.com/w/?token=abc",
    "https://fcm.googleapis.com:443/fcm/send/abc",
    "https://8.8.8.8/push",
]


@pytest.fixture
async def world(db_session: AsyncSession, settings: Settings) -> World:
    return await build_world(db_session, settings)


@pytest.mark.parametrize("endpoint", ACCEPTED)
def test_public_push_services_are_accepted(endpoint: str) -> None:
    assert refusal(endpoint) is None


@pytest.mark.parametrize("endpoint", REFUSED)
async def test_internal_addresses_are_refused_with_a_norwegian_422(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, db_session: AsyncSession,
    endpoint: str,
) -> None:  # fmt: skip
    await sign_in(client, app.state.redis, settings, world, "recipient")
    response = await client.post(
        "/api/v1/me/push-subscriptions", json={"endpoint": endpoint, "keys": KEYS}, headers={"accept-language": "nb"}
    )
    assert response.status_code == 422, response.text
    body = response.json()
    code = "validation_failed" if endpoint.startswith("http:") else "push_endpoint_not_allowed"  # http: the schema
    assert body["type"] == f"urn:tjenesteshop:problem:{code}"
    assert await db_session.scalar(select(func.count()).select_from(PushSubscription)) == 0


async def test_a_public_push_service_is_registered(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World
) -> None:
    await sign_in(client, app.state.redis, settings, world, "recipient")
    response = await client.post(
        "/api/v1/me/push-subscriptions", json={"endpoint": ACCEPTED[0], "keys": KEYS}, headers={"accept-language": "nb"}
    )
    assert response.status_code == 201, response.text
    refused = await client.post(
        "/api/v1/me/push-subscriptions", json={"endpoint": REFUSED[2], "keys": KEYS}, headers={"accept-language": "nb"}
    )
    assert refused.json()["type"] == "urn:tjenesteshop:problem:push_endpoint_not_allowed"
    assert refused.json()["title"].startswith("Varslingsadressen er ikke tillatt")


@pytest.mark.parametrize("endpoint", ["https://10.0.0.7/push", "https://169.254.169.254/x", "https://redis.internal/"])
async def test_the_worker_never_posts_to_an_internal_endpoint(endpoint: str) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    channel = PushChannel(vapid=Vapid(key), subject="mailto:drift@kommune.example")
    to = json.dumps({"endpoint": endpoint, "keys": KEYS})
    with pytest.raises(PermanentFailure, match="not a public push service"):
        await channel.send(Message(to=to, subject="Påminnelse", text="Hei.", language="nb"))
