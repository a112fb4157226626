"""A department administrator's audit-log view: their departments' actions only (issue 15, finding 10)."""

from __future__ import annotations

import httpx
import pytest
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncSession

from core.settings import Settings
from people.access import Principal
from people.audit import Origin, record
from tests.world import World, build_world, sign_in


@pytest.fixture
async def world(db_session: AsyncSession, settings: Settings) -> World:
    return await build_world(db_session, settings)


def _principal(world: World, who: str, role: str, department: str | None) -> Principal:
    return Principal(
        municipality_id=world.municipality,
        person_id=world.people[who],
        roles=frozenset({(role, world.departments.get(department or ""))}),
    )


async def _log(session: AsyncSession, world: World, who: tuple[str, str, str | None], ip: str, action: str) -> None:
    recipient = world.people["recipient"]
    await record(session, _principal(world, *who), Origin(ip=ip), action=action, object_type="person",
                 object_id=recipient, subject_person_id=recipient)  # fmt: skip


async def test_a_department_admin_sees_their_departments_actions_only(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, db_session: AsyncSession
) -> None:
    # The recipient is served by d1.
    # The recipient signs in from home (their own action, with their address).
    await _log(db_session, world, ("recipient", "recipient", None), "84.1.2.3", "session.create")
    # d1's staff member reads the recipient: d1's business.
    await _log(db_session, world, ("staff", "staff", "d1"), "10.0.0.5", "person.read")
    # d2's administrator reads the same recipient: d2's business, not d1's.
    await _log(db_session, world, ("other_dept_admin", "department_admin", "d2"), "10.0.0.6", "person.read")
    await db_session.commit()
    await sign_in(client, app.state.redis, settings, world, "dept_admin")
    response = await client.get("/api/v1/audit-log")
    assert response.status_code == 200
    seen = [(e["action"], e["actor_person_id"], e["ip"]) for e in response.json()]
    assert seen == [("person.read", str(world.people["staff"]), "10.0.0.5")]
    assert "84.1.2.3" not in response.text
    # The municipality administrator still sees everything.
    await sign_in(client, app.state.redis, settings, world, "muni_admin")
    assert len((await client.get("/api/v1/audit-log")).json()) == 3
