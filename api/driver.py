"""The hot routes' database connection: the driver's own (asyncpg), without an ORM session.

Booking (issue 18) runs its statements on the driver (`booking.driver`), so the route asks for no `db_session`:
no session made, no greenlet a statement, no identity map. The connection still comes from the app engine's
pool, so `db_pool_size` bounds what a process opens, and the pool's checks (`core.db.ping_when_idle`) apply.
Each write of these routes is one statement, whole by itself, so none runs in a transaction, except behind a
transaction-mode pooler (`db_transaction_pooler`): outside a transaction PgBouncer may send a statement's prepare
and its execution to different server connections, so there the route's statements run in one.

When the app's sessions are given (`create_app(session_maker=...)`: the tests bind them to a connection they roll
back), the routes run on that session's connection, in its transaction (a savepoint the session commits or rolls
back), as the ORM's routes do: the same statements, and the test sees what they wrote.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TYPE_CHECKING, Any

from litestar import Request
from sqlalchemy.util import greenlet_spawn

from core.db import driver_of

if TYPE_CHECKING:
    import asyncpg
    from advanced_alchemy.extensions.litestar import SQLAlchemyAsyncConfig
    from sqlalchemy.ext.asyncio import AsyncSession

DRIVER = "tjenesteshop_driver"
"""Key in the app's state: its `DriverConnections`."""


class DriverConnections:
    """Where a hot route gets its connection: the engine's pool, or the given sessions' connection."""

    def __init__(
        self,
        config: SQLAlchemyAsyncConfig,
        *,
        session_maker: Callable[[], AsyncSession] | None,
        transaction_pooler: bool,
    ) -> None:
        """Connections of `config`'s engine, or of `session_maker`'s sessions when given."""
        self.config = config
        self.session_maker = session_maker
        self.transaction_pooler = transaction_pooler

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[asyncpg.Connection]:
        """A driver connection for the block: returned to the pool after (or its session committed, or rolled back)."""
        if self.session_maker is not None:
            session = self.session_maker()
            try:
                yield await driver_of(session)
                await session.commit()
            finally:
                await session.close()
            return
        pooled = await self.config.get_engine().raw_connection()
        try:
            driver: asyncpg.Connection = pooled.driver_connection
            if self.transaction_pooler:
                async with driver.transaction():
                    yield driver
            else:
                yield driver
        finally:
            await greenlet_spawn(pooled.close)  # a connection over the pool's size is closed: that awaits


def driver_connection(request: Request[Any, Any, Any]) -> AbstractAsyncContextManager[asyncpg.Connection]:
    """The request's driver connection, for an `async with` block (see the module)."""
    connections: DriverConnections = request.app.state[DRIVER]
    return connections.connection()
