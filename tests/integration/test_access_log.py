"""Every read of a person's data by someone else lands in that person's access log (issue 15, finding 3)."""

from __future__ import annotations

import uuid

import httpx
import pytest
from litestar import Litestar
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from booking.tables import Allocation, FollowUp
from core.settings import Settings
from departments.tables import Service
from people.tables import AuditEntry
from tests.world import World, build_world, sign_in


@pytest.fixture
async def world(db_session: AsyncSession, settings: Settings) -> World:
    built = await build_world(db_session, settings)
    db_session.add(
        FollowUp(
            id=uuid.uuid4(), municipality_id=built.municipality, recipient_id=built.people["recipient"],
            department_id=built.departments["d1"], kind="repeated_no_show",
        )
    )  # fmt: skip
    await db_session.commit()
    return built


async def _as(client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, who: str) -> None:
    await sign_in(client, app.state.redis, settings, world, who)


async def _url(db_session: AsyncSession, world: World, what: str) -> tuple[str, dict[str, str]]:
    recipient = str(world.people["recipient"])
    if what == "bookings":
        return "/api/v1/bookings", {"recipient_id": recipient}
    if what == "allocations":
        return "/api/v1/allocations", {"recipient_id": recipient}
    if what == "department_allocations":
        return "/api/v1/allocations", {"department_id": str(world.departments["d1"])}
    if what == "allocation":
        allocation = await db_session.scalar(
            select(Allocation.id).where(Allocation.recipient_id == world.people["recipient"])
        )
        return f"/api/v1/allocations/{allocation}", {}
    if what == "availability":
        service = await db_session.scalar(select(Service.id).where(Service.department_id == world.departments["d1"]))
        return "/api/v1/availability", {"recipient_id": recipient, "service_id": str(service)}
    assert what == "follow_ups"
    return "/api/v1/follow-ups", {}


READS = [
    ("staff", "bookings", "booking.read"),
    ("staff", "allocations", "allocation.read"),
    ("dept_admin", "department_allocations", "allocation.read"),
    ("staff", "allocation", "allocation.read"),
    ("staff", "availability", "availability.read"),
    ("staff", "follow_ups", "follow_up.read"),
    ("proxy", "bookings", "booking.read"),
    ("token_dept", "bookings", "booking.read"),
]


@pytest.mark.parametrize(("who", "what", "action"), READS)
async def test_someone_elses_read_is_in_the_persons_access_log(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, db_session: AsyncSession,
    who: str, what: str, action: str,
) -> None:  # fmt: skip
    url, params = await _url(db_session, world, what)
    await _as(client, app, settings, world, who)
    assert (await client.get(url, params=params)).status_code == 200
    await _as(client, app, settings, world, "recipient")
    log = (await client.get("/api/v1/me/access-log")).json()
    actor = "dept_admin" if who == "token_dept" else who
    name = who if who == "token_dept" else f"{actor.replace('_', ' ').title()} Testesen"
    assert [(e["action"], e["actor_name"]) for e in log] == [(action, name)]


@pytest.mark.parametrize("what", ["bookings", "allocations", "allocation", "availability"])
async def test_the_persons_own_reads_are_not_logged(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, db_session: AsyncSession, what: str
) -> None:
    url, params = await _url(db_session, world, what)
    await _as(client, app, settings, world, "recipient")
    assert (await client.get(url, params=params)).status_code == 200
    assert (await client.get("/api/v1/me/access-log")).json() == []


async def test_a_read_is_one_entry_and_a_refused_read_none(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, db_session: AsyncSession
) -> None:
    await _as(client, app, settings, world, "staff")
    url, params = await _url(db_session, world, "bookings")
    assert (await client.get(url, params=params)).status_code == 200
    refused = await client.get(f"/api/v1/allocations/{uuid.uuid4()}")
    assert refused.status_code == 404
    rows = (
        await db_session.execute(
            select(AuditEntry.action, AuditEntry.subject_person_id).where(
                AuditEntry.actor_person_id == world.people["staff"]
            )
        )
    ).tuples()
    assert list(rows) == [("booking.read", world.people["recipient"])]
