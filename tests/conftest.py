"""Test servers and databases.

A run uses the servers named by TEST_DATABASE_URL and TEST_REDIS_URL, or starts embedded ones in a
temporary folder when they are unset, so the suite runs on a laptop with nothing installed.

Isolation: each run creates its own database (migrated once, by Alembic, as in production) and drops it
at the end; it never touches another database on the server. Each test then runs inside an outer
transaction that is rolled back, with the session joining it through savepoints: a fresh-looking
database per test for the cost of a BEGIN and a ROLLBACK. Tests that must commit for real (concurrency)
clone the migrated database as a template instead. Redis: every key of a run carries the run's prefix
and is deleted at the end; the database number comes from TEST_REDIS_URL (CI uses 15).
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest
from advanced_alchemy.extensions.litestar import SQLAlchemyAsyncConfig
from litestar import Litestar
from redis.asyncio import Redis
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, create_async_engine

from api.app import create_app
from booking.consistency import ledger_differences
from core.settings import Settings, async_database_url, plain_database_url
from tjenesteshop import embedded
from tjenesteshop.migrate import upgrade


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
    """The real app, its sessions joining `connection`'s rolled-back transaction."""

    def session_maker() -> AsyncSession:
        return AsyncSession(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)

    return create_app(settings, session_maker=session_maker)


# Each app's SQLAlchemy config claims its state keys in class-level sets, and finds a free name by recursing
# through key_1, key_2, ...: after about 950 apps in one process (the access matrix alone makes one a case) that
# is deeper than Python's recursion limit. Every app lives for one test, so its keys are free again after it.
_KEY_REGISTRIES = (
    "_SESSION_SCOPE_KEY_REGISTRY",
    "_ENGINE_APP_STATE_KEY_REGISTRY",
    "_SESSIONMAKER_APP_STATE_KEY_REGISTRY",
)


@pytest.fixture(autouse=True)
def _forget_app_keys() -> Iterator[None]:
    """After each test, forget the state keys its apps claimed."""
    yield
    for registry in _KEY_REGISTRIES:
        getattr(SQLAlchemyAsyncConfig, registry).clear()


@pytest.fixture
def app(settings: Settings, connection: AsyncConnection) -> Litestar:
    """The real app; its sessions join the test's rolled-back transaction."""
    return app_on(settings, connection)


@asynccontextmanager
async def http_client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client for `app`, served in this event loop.

    Litestar's own test client runs the app in another loop, where the test's database connection
    cannot go. The lifespan runs in a task of its own because its task group must be entered and
    exited by one task, and a fixture's setup and teardown may run in different ones.
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
    # Each client its own loopback address, so rate limits counted per address do not spill between tests.
    address = f"127.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250) + 1}"
    transport = httpx.ASGITransport(app=app, client=(address, 50000))  # type: ignore[arg-type]
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client
    finally:
        stop.set()
        await lifespan


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the app in process (lifespan included)."""
    async with http_client(app) as client:
        yield client
