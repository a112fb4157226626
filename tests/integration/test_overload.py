"""Overload and unreachable servers answer 503 with Retry-After as problem details, never 500 (DESIGN.md)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import httpx
import pytest
from advanced_alchemy.extensions.litestar import SQLAlchemyAsyncConfig, SQLAlchemyPlugin
from litestar import Litestar, get
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from api.app import create_app
from api.dependencies import DbSession
from api.problem_texts import PROBLEMS
from api.problems import PROBLEM_MEDIA_TYPE, TYPE_PREFIX
from core.settings import Settings
from tests.conftest import app_on, http_client
from tests.world import World, build_world, session_headers


def assert_unavailable(response: httpx.Response, code: str) -> None:
    """503, problem details of type `code` in bokmål, and a Retry-After in whole seconds."""
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    assert response.json()["type"] == TYPE_PREFIX + code
    assert response.json()["title"] == PROBLEMS[code].nb
    assert int(response.headers["retry-after"]) >= 1


def engine_of(app: Litestar) -> AsyncEngine:
    """The app's own engine (its real pool, not the test's connection)."""
    config = app.plugins.get(SQLAlchemyPlugin).config[0]
    assert isinstance(config, SQLAlchemyAsyncConfig)
    return config.get_engine()


def closed_port() -> int:
    """A port on 127.0.0.1 nobody listens on (bound, then closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_a_pool_timeout_is_503(settings: Settings) -> None:
    """A pool of one connection, held by someone else: the request waits `db_pool_timeout`, then 503."""
    tight = settings.model_copy(update={"db_pool_size": 1, "db_max_overflow": 0, "db_pool_timeout": 0.2})
    app = create_app(tight)
    engine = engine_of(app)
    async with http_client(app) as client, engine.connect() as held:
        await held.execute(text("SELECT 1"))
        response = await client.get("/api/v1/departments", params={"municipality": "0001"})
        assert_unavailable(response, "overloaded")
    async with http_client(app) as client:  # the connection is back: served again
        assert (await client.get("/api/v1/departments", params={"municipality": "0001"})).status_code == 200


@pytest.fixture
async def world(db_session: AsyncSession, settings: Settings) -> World:
    return await build_world(db_session, settings)


async def test_redis_down_is_503_and_rate_limits_fail_closed(
    settings: Settings, connection: AsyncConnection, world: World
) -> None:
    down = settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{closed_port()}/0"})
    headers = await session_headers(settings, world.people["recipient"], world.municipality)
    async with http_client(app_on(down, connection)) as client:
        # A signed-in person's session lives in Redis.
        assert_unavailable(await client.get("/api/v1/me", headers=headers), "service_unavailable")
        # Booking counts its rate limits in Redis: without them it admits nobody, even with a valid token.
        token = {"Authorization": f"Bearer {world.secrets['token_admin']}", "Idempotency-Key": "k" * 16}
        refused = await client.post("/api/v1/bookings", json={}, headers=token)
        assert_unavailable(refused, "service_unavailable")
        english = await client.get("/api/v1/me", headers={**headers, "Accept-Language": "en"})
        assert english.json()["title"] == PROBLEMS["service_unavailable"].en


@pytest.fixture
async def silent_server() -> AsyncIterator[int]:
    """A TCP server that accepts and never answers: a Redis that hangs. Yields its port."""
    writers: list[asyncio.StreamWriter] = []

    async def hold(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    try:
        yield int(server.sockets[0].getsockname()[1])
    finally:
        for writer in writers:
            writer.close()
        server.close()
        await server.wait_closed()


async def test_a_redis_timeout_is_503(
    settings: Settings, connection: AsyncConnection, world: World, silent_server: int
) -> None:
    hanging = settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{silent_server}/0"})
    headers = await session_headers(settings, world.people["recipient"], world.municipality)
    async with http_client(app_on(hanging, connection)) as client:
        assert_unavailable(await client.get("/api/v1/me", headers=headers), "service_unavailable")


@get("/test/slow")
async def slow(db_session: DbSession) -> None:
    await db_session.execute(text("SET LOCAL statement_timeout = '50ms'"))
    await db_session.execute(text("SELECT pg_sleep(2)"))


@get("/test/locked")
async def locked(db_session: DbSession) -> None:
    await db_session.execute(text("SET LOCAL lock_timeout = '50ms'"))
    await db_session.execute(text("SELECT count(*) FROM municipality"))


async def test_statement_and_lock_timeouts_are_503(settings: Settings, connection: AsyncConnection) -> None:
    """PostgreSQL gives up on a statement (57014) or a lock wait (55P03): overload, not a bug."""
    app = app_on(settings, connection)
    app.register(slow)
    app.register(locked)
    engine = engine_of(app)
    async with http_client(app) as client:
        assert_unavailable(await client.get("/test/slow"), "overloaded")
        async with engine.connect() as other, other.begin():
            await other.execute(text("LOCK TABLE municipality IN ACCESS EXCLUSIVE MODE"))
            assert_unavailable(await client.get("/test/locked"), "busy")
