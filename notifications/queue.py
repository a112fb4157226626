"""The one module that knows arq: worker settings, and enqueueing. Swap the queue here and nowhere else.

arq runs a job at least once, so every job must be idempotent and keep its state in PostgreSQL
(DESIGN.md, invariant 6); Redis only says what to run next.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from arq import cron
from arq.connections import ArqRedis, RedisSettings
from arq.cron import CronJob
from arq.worker import Worker, func
from httpx import AsyncClient

from core.clock import utcnow
from core.db import make_engine, make_sessionmaker
from core.logging import request_id_var
from core.settings import Settings
from insight import evaluation_due
from notifications import dispatch, feeds, offers, sending, series_failures
from notifications.channels import ChannelError, Message, channels_from_settings
from notifications.daily import open_days_job
from notifications.retention import run_retention
from webhooks import delivery, fanout

log = logging.getLogger(__name__)

HEARTBEAT_TTL_SECONDS = 180
LONG_PASS_SECONDS = 600  # the periodic passes over many rows; single sends keep the default job timeout
# Redis holds only the reminders due within this window; the database holds the rest (DESIGN.md, invariant 6).
QUEUE_WINDOW = timedelta(minutes=10)
TICK_SECONDS = set(range(0, 60, 5))  # how often the outbox is dispatched and due reminders are queued
# Batch jobs queued for one time: QUEUE_AT_MOST / BATCH, as many as the worker runs at once by default.
BATCH_JOBS = dispatch.QUEUE_AT_MOST // sending.BATCH


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


def scheduler(ctx: dict[str, Any]) -> dispatch.Schedule:
    """Queue `send_reminders` jobs for a time by the worker's clock; a job id already queued is not queued again."""
    redis: ArqRedis = ctx["redis"]
    name = queue_name(ctx["settings"])

    async def schedule(when: datetime, batches: int, due: bool) -> None:  # noqa: FBT001 - the Schedule's shape
        delay = max(0.0, (when - ctx["clock"]()).total_seconds())
        # What is due now shares the same few ids, so passes 5 s apart do not pile jobs up behind each other.
        # The installation's prefix first: arq's job keys are shared by every queue on the Redis database.
        prefix = f"{ctx['settings'].redis_prefix}reminders:" + ("due" if due else f"{when.timestamp():.0f}")
        for slot in range(min(batches, BATCH_JOBS)):
            await redis.enqueue_job("send_reminders", _job_id=f"{prefix}:{slot}", _defer_by=timedelta(seconds=delay),
                                    _queue_name=name)  # fmt: skip

    return schedule


async def send_reminder(ctx: dict[str, Any], reminder_id: int) -> str:
    """Arq job: send one reminder, at most once (jobs queued before batches existed still run)."""
    return await sending.send_reminder(
        ctx["sessionmaker"], ctx["channels"], reminder_id, now=ctx["clock"], base_url=ctx["settings"].base_url
    )


async def send_reminders(ctx: dict[str, Any]) -> dict[str, int]:
    """Arq job: claim up to `sending.BATCH` due reminders, send them, record what happened (each at most once)."""
    statuses = await sending.send_due(
        ctx["sessionmaker"], ctx["channels"], now=ctx["clock"], base_url=ctx["settings"].base_url
    )
    return dict(Counter(statuses.values()))


async def tick(ctx: dict[str, Any]) -> dict[str, int]:
    """Arq job, every few seconds: the outbox, the reminders due soon, the waitlist's pass, e-mails for failed SMS."""
    events = await dispatch.dispatch_events(ctx["sessionmaker"], ctx["clock"]())
    queued = await dispatch.queue_due(ctx["sessionmaker"], ctx["clock"](), ctx["window"], scheduler(ctx))
    waitlist = await offers.waitlist_pass(
        ctx["sessionmaker"], ctx["channels"], now=ctx["clock"](), base_url=ctx["settings"].base_url
    )
    fallbacks = await sending.send_due_fallbacks(
        ctx["sessionmaker"], ctx["channels"], now=ctx["clock"], base_url=ctx["settings"].base_url
    )
    told = await series_failures.send_series_failures(
        ctx["sessionmaker"], ctx["channels"], now=ctx["clock"](), base_url=ctx["settings"].base_url
    )
    return {"events": events, "queued": queued, "fallbacks": fallbacks, **waitlist, "series_failures_told": told}


