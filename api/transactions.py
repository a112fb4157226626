"""One transaction a request: committed once the handler has answered, before the answer is sent.

advanced-alchemy's `autocommit` before-send handler commits later, as the response starts. It logs a failed
commit at debug level and sends the 2xx anyway, so the client is told "booked" while nothing was saved; and
it rolls back redirects, which lost every sign-in's audit entry (`session.create`, answered with 303). An
error raised from a before-send hook cannot be answered properly either: Litestar counts the response as
started by then. So handlers get their session from this dependency instead. Litestar ends dependencies
that yield after the handler has made its response and before sending it: the session is committed there,
and a failed commit propagates to the exception handlers, which answer in its place
(`api.problems.database_error_handler`: 409 for a constraint that says why, 503 with Retry-After for a lock
wait, a 500 problem for the rest). A handler that raises has its transaction rolled back.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from litestar import Request
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from api.auth import provide_origin
from people.audit import forget_reads, write_reads

PLUGIN_SESSION = "plugin_db_session"  # advanced-alchemy's dependency key for the request's session
READS = "reads"
"""A route's `opt` key naming what its reads of other people's data are logged as (`booking.read`)."""
AUTOCOMMIT = "autocommit"
"""A route's `opt` key: True when each of its writes is a single statement, whole by itself (a read's access-log
INSERT), so it runs without BEGIN and COMMIT (see `committing_session`). Never for a route that locks a row
and writes after, or adds objects to the session."""
_SAFE = frozenset({"GET", "HEAD"})


def read_action(request: Request[Any, Any, Any]) -> str:
    """What a read is logged as: the route's `opt["reads"]`, or its first path segment under /api/v1."""
    named = request.route_handler.opt.get(READS)
    if isinstance(named, str):
        return named
    parts = [p for p in request.url.path.split("/") if p]
    segment = parts[2] if parts[:2] == ["api", "v1"] and len(parts) > 2 else (parts[0] if parts else "data")  # noqa: PLR2004 - /api/v1/<segment>
    return f"{segment.replace('-', '_')}.read"


async def committing_session(
    plugin_db_session: NamedDependency[AsyncSession], request: Request[Any, Any, Any]
) -> AsyncIterator[AsyncSession]:
    """The request's session (`db_session`): committed when the handler returns, rolled back when it raises.

    A read (GET) of other people's data is logged here, for every route at once: the access checks note
    whose data was handed out (`people.audit.note_read`), and one INSERT in this transaction logs it.
    Writes audit themselves, so what their checks noted is dropped.

    A route marked `opt={AUTOCOMMIT: True}` runs in autocommit: each statement on its own, as under READ
    COMMITTED each statement of a transaction sees its own snapshot anyway, but without two round trips (BEGIN
    and COMMIT). Its writes are single statements (a read's one access-log INSERT), each committed by itself
    before the answer is sent, as before. (Booking, moving, cancelling and free times need no session at all:
    they run on the driver, `api.driver`.) Only on the app's own engine: a
    session the tests bind to a connection already in a transaction stays in it. Nor behind a transaction-mode
    pooler (`db_transaction_pooler`): outside a transaction PgBouncer may run a statement's prepare and its
    execution on different server connections.
    """
    if (
        request.route_handler.opt.get(AUTOCOMMIT) is True
        and isinstance(plugin_db_session.bind, AsyncEngine)
        and not request.app.state.settings.db_transaction_pooler
    ):
        await plugin_db_session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    try:
        yield plugin_db_session
    except BaseException:
        forget_reads(plugin_db_session)
        await plugin_db_session.rollback()
        raise
    if request.method in _SAFE:
        await write_reads(plugin_db_session, provide_origin(request), action=read_action(request))
    else:
        forget_reads(plugin_db_session)
    await plugin_db_session.commit()
