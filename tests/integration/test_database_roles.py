"""Two database roles: the owner migrates; the application role may only add to and read the audit log.

The application role is made here with a name of this run's own (roles are cluster-wide and several runs share the
server), given its rights by `tjenesteshop migrate`'s own code on the run's database, and dropped at the end.
"""

from __future__ import annotations

import asyncio
import secrets
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from redis.asyncio import Redis
from sqlalchemy import pool, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from booking.tables import Allocation, Booking
from core.settings import Settings, async_database_url, plain_database_url
from notifications.retention import run_retention
from tests.booking_world import at, bookable_day, open_department, service_of
from tests.conftest import RunServers, app_on, http_client
from tests.world import build_world, sign_in
from tjenesteshop.migrate import RoleError, grant_application_role, migrate, roles_of


@pytest.fixture
async def app_url(servers: RunServers) -> AsyncIterator[str]:
    """DATABASE_URL of a new application role on the run's database, after `migrate` granted it its rights."""
    role = f"tjenesteshop_app_test_{uuid.uuid4().hex[:12]}"
    url = async_database_url(
        make_url(servers.database_url)
        .set(username=role, password=secrets.token_urlsafe(16))
        .render_as_string(hide_password=False)
    )
    owner_url = servers.database_url
    migrating = Settings(DATABASE_URL=url, MIGRATION_DATABASE_URL=owner_url, _env_file=None)
    assert roles_of(migrating).app_role == role
    try:
        assert await asyncio.to_thread(migrate, migrating) == role  # creates the role, grants; as the CLI does
        await asyncio.to_thread(migrate, migrating)  # and again: idempotent
        yield url
    finally:
        owner = await asyncpg.connect(plain_database_url(owner_url))
        try:
            if await owner.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role):
                await owner.execute(f'DROP OWNED BY "{role}"')  # its rights in the run's database
                await owner.execute(f'DROP ROLE "{role}"')
        finally:
            await owner.close()


def test_one_role_means_no_grants(settings: Settings) -> None:
    """The laptop path: without MIGRATION_DATABASE_URL (or with the same role in both) nothing is granted."""
    assert roles_of(settings).app_role is None
    assert settings.database_url is not None
    same = settings.model_copy(update={"migration_database_url": settings.database_url})
    assert roles_of(same).app_role is None


async def test_the_application_role_only_adds_to_and_reads_the_audit_log(app_url: str) -> None:
    conn = await asyncpg.connect(plain_database_url(app_url))
    transaction = conn.transaction()
    await transaction.start()
    try:
        role = await conn.fetchval("SELECT current_user")
        assert not await conn.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        owned = "SELECT count(*) FROM pg_class WHERE pg_get_userbyid(relowner) = current_user"
        assert await conn.fetchval(owned) == 0
        municipality = uuid.uuid4()
        await conn.execute(
            "INSERT INTO municipality (id, number, name) VALUES ($1, $2, 'Rollekommune')",
            municipality,
            f"{secrets.randbelow(10_000):04d}",
        )
        entry = await conn.fetchval(
            "INSERT INTO audit_entry (municipality_id, actor_person_id, action, object_type)"
            " VALUES ($1, $2, 'person.read', 'person') RETURNING id",
            municipality,
            uuid.uuid4(),
        )
        assert await conn.fetchval("SELECT action FROM audit_entry WHERE id = $1", entry) == "person.read"
        refused = [
            "UPDATE audit_entry SET action = 'nothing'",
            "DELETE FROM audit_entry",
            "TRUNCATE audit_entry",
            "ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_no_update_delete",
            "ALTER TABLE audit_entry DISABLE TRIGGER ALL",
            f'ALTER TABLE audit_entry OWNER TO "{role}"',
            "ALTER TABLE audit_entry ADD COLUMN note text",
            "DROP TRIGGER audit_entry_no_update_delete ON audit_entry",
            "DROP TABLE audit_entry",
        ]
        for statement in refused:
            # Refused by the rights themselves ("permission denied", "must be owner"), not by the trigger.
            with pytest.raises(asyncpg.exceptions.InsufficientPrivilegeError, match=r"permission denied|must be owner"):
                async with conn.transaction():
                    await conn.execute(statement)
        assert await conn.fetchval("SELECT action FROM audit_entry WHERE id = $1", entry) == "person.read"
    finally:
        await transaction.rollback()
        await conn.close()