def webhook_sender(settings: Settings) -> delivery.Sender:
    """How the worker sends webhooks under `settings`."""
    return delivery.Sender(
        retry_seconds=settings.webhook_retry_seconds, timeout=settings.webhook_timeout_seconds,
        production=settings.is_production, secret_key=settings.national_id_key,
    )  # fmt: skip


async def deliver_webhooks(ctx: dict[str, Any]) -> dict[str, int]:
    """Arq job, every few seconds: deliveries for new decision events, then every webhook delivery that is due."""
    decisions = await fanout.decision_events(ctx["sessionmaker"], ctx["clock"]())
    sent = await delivery.deliver_due(ctx["sessionmaker"], ctx["http"], webhook_sender(ctx["settings"]), ctx["clock"])
    return {"decision_events": decisions, **sent}


async def prune_webhooks(ctx: dict[str, Any]) -> int:
    """Arq job, daily: forget webhook deliveries that arrived long ago."""
    return await delivery.prune(ctx["sessionmaker"], ctx["clock"]())


async def reconcile(ctx: dict[str, Any]) -> dict[str, int]:
    """Arq job: rebuild the schedule from the database (after Redis lost its data, say), then queue what is due."""
    result = await dispatch.reconcile(ctx["sessionmaker"], ctx["clock"])
    result["queued"] = await dispatch.queue_due(ctx["sessionmaker"], ctx["clock"](), ctx["window"], scheduler(ctx))
    log.info("reconciled: %s", result)
    return result


async def refresh_feeds(ctx: dict[str, Any]) -> dict[str, int]:
    """Arq job, daily: re-render every calendar feed (cancelled visits leave the feed after 30 days)."""
    result = await dispatch.reconcile(ctx["sessionmaker"], ctx["clock"], feeds.refresh_all)
    log.info("feeds refreshed: %s", result)
    return result


async def evaluation_due_job(ctx: dict[str, Any]) -> dict[str, int]:
    """Arq job, hourly: `evaluation_due` follow-ups for trial decisions, and one e-mail to each case worker."""
    email = ctx["channels"]["email"]
    url = f"{ctx['settings'].base_url.rstrip('/')}/"

    async def send(mail: evaluation_due.Mail) -> str | None:
        try:
            await email.send(Message(to=mail.to, subject=mail.subject, text=mail.text, language=mail.language, url=url))
        except ChannelError as exc:
            return exc.reason
        return None

    result = await evaluation_due.remind(ctx["sessionmaker"], ctx["clock"](), send, url=url)
    log.info("evaluation reminders: %s", result)
    return result


async def retention_job(ctx: dict[str, Any]) -> dict[str, int]:
    """Arq job, nightly: erase or count away what is past each municipality's retention periods."""
    return await run_retention(ctx["sessionmaker"], ctx["clock"]())


async def _startup(ctx: dict[str, Any]) -> None:
    settings: Settings = ctx["settings"]
    if "sessionmaker" not in ctx:  # tests hand in their own
        ctx["engine"] = make_engine(settings)
        ctx["sessionmaker"] = make_sessionmaker(ctx["engine"])
    ctx.setdefault("clock", utcnow)
    ctx.setdefault("window", QUEUE_WINDOW)
    ctx.setdefault("channels", channels_from_settings(settings))
    # Webhooks follow no redirects (an endpoint cannot send us elsewhere, e.g. into the local network).
    ctx["http"] = AsyncClient(follow_redirects=False, timeout=settings.webhook_timeout_seconds)
    await heartbeat(ctx)
    log.info("worker started on queue %s", queue_name(settings))


