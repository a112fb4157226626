from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator

import asyncpg
import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from core.settings import plain_database_url
from tests.conftest import RunServers, committed_database
from tjenesteshop.migrate import alembic_config, upgrade


async def test_database_is_at_head(db_session: AsyncSession, servers: RunServers) -> None:
    head = ScriptDirectory.from_config(alembic_config(servers.database_url)).get_current_head()
    current = await db_session.scalar(text("SELECT version_num FROM alembic_version"))
    assert current == head


async def test_btree_gist_is_enabled(db_session: AsyncSession) -> None:
    assert await db_session.scalar(text("SELECT 1 FROM pg_extension WHERE extname = 'btree_gist'")) == 1


@pytest.fixture
def scratch_url(servers: RunServers) -> Iterator[str]:
    """An empty database of the test's own on the run's server."""
    with committed_database(servers, "migrations", migrate=False) as url:
        yield url


def test_the_models_match_the_migrations(scratch_url: str) -> None:
    """`alembic check`: autogenerate finds nothing to add, drop or change."""
    upgrade(scratch_url)
    command.check(alembic_config(scratch_url))


def test_every_migration_goes_down_and_up_again(scratch_url: str) -> None:
    """Upgrade to head, downgrade to nothing, upgrade again: every downgrade works and leaves no trace behind."""
    config = alembic_config(scratch_url)
    upgrade(scratch_url)
    command.downgrade(config, "base")

    async def leftovers() -> list[str]:
        conn = await asyncpg.connect(plain_database_url(scratch_url))
        try:
            rows = await conn.fetch(
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname = 'public' AND c.relkind IN ('r', 'v', 'S') AND c.relname <> 'alembic_version'"
            )
            functions = await conn.fetch(
                "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
                " WHERE n.nspname = 'public' AND NOT EXISTS"
                " (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')"
            )
            return sorted([r["relname"] for r in rows] + [f["proname"] for f in functions])
        finally:
            await conn.close()

    assert asyncio.run(leftovers()) == []
    upgrade(scratch_url)
    command.check(config)


def test_two_migrations_at_once_take_turns_on_the_transaction_lock_and_leave_no_lock_behind(scratch_url: str) -> None:
    """Two replicas' `migrate` starting together on an empty database: one waits, then finds the work done.

    The lock is pg_advisory_xact_lock in the migration's transaction (migrations/env.py): it ends with the
    transaction, so nothing is left on the server connection (safe behind any pooler).
    """
    code = f"from tjenesteshop.migrate import upgrade; upgrade({scratch_url!r})"
    both = [subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE) for _ in range(2)]  # noqa: S603
    errors = [process.communicate(timeout=90)[1].decode(errors="replace") for process in both]
    assert [process.returncode for process in both] == [0, 0], errors

    async def state() -> tuple[list[str], int]:
        conn = await asyncpg.connect(plain_database_url(scratch_url))
        try:
            versions = [row[0] for row in await conn.fetch("SELECT version_num FROM alembic_version")]
            locks = await conn.fetchval(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = "
                "(SELECT oid FROM pg_database WHERE datname = current_database())"
            )
        finally:
            await conn.close()
        return versions, int(locks)

    versions, locks = asyncio.run(state())
    assert versions == [ScriptDirectory.from_config(alembic_config(scratch_url)).get_current_head()]
    assert locks == 0
