"""The one module that knows arq: worker settings, and enqueueing. Swap the queue here and nowhere else.

arq runs a job at least once, so every job must be idempotent and keep its state in PostgreSQL
(DESIGN.md, invariant 6); Redis only says what to run next.
"""

from __future__ import annotations

import logging
from typing import Any

from arq import cron
from arq.connections import RedisSettings
from arq.worker import Worker

from core.clock import utcnow
from core.db import make_engine, make_sessionmaker
from core.logging import request_id_var
from core.settings import Settings
from notifications.daily import open_days_job

log = logging.getLogger(__name__)

HEARTBEAT_TTL_SECONDS = 180


def queue_name(settings: Settings) -> str:
    """The arq queue of this installation."""
    return f"{settings.redis_prefix}queue"


def heartbeat_key(settings: Settings) -> str:
    """Where the worker records that it is alive."""
    return f"{settings.redis_prefix}worker:heartbeat"


async def heartbeat(ctx: dict[str, Any]) -> str:
    """Record that a worker is alive, so operators can see it."""
    now = utcnow().isoformat()
    await ctx["redis"].set(heartbeat_key(ctx["settings"]), now, ex=HEARTBEAT_TTL_SECONDS)
    return now


async def _startup(ctx: dict[str, Any]) -> None:
    settings: Settings = ctx["settings"]
    ctx["engine"] = make_engine(settings)
    ctx["sessionmaker"] = make_sessionmaker(ctx["engine"])
    await heartbeat(ctx)
    log.info("worker started on queue %s", queue_name(settings))


async def _shutdown(ctx: dict[str, Any]) -> None:
    if "engine" in ctx:
        await ctx["engine"].dispose()
    log.info("worker stopped")


async def _job_start(ctx: dict[str, Any]) -> None:
    request_id_var.set(f"job:{ctx.get('job_id', '-')}")


def create_worker(settings: Settings, **overrides: object) -> Worker:
    """An arq worker for `settings` (both URLs set)."""
    if settings.redis_url is None:
        msg = "the worker needs REDIS_URL"
        raise RuntimeError(msg)
    options: dict[str, Any] = {
        "functions": [heartbeat, open_days_job],
        "cron_jobs": [
            cron(heartbeat, second=0, run_at_startup=False, unique=True),
            # Hourly, so "shortly after midnight" holds in every department's time zone; idempotent.
            cron(open_days_job, minute=5, second=0, run_at_startup=True, unique=True),
        ],
        "queue_name": queue_name(settings),
        "redis_settings": RedisSettings.from_dsn(settings.redis_url),
        "on_startup": _startup,
        "on_shutdown": _shutdown,
        "on_job_start": _job_start,
        "ctx": {"settings": settings},
        "max_jobs": 20,
        "job_timeout": 60,
    }
    options.update(overrides)
    return Worker(**options)