async def _shutdown(ctx: dict[str, Any]) -> None:
    if "http" in ctx:
        await ctx["http"].aclose()
    if "engine" in ctx:
        await ctx["engine"].dispose()
    log.info("worker stopped")


async def _job_start(ctx: dict[str, Any]) -> None:
    request_id_var.set(f"job:{ctx.get('job_id', '-')}")


def cron_name(settings: Settings, job: Callable[..., Any]) -> str:
    """A periodic job's name in this installation, which its job ids start with: see `create_worker`."""
    return f"cron:{settings.redis_prefix}{job.__name__}"


def create_worker(settings: Settings, *, ctx: Mapping[str, Any] | None = None, **overrides: object) -> Worker:
    """An arq worker for `settings` (both URLs set); `ctx` may add a clock, channels or a sessionmaker.

    arq keeps a job under `arq:job:<id>` whatever the queue, and a periodic job's id is its name and time: the
    names carry the installation's prefix (`cron_name`), as the reminder batches' ids do, so that installations
    sharing a Redis database (each with its own `TJENESTESHOP_REDIS_PREFIX`) each run their own passes, the
    workers of one installation still running each pass once.
    """
    if settings.redis_url is None:
        msg = "the worker needs REDIS_URL"
        raise RuntimeError(msg)

    def own(job: Callable[..., Any], **when: Any) -> CronJob:  # noqa: ANN401 - arq's cron() options
        return cron(job, name=cron_name(settings, job), unique=True, **when)

    options: dict[str, Any] = {
        "functions": [
            heartbeat,
            open_days_job,
            func(evaluation_due_job, keep_result=0),
            func(send_reminder, keep_result=0),
            # A batch of sends (one SMTP connection); well under reconciliation's 15 minutes for uncertain sends.
            func(send_reminders, keep_result=0, timeout=LONG_PASS_SECONDS),
            # The periodic passes share the database with the sends: allow them longer than a send. A pass
            # cut short loses nothing: the next one queues the rest, and a batch job claims each reminder once.
            func(tick, keep_result=0, timeout=LONG_PASS_SECONDS),
            func(deliver_webhooks, keep_result=0, timeout=LONG_PASS_SECONDS),
            func(prune_webhooks, keep_result=0, timeout=LONG_PASS_SECONDS),
            func(reconcile, keep_result=0, timeout=LONG_PASS_SECONDS),
            func(refresh_feeds, keep_result=0, timeout=LONG_PASS_SECONDS),
            func(retention_job, keep_result=0, timeout=LONG_PASS_SECONDS),
        ],
        "cron_jobs": [
            own(heartbeat, second=0, run_at_startup=False),
            own(tick, second=TICK_SECONDS, run_at_startup=True, keep_result=0),
            own(deliver_webhooks, second=TICK_SECONDS, run_at_startup=True, keep_result=0),
            own(reconcile, minute={0, 10, 20, 30, 40, 50}, second=30, run_at_startup=True, keep_result=0),
            own(refresh_feeds, hour=3, minute=15, second=0, run_at_startup=False, keep_result=0),
            own(prune_webhooks, hour=3, minute=45, second=0, run_at_startup=False, keep_result=0),
            # Hourly, so "shortly after midnight" holds in every department's time zone; idempotent.
            own(open_days_job, minute=5, second=0, run_at_startup=True),
            own(evaluation_due_job, minute=25, second=0, run_at_startup=True, keep_result=0),
            # Nightly (01:40 UTC, before the morning's bookings); idempotent, so a missed night only waits a day.
            own(retention_job, hour=1, minute=40, second=0, run_at_startup=False, keep_result=0),
        ],
        "queue_name": queue_name(settings),
        "redis_settings": RedisSettings.from_dsn(settings.redis_url),
        "on_startup": _startup,
        "on_shutdown": _shutdown,
        "on_job_start": _job_start,
        "ctx": {"settings": settings, **(ctx or {})},
        "max_jobs": 20,
        "job_timeout": 60,
    }
    options.update(overrides)
    return Worker(**options)
