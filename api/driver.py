"""The hot routes' database connections: the driver's own (asyncpg), in a pool of their own, without an ORM session.

Booking (issue 18) runs its statements on the driver (`booking.driver`), so the route asks for no `db_session`:
no session made, no greenlet a statement, no identity map. Its connections come from a pool of `db_pool_size`
connections (`HotPool`), beside the ORM engine's pool that the administrators' screens use: checking a connection
out of SQLAlchemy's pool and back cost a booking 0.11 to 0.16 ms of the API's CPU (about 0.9 ms in all), measured
in one process, alternating the two every 25 bookings. The hot-row traffic is bounded as before, by this pool's
size; the ORM's pool serves the rest.

`HotPool` rather than asyncpg's pool: that one hands out a proxy that forwards every call, gives a connection back
inside a task of its own (`asyncio.shield`: one more turn of the event loop a request), and sets and cancels timers
for idle connections. In one process, alternating the two every 200 bookings, the median of 20 pairs was 17 % less
of the API's CPU a booking with `HotPool` (16 pairs of 20 lower; 28 % and 20 of 20 with a bare list of connections).

A connection whose socket the server closed is replaced without a round trip, and one idle longer than
`IDLE_PING_SECONDS` is pinged before use and replaced when the ping fails (as `core.db.ping_when_idle` does for
the engine's pool). One given back from a block that ended in the middle of an exchange (cancelled, timed out, the
connection broken) is closed, not handed out again. Each write of these routes is one statement, whole by itself,
so none runs in a transaction, except behind a transaction-mode pooler (`db_transaction_pooler`): outside a
transaction PgBouncer may send a statement's prepare and its execution to different server connections, so there
the route's statements run in one.

When the app's sessions are given (`create_app(session_maker=...)`: the tests bind them to a connection they roll
back), the routes run on that session's connection, in its transaction (a savepoint the session commits or rolls
back), as the ORM's routes do: the same statements, and the test sees what they wrote.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
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


# Exceptions after which a connection may be in the middle of an exchange: it is closed rather than handed out.
_UNFINISHED = (TimeoutError, OSError, asyncpg.InterfaceError, asyncpg.InternalClientError)


class HotPool:
    """At most `size` connections, opened when first needed and kept, handed out last given back, first.

    A caller finding none idle and `size` open waits, in turn, at most `timeout` seconds (TimeoutError: the API
    answers 503); a connection given back goes to the longest waiting, and a place freed (a connection closed, or
    one that failed to open) lets the longest waiting open one.
    """

    def __init__(self, connect: Callable[[], Awaitable[DriverConnection]], size: int, timeout: float) -> None:
        """A pool opening its connections with `connect`; none open yet."""
        self._connect = connect
        self.size = size
        self.timeout = timeout
        self._idle: list[DriverConnection] = []
        self._waiters: deque[asyncio.Future[DriverConnection | None]] = deque()
        self._opened = 0  # open, or being opened
        self._closed = False

    async def acquire(self) -> DriverConnection:
        """A connection for the caller alone, until `release`."""
        if self._closed:
            raise asyncpg.InterfaceError("the hot routes' pool is closed")
        while self._idle:
            connection = self._idle.pop()
            if not connection.is_closed():
                return connection
            self._opened -= 1  # the server ended it while it was idle
        if self._opened < self.size:
            self._opened += 1
            return await self._open_counted()
        waiter: asyncio.Future[DriverConnection | None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            async with asyncio.timeout(self.timeout):
                handed = await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled():  # handed one just as the wait ended: pass it on
                self._hand_on(waiter.result())
            else:
                waiter.cancel()
                with contextlib.suppress(ValueError):
                    self._waiters.remove(waiter)
            raise
        return handed if handed is not None else await self._open_counted()

    async def _open_counted(self) -> DriverConnection:
        """Open a connection whose place is counted already; the place is passed on when opening fails."""
        try:
            return await self._connect()
        except BaseException:
            self._hand_on(None)
            raise

    def _hand_on(self, connection: DriverConnection | None) -> None:
        """A connection (None: a place to open one in) to the longest waiting; else kept idle (or the place freed)."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(connection)
                return
        if connection is None:
            self._opened -= 1
        else:
            self._idle.append(connection)

    async def release(self, connection: DriverConnection, *, reusable: bool) -> None:
        """Give a connection back: kept when `reusable` (a transaction left open rolled back), else closed."""
        if reusable and not self._closed and not connection.is_closed():
            try:
                if connection.is_in_transaction():  # none is, normally: no round trip then
                    await connection.execute("ROLLBACK")
            except Exception:  # noqa: BLE001 - whatever the rollback met, the connection is not to be used again
                reusable = False
            else:
                connection.given_back()
                self._hand_on(connection)
                return
        connection.terminate()
        self._hand_on(None)

    async def close(self) -> None:
        """Close the idle connections, and refuse any waiting; those in use are closed as they are given back."""
        self._closed = True
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_exception(asyncpg.InterfaceError("the hot routes' pool is closed"))
        self._waiters.clear()
        idle, self._idle = self._idle, []
        for connection in idle:
            self._opened -= 1
            try:
                await connection.close(timeout=5)
            except Exception:  # noqa: BLE001 - closing anyway
                connection.terminate()


