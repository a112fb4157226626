"""`/metrics` answers only the configured addresses (loopback by default) or the bearer token; others get a 404."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from litestar import Litestar
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncConnection

from core.settings import Settings
from tests.conftest import app_on


@asynccontextmanager
async def client_at(app: Litestar, address: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client whose connection comes from `address` (the app's lifespan entered and left in this task)."""
    async with app.lifespan():
        transport = httpx.ASGITransport(app=app, client=(address, 50000))  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


async def _metrics(settings: Settings, connection: AsyncConnection, address: str, **headers: str) -> httpx.Response:
    async with client_at(app_on(settings, connection), address) as client:
        return await client.get("/metrics", headers=headers)


@pytest.mark.parametrize("address", ["127.0.0.1", "127.8.9.10", "::1"])
async def test_loopback_reads_metrics_by_default(settings: Settings, connection: AsyncConnection, address: str) -> None:
    response = await _metrics(settings, connection, address)
    assert response.status_code == 200
    assert "# TYPE " in response.text


@pytest.mark.parametrize("address", ["203.0.113.7", "10.0.0.5", "2001:db8::1"])
async def test_anyone_else_gets_a_404_problem(settings: Settings, connection: AsyncConnection, address: str) -> None:
    response = await _metrics(settings, connection, address)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert "# TYPE " not in response.text


async def test_configured_networks_replace_loopback(settings: Settings, connection: AsyncConnection) -> None:
    allowed = settings.model_copy(update={"metrics_allow": Settings(metrics_allow="10.0.0.0/8").metrics_allow})
    assert (await _metrics(allowed, connection, "10.20.30.40")).status_code == 200
    assert (await _metrics(allowed, connection, "127.0.0.1")).status_code == 404


async def test_the_bearer_token_opens_it_from_anywhere(settings: Settings, connection: AsyncConnection) -> None:
    tokened = settings.model_copy(update={"metrics_token": SecretStr("s" * 40)})
    good = await _metrics(tokened, connection, "203.0.113.7", Authorization="Bearer " + "s" * 40)
    assert good.status_code == 200
    wrong = await _metrics(tokened, connection, "203.0.113.7", Authorization="Bearer nope")
    assert wrong.status_code == 404
    # A wrong token is refused even from an allowed address: it is a mistake worth noticing.
    assert (await _metrics(tokened, connection, "127.0.0.1", Authorization="Bearer nope")).status_code == 404
    assert (await _metrics(tokened, connection, "203.0.113.7")).status_code == 404
