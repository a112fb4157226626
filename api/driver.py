"""The hot routes' database connections: the driver's own (asyncpg), in a pool of their own, without an ORM session.

Booking (issue 18) runs its statements on the driver (`booking.driver`), so the route asks for no `db_session`:
no session made, no greenlet a statement, no identity map. Its connections come from an asyncpg pool of
`db_pool_size` connections, beside the ORM engine's pool that the administrators' screens use: checking a
connection out of SQLAlchemy's pool and back cost a booking 0.11 to 0.16 ms of the API's CPU (about 0.9 ms in all),
measured in one process, alternating the two every 25 bookings. The hot-row traffic is bounded as before, by this
pool's size; the ORM's pool serves the rest.

As the engine's pool does (`core.db.ping_when_idle`), a connection whose socket the server closed is replaced
without a round trip (asyncpg's pool reconnects a closed one), and one idle longer than `IDLE_PING_SECONDS` is
pinged before use and replaced when the ping fails.

The pool's own timers are left out of a request's way: an idle connection is not closed after a while (asyncpg's
`max_inactive_connection_lifetime`, a timer set at every release and cancelled at every acquire), so the pool keeps
up to `db_pool_size` connections open once it has needed them; and the wait for a connection is timed
(`db_pool_timeout`) only when none is idle. In one process, alternating with asyncpg's defaults every 200
bookings (20 pairs, twice, on a noisy shared machine), the median pair saved 7.5 % and 0.3 % of the API's CPU a
booking: little, but never a timer a request. Each write of these routes is one statement, whole by itself,
so none runs in a transaction, except behind a transaction-mode pooler (`db_transaction_pooler`): outside a
transaction PgBouncer may send a statement's prepare and its execution to different server connections, so there
the route's statements run in one.

When the app's sessions are given (`create_app(session_maker=...)`: the tests bind them to a connection they roll
back), the routes run on that session's connection, in its transaction (a savepoint the session commits or rolls
back), as the ORM's routes do: the same statements, and the test sees what they wrote.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TYPE_CHECKING, Any

import asyncpg
from litestar import Request

from core.db import IDLE_PING_SECONDS, driver_connect_args, driver_of
from core.settings import Settings, plain_database_url

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

DRIVER = "tjenesteshop_driver"
"""Key in the app's state: its `DriverConnections`."""
APPLICATION_NAME = "tjenesteshop-api"  # as the engine's connections: both are the API's


class DriverConnection(asyncpg.Connection):  # type: ignore[misc]  # asyncpg is untyped
    """A pooled driver connection that knows since when it has been idle in the pool."""

    __slots__ = ("_idle_since",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:  # noqa: ANN401 - asyncpg's own arguments
        """As asyncpg's connection; not idle yet."""
        super().__init__(*args, **kwargs)
        self._idle_since: float | None = None

    def idle_for(self) -> float:
        """Seconds since it was last given back to the pool (0 for a new connection)."""
        return 0.0 if self._idle_since is None else time.monotonic() - self._idle_since

    def given_back(self) -> None:
        """Note that it is idle from now."""
        self._idle_since = time.monotonic()


async def _given_back(connection: Any) -> None:  # noqa: ANN401 - asyncpg passes its pool's proxy
    """The pool's reset: a transaction left open is rolled back (none is, normally: no round trip then)."""
    if connection.is_in_transaction():
        await connection.execute("ROLLBACK")
    connection.given_back()


class DriverConnections:
    """Where a hot route gets its connection: the driver's pool, or the given sessions' connection."""

    def __init__(self, settings: Settings, *, session_maker: Callable[[], AsyncSession] | None) -> None:
        """A pool for `settings`' database (opened by `open`), or `session_maker`'s sessions when given."""
        self.settings = settings
        self.session_maker = session_maker
        self.pool: asyncpg.Pool | None = None

    async def open(self) -> None:
        """Make the pool (in the serving loop: the app's lifespan); connections are opened as they are needed."""
        if self.session_maker is not None or self.pool is not None:
            return
        assert self.settings.database_url is not None  # noqa: S101 - create_app refuses settings without one
        self.pool = await asyncpg.create_pool(
            plain_database_url(self.settings.database_url), min_size=0, max_size=self.settings.db_pool_size,
            connection_class=DriverConnection, reset=_given_back, max_inactive_connection_lifetime=0,
            **driver_connect_args(self.settings, APPLICATION_NAME),
        )  # fmt: skip

    async def close(self) -> None:
        """Close the pool's connections (the lifespan's end)."""
        if self.pool is not None:
            await self.pool.close()
            self.pool = None

    async def _checked(self) -> Any:  # noqa: ANN401 - asyncpg's pool proxy of a DriverConnection
        """A connection from the pool, pinged first when it was idle a while (and replaced when that fails)."""
        assert self.pool is not None  # noqa: S101 - opened in the lifespan
        timeout = self.settings.db_pool_timeout
        # With a connection idle there is nothing to wait for: no timer (see the module on the pool's cost).
        connection = await self.pool.acquire(timeout=None if self.pool.get_idle_size() else timeout)
        if connection.idle_for() <= IDLE_PING_SECONDS:
            return connection
        try:
            await connection.execute("SELECT 1")
        except Exception:  # noqa: BLE001 - whatever the ping met, the connection is not to be used
            connection.terminate()  # the pool opens a new one in its place
            await self.pool.release(connection)
            return await self.pool.acquire(timeout=timeout)
        except BaseException:
            await self.pool.release(connection)
            raise
        return connection

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[asyncpg.Connection]:
        """A driver connection for the block: given back to the pool after (or its session committed or rolled back)."""
        if self.session_maker is not None:
            session = self.session_maker()
            try:
                yield await driver_of(session)
                await session.commit()
            finally:
                await session.close()
            return
        connection = await self._checked()
        try:
            if self.settings.db_transaction_pooler:
                async with connection.transaction():
                    yield connection
            else:
                yield connection
        finally:
            assert self.pool is not None  # noqa: S101 - opened in the lifespan
            await self.pool.release(connection)


def driver_connection(request: Request[Any, Any, Any]) -> AbstractAsyncContextManager[asyncpg.Connection]:
    """The request's driver connection, for an `async with` block (see the module)."""
    connections: DriverConnections = request.app.state[DRIVER]
    return connections.connection()
