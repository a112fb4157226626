"""A request's transaction: a failed commit is answered as an error, never as the success built before it."""

from __future__ import annotations

import uuid

from advanced_alchemy.extensions.litestar import SQLAlchemyAsyncConfig, SQLAlchemyPlugin
from litestar import Litestar, post
from litestar.di import Provide
from litestar.params import FromPath
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from api.dependencies import DbSession
from api.problems import database_error_handler, internal_error_handler
from api.transactions import PLUGIN_SESSION, committing_session
from core.settings import Settings
from people.tables import AuditEntry
from tests.conftest import http_client
from tests.world import build_world


def _entry(municipality: uuid.UUID, actor: uuid.UUID | None) -> AuditEntry:
    return AuditEntry(municipality_id=municipality, actor_person_id=actor, action="test.write", object_type="test")


@post("/write/{municipality:uuid}/{kind:str}", status_code=201)
async def write(db_session: DbSession, municipality: FromPath[uuid.UUID], kind: FromPath[str]) -> dict[str, str]:
    """Adds an audit entry without flushing it: an entry without an actor fails only at the commit (its CHECK)."""
    db_session.add(_entry(municipality, uuid.uuid4() if kind == "valid" else None))
    return {"status": "lagret"}


def _app(settings: Settings, connection: AsyncConnection) -> Litestar:
    def session_maker() -> AsyncSession:
        return AsyncSession(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)

    config = SQLAlchemyAsyncConfig(
        connection_string=settings.database_url, session_maker=session_maker, set_default_exception_handler=False,
        session_dependency_key=PLUGIN_SESSION,
    )  # fmt: skip
    return Litestar(
        [write],
        plugins=[SQLAlchemyPlugin(config=config)],
        dependencies={"db_session": Provide(committing_session)},
        exception_handlers={Exception: internal_error_handler, DBAPIError: database_error_handler},
    )


async def _entries(session: AsyncSession) -> int:
    query = select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "test.write")
    return int(await session.scalar(query) or 0)


async def test_a_commit_that_fails_is_answered_as_an_error_and_writes_nothing(
    settings: Settings, connection: AsyncConnection, db_session: AsyncSession
) -> None:
    world = await build_world(db_session, settings)
    await db_session.commit()
    valid, invalid = f"/write/{world.municipality}/valid", f"/write/{world.municipality}/invalid"
    async with http_client(_app(settings, connection)) as client:
        saved = await client.post(valid)
        assert saved.status_code == 201
        assert await _entries(db_session) == 1
        lost = await client.post(invalid)
        # advanced-alchemy's "autocommit" handler logs the failure and sends the 201 it was about to send.
        assert lost.status_code == 500, lost.text
        assert lost.headers["content-type"] == "application/problem+json"
        assert "lagret" not in lost.text
        assert await _entries(db_session) == 1
        again = await client.post(valid)  # the connection is usable afterwards
        assert again.status_code == 201
        assert await _entries(db_session) == 2
