from __future__ import annotations

from arq.connections import RedisSettings, create_pool
from redis.asyncio import Redis

from core.settings import Settings
from notifications.queue import create_worker, heartbeat_key, queue_name
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
