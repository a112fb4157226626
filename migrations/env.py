"""Alembic environment: async engine, one transaction-level advisory lock so concurrent starts migrate once."""

from __future__ import annotations

import asyncio

from alembic import context
from alembic_utils.pg_function import PGFunction
from alembic_utils.replaceable_entity import register_entities
from sqlalchemy import Connection, pool, text
from sqlalchemy.ext.asyncio import create_async_engine

# Every domain's tables, so autogenerate sees them all. (Importing registers them on Base.metadata.)
import booking.tables  # noqa: F401
import departments.tables  # noqa: F401
import insight.tables  # noqa: F401
import notifications.tables  # noqa: F401
import people.tables  # noqa: F401
import privacy.tables  # noqa: F401
import waitlist.tables  # noqa: F401
import webhooks.tables  # noqa: F401
from booking.functions import function_sources
from core.db import Base

target_metadata = Base.metadata

# The booking functions' source files are compared with the database (alembic_utils): a change to one is a
# migration to write (`alembic revision --autogenerate`), and `alembic check` fails until it is written.
register_entities([PGFunction.from_sql(sql) for sql in function_sources().values()], entity_types=[PGFunction])
# Functions made by hand in a migration, not from a source file: not compared (else autogenerate would drop them).
UNMANAGED_FUNCTIONS = frozenset({"audit_entry_append_only"})  # migration 0003, the audit log's trigger


def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:  # noqa: ARG001, FBT001 - Alembic's hook signature
    """Leave the hand-made functions out of the comparison; compare everything else."""
    function = (name or "").split(".", 1)[-1].split("(", 1)[0]
    return not (type_ == "function" and function in UNMANAGED_FUNCTIONS)


# Any fixed 64-bit number; it only has to be the same in every process that migrates.
MIGRATION_LOCK = 7_236_661_042


def run_with_connection(connection: Connection) -> None:
    """Migrate on `connection` in one transaction that first takes the migration lock.

    A transaction-level lock (pg_advisory_xact_lock) ends with the transaction, committed or rolled back: nothing
    outlives it on the server connection, so it is safe on any connection, pooled or not, and a process that dies
    mid-migration releases it with its transaction. The second process to start waits, then finds the work done.
    """
    context.configure(
        connection=connection, target_metadata=target_metadata, compare_type=True, include_object=include_object
    )
    with context.begin_transaction():
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        context.run_migrations()


async def run_online() -> None:
    """Connect and migrate."""
    url = context.config.get_main_option("sqlalchemy.url")
    assert url is not None  # noqa: S101 - set by tjenesteshop.migrate.alembic_config
    engine = create_async_engine(url, poolclass=pool.NullPool)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(run_with_connection)
    finally:
        await engine.dispose()


if context.is_offline_mode():
    context.configure(
        url=context.config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
        include_object=include_object,
    )  # fmt: skip
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(run_online())
