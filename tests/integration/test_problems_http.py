"""Every error reaches the client as RFC 9457 problem details, in its language, with no internals."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from litestar import get, post
from litestar.params import JSONBody
from sqlalchemy.ext.asyncio import AsyncConnection

from core.errors import ConflictError
from core.settings import Settings
from tests.conftest import app_on, http_client

PROBLEM_JSON = "application/problem+json"


@dataclass
class Visit:
    name: str
    minutes: int


@post("/test/visits")
async def create_visit(data: JSONBody[Visit]) -> Visit:
    return data


@get("/test/boom")
async def boom() -> None:
    msg = "password=hunter2 in a stack trace"
    raise RuntimeError(msg)


@get("/test/conflict")
async def conflict() -> None:
    raise ConflictError(booking_ids=[7, 9])


@pytest.fixture
async def client(settings: Settings, connection: AsyncConnection) -> AsyncIterator[httpx.AsyncClient]:
    """A real app of its own (not the run's shared one) with a few routes that fail on purpose."""
    app = app_on(settings, connection)
    for handler in (create_visit, boom, conflict):
        app.register(handler)
    async with http_client(app) as client:
        yield client


async def test_unknown_route_is_404_in_bokmal_by_default(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.headers["content-language"] == "nb"
    assert response.json() == {
        "status": 404,
        "type": "urn:tjenesteshop:problem:not_found",
        "title": "Fant ikke det du ba om",
        "instance": "/api/v1/nothing-here",
    }


async def test_english_when_asked(client: httpx.AsyncClient) -> None:
    response = await client.get("/nothing", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert response.json()["title"] == "Not found"
    nynorsk = await client.get("/nothing", headers={"Accept-Language": "nn"})
    assert nynorsk.json()["title"] == "Fann ikkje det du bad om"


async def test_wrong_method_is_405_with_allow(client: httpx.AsyncClient) -> None:
    response = await client.delete("/health/live")
    assert response.status_code == 405
    assert response.headers["content-type"] == PROBLEM_JSON
    assert "GET" in response.headers["allow"]
    assert response.json()["title"] == "Denne handlingen er ikke tillatt her"


async def test_malformed_json_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/test/visits", content=b'{"name": "Kari", "minutes":', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM_JSON
    body = response.json()
    assert body["type"] == "urn:tjenesteshop:problem:malformed_body"
    assert body["title"] == "Forespørselen kunne ikke leses"


async def test_invalid_fields_are_422_listing_them(client: httpx.AsyncClient) -> None:
    response = await client.post("/test/visits", json={"name": "Kari", "minutes": "an hour"})
    assert response.status_code == 422
    body = response.json()
    assert body["type"] == "urn:tjenesteshop:problem:validation_failed"
    assert [error["field"] for error in body["errors"]] == ["minutes"]
    assert body["title"] == "Noen av feltene er ikke fylt ut riktig"


async def test_a_bug_is_500_without_internals(client: httpx.AsyncClient) -> None:
    response = await client.get("/test/boom", headers={"X-Request-ID": "trace-me-12345"})
    assert response.status_code == 500
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.headers["x-request-id"] == "trace-me-12345"
    assert "hunter2" not in response.text
    assert "Traceback" not in response.text
    assert response.json()["type"] == "urn:tjenesteshop:problem:internal_error"


async def test_domain_error_is_a_problem_with_its_fields(client: httpx.AsyncClient) -> None:
    response = await client.get("/test/conflict")
    assert response.status_code == 409
    assert response.json()["booking_ids"] == [7, 9]


async def test_request_id_is_made_or_echoed(client: httpx.AsyncClient) -> None:
    made = await client.get("/health/live")
    assert len(made.headers["x-request-id"]) == 32
    echoed = await client.get("/nothing", headers={"X-Request-ID": "abc-123-def-456"})
    assert echoed.headers["x-request-id"] == "abc-123-def-456"
    refused = await client.get("/health/live", headers={"X-Request-ID": "bad id\twith spaces"})
    assert refused.headers["x-request-id"] != "bad id\twith spaces"