class _Checkout:
    """`async with`: a connection of the pool for the block, given back after (closed when the block broke off)."""

    __slots__ = ("_connection", "_connections", "_transaction")

    def __init__(self, connections: DriverConnections) -> None:
        self._connections = connections
        self._connection: DriverConnection | None = None
        self._transaction: Any = None

    async def __aenter__(self) -> DriverConnection:
        self._connection = connection = await self._connections.checked()
        if self._connections.settings.db_transaction_pooler:
            self._transaction = connection.transaction()
            try:
                await self._transaction.start()
            except BaseException:
                await self._give_back(reusable=False)
                raise
        return connection

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: object) -> None:
        reusable = kind is None or (issubclass(kind, Exception) and not issubclass(kind, _UNFINISHED))
        try:
            if self._transaction is not None and reusable:
                if kind is None:
                    await self._transaction.commit()
                else:
                    await self._transaction.rollback()
        except BaseException:
            reusable = False
            raise
        finally:
            await self._give_back(reusable=reusable)

    async def _give_back(self, *, reusable: bool) -> None:
        pool, connection = self._connections.pool, self._connection
        assert pool is not None  # noqa: S101 - opened in the lifespan
        assert connection is not None  # noqa: S101 - checked out in __aenter__
        self._connection = None
        await pool.release(connection, reusable=reusable)


class DriverConnections:
    """Where a hot route gets its connection: the driver's pool, or the given sessions' connection."""

    def __init__(self, settings: Settings, *, session_maker: Callable[[], AsyncSession] | None) -> None:
        """A pool for `settings`' database (opened by `open`), or `session_maker`'s sessions when given."""
        self.settings = settings
        self.session_maker = session_maker
        self.pool: HotPool | None = None

    async def open(self) -> None:
        """Make the pool (in the serving loop: the app's lifespan); connections are opened as they are needed."""
        if self.session_maker is not None or self.pool is not None:
            return
        assert self.settings.database_url is not None  # noqa: S101 - create_app refuses settings without one
        url, args = plain_database_url(self.settings.database_url), driver_connect_args(self.settings, APPLICATION_NAME)

        async def connect() -> DriverConnection:
            connection: DriverConnection = await asyncpg.connect(url, connection_class=DriverConnection, **args)
            return connection

        self.pool = HotPool(connect, self.settings.db_pool_size, self.settings.db_pool_timeout)

    async def close(self) -> None:
        """Close the pool's connections (the lifespan's end)."""
        if self.pool is not None:
            await self.pool.close()
            self.pool = None

    async def checked(self) -> DriverConnection:
        """A connection from the pool, pinged first when it was idle a while (and replaced when that fails)."""
        assert self.pool is not None  # noqa: S101 - opened in the lifespan
        connection = await self.pool.acquire()
        if connection.idle_for() <= IDLE_PING_SECONDS:
            return connection
        try:
            await connection.execute("SELECT 1")
        except Exception:  # noqa: BLE001 - whatever the ping met, the connection is not to be used
            await self.pool.release(connection, reusable=False)  # closed: its place opens a new one
            return await self.pool.acquire()
        except BaseException:
            await self.pool.release(connection, reusable=False)
            raise
        return connection

    def connection(self) -> AbstractAsyncContextManager[asyncpg.Connection]:
        """A driver connection for the block: given back to the pool after (or its session committed or rolled back)."""
        if self.session_maker is not None:
            return self._in_session()
        return _Checkout(self)

    @asynccontextmanager
    async def _in_session(self) -> AsyncIterator[asyncpg.Connection]:
        assert self.session_maker is not None  # noqa: S101 - only then
        session = self.session_maker()
        try:
            yield await driver_of(session)
            await session.commit()
        finally:
            await session.close()


def driver_connection(request: Request[Any, Any, Any]) -> AbstractAsyncContextManager[asyncpg.Connection]:
    """The request's driver connection, for an `async with` block (see the module)."""
    connections: DriverConnections = request.app.state[DRIVER]
    return connections.connection()
