"""Demo mode never runs outside development, never touches a real municipality, and its sign-in needs a CSRF token."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from click.testing import CliRunner
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from api.app import create_app
from core.settings import Settings
from people.tables import Municipality, Person, RoleAssignment
from tests.conftest import app_on, http_client
from tjenesteshop.cli import main
from tjenesteshop.demo import DemoRefusedError, _load

PRODUCTION = {
    "TJENESTESHOP_ENVIRONMENT": "production",
    "TJENESTESHOP_SECRET_KEY": "x" * 48,
    "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",  # never reached: the refusal comes first
    "REDIS_URL": "redis://127.0.0.1:1/0",
}
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.mark.parametrize("environment", ["production", "staging", "test"])
def test_demo_setting_is_refused_outside_development(environment: str) -> None:
    with pytest.raises(ValidationError, match="development"):
        Settings(environment=environment, demo=True, _env_file=None)


def test_the_app_refuses_demo_mode_outside_development(settings: Settings) -> None:
    production = settings.model_copy(update={"environment": "production", "demo": True})  # skips validation
    with pytest.raises(ValueError, match="development"):
        create_app(production)


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["serve", "--demo"], {}),
        (["serve"], {"TJENESTESHOP_DEMO": "true"}),
        (["demo"], {}),
    ],
    ids=["serve --demo", "TJENESTESHOP_DEMO", "demo command"],
)
def test_the_cli_refuses_demo_mode_in_production(
    args: list[str], env: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    monkeypatch.chdir(str(tmp_path))  # no .env file from the checkout
    result = CliRunner().invoke(main, args, env=PRODUCTION | env)
    assert result.exit_code == 1, result.output
    assert "demo mode" in result.output
    assert "TJENESTESHOP_ENVIRONMENT=development" in result.output


async def test_the_loader_refuses_a_municipality_with_real_people(db_session: AsyncSession, settings: Settings) -> None:
    real = Municipality(number=settings.demo_municipality, name="Demo kommune")
    db_session.add(real)
    await db_session.flush()
    db_session.add(
        Person(
            municipality_id=real.id,
            national_id_hash="a" * 64,
            national_id_masked="010190 *****",
            given_name="Ekte",
            family_name="Person",
        )
    )
    await db_session.flush()
    with pytest.raises(DemoRefusedError, match="not the demo's"):
        await _load(db_session, settings)
    assert await db_session.scalar(select(func.count()).select_from(Person)) == 1


async def test_the_loader_refuses_a_municipality_by_another_name(db_session: AsyncSession, settings: Settings) -> None:
    db_session.add(Municipality(number=settings.demo_municipality, name="Larvik"))
    await db_session.flush()
    with pytest.raises(DemoRefusedError):
        await _load(db_session, settings)


async def test_loading_into_its_own_municipality_again_is_fine(db_session: AsyncSession, settings: Settings) -> None:
    await _load(db_session, settings)
    assert (await _load(db_session, settings)).startswith("demo data already loaded")


@pytest.fixture
async def demo_client(
    settings: Settings, db_session: AsyncSession, connection: AsyncConnection
) -> AsyncIterator[httpx.AsyncClient]:
    await _load(db_session, settings)
    await db_session.commit()
    async with http_client(app_on(settings.model_copy(update={"demo": True}), connection)) as client:
        yield client


async def _kari(db_session: AsyncSession) -> str:
    return str(await db_session.scalar(select(Person.id).where(Person.given_name == "Kari")))


async def test_demo_sign_in_without_the_page_token_is_refused(
    demo_client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    kari = await _kari(db_session)
    # A cross-site form: the browser would send no token (and, SameSite=Strict, not the cookie either).
    forged = await demo_client.post(f"/auth/demo/{kari}", data={"csrf_token": "guess"})
    assert forged.status_code == 403
    assert forged.json()["type"] == "urn:tjenesteshop:problem:csrf_failed"
    assert "tjenesteshop_session" not in forged.headers.get("set-cookie", "")

    page = await demo_client.get("/auth/demo")
    cookie = page.cookies["tjenesteshop_demo_csrf"]
    assert "samesite=strict" in page.headers["set-cookie"].lower()
    token = _TOKEN.search(page.text)
    assert token is not None
    # A token for another cookie (planted by a neighbouring site) does not fit this browser's cookie.
    demo_client.cookies.set("tjenesteshop_demo_csrf", cookie + "x", path="/auth/demo")
    assert (await demo_client.post(f"/auth/demo/{kari}", data={"csrf_token": token[1]})).status_code == 403


async def test_demo_sign_in_with_the_page_token_works_as_form_and_as_header(
    demo_client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    kari = await _kari(db_session)
    page = await demo_client.get("/auth/demo")
    token = _TOKEN.search(page.text)
    assert token is not None
    as_form = await demo_client.post(f"/auth/demo/{kari}", data={"csrf_token": token[1]})
    assert as_form.status_code == 303
    as_header = await demo_client.post(f"/auth/demo/{kari}", headers={"X-CSRF-Token": token[1]})
    assert as_header.status_code == 303


BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


async def test_a_browser_lands_in_the_app_and_a_program_gets_json(
    demo_client: httpx.AsyncClient, db_session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    kari = await _kari(db_session)
    page = await demo_client.get("/auth/demo")
    token = _TOKEN.search(page.text)
    assert token is not None
    # The page's form, posted by a browser: the app at /, signed in (not the raw JSON of /api/v1/me).
    form = await demo_client.post(
        f"/auth/demo/{kari}", data={"csrf_token": token[1]}, headers={"accept": BROWSER_ACCEPT}
    )
    assert (form.status_code, form.headers["location"]) == (303, "/")
    assert "tjenesteshop_session" in form.headers["set-cookie"]
    for accept in ("application/json", "*/*"):  # a script, and the app's own fetch (which then reads /api/v1/me)
        program = await demo_client.post(f"/auth/demo/{kari}", headers={"X-CSRF-Token": token[1], "accept": accept})
        assert (program.status_code, program.headers["location"]) == (303, "/api/v1/me"), accept
    # Opening /auth/demo in a browser, once the app is built: the app's own sign-in screen, in the reader's language.
    monkeypatch.setattr("api.controllers.demo.app_is_built", lambda: True)
    navigated = await demo_client.get("/auth/demo", headers={"sec-fetch-mode": "navigate", "accept": BROWSER_ACCEPT})
    assert (navigated.status_code, navigated.headers["location"]) == (303, "/")
    fetched = await demo_client.get("/auth/demo", headers={"sec-fetch-mode": "cors", "accept": "text/html"})
    assert fetched.status_code == 200
    assert _TOKEN.search(fetched.text)
    monkeypatch.setattr("api.controllers.demo.app_is_built", lambda: False)
    plain = await demo_client.get("/auth/demo", headers={"sec-fetch-mode": "navigate", "accept": BROWSER_ACCEPT})
    assert plain.status_code == 200  # without the app, this page is the way in


async def test_demo_sign_in_offers_and_accepts_only_synthetic_people(
    demo_client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    municipality = await db_session.scalar(select(Municipality).where(Municipality.number == "9999"))
    assert municipality is not None
    real = Person(municipality_id=municipality.id, national_id_hash="b" * 64, national_id_masked="010190 *****",
                  given_name="Ekte", family_name="Person")  # fmt: skip
    db_session.add(real)
    await db_session.flush()
    db_session.add(RoleAssignment(municipality_id=municipality.id, person_id=real.id, role="municipality_admin"))
    await db_session.commit()
    page = await demo_client.get("/auth/demo")
    assert "Ekte" not in page.text
    token = _TOKEN.search(page.text)
    assert token is not None
    refused = await demo_client.post(f"/auth/demo/{real.id}", headers={"X-CSRF-Token": token[1]})
    assert refused.status_code == 404
