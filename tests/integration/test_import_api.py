"""`POST /api/v1/imports`: the municipality administrator uploads the case system's export and reads the report."""

from __future__ import annotations

from datetime import date

import httpx
import pytest
from litestar import Litestar
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from booking.tables import Allocation
from core.settings import Settings
from people.rules import synthetic_national_id
from people.tables import Person
from tests.world import World, build_world, sign_in

KARI = synthetic_national_id(date(1950, 1, 2), 100)
EXPORT = (
    "record;ref;national_id;given_name;family_name;recipient_national_id;valid_from;service;minutes;period\r\n"
    f"person;;{KARI};Åse;Ødegård;;;;;\r\n"
    f"decision;V-17;;;;{KARI};2026-09-01;Hjelp;120;week\r\n"
)


@pytest.fixture
async def world(db_session: AsyncSession, settings: Settings) -> World:
    return await build_world(db_session, settings)


async def _upload(client: httpx.AsyncClient, data: bytes, **query: str) -> httpx.Response:
    return await client.post("/api/v1/imports", params=query, files={"file": ("eksport.csv", data, "text/csv")},
                             headers={"Accept-Language": "nb"})  # fmt: skip


async def _people(session: AsyncSession) -> int:
    return await session.scalar(select(func.count()).select_from(Person)) or 0


async def test_the_administrator_imports_a_windows_1252_export_after_a_dry_run(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, db_session: AsyncSession
) -> None:
    await sign_in(client, app.state.redis, settings, world, "muni_admin")
    before = await _people(db_session)
    dry = await _upload(client, EXPORT.encode("cp1252"), dry_run="true")
    assert dry.status_code == 200, dry.text
    report = dry.json()
    assert (report["encoding"], report["dry_run"], report["kept"], report["created"]) == (
        "windows-1252",
        True,
        False,
        2,
    )
    assert await _people(db_session) == before
    done = await _upload(client, EXPORT.encode("cp1252"))
    assert done.status_code == 200, done.text
    rows = [(r["row"], r["record"], r["action"]) for r in done.json()["rows"]]
    assert rows == [(2, "person", "create"), (3, "decision", "create")]
    assert await _people(db_session) == before + 1
    decision = await db_session.scalar(select(Allocation).where(Allocation.external_ref == "V-17"))
    assert decision is not None
    recipient = await db_session.get(Person, decision.recipient_id)
    assert recipient is not None
    assert (recipient.given_name, recipient.family_name) == ("Åse", "Ødegård")
    again = await _upload(client, b"\xef\xbb\xbf" + EXPORT.encode())  # the same, now as UTF-8 with a BOM
    assert (again.json()["encoding"], again.json()["unchanged"]) == ("utf-8", 2)


async def test_a_refused_row_stores_nothing_and_says_why_in_norwegian(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, db_session: AsyncSession
) -> None:
    await sign_in(client, app.state.redis, settings, world, "muni_admin")
    before = await _people(db_session)
    bad = EXPORT + f"decision;V-18;;;;{KARI};2026-09-01;Fotpleie;60;week\r\n"
    refused = await _upload(client, bad.encode("cp1252"))
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["type"] == "urn:tjenesteshop:problem:import_refused"
    row = refused.json()["rows"][2]
    assert (row["row"], row["action"]) == (4, "refuse")
    assert row["refusals"] == [{"column": "service", "code": "import_unknown_service", "fields": {},
                                "title": "Fant ingen tjeneste med dette navnet (eller id-en) i kommunen"}]  # fmt: skip
    assert await _people(db_session) == before
    skipped = await _upload(client, bad.encode("cp1252"), skip_refused="true")
    assert (skipped.status_code, skipped.json()["created"], skipped.json()["refused"]) == (200, 2, 1)


@pytest.mark.parametrize(
    ("data", "code"),
    [(b"", "import_empty"), (b"record\n\x81\x8d\n", "import_encoding"), (b"ref\nV-1\n", "import_no_record_column")],
)
async def test_a_file_that_cannot_be_read_is_a_422(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, data: bytes, code: str
) -> None:
    await sign_in(client, app.state.redis, settings, world, "muni_admin")
    answer = await _upload(client, data)
    assert answer.status_code == 422
    assert answer.json()["type"] == f"urn:tjenesteshop:problem:{code}"
