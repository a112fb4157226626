from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator

import asyncpg
import httpx
import pytest

from api.app import create_app
from api.problem_texts import PROBLEMS
from core.schema import revisions
from core.settings import Settings, plain_database_url
from tests.conftest import RunServers, committed_database, http_client
from tjenesteshop.migrate import upgrade


async def test_live(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_ready_checks_postgres_and_redis(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/ready")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "redis": "ok", "schema": "ok"}


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_ready_is_503_naming_redis_when_redis_is_down(settings: Settings) -> None:
    broken = settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{_closed_port()}/0"})
    async with http_client(create_app(broken)) as client:
        response = await client.get("/health/ready")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["checks"] == {"database": "ok", "redis": "unreachable", "schema": "ok"}
    assert body["title"] == PROBLEMS["not_ready"].nb


async def test_ready_is_503_naming_the_database_when_it_is_down(settings: Settings) -> None:
    broken = settings.model_copy(
        update={"database_url": f"postgresql+asyncpg://postgres@127.0.0.1:{_closed_port()}/postgres"}
    )
    async with http_client(create_app(broken)) as client:
        response = await client.get("/health/ready", headers={"Accept-Language": "en"})
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "unreachable", "redis": "ok", "schema": "unreachable"}
    assert response.headers["content-language"] == "en"


def _sample(text: str, name: str, **labels: str) -> float:
    """The value of the series `name` with exactly these labels in Prometheus' text format (0 when absent)."""
    wanted = {f'{key}="{value}"' for key, value in labels.items()}
    for line in text.splitlines():
        series, _, value = line.rpartition(" ")
        metric, _, inside = series.partition("{")
        if metric == name and set(inside.rstrip("}").split(",")) == wanted:
            return float(value)
    return 0.0


async def test_metrics_count_requests_by_route_and_status(client: httpx.AsyncClient) -> None:
    before = (await client.get("/metrics")).text
    await client.get("/health/live")
    await client.get("/health/live")
    refused = await client.get("/api/v1/bookings")  # no session: a 401 problem from the route
    assert refused.status_code == 401
    metrics = await client.get("/metrics")
    assert metrics.status_code == 200
    live = {"method": "GET", "path": "/health/live", "app_name": "tjenesteshop", "status_code": "200"}
    unauthorized = {"method": "GET", "path": "/api/v1/bookings", "app_name": "tjenesteshop", "status_code": "401"}
    for labels, added in ((live, 2), (unauthorized, 1)):
        counted = _sample(metrics.text, "tjenesteshop_requests_total", **labels)
        assert counted - _sample(before, "tjenesteshop_requests_total", **labels) == added
        timed = _sample(metrics.text, "tjenesteshop_request_duration_seconds_count", **labels)
        assert timed - _sample(before, "tjenesteshop_request_duration_seconds_count", **labels) == added
    running = {"method": "GET", "path": "/api/v1/bookings", "app_name": "tjenesteshop"}
    assert _sample(metrics.text, "tjenesteshop_requests_in_progress", **running) == 0
    assert 'path="/metrics"' not in metrics.text  # the scraper's own reads are not counted


@pytest.fixture
def scratch_database(servers: RunServers) -> Iterator[str]:
    """An empty database of its own on the run's server (its URL), dropped afterwards."""
    with committed_database(servers, "ready", migrate=False) as url:
        yield url


async def test_ready_waits_for_this_releases_migrations(settings: Settings, scratch_database: str) -> None:
    # A replica that starts before the migrations of its release ran must not take traffic.
    head, _ = revisions()
    older = "0012"
    await asyncio.to_thread(upgrade, scratch_database, older)
    app = create_app(settings.model_copy(update={"database_url": scratch_database}))
    async with http_client(app) as client:
        behind = await client.get("/health/ready")
        await asyncio.to_thread(upgrade, scratch_database)
        current = await client.get("/health/ready")
        conn = await asyncpg.connect(plain_database_url(scratch_database))
        try:  # a newer release has migrated past this one's head: this one still serves while it is replaced
            await conn.execute("UPDATE alembic_version SET version_num = 'f00d'")
        finally:
            await conn.close()
        ahead = await client.get("/health/ready")

    assert head != older
    assert behind.status_code == 503
    assert behind.json()["checks"] == {"database": "ok", "redis": "ok", "schema": "behind"}
    assert current.status_code == 200
    assert current.json()["checks"]["schema"] == "ok"
    assert ahead.status_code == 200