async def test_a_booking_round_trip_works_as_the_application_role(app_url: str, settings: Settings) -> None:
    engine = create_async_engine(app_url, poolclass=pool.NullPool)
    redis = Redis.from_url(settings.redis_url or "")
    try:
        async with engine.connect() as connection:
            transaction = await connection.begin()
            session = AsyncSession(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
            world = await build_world(session, settings)
            department = await open_department(session, world.departments["d1"], staff=1)
            service = await service_of(session, department.id)
            await session.commit()
            as_app = settings.model_copy(update={"database_url": app_url})
            async with http_client(app_on(as_app, connection)) as client:
                await sign_in(client, redis, settings, world, "recipient")
                start = at(bookable_day(), 10).isoformat()
                body = {"recipient_id": str(world.people["recipient"]), "service_id": str(service.id), "start": start}
                booked = await client.post(
                    "/api/v1/bookings", json=body | {"minutes": 60}, headers={"Idempotency-Key": uuid.uuid4().hex}
                )
                assert booked.status_code == 201, booked.text
                listed = await client.get("/api/v1/bookings", params={"recipient_id": str(world.people["recipient"])})
                assert listed.status_code == 200, listed.text
                cancelled = await client.post(f"/api/v1/bookings/{booked.json()['id']}/cancel")
                assert cancelled.status_code == 201, cancelled.text
                assert cancelled.json()["status"] == "cancelled"
                log = await client.get("/api/v1/me/access-log")
                assert log.status_code == 200, log.text
            await session.close()
            await transaction.rollback()
    finally:
        await redis.aclose()
        await engine.dispose()


async def test_a_superuser_is_refused_as_the_application_role(servers: RunServers) -> None:
    superuser = make_url(plain_database_url(servers.database_url)).username
    assert superuser is not None
    other = f"tjenesteshop_owner_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(servers.admin_url)
    try:
        if not await admin.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"):
            pytest.skip("the test server's role is not a superuser")
        await admin.execute(f'CREATE ROLE "{other}" LOGIN')
        owner_url = make_url(servers.database_url).set(username=other).render_as_string(hide_password=False)
        with pytest.raises(RoleError, match="superuser"):
            await grant_application_role(owner_url, superuser)
    finally:
        await admin.execute(f'DROP ROLE IF EXISTS "{other}"')
        await admin.close()


async def test_the_retention_job_runs_as_the_application_role_and_adds_its_entry(
    app_url: str, settings: Settings
) -> None:
    """The job deletes and counts as the application role; its entry has a system actor and stays immutable."""
    engine = create_async_engine(app_url, poolclass=pool.NullPool)
    try:
        async with engine.connect() as connection:
            transaction = await connection.begin()
            session = AsyncSession(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
            world = await build_world(session, settings)
            allocation = await session.scalar(
                select(Allocation).where(Allocation.recipient_id == world.people["recipient"])
            )
            assert allocation is not None
            old = datetime(2022, 3, 1, 9, 0, tzinfo=UTC)
            session.add(
                Booking(
                    municipality_id=world.municipality, recipient_id=allocation.recipient_id,
                    department_id=allocation.department_id, service_id=allocation.service_id,
                    allocation_id=allocation.id, period_start=old.date(), starts_at=old,
                    ends_at=old + timedelta(hours=1), span_start=old, span_end=old + timedelta(hours=1), minutes=60,
                    staff_units=1, status="delivered", acted_by="recipient",
                )
            )  # fmt: skip
            await session.commit()
            maker = async_sessionmaker(
                bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
            )
            done = await run_retention(maker, datetime(2026, 9, 9, 8, 0, tzinfo=UTC))
            assert done["bookings"] == 1
            raw = await connection.get_raw_connection()
            driver = raw.driver_connection
            assert driver is not None
            entry = await driver.fetchval("SELECT id FROM audit_entry WHERE actor_system = 'retention'")
            assert entry is not None
            for statement in (
                "UPDATE audit_entry SET details = NULL WHERE id = $1",
                "DELETE FROM audit_entry WHERE id = $1",
            ):
                with pytest.raises(asyncpg.exceptions.InsufficientPrivilegeError):
                    async with driver.transaction():
                        await driver.execute(statement, entry)
            with pytest.raises(asyncpg.exceptions.CheckViolationError):  # an entry must still name an actor
                async with driver.transaction():
                    await driver.execute(
                        "INSERT INTO audit_entry (municipality_id, action, object_type) VALUES ($1, 'x', 'y')",
                        world.municipality,
                    )
            with pytest.raises(asyncpg.exceptions.CheckViolationError):  # and a system actor must be a known one
                async with driver.transaction():
                    await driver.execute(
                        "INSERT INTO audit_entry (municipality_id, actor_system, action, object_type)"
                        " VALUES ($1, 'someone', 'x', 'y')",
                        world.municipality,
                    )
            await session.close()
            await transaction.rollback()
    finally:
        await engine.dispose()
