"""Decisions over HTTP: created once per case reference, changed without silently dropping bookings."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
import pytest
from litestar import Litestar
from redis.asyncio import Redis
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from booking import rules
from booking.service import BookRequest, book
from booking.tables import Allocation, AllocationPeriod
from core.clock import utcnow
from core.settings import Settings
from people.access import Principal
from people.audit import Origin
from tests.booking_world import at, bookable_day, open_department, oslo_today, service_of
from tests.world import World, build_world, sign_in

TYPE = "urn:tjenesteshop:problem:"


@pytest.fixture
async def world(db_session: AsyncSession, settings: Settings) -> World:
    world = await build_world(db_session, settings)
    await open_department(db_session, world.departments["d1"], staff=2)
    await db_session.commit()
    return world


async def _as(client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, who: str) -> None:
    redis: Redis = app.state.redis
    await sign_in(client, redis, settings, world, who)


async def _count(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(Allocation)) or 0)


def _decision(world: World, service: uuid.UUID, **fields: object) -> dict[str, object]:
    body: dict[str, object] = {
        "recipient_id": str(world.people["new_person"]),
        "service_id": str(service),
        "minutes": 180,
        "period": "week",
        "valid_from": oslo_today().isoformat(),
    }
    return body | fields


async def _recipients_allocation(session: AsyncSession, world: World) -> Allocation:
    found = await session.scalar(select(Allocation).where(Allocation.recipient_id == world.people["recipient"]))
    assert found is not None
    return found


async def test_the_case_system_sends_a_decision_twice_and_it_exists_once(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, db_session: AsyncSession
) -> None:
    service = await service_of(db_session, world.departments["d1"])
    await _as(client, app, settings, world, "token_dept")
    before = await _count(db_session)
    body = _decision(world, service.id, external_ref="2026/1234", valid_from="2026-12-07")
    first = await client.post("/api/v1/allocations", json=body)
    assert first.status_code == 201, first.text
    created = first.json()
    assert created["review_date"] == "2027-11-22"  # Monday of ISO week 47 after the start
    assert created["department_id"] == str(world.departments["d1"])
    again = await client.post("/api/v1/allocations", json=body)
    assert again.status_code == 200
    assert again.json()["id"] == created["id"]
    assert await _count(db_session) == before + 1
    changed = await client.post("/api/v1/allocations", json=body | {"minutes": 240})
    assert changed.status_code == 409
    assert changed.json()["type"] == TYPE + "allocation_reference_taken"
    assert changed.json()["allocation_id"] == created["id"]
    assert await _count(db_session) == before + 1


@pytest.mark.parametrize(
    ("fields", "status", "code"),
    [
        ({"kind": "trial"}, 422, "allocation_evaluation_date"),
        ({"kind": "trial", "evaluation_date": "2020-01-01"}, 422, "allocation_evaluation_date"),
        ({"evaluation_date": "2030-01-01"}, 422, "allocation_evaluation_date"),
        ({"period": "four_weeks"}, 422, "allocation_anchor"),
        ({"period_anchor": "2026-11-30"}, 422, "allocation_anchor"),
        ({"valid_to": "2020-01-01"}, 422, "invalid_range"),
        ({"minutes": 0}, 422, "validation_failed"),
        ({"period": "fortnight"}, 422, "validation_failed"),
        ({"surprise": 1}, 422, "validation_failed"),
        ({"service_id": str(uuid.uuid4())}, 404, "not_found"),
        ({"recipient_id": str(uuid.uuid4())}, 404, "not_found"),
    ],
)
async def test_a_bad_decision_says_why_and_writes_nothing(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, db_session: AsyncSession,
    fields: dict[str, object], status: int, code: str,
) -> None:  # fmt: skip
    service = await service_of(db_session, world.departments["d1"])
    await _as(client, app, settings, world, "dept_admin")
    before = await _count(db_session)
    response = await client.post("/api/v1/allocations", json=_decision(world, service.id, **fields))
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == TYPE + code
    assert response.json()["title"]  # a Norwegian sentence, not a code
    assert await _count(db_session) == before


async def test_a_second_decision_for_the_same_service_and_time_is_refused(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, db_session: AsyncSession
) -> None:
    service = await service_of(db_session, world.departments["d1"])
    await _as(client, app, settings, world, "dept_admin")
    body = _decision(world, service.id, recipient_id=str(world.people["recipient"]))
    response = await client.post("/api/v1/allocations", json=body)
    assert response.status_code == 409
    assert response.json()["type"] == TYPE + "allocation_overlaps"
    existing = await _recipients_allocation(db_session, world)
    assert response.json()["allocation_id"] == str(existing.id)
    # After the existing one ends, a new one may start.
    later = (oslo_today() + timedelta(days=400)).isoformat()
    patched = await client.patch(f"/api/v1/allocations/{existing.id}", json={"valid_to": later})
    assert patched.status_code == 200, patched.text
    follow_on = (oslo_today() + timedelta(days=401)).isoformat()
    assert (await client.post("/api/v1/allocations", json=body | {"valid_from": follow_on})).status_code == 201


async def _book_two(session: AsyncSession, world: World) -> tuple[uuid.UUID, uuid.UUID]:
    """Two 60-minute visits of the recipient, two days apart."""
    service = await service_of(session, world.departments["d1"])
    admin = Principal(municipality_id=world.municipality, person_id=world.people["muni_admin"],
                      roles=frozenset({("municipality_admin", None)}))  # fmt: skip
    ids = []
    for days in (2, 4):
        request = BookRequest(world.people["recipient"], service.id, at(bookable_day(days), 9), 60)
        booking = await book(session, admin, Origin(), request, key=f"two-{days}-key", now=utcnow())
        ids.append(booking.id)
    await session.commit()
    return ids[0], ids[1]


async def test_ending_a_decision_before_its_bookings_lists_them_and_changes_nothing(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, db_session: AsyncSession
) -> None:
    early, late = await _book_two(db_session, world)
    allocation = await _recipients_allocation(db_session, world)
    await _as(client, app, settings, world, "dept_admin")
    end = bookable_day(3).isoformat()
    refused = await client.patch(f"/api/v1/allocations/{allocation.id}", json={"valid_to": end})
    assert refused.status_code == 409
    assert refused.json()["type"] == TYPE + "allocation_bookings_in_the_way"
    assert [b["id"] for b in refused.json()["bookings"]] == [str(late)]
    await db_session.refresh(allocation)
    assert allocation.valid_to is None
    fits = await client.patch(f"/api/v1/allocations/{allocation.id}", json={"valid_to": bookable_day(4).isoformat()})
    assert fits.status_code == 200
    assert fits.json()["valid_to"] == bookable_day(4).isoformat()
    assert early != late


async def test_lower_minutes_apply_from_now_and_never_below_what_a_period_used(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, db_session: AsyncSession
) -> None:
    early, late = await _book_two(db_session, world)
    allocation = await _recipients_allocation(db_session, world)
    periods = {rules.period_of("week", None, bookable_day(d)).start for d in (2, 4)}
    used_most = 120 if len(periods) == 1 else 60  # both visits in one week, or one in each
    await _as(client, app, settings, world, "dept_admin")
    refused = await client.patch(f"/api/v1/allocations/{allocation.id}", json={"minutes": used_most - 15})
    assert refused.status_code == 409
    listed = {b["id"] for b in refused.json()["bookings"]}
    assert listed <= {str(early), str(late)}
    assert listed
    await db_session.refresh(allocation)
    assert allocation.minutes == 120
    lowered = await client.patch(f"/api/v1/allocations/{allocation.id}", json={"minutes": used_most})
    assert lowered.status_code == 200, lowered.text
    granted = set(
        (await db_session.scalars(select(AllocationPeriod.granted).where(
            AllocationPeriod.allocation_id == allocation.id))).all()
    )  # fmt: skip
    assert granted == {used_most}


async def test_who_sees_which_decisions(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, db_session: AsyncSession
) -> None:
    allocation = await _recipients_allocation(db_session, world)
    assert allocation.review_date == rules.default_review_date(allocation.valid_from)  # set on any insert
    await _book_two(db_session, world)
    await _as(client, app, settings, world, "recipient")
    mine = await client.get("/api/v1/allocations")
    assert [a["id"] for a in mine.json()] == [str(allocation.id)]
    today = oslo_today()  # the week the service counts in, which is not the machine's from 23:00 UTC on a Sunday
    used = 0
    for days in (2, 4):
        if rules.period_of("week", None, bookable_day(days)).start == rules.period_of("week", None, today).start:
            used += 60
    assert mine.json()[0]["used_minutes"] == used
    assert mine.json()[0]["left_minutes"] == 120 - used
    await _as(client, app, settings, world, "proxy")
    theirs = await client.get("/api/v1/allocations")
    assert [a["id"] for a in theirs.json()] == [str(allocation.id)]
    await _as(client, app, settings, world, "other_recipient")
    hidden = await client.get(f"/api/v1/allocations?recipient_id={world.people['recipient']}")
    assert hidden.status_code == 404
    assert str(allocation.id) not in (await client.get("/api/v1/allocations")).text
    await _as(client, app, settings, world, "dept_admin")
    department = await client.get(f"/api/v1/allocations?department_id={world.departments['d1']}")
    assert [a["id"] for a in department.json()] == [str(allocation.id)]
    assert (await client.get(f"/api/v1/allocations?department_id={world.departments['d2']}")).json() == []
