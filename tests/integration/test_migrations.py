from __future__ import annotations

from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import RunServers
from tjenesteshop.migrate import alembic_config


async def test_database_is_at_head(db_session: AsyncSession, servers: RunServers) -> None:
    head = ScriptDirectory.from_config(alembic_config(servers.database_url)).get_current_head()
    current = await db_session.scalar(text("SELECT version_num FROM alembic_version"))
    assert current == head


async def test_btree_gist_is_enabled(db_session: AsyncSession) -> None:
    assert await db_session.scalar(text("SELECT 1 FROM pg_extension WHERE extname = 'btree_gist'")) == 1
