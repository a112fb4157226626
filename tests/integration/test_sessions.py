"""Sessions end: after an absolute lifetime however busy, everywhere at once on request, and at ID-porten too."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from litestar import Litestar
from pydantic import SecretStr
from redis.asyncio import Redis
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from api.auth import SESSION_COOKIE
from core.clock import utcnow
from core.settings import Settings
from people.sessions import create_session, load_session, new_session
from people.tables import AuditEntry
from tests.conftest import app_on, http_client
from tests.oidc_provider import TOLERATE_PROVIDER_WARNINGS, running_provider, sign_in_at_provider
from tests.world import World, build_world, server_session

pytestmark = TOLERATE_PROVIDER_WARNINGS


@pytest.fixture
async def world(db_session: AsyncSession, settings: Settings) -> World:
    return await build_world(db_session, settings)


async def _me(client: httpx.AsyncClient, session_id: str) -> int:
    client.cookies.clear()
    return (await client.get("/api/v1/me", headers={"Cookie": f"{SESSION_COOKIE}={session_id}"})).status_code


async def test_a_session_ends_after_its_absolute_lifetime_however_busy(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World
) -> None:
    redis: Redis = app.state.redis
    person, municipality = world.people["recipient"], world.municipality
    assert settings.session_max_hours == 12
    signed_in = utcnow() - timedelta(hours=11, minutes=59)
    busy = await create_session(redis, settings.redis_prefix, new_session(person, municipality, "test"), now=signed_in)
    assert await _me(client, busy) == 200  # used a moment ago: its idle expiry is renewed, 8 hours from now
    later = utcnow() + timedelta(minutes=2)  # 12 h 1 min after signing in
    assert await load_session(redis, settings.redis_prefix, busy, now=later) is None
    assert await _me(client, busy) == 401  # gone for good, not only at that instant

    old = utcnow() - timedelta(hours=12, seconds=1)
    stale = await create_session(redis, settings.redis_prefix, new_session(person, municipality, "test"), now=old)
    stored = f"{settings.redis_prefix}session:{hashlib.sha256(stale.encode()).hexdigest()}"
    assert await redis.ttl(stored) > 0  # Redis still holds it: the lifetime, not the expiry, ends it
    assert await _me(client, stale) == 401


async def test_the_lifetime_is_a_setting(settings: Settings, connection: AsyncConnection, world: World) -> None:
    short = settings.model_copy(update={"session_max_hours": 1})
    redis = Redis.from_url(settings.redis_url or "")
    try:
        person, municipality = world.people["recipient"], world.municipality
        fresh = await create_session(redis, settings.redis_prefix, new_session(person, municipality, "test"))
        hour_old = await create_session(
            redis, settings.redis_prefix, new_session(person, municipality, "test"), now=utcnow() - timedelta(hours=1)
        )
        async with http_client(app_on(short, connection)) as client:
            assert await _me(client, fresh) == 200
            assert await _me(client, hour_old) == 401
    finally:
        await redis.aclose()


async def test_sign_out_everywhere_ends_every_session_of_the_person_only(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, db_session: AsyncSession
) -> None:
    redis: Redis = app.state.redis
    phone, laptop, tablet = [
        await server_session(redis, settings, world.people["recipient"], world.municipality) for _ in range(3)
    ]
    someone_else, _ = await server_session(redis, settings, world.people["staff"], world.municipality)
    for session_id, _ in (phone, laptop, tablet):
        assert await _me(client, session_id) == 200
    client.cookies.clear()
    out = await client.post(
        "/auth/logout-everywhere", headers={"Cookie": f"{SESSION_COOKIE}={phone[0]}", "X-CSRF-Token": phone[1]}
    )
    assert out.status_code == 200, out.text
    assert out.json()["sessions_ended"] == 3
    assert "end_session_url" not in out.json()  # not signed in through a provider
    for session_id, _ in (phone, laptop, tablet):
        assert await _me(client, session_id) == 401
    assert await _me(client, someone_else) == 200
    entry = await db_session.scalar(select(AuditEntry).where(AuditEntry.action == "session.end_all"))
    assert entry is not None
    assert entry.subject_person_id == world.people["recipient"]
    again, _ = await server_session(redis, settings, world.people["recipient"], world.municipality)
    assert await _me(client, again) == 200  # signing in again works


async def test_sign_out_everywhere_wants_a_person_and_the_csrf_token(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World
) -> None:
    assert (await client.post("/auth/logout-everywhere")).status_code == 401
    session_id, _ = await server_session(app.state.redis, settings, world.people["recipient"], world.municipality)
    forged = await client.post("/auth/logout-everywhere", headers={"Cookie": f"{SESSION_COOKIE}={session_id}"})
    assert forged.status_code == 403  # a cross-site form cannot sign anyone out everywhere
    assert await _me(client, session_id) == 200
    client.headers["authorization"] = f"Bearer {world.secrets['token_admin']}"
    assert (await client.post("/auth/logout-everywhere")).status_code == 403


@pytest.fixture(scope="module")
def issuer() -> Iterator[str]:
    with running_provider() as url:
        yield url


@pytest.fixture
async def idporten_client(
    settings: Settings, connection: AsyncConnection, issuer: str
) -> AsyncIterator[httpx.AsyncClient]:
    configured = settings.model_copy(
        update={"base_url": "http://test", "idporten_issuer": issuer, "idporten_client_id": "tjenesteshop",
                "idporten_client_secret": SecretStr("hemmelig")}
    )  # fmt: skip
    async with http_client(app_on(configured, connection)) as client:
        yield client


async def test_signing_out_signs_out_at_id_porten_too(
    idporten_client: httpx.AsyncClient, world: World, issuer: str
) -> None:
    client, national_id = idporten_client, world.national_ids["recipient"]
    login = await client.get("/auth/login", params={"provider": "idporten"})
    async with httpx.AsyncClient() as browser_at_provider:
        back = await sign_in_at_provider(
            browser_at_provider, login.headers["location"], sub=f"sub-{national_id}",
            claims={"pid": national_id, "acr": "idporten-loa-substantial"},
        )  # fmt: skip
        parts = urlsplit(back)
        assert (await client.get(f"{parts.path}?{parts.query}")).status_code == 303
        me = (await client.get("/api/v1/me")).json()
        out = await client.post("/auth/logout", headers={"X-CSRF-Token": me["csrf_token"]})
        assert out.status_code == 200, out.text
        assert (await client.get("/api/v1/me")).status_code == 401
        url = out.json()["end_session_url"]
        assert url.startswith(f"{issuer}/oauth2/end_session?")
        query = parse_qs(urlsplit(url).query)
        assert query["post_logout_redirect_uri"] == ["http://test/"]
        claims = json.loads(base64.urlsafe_b64decode(query["id_token_hint"][0].split(".")[1] + "=="))
        assert claims["pid"] == national_id  # the ID token of this very sign-in
        assert claims["iss"] == issuer
        at_provider = await browser_at_provider.get(url)  # the real provider takes it: its sign-out page
        assert at_provider.status_code == 200
        assert "http://test/" in at_provider.text


async def test_a_signed_in_request_renews_the_idle_expiry_and_an_unknown_session_is_401(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World
) -> None:
    # Read in one round trip of its own (`api.roundtrip`) on a route without rate limits: GETEX renews the expiry.
    redis: Redis = app.state.redis
    person, municipality = world.people["recipient"], world.municipality
    session_id = await create_session(redis, settings.redis_prefix, new_session(person, municipality, "test"))
    stored = f"{settings.redis_prefix}session:{hashlib.sha256(session_id.encode()).hexdigest()}"
    await redis.expire(stored, 100)
    assert await _me(client, session_id) == 200
    assert await redis.ttl(stored) > 7 * 3600  # 8 hours from now again
    await redis.delete(stored)
    assert await _me(client, session_id) == 401
