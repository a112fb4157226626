"""The database engine, sessions and the declarative base."""

from __future__ import annotations

import time
import uuid
from typing import Any

import asyncpg
from sqlalchemy import MetaData, event
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection

from core.settings import Settings

# Stable constraint names, so Alembic migrations can name what they alter.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def make_engine(settings: Settings, *, url: str | None = None) -> AsyncEngine:
    """Create the process's engine. Call it inside the running event loop (the app's lifespan).

    The pool is small on purpose: hot ledger rows serialise bookings, and more sessions
    waiting on the same row lower throughput (DESIGN.md).
    """
    database_url = url or settings.database_url
    if database_url is None:
        msg = "no database URL: start the embedded server first (tjenesteshop.embedded)"
        raise RuntimeError(msg)
    return create_async_engine(
        database_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_pre_ping=True,
        connect_args=connect_args(settings, "tjenesteshop"),
    )


IDLE_PING_SECONDS = 10.0
"""A pooled connection idle longer than this is pinged before it is handed out (see `ping_when_idle`)."""
_IDLE_SINCE = "tjenesteshop.idle_since"  # key in a pooled connection's `info`


def ping_when_idle(engine: AsyncEngine, idle_seconds: float = IDLE_PING_SECONDS) -> AsyncEngine:
    """Check a pooled connection before use only when it has been idle a while, instead of `pool_pre_ping`.

    `pool_pre_ping` costs three round trips (BEGIN, an empty query, ROLLBACK with asyncpg) before every
    request's first statement. A connection in steady use was alive milliseconds ago; the ones that go stale
    (a restarted server, a firewall's idle timeout) are those left idle. So: a connection whose socket is
    closed is replaced at once (no round trip), and one idle for over `idle_seconds` is pinged first, as
    `pool_pre_ping` would; either failure makes the pool open a new connection in its place.
    """

    @event.listens_for(engine.sync_engine, "checkin")
    def idle_from(_dbapi_connection: DBAPIConnection, record: ConnectionPoolEntry) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def check(dbapi_connection: DBAPIConnection, record: ConnectionPoolEntry, _proxy: PoolProxiedConnection) -> None:
        idle_since = record.info.pop(_IDLE_SINCE, None)
        if idle_since is None:  # opened just now
            return
        driver = getattr(dbapi_connection, "_connection", None)
        if driver is not None and driver.is_closed():
            raise DisconnectionError
        if time.monotonic() - idle_since > idle_seconds:
            try:
                dbapi_connection.ping()
            except Exception as exc:
                raise DisconnectionError from exc

    return engine


def create_engine_pinging_idle(url: str, **options: Any) -> AsyncEngine:  # noqa: ANN401 - create_async_engine's
    """`create_async_engine`, with `ping_when_idle` in place of `pool_pre_ping` (for the API's engine)."""
    return ping_when_idle(create_async_engine(url, **options))


def connect_args(settings: Settings, application_name: str) -> dict[str, Any]:
    """The connection arguments for asyncpg: the session's name and zone, and what a transaction-mode pooler needs.

    Behind PgBouncer in transaction mode (`db_transaction_pooler`) a client connection gets some server connection
    for each transaction, and PgBouncer 1.18 does not carry prepared statements between them. So: no statement
    cache (neither SQLAlchemy's nor asyncpg's own), and a unique name for every statement prepared, so that two
    clients sharing a server connection never meet each other's `__asyncpg_stmt_1__`. Startup parameters
    (application_name, TimeZone) are ones PgBouncer tracks and sets on every server connection it hands out.
    """
    args: dict[str, Any] = {"server_settings": {"application_name": application_name, "timezone": "UTC"}}
    if settings.db_transaction_pooler:
        args |= {"statement_cache_size": 0, "prepared_statement_cache_size": 0,
                 "prepared_statement_name_func": _statement_name}  # fmt: skip
    return args


def driver_connect_args(settings: Settings, application_name: str) -> dict[str, Any]:
    """`connect_args` for asyncpg itself (`asyncpg.connect`, `api.driver`), without SQLAlchemy's own cache settings.

    Behind a transaction-mode pooler asyncpg's statement cache is off, and it then prepares every statement unnamed,
    so two clients sharing a server connection never meet each other's statements.
    """
    args = connect_args(settings, application_name)
    args.pop("prepared_statement_cache_size", None)
    args.pop("prepared_statement_name_func", None)
    return args


def _statement_name() -> str:
    return f"__asyncpg_{uuid.uuid4().hex}__"


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker:  # type: ignore[type-arg]
    """Sessions that keep loaded values after commit (responses are built after it)."""
    return async_sessionmaker(engine, expire_on_commit=False)


async def driver_of(session: AsyncSession) -> asyncpg.Connection:
    """The driver's connection under an ORM session, in the session's transaction (begun if it was not).

    What the session holds unsaved is flushed first, so that statements sent on the driver see it.
    """
    await session.flush()
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver: asyncpg.Connection = raw.driver_connection
    return driver
