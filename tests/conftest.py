"""Test servers and databases.

A run uses the servers named by TEST_DATABASE_URL and TEST_REDIS_URL, or starts embedded ones in a
temporary folder when they are unset, so the suite runs on a laptop with nothing installed.

Isolation: each run creates its own database (migrated once, by Alembic, as in production) and drops it
at the end; it never touches another database on the server. Each test then runs inside an outer
transaction that is rolled back, with the session joining it through savepoints: a fresh-looking
database per test for the cost of a BEGIN and a ROLLBACK. Tests that must commit for real (concurrency)
clone the migrated database as a template instead. Redis: every key of a run carries the run's prefix
and is deleted at the end; the database number comes from TEST_REDIS_URL (CI uses 15).

One app serves the whole run (building one costs about 0.4 s of CPU): its sessions join whichever test's
connection is current. The clock starts at a fixed instant (TEST_NOW, default a Wednesday morning in Oslo),
so no test depends on the hour or the day it runs.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from litestar import Litestar
from redis.asyncio import Redis
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, create_async_engine

from api.app import create_app
from booking.consistency import ledger_differences
from core.clock import start_at
from core.settings import Settings, async_database_url, plain_database_url
from tjenesteshop import embedded
from tjenesteshop.migrate import upgrade

# Before any test module is imported: module-level dates (a matrix's TODAY) are read from this clock too.
TEST_NOW = datetime.fromisoformat(os.environ.get("TEST_NOW", "2026-09-09T10:00:00+02:00"))
start_at(TEST_NOW)


@dataclass(frozen=True)
class RunServers:
    """Where this run's database and Redis are."""

    admin_url: str  # a database on the server we may connect to for CREATE/DROP DATABASE
    database_url: str  # this run's own database (asyncpg driver)
    redis_url: str
    key_prefix: str  # every Redis key of this run starts with it


def _with_database(url: str, database: str) -> str:
    return make_url(url).set(database=database).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def servers() -> Iterator[RunServers]:
    """The run's PostgreSQL database and Redis, started embedded when no URL is given."""
    run = uuid.uuid4().hex[:10]
    started = embedded.EmbeddedServices()
    tmp = Path(tempfile.mkdtemp(prefix="tjenesteshop-test-"))
    try:
        admin_url = os.environ.get("TEST_DATABASE_URL")
        if not admin_url:
            started.postgres, admin_url = embedded.start_postgres(
                tmp / "postgres", database="postgres", cleanup="delete"
            )
        redis_url = os.environ.get("TEST_REDIS_URL")
        if not redis_url:
            started.valkey = embedded.start_valkey(tmp / "redis", persist=False)
            redis_url = started.valkey.connection_url
        admin_url = plain_database_url(admin_url)
        database = f"tjenesteshop_test_{run}"
        asyncio.run(embedded.ensure_database(admin_url, database))
        database_url = async_database_url(_with_database(admin_url, database))
        upgrade(database_url)
        yield RunServers(admin_url, database_url, redis_url, f"test:{run}:")
        asyncio.run(_drop_database(admin_url, database))
        asyncio.run(_delete_keys(redis_url, f"test:{run}:"))
    finally:
        started.stop()
        shutil.rmtree(tmp, ignore_errors=True)


async def _drop_database(admin_url: str, database: str) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    finally:
        await conn.close()


@contextmanager
def committed_database(servers: RunServers, purpose: str, *, migrate: bool = True) -> Iterator[str]:
    """A database of its own on the run's server (its async URL), where tests commit for real: races, workers and
    served processes on several connections. Migrated to head unless `migrate` is false; dropped afterwards."""
    name = f"tjenesteshop_{purpose}_{uuid.uuid4().hex[:8]}"
    asyncio.run(embedded.ensure_database(servers.admin_url, name))
    url = async_database_url(make_url(servers.admin_url).set(database=name).render_as_string(hide_password=False))
    try:
        if migrate:
            upgrade(url)
        yield url
    finally:
        asyncio.run(_drop_database(servers.admin_url, name))


async def _delete_keys(redis_url: str, prefix: str) -> None:
    redis = Redis.from_url(redis_url)
    try:
        keys = [key async for key in redis.scan_iter(match=f"{prefix}*")]
        if keys:
            await redis.delete(*keys)
    finally:
        await redis.aclose()


@pytest.fixture(scope="session")
def settings(servers: RunServers) -> Settings:
    """Settings pointing at this run's servers."""
    return Settings(
        DATABASE_URL=servers.database_url,
        REDIS_URL=servers.redis_url,
        data_dir=(Path(tempfile.gettempdir()) / "tjenesteshop-test-unused"),
        redis_prefix=servers.key_prefix,
        _env_file=None,
    )


