"""The API behind PgBouncer in transaction mode (Debian's pgbouncer 1.18: no prepared statements across transactions).

PgBouncer hands each transaction whichever server connection is free; with 3 server connections and the app's 10
client connections they are shared. With `db_transaction_pooler` on, the whole resident path works through it and a
rush sells exactly the capacity. The control: the same rush without the setting meets asyncpg's numbered prepared
statements on someone else's server connection, which is the failure the setting prevents. Migrations go straight to
PostgreSQL (MIGRATION_DATABASE_URL), as the setting requires.

Needs the `pgbouncer` program: fails in CI without it (CI=true), skipped on a laptop without it.
"""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from ipaddress import ip_network

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from api.app import create_app
from booking.tables import Booking
from core.settings import POOLER_NEEDS_MIGRATION_URL, Settings
from tests.booking_world import at
from tests.conftest import RunServers, committed_database, http_client
from tests.integration.test_booking_concurrency import Scene, _agree, _rush, _scene
from tests.pooler import running_pgbouncer
from tests.world import session_headers

pytestmark = [pytest.mark.slow, pytest.mark.serial]
SERVER_CONNECTIONS = 3
RUSH = 40


@pytest.fixture(scope="module")
def committed_url(servers: RunServers) -> Iterator[str]:
    """A database of its own, committed for real, migrated straight on PostgreSQL."""
    with committed_database(servers, "pooler") as url:
        yield url


@pytest.fixture(scope="module")
def pooler_url(committed_url: str) -> Iterator[str]:
    """The same database through PgBouncer (transaction mode, SERVER_CONNECTIONS server connections)."""
    with running_pgbouncer(committed_url, pool_size=SERVER_CONNECTIONS) as port:
        yield make_url(committed_url).set(host="127.0.0.1", port=port, query={}).render_as_string(hide_password=False)


@pytest.fixture
async def engine(committed_url: str) -> AsyncIterator[AsyncEngine]:
    """Straight to PostgreSQL: to set the scene and check the ledger."""
    engine = create_async_engine(committed_url, pool_size=4, max_overflow=0)
    yield engine
    await engine.dispose()


def _through(settings: Settings, pooler_url: str, committed_url: str, *, pooler_setting: bool) -> Settings:
    """Settings of an API process whose DATABASE_URL is the pooler (each phone from an address of its own)."""
    return settings.model_copy(update={
        "database_url": pooler_url, "migration_database_url": committed_url, "db_transaction_pooler": pooler_setting,
        "trusted_proxies": (ip_network("127.0.0.0/8"),), "db_pool_size": 10, "db_max_overflow": 0,
    })  # fmt: skip


async def _headers(settings: Settings, scene: Scene) -> dict[uuid.UUID, dict[str, str]]:
    headers = {r: await session_headers(settings, r, scene.municipality_id) for r in scene.recipients}
    for index, recipient in enumerate(scene.recipients):
        headers[recipient]["X-Forwarded-For"] = f"10.1.{index // 250}.{index % 250 + 1}"
    return headers


async def _server_connections(engine: AsyncEngine, pooler_url: str) -> int:
    """How many PostgreSQL backends serve the pooler's database for the API (PgBouncer's side, not the app's)."""
    async with engine.connect() as conn:
        count = await conn.scalar(
            text("SELECT count(*) FROM pg_stat_activity WHERE datname = :db AND application_name = 'tjenesteshop-api'"),
            {"db": make_url(pooler_url).database},
        )
    return int(count or 0)


