"""The database engine, sessions and the declarative base."""

from __future__ import annotations

from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase

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
        connect_args={"server_settings": {"application_name": "tjenesteshop", "timezone": "UTC"}},
    )


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker:  # type: ignore[type-arg]
    """Sessions that keep loaded values after commit (responses are built after it)."""
    return async_sessionmaker(engine, expire_on_commit=False)
