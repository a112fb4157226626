"""Browser security headers on pages, API answers and problems; the API documentation loads no third-party script."""

from __future__ import annotations

import re

import httpx
import pytest
from litestar.datastructures import State
from sqlalchemy.ext.asyncio import AsyncConnection

from api.controllers.demo import _page
from api.controllers.home import _plain_page
from core.settings import Settings
from tests.conftest import app_on, http_client

PATHS = {
    "page": "/",
    "api answer": "/api/v1/departments?municipality=9999",
    "problem": "/api/v1/bookings",  # 401 problem: not signed in
    "unknown path": "/no/such/thing",
    "api documentation": "/schema",
}
_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)


def _directives(policy: str) -> dict[str, str]:
    return {part.split(" ", 1)[0]: part.split(" ", 1)[1] for part in (p.strip() for p in policy.split(";")) if part}


@pytest.mark.parametrize("path", PATHS.values(), ids=PATHS.keys())
async def test_every_answer_has_the_security_headers(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code < 500
    policy = _directives(response.headers["content-security-policy"])
    assert policy["script-src"] == "'self'"  # no 'unsafe-inline', no 'unsafe-eval', no other host
    assert policy["style-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "same-origin"
    assert "strict-transport-security" not in response.headers  # http: HSTS would be ignored, and wrong


async def test_problem_answers_carry_them_too(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/bookings")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["x-frame-options"] == "DENY"


async def test_https_base_url_adds_hsts(settings: Settings, connection: AsyncConnection) -> None:
    https = settings.model_copy(update={"base_url": "https://tjenester.kommune.no"})
    async with http_client(app_on(https, connection)) as client:
        for path in ("/", "/api/v1/bookings"):
            response = await client.get(path)
            assert response.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"


async def test_api_documentation_loads_only_local_scripts(client: httpx.AsyncClient) -> None:
    page = await client.get("/schema")
    assert page.status_code == 200
    assert not _INLINE_SCRIPT.search(page.text), "inline script breaks the CSP"
    assert "<style" not in page.text
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources, page.text
    assert all(source.startswith("/schema/") for source in sources), sources  # nothing from a CDN
    for source in sources:
        served = await client.get(source)
        assert served.status_code == 200, source
    bundle = await client.get("/schema/static/swagger-ui-bundle.js")
    assert bundle.headers["content-type"].startswith("text/javascript")
    assert (await client.get("/schema/static/../../pyproject.toml")).status_code == 404
    assert (await client.get("/schema/static/swagger-editor-bundle.js")).status_code == 404
    assert (await client.get("/schema/openapi.json")).status_code == 200


def test_the_plain_pages_have_no_inline_script_or_style(settings: Settings) -> None:
    plain = _plain_page(State({"settings": settings.model_copy(update={"demo": True})}))
    demo = _page([], "token")
    for body in (str(plain.content), demo):
        assert not _INLINE_SCRIPT.search(body)
        assert "<style" not in body
        assert " style=" not in body
        assert 'href="/plain.css"' in body


async def test_the_plain_style_sheet_is_served(client: httpx.AsyncClient) -> None:
    response = await client.get("/plain.css")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/css")
