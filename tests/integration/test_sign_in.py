"""Sign-in round trip through the app against a real OIDC provider started here (oidc-provider-mock)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from core.settings import Settings
from people.rules import national_id_hash, national_id_masked
from people.tables import Person, RoleAssignment
from tests.conftest import app_on, http_client
from tests.oidc_provider import TOLERATE_PROVIDER_WARNINGS, running_provider, sign_in_at_provider
from tests.world import World, build_world
from tjenesteshop.demo import _load as load_demo_data
from tjenesteshop.demo_oidc import running_demo_provider

pytestmark = TOLERATE_PROVIDER_WARNINGS


@pytest.fixture(scope="module")
def issuer() -> Iterator[str]:
    with running_provider() as url:
        yield url


@pytest.fixture
async def world(db_session: AsyncSession, settings: Settings) -> World:
    return await build_world(db_session, settings)


@pytest.fixture
async def client(settings: Settings, connection: AsyncConnection, issuer: str) -> AsyncIterator[httpx.AsyncClient]:
    configured = settings.model_copy(
        update={
            "base_url": "http://test",
            "idporten_issuer": issuer,
            "idporten_client_id": "tjenesteshop",
            "idporten_client_secret": SecretStr("hemmelig"),  # the mock accepts any secret
        }
    )
    async with http_client(app_on(configured, connection)) as client:
        yield client


async def _to_provider_and_back(
    client: httpx.AsyncClient, national_id: str, next_path: str = "/", acr: str | None = "idporten-loa-substantial"
) -> str:
    """Start at /auth/login, sign in at the provider (at level `acr`); return our callback path (not yet followed)."""
    login = await client.get("/auth/login", params={"provider": "idporten", "next_path": next_path})
    assert login.status_code == 302
    claims = {"pid": national_id} | ({} if acr is None else {"acr": acr})
    async with httpx.AsyncClient() as browser_at_provider:
        back = await sign_in_at_provider(
            browser_at_provider, login.headers["location"], sub=f"sub-{national_id}-{acr}", claims=claims
        )
    parts = urlsplit(back)
    assert parts.path == "/auth/callback"
    return f"{parts.path}?{parts.query}"


async def test_round_trip_login_session_me_logout(client: httpx.AsyncClient, world: World) -> None:
    login = await client.get("/auth/login", params={"provider": "idporten"})
    query = parse_qs(urlsplit(login.headers["location"]).query)
    assert query["code_challenge_method"] == ["S256"]
    assert query["nonce"]
    assert query["state"]

    callback = await _to_provider_and_back(client, world.national_ids["recipient"], next_path="/mine-timer")
    signed_in = await client.get(callback)
    assert signed_in.status_code == 303, signed_in.text
    assert signed_in.headers["location"] == "/mine-timer"
    cookie = next(c for c in signed_in.headers.get_list("set-cookie") if c.startswith("tjenesteshop_session="))
    assert "httponly" in cookie.lower()
    assert "samesite=lax" in cookie.lower()

    me = (await client.get("/api/v1/me")).json()
    assert me["person"]["id"] == str(world.people["recipient"])
    out = await client.post("/auth/logout", headers={"X-CSRF-Token": me["csrf_token"]})
    assert out.status_code == 200
    assert (await client.get("/api/v1/me")).status_code == 401


async def test_the_login_level_is_asked_for_and_a_lower_one_refused(client: httpx.AsyncClient, world: World) -> None:
    login = await client.get("/auth/login", params={"provider": "idporten"})
    assert parse_qs(urlsplit(login.headers["location"]).query)["acr_values"] == ["idporten-loa-substantial"]
    for acr in ("idporten-loa-low", None, "Level2", "something-else"):
        callback = await _to_provider_and_back(client, world.national_ids["recipient"], acr=acr)
        refused = await client.get(callback, headers={"Accept-Language": "nb"})
        assert refused.status_code == 403, (acr, refused.text)
        assert refused.json()["type"] == "urn:tjenesteshop:problem:login_level_too_low"
        assert "sikkerhetsnivå" in refused.json()["title"]
        assert "tjenesteshop_session" not in refused.headers.get("set-cookie", "")
        assert (await client.get("/api/v1/me")).status_code == 401
    for acr in ("idporten-loa-high", "Level3"):  # higher, and the older name of the same level, are enough
        assert (
            await client.get(await _to_provider_and_back(client, world.national_ids["recipient"], acr=acr))
        ).status_code == 303
        assert (await client.get("/api/v1/me")).status_code == 200


async def test_a_high_login_level_can_be_demanded(
    settings: Settings, connection: AsyncConnection, issuer: str, world: World
) -> None:
    high = settings.model_copy(
        update={"base_url": "http://test", "idporten_issuer": issuer, "idporten_client_id": "tjenesteshop",
                "idporten_client_secret": SecretStr("hemmelig"), "idporten_acr_values": "idporten-loa-high"}
    )  # fmt: skip
    async with http_client(app_on(high, connection)) as client:
        login = await client.get("/auth/login", params={"provider": "idporten"})
        assert parse_qs(urlsplit(login.headers["location"]).query)["acr_values"] == ["idporten-loa-high"]
        substantial = await _to_provider_and_back(client, world.national_ids["recipient"])
        refused = await client.get(substantial)
        assert refused.status_code == 403
        assert refused.json()["required"] == "idporten-loa-high"
        assert (await client.get("/api/v1/me")).status_code == 401
        high_level = await _to_provider_and_back(client, world.national_ids["recipient"], acr="idporten-loa-high")
        assert (await client.get(high_level)).status_code == 303


async def test_tampered_state_is_refused(client: httpx.AsyncClient, world: World) -> None:
    callback = await _to_provider_and_back(client, world.national_ids["recipient"])
    path, _, query = callback.partition("?")
    params = {k: v[0] for k, v in parse_qs(query).items()}
    params["state"] = params["state"][:-2] + "xx"
    refused = await client.get(f"{path}?{urlencode(params)}")
    assert refused.status_code == 400
    assert refused.json()["reason"] == "state_invalid"
    assert (await client.get("/api/v1/me")).status_code == 401


async def test_callback_link_from_another_browser_is_refused(client: httpx.AsyncClient, world: World) -> None:
    callback = await _to_provider_and_back(client, world.national_ids["recipient"])
    client.cookies.clear()  # the victim's browser never started this login
    refused = await client.get(callback)
    assert refused.status_code == 400
    assert refused.json()["reason"] == "state_invalid"


async def test_replayed_code_is_refused(client: httpx.AsyncClient, world: World) -> None:
    callback = await _to_provider_and_back(client, world.national_ids["recipient"])
    assert (await client.get(callback)).status_code == 303
    again = await client.get(callback)  # the same state and code once more
    assert again.status_code == 400
    # The old code with a fresh state of this browser: the provider refuses the code.
    login = await client.get("/auth/login", params={"provider": "idporten"})
    fresh_state = parse_qs(urlsplit(login.headers["location"]).query)["state"][0]
    old_code = parse_qs(urlsplit(callback).query)["code"][0]
    replay = await client.get("/auth/callback", params={"code": old_code, "state": fresh_state})
    assert replay.status_code == 400
    assert replay.json()["reason"] == "token_exchange_failed"


async def test_unregistered_person_is_told_to_contact_the_municipality(client: httpx.AsyncClient) -> None:
    callback = await _to_provider_and_back(client, "01010750160")
    refused = await client.get(callback)
    assert refused.status_code == 403
    assert refused.json()["type"] == "urn:tjenesteshop:problem:not_registered"
    assert "Kontakt tjenestekontoret" in refused.json()["title"]


async def test_cancel_at_provider_is_a_clear_refusal(client: httpx.AsyncClient) -> None:
    refused = await client.get("/auth/callback", params={"error": "access_denied", "state": "whatever"})
    assert refused.status_code == 400
    assert refused.json()["reason"] == "cancelled"


async def test_demo_provider_knows_the_demo_people(
    settings: Settings, connection: AsyncConnection, db_session: AsyncSession
) -> None:
    await load_demo_data(db_session, settings)
    await db_session.commit()
    with running_demo_provider(settings) as demo_issuer:
        configured = settings.model_copy(
            update={
                "demo": True,
                "base_url": "http://test",
                "idporten_issuer": demo_issuer,
                "idporten_client_id": "tjenesteshop-demo",
                "idporten_client_secret": SecretStr("demo-only"),
            }
        )
        async with http_client(app_on(configured, connection)) as client:
            login = await client.get("/auth/login", params={"provider": "idporten"})
            async with httpx.AsyncClient() as browser_at_provider:
                back = await sign_in_at_provider(browser_at_provider, login.headers["location"], sub="liv", claims={})
            parts = urlsplit(back)
            assert (await client.get(f"{parts.path}?{parts.query}")).status_code == 303
            me = (await client.get("/api/v1/me")).json()
    assert me["person"]["given_name"] == "Liv"
    assert [p["given_name"] for p in me["acts_for"]] == ["Emma"]  # Liv is Emma's parent in the demo


async def _register_in_other_municipality(
    db_session: AsyncSession, settings: Settings, world: World, who: str, *, role: str | None
) -> uuid.UUID:
    """The same national id as `who`, registered in the neighbouring municipality too (moved, or twice)."""
    national_id = world.national_ids[who]
    twin = Person(
        id=uuid.uuid4(), municipality_id=world.other_municipality,
        national_id_hash=national_id_hash(national_id, settings.national_id_key),
        national_id_masked=national_id_masked(national_id), given_name="Tvilling", family_name="Testesen",
    )  # fmt: skip
    db_session.add(twin)
    await db_session.flush()
    if role is not None:
        db_session.add(RoleAssignment(municipality_id=world.other_municipality, person_id=twin.id, role=role))
    await db_session.commit()
    return twin.id


async def test_one_national_id_in_two_municipalities_signs_in_where_the_roles_are(
    client: httpx.AsyncClient, world: World, db_session: AsyncSession, settings: Settings
) -> None:
    await _register_in_other_municipality(db_session, settings, world, "recipient", role=None)
    signed_in = await client.get(await _to_provider_and_back(client, world.national_ids["recipient"]))
    assert signed_in.status_code == 303, signed_in.text
    me = (await client.get("/api/v1/me")).json()
    assert (me["person"]["id"], me["municipality_id"]) == (str(world.people["recipient"]), str(world.municipality))


async def test_one_national_id_with_roles_in_two_municipalities_is_asked_which(
    client: httpx.AsyncClient, world: World, db_session: AsyncSession, settings: Settings
) -> None:
    twin = await _register_in_other_municipality(db_session, settings, world, "recipient", role="recipient")
    asked = await client.get(await _to_provider_and_back(client, world.national_ids["recipient"]))
    assert asked.status_code == 409, asked.text
    problem = asked.json()
    assert problem["type"] == "urn:tjenesteshop:problem:choose_municipality"
    assert [m["name"] for m in problem["municipalities"]] == ["Nabokommune", "Testkommune"]
    assert (await client.get("/api/v1/me")).status_code == 401  # not signed in until the person chooses
    chosen = await client.post(problem["choose"], json={"municipality_id": str(world.other_municipality)})
    assert chosen.status_code == 303, chosen.text
    me = (await client.get("/api/v1/me")).json()
    assert (me["person"]["id"], me["municipality_id"]) == (str(twin), str(world.other_municipality))
    # The choice is used once.
    again = await client.post(problem["choose"], json={"municipality_id": str(world.municipality)})
    assert again.status_code == 400


async def test_a_browser_is_shown_the_municipalities_to_choose_from(
    client: httpx.AsyncClient, world: World, db_session: AsyncSession, settings: Settings
) -> None:
    await _register_in_other_municipality(db_session, settings, world, "recipient", role="recipient")
    callback = await _to_provider_and_back(client, world.national_ids["recipient"])
    page = await client.get(callback, headers={"accept": "text/html"})
    assert page.status_code == 409
    assert "Nabokommune" in page.text
    assert "Testkommune" in page.text
    chosen = await client.post(
        "/auth/choose", data={"municipality_id": str(world.municipality)}, headers={"accept": "text/html"}
    )
    assert chosen.status_code == 303, chosen.text
    assert (await client.get("/api/v1/me")).json()["person"]["id"] == str(world.people["recipient"])
