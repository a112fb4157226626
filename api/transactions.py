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

from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

PLUGIN_SESSION = "plugin_db_session"  # advanced-alchemy's dependency key for the request's session


async def committing_session(plugin_db_session: NamedDependency[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """The request's session (`db_session`): committed when the handler returns, rolled back when it raises."""
    try:
        yield plugin_db_session
    except BaseException:
        await plugin_db_session.rollback()
        raise
    await plugin_db_session.commit()