@pytest.fixture(scope="session")
async def engine(servers: RunServers) -> AsyncIterator[AsyncEngine]:
    """One engine for the run, made in the run's event loop."""
    engine = create_async_engine(servers.database_url, pool_size=5, max_overflow=5)
    yield engine
    await engine.dispose()


@pytest.fixture
async def connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection inside an outer transaction that is rolled back after the test."""
    async with engine.connect() as conn:
        transaction = await conn.begin()
        yield conn
        if transaction.is_active:
            # The consistency check after every database test: the ledgers must agree with the bookings.
            async with AsyncSession(bind=conn, join_transaction_mode="create_savepoint") as session:
                differences = await ledger_differences(session)
            await transaction.rollback()
            assert differences == [], f"the ledgers disagree with the bookings, e.g. {differences[:3]}"


@pytest.fixture
async def db_session(connection: AsyncConnection) -> AsyncIterator[AsyncSession]:
    """A session whose commits are savepoints of the test's outer transaction."""
    session = AsyncSession(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    yield session
    await session.close()


def app_on(settings: Settings, connection: AsyncConnection) -> Litestar:
    """A new app with its own settings, its sessions joining `connection`'s rolled-back transaction."""

    def session_maker() -> AsyncSession:
        return AsyncSession(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)

    return create_app(settings, session_maker=session_maker)


class CurrentConnection:
    """The connection of the test running now, which the run's one app binds its sessions to."""

    def __init__(self) -> None:
        self.connection: AsyncConnection | None = None

    def session(self) -> AsyncSession:
        assert self.connection is not None, "the shared app was called outside a test's `app` fixture"
        return AsyncSession(bind=self.connection, join_transaction_mode="create_savepoint", expire_on_commit=False)


@pytest.fixture(scope="session")
def current_connection() -> CurrentConnection:
    return CurrentConnection()


@pytest.fixture(scope="session")
async def shared_app(settings: Settings, current_connection: CurrentConnection) -> AsyncIterator[Litestar]:
    """The run's one app, started (lifespan) once; its sessions join the current test's connection."""
    app = create_app(settings, session_maker=current_connection.session)
    async with running(app):
        yield app


@pytest.fixture
def app(shared_app: Litestar, current_connection: CurrentConnection, connection: AsyncConnection) -> Iterator[Litestar]:
    """The real app; its sessions join the test's rolled-back transaction."""
    current_connection.connection = connection
    yield shared_app
    current_connection.connection = None


@asynccontextmanager
async def running(app: Litestar) -> AsyncIterator[None]:
    """Run `app`'s lifespan in this event loop until the block ends.

    The lifespan runs in a task of its own because its task group must be entered and exited by one task,
    and a fixture's setup and teardown may run in different ones.
    """
    started, stop = asyncio.Event(), asyncio.Event()

    async def run_lifespan() -> None:
        async with app.lifespan():
            started.set()
            await stop.wait()

    lifespan = asyncio.create_task(run_lifespan())
    waiting = asyncio.create_task(started.wait())
    await asyncio.wait({lifespan, waiting}, return_when=asyncio.FIRST_COMPLETED)
    if lifespan.done():
        waiting.cancel()
        lifespan.result()  # raises what failed at startup
    try:
        yield
    finally:
        stop.set()
        await lifespan


@asynccontextmanager
async def client_of(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client for an app already running in this event loop.

    Litestar's own test client runs the app in another loop, where the test's database connection
    cannot go. Each client has its own loopback address, so rate limits counted per address do not spill
    between tests.
    """
    address = f"127.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250) + 1}"
    transport = httpx.ASGITransport(app=app, client=(address, 50000))  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


@asynccontextmanager
async def http_client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client for a new `app`, served in this event loop with its lifespan for the block."""
    async with running(app), client_of(app) as client:
        yield client


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the run's app in process."""
    async with client_of(app) as client:
        yield client


class Database:
    """One driver connection on an event loop of its own, for a test that hypothesis calls again and again."""

    def __init__(self, url: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.conn: asyncpg.Connection = self.loop.run_until_complete(asyncpg.connect(url))

    def fetch(self, query: str, *args: Any) -> list[asyncpg.Record]:
        return self.loop.run_until_complete(self.conn.fetch(query, *args))

    def close(self) -> None:
        self.loop.run_until_complete(self.conn.close())
        self.loop.close()


@pytest.fixture(scope="module")
def database(settings: Settings) -> Iterator[Database]:
    """A driver connection to the run's database, for a module's tests that hypothesis calls again and again."""
    assert settings.database_url is not None
    url = make_url(settings.database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    found = Database(url)
    yield found
    found.close()
