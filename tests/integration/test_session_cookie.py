"""The session cookies: `Secure` on https and always in production; the Redis session keeps nothing personal."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from pydantic import SecretStr
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from core.settings import Settings
from people.sessions import SignInSession, delete_all_sessions, id_token_of, load_session
from tests.conftest import app_on, http_client
from tests.oidc_provider import TOLERATE_PROVIDER_WARNINGS, running_provider, sign_in_at_provider
from tests.world import World, build_world

pytestmark = TOLERATE_PROVIDER_WARNINGS
COOKIES = ("tjenesteshop_session", "tjenesteshop_csrf")


@pytest.fixture(scope="module")
def issuer() -> Iterator[str]:
    with running_provider() as url:
        yield url


@pytest.fixture
async def world(db_session: AsyncSession, settings: Settings) -> World:
    return await build_world(db_session, settings)


def _configured(settings: Settings, issuer: str, **update: object) -> Settings:
    return settings.model_copy(
        update={
            "idporten_issuer": issuer,
            "idporten_client_id": "tjenesteshop",
            "idporten_client_secret": SecretStr("hemmelig"),
            **update,
        }
    )


async def _sign_in(client: httpx.AsyncClient, national_id: str) -> tuple[httpx.Response, httpx.Response]:
    """The /auth/login answer and the callback's answer (which sets the session cookies)."""
    login = await client.get("/auth/login", params={"provider": "idporten"})
    assert login.status_code == 302
    async with httpx.AsyncClient() as browser_at_provider:
        back = await sign_in_at_provider(
            browser_at_provider,
            login.headers["location"],
            sub=f"sub-{national_id}",
            claims={"pid": national_id, "acr": "idporten-loa-substantial"},
        )
    parts = urlsplit(back)
    # The state cookie is Secure in some cases below and the test client talks plain http: hand it over.
    state = login.cookies.get("tjenesteshop_login") or ""
    callback = await client.get(f"{parts.path}?{parts.query}", headers={"Cookie": f"tjenesteshop_login={state}"})
    assert callback.status_code == 303, callback.text
    return login, callback


def _set_cookie(response: httpx.Response, name: str) -> str:
    return next(c for c in response.headers.get_list("set-cookie") if c.startswith(f"{name}=")).lower()


@pytest.mark.parametrize(
    ("environment", "base_url", "secure"),
    [
        ("development", "http://test", False),
        ("development", "https://test", True),
        ("production", "http://test", True),  # TLS ended at a proxy, base URL mistyped: still Secure
    ],
    ids=["development-http", "development-https", "production-http"],
)
async def test_session_cookies_are_secure_on_https_and_in_production(
    settings: Settings,
    connection: AsyncConnection,
    issuer: str,
    world: World,
    environment: str,
    base_url: str,
    *,
    secure: bool,
) -> None:
    configured = _configured(settings, issuer, environment=environment, base_url=base_url)
    async with http_client(app_on(configured, connection)) as client:
        login, callback = await _sign_in(client, world.national_ids["recipient"])
        assert ("; secure" in _set_cookie(login, "tjenesteshop_login")) is secure
        for name in COOKIES:
            assert ("; secure" in _set_cookie(callback, name)) is secure, name
        session = callback.cookies.get("tjenesteshop_session") or ""
        me = await client.get("/api/v1/me", headers={"Cookie": f"tjenesteshop_session={session}"})
        csrf = me.json()["csrf_token"]
        out = await client.post(
            "/auth/logout", headers={"Cookie": f"tjenesteshop_session={session}", "X-CSRF-Token": csrf}
        )
        for name in COOKIES:
            assert ("; secure" in _set_cookie(out, name)) is secure, name


async def _value(redis: Redis, key: bytes) -> bytes:
    """A key's value whatever its type (the sessions are strings; each person's list of them is a set)."""
    if await redis.type(key) == b"set":
        return b"".join(await redis.smembers(key.decode()))  # type: ignore[misc]  # redis-py types sync and async as one
    return await redis.get(key) or b""


def _stored_key(settings: Settings, session_id: str) -> str:
    return f"{settings.redis_prefix}session:{hashlib.sha256(session_id.encode()).hexdigest()}"


async def test_redis_keeps_no_national_id_and_no_readable_id_token(
    settings: Settings, connection: AsyncConnection, issuer: str, world: World
) -> None:
    national_id = world.national_ids["recipient"]
    configured = _configured(settings, issuer, base_url="http://test")
    async with http_client(app_on(configured, connection)) as client:
        _, callback = await _sign_in(client, national_id)
        session_id = callback.cookies["tjenesteshop_session"]
    redis = Redis.from_url(settings.redis_url or "")
    try:
        raw = await redis.get(_stored_key(settings, session_id))
        everything = b"".join([await _value(redis, key) async for key in redis.scan_iter(f"{settings.redis_prefix}*")])
    finally:
        await redis.aclose()
    assert raw is not None
    stored = json.loads(raw)
    assert set(stored) == {"person_id", "municipality_id", "csrf_token", "provider", "sealed_id_token", "signed_in_at"}
    assert national_id.encode() not in everything  # in no key of this run, not only the session
    # No JWT in clear beside the sealed one. (The sealed text is random base64: it may hold "eyJ" by chance.)
    assert "eyJ" not in json.dumps({name: value for name, value in stored.items() if name != "sealed_id_token"})
    # Sealed, not dropped: ID-porten's logout wants it as id_token_hint, and the cookie's id opens it.
    loaded = SignInSession(**stored)
    id_token = id_token_of(session_id, loaded)
    assert id_token is not None
    assert not [part for part in id_token.split(".") if part.encode() in raw]  # no part of it readable as stored
    assert f'"pid":"{national_id}"' in base64.urlsafe_b64decode(id_token.split(".")[1] + "==").decode().replace(" ", "")
    assert id_token_of("another-session-id", loaded) is None


async def test_a_session_stored_with_the_id_token_in_clear_is_sealed_when_next_used(settings: Settings) -> None:
    redis = Redis.from_url(settings.redis_url or "")
    session_id = "legacy-" + uuid.uuid4().hex
    legacy = {"person_id": str(uuid.uuid4()), "municipality_id": str(uuid.uuid4()), "csrf_token": "c",
              "provider": "idporten", "id_token": "eyJhbGciOi.eyJwaWQiOiIxMjM0NTY3ODkwMSJ9.sig"}  # fmt: skip
    try:
        await redis.set(_stored_key(settings, session_id), json.dumps(legacy), ex=60)
        loaded = await load_session(redis, settings.redis_prefix, session_id)
        assert loaded is not None
        assert loaded.person_id == legacy["person_id"]
        assert id_token_of(session_id, loaded) == legacy["id_token"]
        raw = await redis.get(_stored_key(settings, session_id))
        assert raw is not None
        assert b"eyJ" not in raw
        assert "id_token" not in json.loads(raw)
        # Listed with the person's sessions now, so signing out everywhere reaches it too.
        assert await delete_all_sessions(redis, settings.redis_prefix, legacy["person_id"]) == 1
        assert await load_session(redis, settings.redis_prefix, session_id) is None
    finally:
        await redis.delete(_stored_key(settings, session_id))
        await redis.aclose()
