from __future__ import annotations

import socket

import httpx

from api.app import create_app
from core.settings import Settings
from tests.conftest import http_client


async def test_live(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_ready_checks_postgres_and_redis(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/ready")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "redis": "ok"}


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
    assert body["checks"] == {"database": "ok", "redis": "unreachable"}
    assert body["title"] == "Tjenesten er ikke klar: databasen eller køen svarer ikke"


async def test_ready_is_503_naming_the_database_when_it_is_down(settings: Settings) -> None:
    broken = settings.model_copy(
        update={"database_url": f"postgresql+asyncpg://postgres@127.0.0.1:{_closed_port()}/postgres"}
    )
    async with http_client(create_app(broken)) as client:
        response = await client.get("/health/ready", headers={"Accept-Language": "en"})
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "unreachable", "redis": "ok"}
    assert response.headers["content-language"] == "en"


async def test_metrics_count_requests_by_route(client: httpx.AsyncClient) -> None:
    await client.get("/health/live")
    metrics = await client.get("/metrics")
    assert metrics.status_code == 200
    assert "tjenesteshop_requests_total" in metrics.text
    assert 'path="/health/live"' in metrics.text
