"""The free-times answer says why a time cannot be booked: the decision's hours used up (and when new ones begin),
inside the notice, or a closed day; not just "busy"."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

import httpx
import pytest
from litestar import Litestar
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import utcnow
from core.settings import Settings
from departments.ledger import rematerialize
from departments.tables import Department, OpeningException
from tests.booking_world import at, bookable_day, open_department, oslo_today, service_of
from tests.world import World, build_world, sign_in

WEEK = timedelta(days=7)


@pytest.fixture
async def world(db_session: AsyncSession, settings: Settings, client: httpx.AsyncClient, app: Litestar) -> World:
    """The recipient (120 minutes a week of d1's one-hour visits) signed in; d1 open 08-16 every day."""
    world = await build_world(db_session, settings)
    await open_department(db_session, world.departments["d1"], staff=2)
    await db_session.commit()
    redis: Redis = app.state.redis
    await sign_in(client, redis, settings, world, "recipient")
    return world


async def _days(
    client: httpx.AsyncClient, world: World, service: uuid.UUID, first: date, last: date, **extra: str
) -> dict[date, Any]:
    params = {"recipient_id": str(world.people["recipient"]), "service_id": str(service), "from": first.isoformat(),
              "to": last.isoformat(), **extra}  # fmt: skip
    response = await client.get("/api/v1/availability", params=params)
    assert response.status_code == 200, response.text
    return {date.fromisoformat(d["date"]): d for d in response.json()["days"]}


def _statuses(day: dict[str, Any]) -> set[str]:
    return {length["status"] for slot in day["slots"] for length in slot["lengths"]}


async def _use_up_the_week(client: httpx.AsyncClient, world: World, service: uuid.UUID, day: date) -> list[str]:
    """Two one-hour visits on `day`, 09:00 and 12:00: the week's 120 minutes; their ids."""
    ids = []
    for hour in (9, 12):
        booked = await client.post(
            "/api/v1/bookings", headers={"Idempotency-Key": uuid.uuid4().hex},
            json={"recipient_id": str(world.people["recipient"]), "service_id": str(service),
                  "start": at(day, hour).isoformat(), "minutes": 60},
        )  # fmt: skip
        assert booked.status_code == 201, booked.text
        ids.append(booked.json()["id"])
    return ids


async def test_used_up_hours_are_no_hours_with_the_day_new_hours_begin(
    client: httpx.AsyncClient, world: World, db_session: AsyncSession
) -> None:
    service = await service_of(db_session, world.departments["d1"])
    day = bookable_day()
    monday = day - timedelta(days=day.weekday())
    await _use_up_the_week(client, world, service.id, day)

    days = await _days(client, world, service.id, day, monday + WEEK)

    assert list(days) == [day + timedelta(days=n) for n in range((monday + WEEK - day).days + 1)]  # every date
    for this_week in (d for d in days if d < monday + WEEK):
        sunday = monday + timedelta(days=6)
        assert days[this_week]["hours"] == {
            "period": "week", "period_start": monday.isoformat(), "period_end": sunday.isoformat(), "left_minutes": 0,
            "next_period_start": (monday + WEEK).isoformat(),
        }  # fmt: skip
        # Whatever others have booked: the reason that lasts is the decision's (and the visits that are hers).
        assert _statuses(days[this_week]) <= {"no_hours", "yours"}
        assert "no_hours" in _statuses(days[this_week]) or days[this_week]["closed"]
    assert {"yours", "no_hours"} <= _statuses(days[day])
    next_week = days[monday + WEEK]
    assert next_week["hours"]["left_minutes"] == 120
    assert next_week["hours"]["next_period_start"] == (monday + 2 * WEEK).isoformat()
    assert "free" in _statuses(next_week)


async def test_times_inside_the_notice_are_too_soon_and_times_passed_are_gone(
    client: httpx.AsyncClient, world: World, db_session: AsyncSession
) -> None:
    department = await db_session.get(Department, world.departments["d1"])
    assert department is not None
    department.notice_hours = 48
    await db_session.commit()
    service = await service_of(db_session, department.id)
    now = utcnow()

    days = await _days(client, world, service.id, oslo_today(), oslo_today() + timedelta(days=4))

    starts = [
        (datetime.fromisoformat(s["start"]), s["lengths"][0]["status"]) for d in days.values() for s in d["slots"]
    ]
    assert all(start >= now for start, _ in starts)
    assert {status for start, status in starts if start < now + timedelta(hours=48)} == {"too_soon"}
    assert "free" in {status for start, status in starts if start >= now + timedelta(hours=48)}


async def test_a_closed_day_is_listed_closed_without_starts(
    client: httpx.AsyncClient, world: World, db_session: AsyncSession
) -> None:
    department = await db_session.get(Department, world.departments["d1"])
    assert department is not None
    service = await service_of(db_session, department.id)
    closed = bookable_day(3)
    db_session.add(OpeningException(municipality_id=department.municipality_id, department_id=department.id,
                                    day=closed, closed=True, note="Personaldag"))  # fmt: skip
    await db_session.flush()
    await rematerialize(db_session, department, now=utcnow())
    await db_session.commit()

    days = await _days(client, world, service.id, closed - timedelta(days=2), closed + timedelta(days=2))

    assert days[closed]["closed"] is True
    assert days[closed]["slots"] == []
    assert days[closed]["hours"]["left_minutes"] == 120  # closed, not used up
    assert any(not d["closed"] and d["slots"] for d in days.values())


async def test_a_visit_being_moved_is_given_back_first(
    client: httpx.AsyncClient, world: World, db_session: AsyncSession
) -> None:
    """Moving needs no hours to spare: the visit's own minutes, time and staff are free for it (as `move_visit`)."""
    service = await service_of(db_session, world.departments["d1"])
    day = bookable_day()
    nine, _ = await _use_up_the_week(client, world, service.id, day)

    days = await _days(client, world, service.id, day, day, moving=nine)

    assert days[day]["hours"]["left_minutes"] == 60
    slots = {s["start"]: s["lengths"][0]["status"] for s in days[day]["slots"]}
    assert slots[at(day, 9).isoformat()] == "free"  # its own time, no longer "yours"
    assert slots[at(day, 12).isoformat()] == "yours"  # the other visit stays
    assert slots[at(day, 14).isoformat()] == "free"
    moved = await client.post(f"/api/v1/bookings/{nine}/move", json={"start": at(day, 14).isoformat()})
    assert moved.status_code == 201, moved.text
    params = {"recipient_id": str(world.people["recipient"]), "service_id": str(service.id)}
    assert (await client.get("/api/v1/availability", params={**params, "moving": nine})).status_code == 200
    assert (await client.get("/api/v1/availability", params={**params, "moving": uuid.uuid4().hex})).status_code == 404
    assert (await client.post(f"/api/v1/bookings/{nine}/cancel")).status_code == 201
    # Cancelled: nothing of theirs to move.
    assert (await client.get("/api/v1/availability", params={**params, "moving": nine})).status_code == 404