async def test_the_resident_path_and_a_rush_through_pgbouncer_in_transaction_mode(
    engine: AsyncEngine, committed_url: str, pooler_url: str, settings: Settings
) -> None:
    scene = await _scene(engine, settings, recipients=RUSH, capacity=3, minutes=600)
    own = _through(settings, pooler_url, committed_url, pooler_setting=True)
    headers = await _headers(settings, scene)
    first = scene.recipients[0]
    async with http_client(create_app(own)) as client:
        ready = await client.get("/health/ready")
        assert ready.status_code == 200, ready.text
        assert ready.json()["checks"] == {"database": "ok", "redis": "ok", "schema": "ok"}

        me = await client.get("/api/v1/me", headers=headers[first])  # the signed-in person, read through the pooler
        assert me.status_code == 200, me.text
        free = await client.get("/api/v1/availability", headers=headers[first], params={
            "recipient_id": str(first), "service_id": str(scene.service_id),
            "from": scene.day.isoformat(), "to": scene.day.isoformat(),
        })  # fmt: skip
        assert free.status_code == 200, free.text
        assert any(slot for day in free.json()["days"] for slot in day["slots"]), free.json()

        booked = await client.post("/api/v1/bookings", headers={**headers[first], "Idempotency-Key": uuid.uuid4().hex},
                                   json={"recipient_id": str(first), "service_id": str(scene.service_id),
                                         "start": at(scene.day, 9).isoformat(), "minutes": 30})  # fmt: skip
        assert booked.status_code == 201, booked.text
        booking_id = booked.json()["id"]
        moved = await client.post(f"/api/v1/bookings/{booking_id}/move", headers=headers[first],
                                  json={"start": at(scene.day, 13).isoformat()})  # fmt: skip
        assert moved.status_code == 201, moved.text
        cancelled = await client.post(f"/api/v1/bookings/{booking_id}/cancel", headers=headers[first])
        assert cancelled.status_code == 201, cancelled.text
        assert cancelled.json()["status"] == "cancelled"

        start = at(scene.day, 10).isoformat()
        outcome = await _rush(client, scene, headers, [(r, start, 15, uuid.uuid4().hex) for r in scene.recipients])
        # PgBouncer held at most its pool: the app's client connections shared SERVER_CONNECTIONS server ones.
        assert 0 < await _server_connections(engine, pooler_url) <= SERVER_CONNECTIONS
    assert outcome["booked"] == 3, outcome
    assert outcome["slot_full"] == RUSH - 3, outcome
    await _agree(engine)
    async with AsyncSession(engine) as session:
        active = await session.scalar(select(func.count()).select_from(Booking).where(
            Booking.department_id == scene.department_id, Booking.status == "booked"))  # fmt: skip
    assert active == 3


async def test_without_the_setting_the_same_rush_meets_other_clients_prepared_statements(
    engine: AsyncEngine, committed_url: str, pooler_url: str, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """The control: it proves the pooler really shares server connections, and that the setting is what helps."""
    scene = await _scene(engine, settings, recipients=RUSH, capacity=3, minutes=600)
    own = _through(settings, pooler_url, committed_url, pooler_setting=False)
    headers = await _headers(settings, scene)
    start = at(scene.day, 10).isoformat()
    problems = logging.getLogger("api.problems")  # where a 500's cause is logged (the app's logging may not propagate)
    problems.addHandler(caplog.handler)
    try:
        async with http_client(create_app(own)) as client:
            outcome = await _rush(client, scene, headers, [(r, start, 15, uuid.uuid4().hex) for r in scene.recipients])
    finally:
        problems.removeHandler(caplog.handler)
    failures = [r.getMessage() + str(r.exc_info and r.exc_info[1]) for r in caplog.records]
    # Some answers are 500s: a statement prepared as `__asyncpg_stmt_N__` on one server connection is looked for on
    # another ("does not exist"), or meets another client's of the same name there ("already exists").
    assert outcome["internal_error"] > 0, outcome
    assert any(re.search(r'prepared statement "__asyncpg_stmt_\w+__" (does not exist|already exists)', failure)
               for failure in failures), failures[:3]  # fmt: skip
    assert outcome["booked"] <= 3, outcome  # the database's own guards still hold


def test_the_pooler_setting_needs_migrations_to_go_straight_to_postgresql() -> None:
    with pytest.raises(ValueError, match="MIGRATION_DATABASE_URL"):
        Settings(_env_file=None, DATABASE_URL="postgresql://app@pooler:6432/db", db_transaction_pooler=True)
    settings = Settings(_env_file=None, DATABASE_URL="postgresql://app@pooler:6432/db", db_transaction_pooler=True,
                        MIGRATION_DATABASE_URL="postgresql://owner@db:5432/db")  # fmt: skip
    assert settings.db_transaction_pooler
    assert "MIGRATION_DATABASE_URL" in POOLER_NEEDS_MIGRATION_URL


async def test_pool_pre_ping_and_a_fresh_engine_work_through_the_pooler(pooler_url: str, settings: Settings) -> None:
    """Many short engines, as the CLI commands and the worker make them: connect, ping, query, repeatedly."""
    from core.db import make_engine  # noqa: PLC0415 - the function under test

    own = _through(settings, pooler_url, pooler_url, pooler_setting=True)
    engines = [make_engine(own) for _ in range(6)]
    try:

        async def twice(engine: AsyncEngine) -> list[int]:
            values = []
            for _ in range(2):
                async with engine.connect() as conn:
                    values.append(int(await conn.scalar(text("SELECT count(*) FROM alembic_version")) or 0))
            return values

        results = await asyncio.gather(*(twice(e) for e in engines))
    finally:
        await asyncio.gather(*(e.dispose() for e in engines))
    assert results == [[1, 1]] * len(engines)
