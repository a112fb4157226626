"""The built web app at `/`: hashed files cached for a year, the page revalidated, deep links, 404s and the fallback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from litestar import Litestar
from litestar.datastructures import State
from litestar.testing import TestClient
from pydantic import ValidationError

from api.controllers import home
from core.settings import Settings


@pytest.fixture
def dist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    built = tmp_path / "dist"
    (built / "assets").mkdir(parents=True)
    (built / "index.html").write_text("<!doctype html><html><head><title>app</title></head><body></body></html>")
    (built / "assets" / "index-abc123.js").write_text("console.log(1)")
    (built / "manifest.webmanifest").write_text("{}")
    (tmp_path / "secret.txt").write_text("outside")
    monkeypatch.setattr(home, "DIST", built)
    return built


def _client(*, demo: bool, contact: str | None = None) -> Iterator[TestClient[Litestar]]:
    settings = SimpleNamespace(demo=demo, demo_municipality="9999", accessibility_contact=contact)
    with TestClient(Litestar([home.home], state=State({"settings": settings}))) as client:
        yield client


@pytest.fixture
def client() -> Iterator[TestClient[Litestar]]:
    yield from _client(demo=False)


@pytest.fixture
def demo_client() -> Iterator[TestClient[Litestar]]:
    yield from _client(demo=True)


def test_hashed_assets_are_immutable_and_typed(dist: Path, client: TestClient[Litestar]) -> None:
    del dist
    response = client.get("/assets/index-abc123.js")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.headers["content-type"].startswith("text/javascript")


def test_the_page_and_its_deep_links_are_revalidated(dist: Path, client: TestClient[Litestar]) -> None:
    del dist
    for path in (
        "/",
        "/bestill",
        "/flytt/3fa85f64-5717-4562-b3fc-2c963f66afa6",
        "/timer",
        "/avdeling",
        "/tilgjengelighet",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["cache-control"] == "no-cache"
        assert "<title>app</title>" in response.text


def test_top_level_build_files_are_served_and_revalidated(dist: Path, client: TestClient[Litestar]) -> None:
    del dist
    response = client.get("/manifest.webmanifest")
    assert response.headers["content-type"].startswith("application/manifest+json")
    assert response.headers["cache-control"] == "no-cache"


@pytest.mark.parametrize("path", ["/nothing", "/assets/missing.js", "/assets/../../secret.txt", "/api/v1/nothing"])
def test_anything_else_is_a_404(dist: Path, client: TestClient[Litestar], path: str) -> None:
    del dist
    assert client.get(path).status_code == 404


def test_demo_mode_names_the_demo_municipality(dist: Path, demo_client: TestClient[Litestar]) -> None:
    del dist
    assert '<meta name="tjenesteshop-municipality" content="9999">' in demo_client.get("/").text


def test_the_accessibility_contact_is_written_into_the_page(dist: Path) -> None:
    del dist
    for client in _client(demo=False, contact='https://kommune.example/skjema?tema=uu&x="1"'):
        page = client.get("/tilgjengelighet").text
        expected = "https://kommune.example/skjema?tema=uu&amp;x=&quot;1&quot;"
        assert f'<meta name="tjenesteshop-accessibility-contact" content="{expected}">' in page


def test_the_contact_is_a_mail_or_web_address() -> None:
    assert Settings(accessibility_contact="mailto:uu@kommune.example", _env_file=None).accessibility_contact
    assert Settings(accessibility_contact="", _env_file=None).accessibility_contact is None
    with pytest.raises(ValidationError):
        Settings(accessibility_contact="javascript:alert(1)", _env_file=None)


def test_without_a_build_a_plain_page_links_to_sign_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, demo_client: TestClient[Litestar]
) -> None:
    monkeypatch.setattr(home, "DIST", tmp_path / "not-built")
    response = demo_client.get("/timer")
    assert response.status_code == 200
    assert 'href="/auth/demo"' in response.text
