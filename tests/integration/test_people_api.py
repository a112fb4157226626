"""People endpoints: validation, CSRF, the audit trail, the access log, tokens and demo sign-in."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
import pytest
from litestar import Litestar
from redis.asyncio import Redis
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from core.settings import Settings
from people.tables import AuditEntry, Person, ProxyLink
from tests.booking_world import oslo_today
from tests.conftest import app_on, http_client
from tests.world import World, build_world, sign_in
from tjenesteshop.demo import _load

VALID_ID = "01010750160"


@pytest.fixture
async def world(db_session: AsyncSession, settings: Settings) -> World:
    return await build_world(db_session, settings)


async def _as(client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, who: str) -> None:
    redis: Redis = app.state.redis
    await sign_in(client, redis, settings, world, who)


async def _count(session: AsyncSession, model: type[Person | ProxyLink | AuditEntry]) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.mark.parametrize(
    ("body", "expected_type", "field"),
    [
        ({"national_id": "01010750161", "given_name": "A", "family_name": "B"}, "invalid_national_id", None),
        ({"national_id": "0101075016", "given_name": "A", "family_name": "B"}, "invalid_national_id", None),
        ({"national_id": VALID_ID, "given_name": "", "family_name": "B"}, "validation_failed", "given_name"),
        ({"national_id": VALID_ID, "given_name": 7, "family_name": "B"}, "validation_failed", "given_name"),
        ({"national_id": VALID_ID, "given_name": "A", "family_name": "B", "shoe_size": 44}, "validation_failed", None),
        ({"national_id": VALID_ID, "given_name": "A", "family_name": "B", "language": "sv"}, "validation_failed", None),
        (
            {"national_id": VALID_ID, "given_name": "A", "family_name": "B", "email": "no-at-sign"},
            "validation_failed",
            None,
        ),
    ],
)
async def test_bad_person_is_refused_and_nothing_written(
    body: dict[str, object],
    expected_type: str,
    field: str | None,
    client: httpx.AsyncClient,
    app: Litestar,
    settings: Settings,
    world: World,
    db_session: AsyncSession,
) -> None:
    await _as(client, app, settings, world, "muni_admin")
    people, audit = await _count(db_session, Person), await _count(db_session, AuditEntry)
    response = await client.post("/api/v1/persons", json=body)
    assert 400 <= response.status_code < 500, response.text
    problem = response.json()
    assert problem["type"] == f"urn:tjenesteshop:problem:{expected_type}"
    assert problem["title"]
    if field:
        assert field in {error["field"] for error in problem["errors"]}
    assert await _count(db_session, Person) == people
    assert await _count(db_session, AuditEntry) == audit


async def test_bad_national_id_says_why_in_norwegian(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World
) -> None:
    await _as(client, app, settings, world, "muni_admin")
    response = await client.post(
        "/api/v1/persons", json={"national_id": "01010750161", "given_name": "A", "family_name": "B"}
    )
    assert response.status_code == 422
    assert response.json()["reason"] == "checksum"
    assert response.json()["title"].startswith("Fødselsnummeret er ikke gyldig")


async def test_same_person_twice_is_409(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World
) -> None:
    await _as(client, app, settings, world, "muni_admin")
    body = {"national_id": VALID_ID, "given_name": "Kari", "family_name": "Nordmann"}
    assert (await client.post("/api/v1/persons", json=body)).status_code == 201
    again = await client.post("/api/v1/persons", json=body)
    assert again.status_code == 409
    assert again.json()["type"] == "urn:tjenesteshop:problem:person_exists"


async def test_expired_or_reversed_proxy_period_is_refused(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, db_session: AsyncSession
) -> None:
    await _as(client, app, settings, world, "muni_admin")
    links = await _count(db_session, ProxyLink)
    today = oslo_today()
    for valid_from, valid_to in (
        (today - timedelta(days=30), today - timedelta(days=1)),
        (today, today - timedelta(days=2)),
    ):
        response = await client.post(
            "/api/v1/proxy-links",
            json={
                "proxy_id": str(world.people["new_person"]),
                "recipient_id": str(world.people["other_recipient"]),
                "kind": "parent",
                "valid_from": valid_from.isoformat(),
                "valid_to": valid_to.isoformat(),
            },
        )
        assert response.status_code == 422
        assert response.json()["type"] == "urn:tjenesteshop:problem:invalid_period"
    assert await _count(db_session, ProxyLink) == links


async def test_unsafe_request_without_csrf_token_is_refused(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, db_session: AsyncSession
) -> None:
    await _as(client, app, settings, world, "muni_admin")
    client.headers.pop("x-csrf-token")
    people = await _count(db_session, Person)
    response = await client.post(
        "/api/v1/persons", json={"national_id": VALID_ID, "given_name": "A", "family_name": "B"}
    )
    assert response.status_code == 403
    assert response.json()["type"] == "urn:tjenesteshop:problem:csrf_failed"
    client.headers["x-csrf-token"] = "guessed"
    assert (await client.post("/api/v1/persons", json={})).status_code == 403
    assert await _count(db_session, Person) == people


async def test_every_write_is_audited_and_reads_of_others_too(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, db_session: AsyncSession
) -> None:
    await _as(client, app, settings, world, "muni_admin")
    created = await client.post(
        "/api/v1/persons", json={"national_id": VALID_ID, "given_name": "A", "family_name": "B"}
    )
    person_id = created.json()["id"]
    await client.post(
        f"/api/v1/persons/{person_id}/roles", json={"role": "staff", "department_id": str(world.departments["d1"])}
    )
    await _as(client, app, settings, world, "staff")
    assert (await client.get(f"/api/v1/persons/{world.people['recipient']}")).status_code == 200
    rows = (await db_session.execute(select(AuditEntry.action, AuditEntry.subject_person_id))).tuples().all()
    actions = [action for action, _ in rows]
    assert "person.create" in actions
    assert "role.grant" in actions
    assert ("person.read", world.people["recipient"]) in rows


async def test_recipient_and_proxy_see_who_read_the_recipients_data(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World
) -> None:
    await _as(client, app, settings, world, "staff")
    await client.get(f"/api/v1/persons/{world.people['recipient']}")
    await _as(client, app, settings, world, "recipient")
    await client.get(f"/api/v1/persons/{world.people['recipient']}")  # reading oneself is not listed
    log = (await client.get("/api/v1/me/access-log")).json()
    assert [(e["action"], e["actor_name"]) for e in log] == [("person.read", "Staff Testesen")]
    await _as(client, app, settings, world, "proxy")
    for_child = await client.get("/api/v1/me/access-log", params={"recipient_id": str(world.people["recipient"])})
    assert [e["actor_name"] for e in for_child.json()] == ["Staff Testesen"]
    await _as(client, app, settings, world, "expired_proxy")
    refused = await client.get("/api/v1/me/access-log", params={"recipient_id": str(world.people["recipient"])})
    assert refused.status_code == 404


async def test_audit_log_cannot_be_altered(db_session: AsyncSession, world: World) -> None:
    entry_id = await db_session.scalar(select(AuditEntry.id).limit(1))
    if entry_id is None:
        db_session.add(
            AuditEntry(municipality_id=world.municipality, actor_token_id=uuid.uuid4(), action="t", object_type="t")
        )
        await db_session.flush()
        entry_id = await db_session.scalar(select(AuditEntry.id).limit(1))
    for statement in (
        "UPDATE audit_entry SET action = 'hidden' WHERE id = :id",
        "DELETE FROM audit_entry WHERE id = :id",
        "TRUNCATE audit_entry",
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            async with db_session.begin_nested():
                await db_session.execute(text(statement), {"id": entry_id})


async def test_me_lists_roles_and_whom_a_proxy_acts_for(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World
) -> None:
    await _as(client, app, settings, world, "proxy")
    me = (await client.get("/api/v1/me")).json()
    assert me["kind"] == "person"
    assert [r["role"] for r in me["roles"]] == ["proxy"]
    assert [p["id"] for p in me["acts_for"]] == [str(world.people["recipient"])]
    assert me["person"]["national_id_masked"].endswith("*****")
    assert me["csrf_token"]
    await _as(client, app, settings, world, "expired_proxy")
    assert (await client.get("/api/v1/me")).json()["acts_for"] == []


async def test_token_lifecycle(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, db_session: AsyncSession
) -> None:
    await _as(client, app, settings, world, "muni_admin")
    created = (await client.post("/api/v1/api-tokens", json={"name": "Fagsystem", "role": "municipality_admin"})).json()
    secret, token_id = created["secret"], created["token"]["id"]
    assert secret.startswith("tjs_")
    listed = (await client.get("/api/v1/api-tokens")).json()
    assert all("secret" not in t for t in listed)
    client.cookies.clear()
    bearer = {"Authorization": f"Bearer {secret}"}
    assert (await client.get("/api/v1/me", headers=bearer)).json()["kind"] == "token"
    stored = await db_session.scalar(text("SELECT token_hash FROM api_token WHERE id = :id"), {"id": token_id})
    assert stored != secret  # only the hash is kept
    await _as(client, app, settings, world, "muni_admin")
    assert (await client.post(f"/api/v1/api-tokens/{token_id}/revoke")).status_code == 201
    client.cookies.clear()
    refused = await client.get("/api/v1/me", headers=bearer)
    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/problem+json"


async def test_demo_sign_in_does_not_exist_without_demo_mode(client: httpx.AsyncClient) -> None:
    assert (await client.get("/auth/demo")).status_code == 404
    assert (await client.post(f"/auth/demo/{uuid.uuid4()}")).status_code == 404


async def test_demo_sign_in_works_in_demo_mode(
    settings: Settings, db_session: AsyncSession, connection: AsyncConnection
) -> None:
    await _load(db_session, settings)
    await db_session.commit()
    async with http_client(app_on(settings.model_copy(update={"demo": True}), connection)) as client:
        page = await client.get("/auth/demo")
        assert page.status_code == 200
        assert '<html lang="nb">' in page.text
        kari = await db_session.scalar(select(Person.id).where(Person.given_name == "Kari"))
        assert f'action="/auth/demo/{kari}"' in page.text
        token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        signed_in = await client.post(f"/auth/demo/{kari}", headers={"X-CSRF-Token": token})
        assert signed_in.status_code == 303
        # The sign-in is audited though the answer is a redirect (they used to be rolled back).
        logged = await db_session.scalars(
            select(AuditEntry.actor_person_id).where(AuditEntry.action == "session.create")
        )
        assert logged.all() == [kari]
        assert "httponly" in signed_in.headers["set-cookie"].lower()
        assert "samesite=lax" in signed_in.headers["set-cookie"].lower()
        me = (await client.get("/api/v1/me")).json()
        assert me["person"]["given_name"] == "Kari"
        outsider = await client.post(f"/auth/demo/{uuid.uuid4()}", headers={"X-CSRF-Token": token})
        assert outsider.status_code == 404


async def test_sign_in_is_rate_limited_per_address(client: httpx.AsyncClient) -> None:
    statuses = [(await client.get("/auth/login", params={"provider": "nowhere"})).status_code for _ in range(31)]
    assert statuses[:30] == [404] * 30
    assert statuses[30] == 429
    limited = await client.get("/auth/login", params={"provider": "nowhere"})
    assert limited.headers["content-type"] == "application/problem+json"
    assert int(limited.headers["retry-after"]) > 0
    assert limited.json()["type"] == "urn:tjenesteshop:problem:too_many_requests"


@pytest.mark.parametrize(
    ("path", "body", "expected"),
    [
        ("roles", {"role": "staff"}, "invalid_scope"),  # staff without a department
        (
            "roles",
            {"role": "recipient", "department_id": "D1"},
            "invalid_scope",
        ),  # recipients belong to the municipality
        ("roles", {"role": "staff", "department_id": str(uuid.uuid4())}, "invalid_scope"),  # no such department
        ("roles", {"role": "king"}, "validation_failed"),
        ("api-tokens", {"name": "x", "role": "department_admin"}, "invalid_scope"),
        ("api-tokens", {"name": "", "role": "municipality_admin"}, "validation_failed"),
        (
            "coordinators",
            {"staff_id": "RECIPIENT", "recipient_id": "OTHER", "valid_from": "2026-01-01"},
            "invalid_scope",
        ),
        (
            "coordinators",
            {"staff_id": "STAFF", "recipient_id": "OTHER", "valid_from": "not a date"},
            "validation_failed",
        ),
    ],
)
async def test_bad_scopes_are_422_and_write_nothing(
    path: str,
    body: dict[str, str],
    expected: str,
    client: httpx.AsyncClient,
    app: Litestar,
    settings: Settings,
    world: World,
    db_session: AsyncSession,
) -> None:
    await _as(client, app, settings, world, "muni_admin")
    names = {"D1": str(world.departments["d1"]), "RECIPIENT": str(world.people["recipient"]),
             "OTHER": str(world.people["other_recipient"]), "STAFF": str(world.people["staff"])}  # fmt: skip
    filled = {k: names.get(v, v) for k, v in body.items()}
    url = f"/api/v1/persons/{world.people['new_person']}/roles" if path == "roles" else f"/api/v1/{path}"
    audit = await _count(db_session, AuditEntry)
    response = await client.post(url, json=filled)
    assert response.status_code == 422, response.text
    assert response.json()["type"] == f"urn:tjenesteshop:problem:{expected}"
    assert await _count(db_session, AuditEntry) == audit
