from __future__ import annotations

from datetime import UTC, datetime, timedelta

from arq.connections import RedisSettings, create_pool
from redis.asyncio import Redis

from core.settings import Settings
from notifications.queue import create_worker, cron_name, heartbeat_key, queue_name, scheduler, tick
from tests.conftest import RunServers


async def test_worker_runs_a_queued_job(settings: Settings, servers: RunServers) -> None:
    own = settings.model_copy(update={"redis_prefix": servers.key_prefix})
    pool = await create_pool(RedisSettings.from_dsn(servers.redis_url), default_queue_name=queue_name(own))
    redis = Redis.from_url(servers.redis_url)
    try:
        await redis.delete(heartbeat_key(own))
        job = await pool.enqueue_job("heartbeat")
        assert job is not None
        worker = create_worker(own, burst=True, handle_signals=False, keep_result=0, poll_delay=0.05)
        await worker.main()
        await worker.close()
        assert worker.jobs_complete >= 1
        assert worker.jobs_failed == 0
        assert await redis.get(heartbeat_key(own)) is not None
    finally:
        await redis.aclose()
        await pool.aclose()


async def test_installations_sharing_a_redis_database_each_run_their_own_passes(
    settings: Settings, servers: RunServers
) -> None:
    """arq keeps jobs under `arq:job:<id>` whatever the queue: ids without the installation's prefix would let one
    installation's pass (or reminder batch) stand in for another's, which then never runs it."""
    first = settings.model_copy(update={"redis_prefix": f"{servers.key_prefix}first:"})
    second = settings.model_copy(update={"redis_prefix": f"{servers.key_prefix}second:"})
    redis = Redis.from_url(servers.redis_url)
    pools = [await create_pool(RedisSettings.from_dsn(servers.redis_url)) for _ in range(3)]
    # Two replicas of the first installation and one of the second, at the same moment.
    workers = [create_worker(own, redis_pool=pool, handle_signals=False)
               for own, pool in zip((first, first, second), pools, strict=True)]  # fmt: skip
    at = datetime.now(UTC).replace(microsecond=123_456) + timedelta(seconds=30)
    try:
        for worker in workers:
            await worker.run_cron(at, 0.5)
            schedule = scheduler({"redis": worker.pool, "settings": worker.ctx["settings"], "clock": lambda: at})
            await schedule(at, 1, True)  # noqa: FBT003 - the Schedule type is positional: when, batches, due
        for own in (first, second):
            jobs = [job.decode() for job in await redis.zrange(queue_name(own), 0, -1)]
            # Each installation's periodic pass once (its two replicas agreeing), and its reminder batch.
            passes = [job for job in jobs if job.startswith(cron_name(own, tick))]
            assert passes == [f"{cron_name(own, tick)}:{int(at.timestamp() * 1000)}"]
            assert f"{own.redis_prefix}reminders:due:0" in jobs
    finally:
        for own in (first, second):
            for job in await redis.zrange(queue_name(own), 0, -1):
                await redis.delete(b"arq:job:" + job)
            await redis.delete(queue_name(own))
        await redis.aclose()
        for pool in pools:
            await pool.aclose()
