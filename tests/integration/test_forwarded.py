"""X-Forwarded-For is believed only from configured proxies: a client cannot choose its rate-limit or audit address.

The app is driven as `tjenesteshop serve` runs it (uvicorn's config and middleware included), from 127.0.0.1, which
uvicorn's own proxy-header handling trusted by default (any process on the host, a side-car, a local tunnel).
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
import uvicorn
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from api.forwarded import client_of
from api.middleware import ServerTiming
from core.settings import Settings
from people.tables import AuditEntry, Person
from tests.conftest import app_on
from tjenesteshop.cli import uvicorn_options
from tjenesteshop.demo import _load

SIGN_IN_LIMIT = 30  # api/ratelimit.py: SIGN_IN_PER_IP


def _loopback() -> str:
    return f"127.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250) + 1}"


@asynccontextmanager
async def served(settings: Settings, connection: AsyncConnection, peer: str) -> AsyncIterator[httpx.AsyncClient]:
    """The app wrapped as `serve` wraps it, a client connecting from `peer`."""
    app = app_on(settings, connection)
    config = uvicorn.Config(ServerTiming(app), **uvicorn_options(settings, "127.0.0.1", 8000))
    config.load()
    async with app.lifespan():
        transport = httpx.ASGITransport(app=config.loaded_app, client=(peer, 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


async def _sign_in_statuses(client: httpx.AsyncClient, count: int) -> list[int]:
    """`count` sign-in attempts, each claiming another forwarded address."""
    return [
        (
            await client.get(
                "/auth/login", params={"provider": "nowhere"}, headers={"X-Forwarded-For": f"198.51.100.{i + 1}"}
            )
        ).status_code
        for i in range(count)
    ]


async def test_a_forged_forwarded_address_does_not_escape_the_per_address_limit(
    settings: Settings, connection: AsyncConnection
) -> None:
    async with served(settings, connection, "127.0.0.1") as client:
        statuses = await _sign_in_statuses(client, SIGN_IN_LIMIT + 1)
    assert statuses[:SIGN_IN_LIMIT] == [404] * SIGN_IN_LIMIT
    assert statuses[SIGN_IN_LIMIT] == 429  # one address, whatever the header claimed


async def test_a_configured_proxy_is_believed(settings: Settings, connection: AsyncConnection) -> None:
    peer = _loopback()
    behind_proxy = settings.model_copy(
        update={"trusted_proxies": Settings(trusted_proxies=f"{peer}/32").trusted_proxies}
    )
    async with served(behind_proxy, connection, peer) as client:
        statuses = await _sign_in_statuses(client, SIGN_IN_LIMIT + 1)
    assert 429 not in statuses  # many phones behind one load balancer, each counted on its own


async def test_the_audit_log_keeps_the_real_address(
    settings: Settings, connection: AsyncConnection, db_session: AsyncSession
) -> None:
    await _load(db_session, settings)
    await db_session.commit()
    kari = await db_session.scalar(select(Person.id).where(Person.given_name == "Kari"))
    peer = "::1"  # uvicorn's other default-trusted address (127.0.0.1 has used up its sign-ins above)
    async with served(settings.model_copy(update={"demo": True}), connection, peer) as client:
        page = await client.get("/auth/demo")
        token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        signed_in = await client.post(
            f"/auth/demo/{kari}", headers={"X-CSRF-Token": token, "X-Forwarded-For": "203.0.113.66"}
        )
        assert signed_in.status_code == 303
    logged = await db_session.scalar(select(AuditEntry).where(AuditEntry.action == "session.create"))
    assert logged is not None
    assert str(logged.ip) == peer


def test_only_what_trusted_proxies_appended_counts() -> None:
    proxies = Settings(trusted_proxies="10.0.0.0/8", _env_file=None)
    # The client wrote "1.2.3.4" itself; the proxy appended the address it saw.
    assert client_of(proxies, "10.0.0.2", ["1.2.3.4, 198.51.100.9"]) == "198.51.100.9"
    # Two proxies in a row (10.0.0.3 forwarded to 10.0.0.2).
    assert client_of(proxies, "10.0.0.2", ["198.51.100.9, 10.0.0.3"]) == "198.51.100.9"
    assert client_of(proxies, "10.0.0.2", ["198.51.100.9", "10.0.0.3"]) == "198.51.100.9"
    # A peer that is no proxy: its header means nothing.
    assert client_of(proxies, "198.51.100.20", ["10.0.0.1"]) == "198.51.100.20"
    # Garbage stops the walk at the last good address.
    assert client_of(proxies, "10.0.0.2", ["<script>, 10.0.0.3"]) == "10.0.0.3"
    assert client_of(proxies, "10.0.0.2", []) == "10.0.0.2"
    assert client_of(Settings(_env_file=None), "127.0.0.1", ["198.51.100.9"]) == "127.0.0.1"


@pytest.mark.parametrize("value", ["10.0.0.0/8, 192.168.0.1/32", "::1/128"])
def test_trusted_proxies_are_comma_separated_networks(value: str) -> None:
    assert Settings(trusted_proxies=value, _env_file=None).trusted_proxies


def test_a_bad_network_is_refused() -> None:
    with pytest.raises(ValueError, match="trusted_proxies"):
        Settings(trusted_proxies="everyone", _env_file=None)
