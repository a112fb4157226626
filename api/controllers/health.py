"""Liveness and readiness for load balancers and orchestrators."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

from litestar import Controller, get
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.response import Response
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from api.problems import Problem
from core.schema import schema_state

if TYPE_CHECKING:
    from redis.asyncio import Redis

CHECK_TIMEOUT_SECONDS = 2.0


async def _database_ok(engine: AsyncEngine) -> bool:
    async with engine.connect() as conn:
        return bool(await conn.scalar(text("SELECT 1")) == 1)


async def _schema(engine: AsyncEngine) -> str:
    """The database's schema against this code's migrations: `ok`, `behind` (migrations still to run) or `ahead`."""
    try:
        async with engine.connect() as conn:
            current = await asyncio.wait_for(conn.scalar(text("SELECT version_num FROM alembic_version")),
                                             CHECK_TIMEOUT_SECONDS)  # fmt: skip
    except Exception:  # noqa: BLE001 - any failure means "not ready"; the database check names it
        return "unreachable"
    state = await asyncio.to_thread(schema_state, current)  # reads the migration scripts once a process
    return "ok" if state == "ahead" else state


async def _redis_ok(redis: Redis) -> bool:
    return bool(await redis.ping())


async def _check(probe: Coroutine[object, object, bool]) -> str:
    try:
        ok = await asyncio.wait_for(probe, CHECK_TIMEOUT_SECONDS)
    except Exception:  # noqa: BLE001 - any failure means "not ready"; the reason is the component's name
        return "unreachable"
    return "ok" if ok else "unreachable"


class HealthController(Controller):
    """`/health/live` answers while the process runs; `/health/ready` when it can serve requests."""

    path = "/health"
    tags = ["health"]  # noqa: RUF012 - Litestar's declared attribute type

    @get("/live", summary="The process is running")
    async def live(self) -> dict[str, str]:
        """Always 200 while the event loop answers."""
        return {"status": "ok"}

    @get("/ready", summary="PostgreSQL and Redis answer, and the database's schema is this release's")
    async def ready(self, db_engine: NamedDependency[AsyncEngine], state: State) -> Response[dict[str, Any]]:
        """200 with each component's state, or 503 problem details naming the one that is down.

        `schema` is `behind` while the database still lacks this release's migrations (a replica started before
        they ran must not take traffic); a database migrated by a newer release counts as ready.
        """
        database, redis, schema = await asyncio.gather(
            _check(_database_ok(db_engine)), _check(_redis_ok(state.redis)), _schema(db_engine)
        )
        checks = {"database": database, "redis": redis, "schema": schema}
        if all(value == "ok" for value in checks.values()):
            return Response({"status": "ok", "checks": checks}, status_code=HTTP_200_OK)
        raise Problem("not_ready", status_code=HTTP_503_SERVICE_UNAVAILABLE, extra={"checks": checks})
