"""Booking, moving, cancelling and outcomes over HTTP: every refusal says why and writes nothing."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, timedelta

import httpx
import pytest
from litestar import Litestar
from redis.asyncio import Redis
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from booking import driver
from booking.consistency import ledger_differences
from booking.service import BookRequest, book, cancel, record_outcome
from booking.tables import Allocation, AllocationPeriod, Booking, BookingEvent
from core.clock import utcnow
from core.db import driver_of
from core.settings import Settings
from departments.tables import CapacityCell, Department, Service
from people.access import Principal
from people.audit import Origin
from people.tables import AuditEntry, Person, RoleAssignment
from tests.booking_world import at, bookable_day, open_department, service_of
from tests.world import World, build_world, sign_in


@pytest.fixture
async def world(db_session: AsyncSession, settings: Settings) -> World:
    world = await build_world(db_session, settings)
    department = await open_department(db_session, world.departments["d1"], staff=1)
    service = await service_of(db_session, department.id)
    db_session.add(  # the other recipient is served by d1 too, to compete for its one staff member
        Allocation(municipality_id=department.municipality_id, recipient_id=world.people["other_recipient"],
                   department_id=department.id, service_id=service.id, minutes=600, period="week",
                   valid_from=bookable_day(0) - timedelta(days=7))
    )  # fmt: skip
    await db_session.commit()
    return world


async def _as(client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, who: str) -> None:
    redis: Redis = app.state.redis
    await sign_in(client, redis, settings, world, who)


async def _book(client: httpx.AsyncClient, world: World, service_id: uuid.UUID, start: str, minutes: int = 60,
                recipient: str = "recipient", key: str | None = None) -> httpx.Response:  # fmt: skip
    return await client.post(
        "/api/v1/bookings",
        json={"recipient_id": str(world.people[recipient]), "service_id": str(service_id), "start": start,
              "minutes": minutes},
        headers={"Idempotency-Key": key or uuid.uuid4().hex},
    )  # fmt: skip


async def _state(session: AsyncSession) -> tuple[int, int, int]:
    bookings = await session.scalar(select(func.count()).select_from(Booking).where(Booking.status == "booked"))
    cells = await session.scalar(select(func.coalesce(func.sum(CapacityCell.used), 0)))
    minutes = await session.scalar(select(func.coalesce(func.sum(AllocationPeriod.used), 0)))
    return int(bookings or 0), int(cells or 0), int(minutes or 0)


@pytest.mark.smoke
async def test_book_takes_the_ledger_and_a_retry_books_nothing_twice(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, db_session: AsyncSession
) -> None:
    service = await service_of(db_session, world.departments["d1"])
    await _as(client, app, settings, world, "recipient")
    start = at(bookable_day(), 10).isoformat()
    first = await _book(client, world, service.id, start, key="key-0000001")
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["status"] == "booked"
    assert body["acted_by"] == "recipient"
    assert body["start"] == start
    assert await _state(db_session) == (1, 4, 60)  # four 15-minute cells, 60 minutes of the week
    again = await _book(client, world, service.id, start, key="key-0000001")
    assert again.status_code == 201
    assert again.json()["id"] == body["id"]
    assert again.headers["idempotent-replayed"] == "true"
    assert await _state(db_session) == (1, 4, 60)
    assert await ledger_differences(db_session) == []


async def test_proxy_books_for_the_child_and_it_is_recorded(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, db_session: AsyncSession
) -> None:
    service = await service_of(db_session, world.departments["d1"])
    await _as(client, app, settings, world, "proxy")
    client.headers.update({"user-agent": "Mobil/1.0", "x-request-id": "req-proxy-books-1"})
    response = await _book(client, world, service.id, at(bookable_day(), 9).isoformat(), key="proxy-key-1")
    assert response.status_code == 201, response.text
    assert response.json()["acted_by"] == "proxy"
    booking = await db_session.get(Booking, uuid.UUID(response.json()["id"]))
    assert booking is not None
    assert booking.actor_person_id == world.people["proxy"]
    # The audit entry and the outbox event are written in the booking's own statement, once: a retry adds neither.
    replay = await _book(client, world, service.id, at(bookable_day(), 9).isoformat(), key="proxy-key-1")
    assert replay.headers["idempotent-replayed"] == "true"
    about = (AuditEntry.object_type == "booking") & (AuditEntry.object_id == str(booking.id))
    entries = (await db_session.scalars(select(AuditEntry).where(about))).all()
    assert [(e.action, e.actor_person_id, e.actor_token_id, e.subject_person_id, e.outcome, e.user_agent,
             e.request_id, e.municipality_id) for e in entries] == [
        ("booking.create", world.people["proxy"], None, world.people["recipient"], "ok", "Mobil/1.0",
         "req-proxy-books-1", world.municipality)
    ]  # fmt: skip
    assert entries[0].ip is not None
    events = (await db_session.execute(select(BookingEvent.kind, BookingEvent.details, BookingEvent.processed_at)
                                       .where(BookingEvent.booking_id == booking.id))).tuples().all()  # fmt: skip
    assert events == [("created", {}, None)]
    await _as(client, app, settings, world, "expired_proxy")
    assert (await _book(client, world, service.id, at(bookable_day(), 11).isoformat())).status_code == 404


@pytest.mark.parametrize(
    ("hour", "minute", "minutes", "days", "expected"),
    [
        (10, 5, 60, 2, "not_on_grid"),
        (7, 0, 60, 2, "outside_opening_hours"),
        (15, 30, 60, 2, "outside_opening_hours"),  # runs past closing time
        (10, 0, 45, 2, "duration_not_allowed"),
        (10, 0, 60, 30, "beyond_horizon"),
        (10, 0, 60, -1, "in_the_past"),
    ],
)
async def test_refusals_say_why_and_write_nothing(
    hour: int, minute: int, minutes: int, days: int, expected: str,
    client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, db_session: AsyncSession,
) -> None:  # fmt: skip
    service = await service_of(db_session, world.departments["d1"])
    await _as(client, app, settings, world, "recipient")
    day = bookable_day(days) if days > 0 else bookable_day(0) + timedelta(days=days)
    before = await _state(db_session)
    response = await _book(client, world, service.id, at(day, hour, minute).isoformat(), minutes=minutes)
    assert 400 <= response.status_code < 500
    assert response.json()["type"] == f"urn:tjenesteshop:problem:{expected}"
    assert response.json()["title"]
    assert await _state(db_session) == before


async def test_full_slot_used_up_allocation_and_own_overlap(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, db_session: AsyncSession
) -> None:
    service = await service_of(db_session, world.departments["d1"])
    day = bookable_day()
    await _as(client, app, settings, world, "recipient")
    assert (await _book(client, world, service.id, at(day, 10).isoformat())).status_code == 201
    overlap = await _book(client, world, service.id, at(day, 10, 30).isoformat())
    assert overlap.json()["type"] == "urn:tjenesteshop:problem:overlaps_own_booking"
    assert (await _book(client, world, service.id, at(day, 12).isoformat())).status_code == 201
    used_up = await _book(client, world, service.id, at(day, 14).isoformat())  # 120 minutes a week, all used
    assert used_up.status_code == 409
    assert used_up.json()["type"] == "urn:tjenesteshop:problem:allocation_used_up"
    assert used_up.json()["minutes_left"] == 0
    # One staff member on duty: someone else's visit at 10:00 finds the slot full.
    await _as(client, app, settings, world, "muni_admin")
    other = await service_of(db_session, world.departments["d1"])
    full = await _book(client, world, other.id, at(day, 10, 30).isoformat(), recipient="other_recipient")
    assert full.status_code == 409, full.text
    assert full.json()["type"] == "urn:tjenesteshop:problem:slot_full"
    assert full.json()["title"] == "Tiden er dessverre tatt. Velg en annen tid"
    assert await ledger_differences(db_session) == []


@pytest.mark.smoke
async def test_cancel_gives_back_exactly_once_and_move_is_atomic(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, db_session: AsyncSession
) -> None:
    service = await service_of(db_session, world.departments["d1"])
    day = bookable_day(3)
    await _as(client, app, settings, world, "recipient")
    booking = (await _book(client, world, service.id, at(day, 10).isoformat())).json()
    before_move = await _state(db_session)
    moved = await client.post(f"/api/v1/bookings/{booking['id']}/move", json={"start": at(day, 13).isoformat()})
    assert moved.status_code == 201, moved.text
    assert moved.json()["start"] == at(day, 13).isoformat()
    assert await _state(db_session) == before_move
    refused = await client.post(f"/api/v1/bookings/{booking['id']}/move", json={"start": at(day, 20).isoformat()})
    assert refused.json()["type"] == "urn:tjenesteshop:problem:outside_opening_hours"
    still = await db_session.get(Booking, uuid.UUID(booking["id"]))
    assert still is not None
    await db_session.refresh(still)
    assert still.starts_at == at(day, 13)  # the old booking stands
    cancelled = await client.post(f"/api/v1/bookings/{booking['id']}/cancel")
    assert cancelled.status_code == 201
    assert cancelled.json()["status"] == "cancelled"
    assert await _state(db_session) == (0, 0, 0)
    twice = await client.post(f"/api/v1/bookings/{booking['id']}/cancel")
    assert twice.json()["type"] == "urn:tjenesteshop:problem:not_active"
    # The problem's `status` is the HTTP status (the booking's own status once replaced it); the booking's is beside it.
    assert (twice.status_code, twice.json()["status"], twice.json()["booking_status"]) == (409, 409, "cancelled")
    assert await _state(db_session) == (0, 0, 0)
    assert await ledger_differences(db_session) == []
    # The outbox holds one event per change that committed, none for the refused move or the second cancel.
    events = (
        await db_session.execute(
            select(BookingEvent.kind, BookingEvent.details)
            .where(BookingEvent.booking_id == uuid.UUID(booking["id"]))
            .order_by(BookingEvent.id)
        )
    ).all()
    assert [kind for kind, _ in events] == ["created", "moved", "cancelled"]
    assert events[1][1] == {"previous_start": at(day, 10).astimezone(UTC).isoformat()}
    await db_session.refresh(still)
    assert still.sequence == 2  # moved, then cancelled
    about = (AuditEntry.object_type == "booking") & (AuditEntry.object_id == booking["id"])
    audited = (await db_session.execute(select(AuditEntry.action, AuditEntry.subject_person_id).where(about)
                                        .order_by(AuditEntry.id))).tuples().all()  # fmt: skip
    recipient = world.people["recipient"]
    assert audited == [("booking.create", recipient), ("booking.move", recipient), ("booking.cancelled", recipient)]


@pytest.mark.parametrize("charged", [True, False], ids=["policy charges", "policy forgives"])
async def test_late_cancellation_gives_staff_time_back_and_the_policy_decides_the_minutes(
    charged: bool,  # noqa: FBT001 - a parameter of the test
    world: World,
    db_session: AsyncSession,
) -> None:
    department = await db_session.get(Department, world.departments["d1"])
    assert department is not None
    department.late_cancel_uses_allocation = charged
    service = await service_of(db_session, department.id)
    admin = Principal(municipality_id=world.municipality, person_id=world.people["muni_admin"],
                      roles=frozenset({("municipality_admin", None)}))  # fmt: skip
    request = BookRequest(world.people["recipient"], service.id, at(bookable_day(), 10), 60)
    booking = await book(db_session, admin, Origin(), request, key="late-1", now=utcnow())
    late = booking.starts_at - timedelta(hours=department.cancel_deadline_hours - 1)
    cancelled = await cancel(db_session, admin, Origin(ip="10.1.2.3", request_id="late-cancel"), booking.id, now=late)
    assert (cancelled.status, cancelled.changed_at, cancelled.sequence) == ("late_cancelled", late, 1)
    assert cancelled.minutes_returned is not charged
    assert await _state(db_session) == (0, 0, 60 if charged else 0)  # the staff time always comes back
    assert await ledger_differences(db_session) == []
    entry = await db_session.scalar(select(AuditEntry).where(AuditEntry.action == "booking.late_cancelled"))
    assert entry is not None
    assert (entry.actor_person_id, entry.subject_person_id, entry.object_id, entry.ip, entry.request_id) == (
        world.people["muni_admin"], world.people["recipient"], str(booking.id), "10.1.2.3", "late-cancel"
    )  # fmt: skip
    kinds = await db_session.scalars(select(BookingEvent.kind).where(BookingEvent.booking_id == booking.id))
    assert sorted(kinds) == ["cancelled", "created"]


async def test_outcome_is_for_staff_and_not_before_the_start(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, db_session: AsyncSession
) -> None:
    service = await service_of(db_session, world.departments["d1"])
    await _as(client, app, settings, world, "recipient")
    booking = (await _book(client, world, service.id, at(bookable_day(), 10).isoformat())).json()
    mine = await client.post(f"/api/v1/bookings/{booking['id']}/outcome", json={"outcome": "delivered"})
    assert mine.status_code == 403
    await _as(client, app, settings, world, "staff")
    early = await client.post(f"/api/v1/bookings/{booking['id']}/outcome", json={"outcome": "no_show"})
    assert early.json()["type"] == "urn:tjenesteshop:problem:outcome_too_early"
    await _as(client, app, settings, world, "other_staff")
    assert (
        await client.post(f"/api/v1/bookings/{booking['id']}/outcome", json={"outcome": "delivered"})
    ).status_code == 404


async def test_list_my_bookings_and_not_others(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, db_session: AsyncSession
) -> None:
    service = await service_of(db_session, world.departments["d1"])
    await _as(client, app, settings, world, "recipient")
    await _book(client, world, service.id, at(bookable_day(), 10).isoformat())
    mine = (await client.get("/api/v1/bookings")).json()
    assert len(mine) == 1
    await _as(client, app, settings, world, "other_recipient")
    theirs = await client.get("/api/v1/bookings", params={"recipient_id": str(world.people["recipient"])})
    assert theirs.status_code == 404


async def test_booking_routes_are_limited_per_person_and_counted_per_address_in_the_same_pass(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World
) -> None:
    if time.time() % 60 > 45:  # the limits count fixed minutes: start the 62 requests in a fresh one
        await asyncio.sleep(60 - time.time() % 60)
    redis: Redis = app.state.redis
    pattern = f"{settings.redis_prefix}rl:booking:ip:*"
    earlier = {key async for key in redis.scan_iter(match=pattern)}  # other tests' addresses
    await _as(client, app, settings, world, "recipient")
    statuses = [(await client.get("/api/v1/bookings")).status_code for _ in range(61)]
    assert statuses == [200] * 60 + [429]
    limited = await client.get("/api/v1/bookings")
    assert limited.headers["content-type"] == "application/problem+json"
    assert limited.json()["type"] == "urn:tjenesteshop:problem:too_many_requests"
    assert 1 <= int(limited.headers["retry-after"]) <= 60  # within the minute
    await _as(client, app, settings, world, "proxy")  # the same address, another person: not limited
    assert (await client.get("/api/v1/bookings")).status_code == 200
    by_address = [key async for key in redis.scan_iter(match=pattern) if key not in earlier]
    assert len(by_address) == 1
    assert int(await redis.get(by_address[0]) or 0) == 63  # every request, refused ones too
    assert 0 < await redis.ttl(by_address[0]) <= 61  # the window and a second


async def test_missing_idempotency_key_is_refused(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, db_session: AsyncSession
) -> None:
    service = await service_of(db_session, world.departments["d1"])
    await _as(client, app, settings, world, "recipient")
    response = await client.post(
        "/api/v1/bookings",
        json={"recipient_id": str(world.people["recipient"]), "service_id": str(service.id),
              "start": at(bookable_day(), 10).isoformat(), "minutes": 60},
    )  # fmt: skip
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"].lower() == "idempotency-key"


async def test_availability_shows_free_busy_and_yours(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, db_session: AsyncSession
) -> None:
    service = await service_of(db_session, world.departments["d1"])
    day = bookable_day()
    await _as(client, app, settings, world, "recipient")
    assert (await _book(client, world, service.id, at(day, 10).isoformat())).status_code == 201
    params = {"recipient_id": str(world.people["recipient"]), "service_id": str(service.id),
              "from": day.isoformat(), "to": day.isoformat()}  # fmt: skip
    mine = (await client.get("/api/v1/availability", params=params)).json()
    slots = {s["start"]: {x["minutes"]: x["status"] for x in s["lengths"]} for s in mine["days"][0]["slots"]}
    assert slots[at(day, 10).isoformat()] == {60: "yours"}
    assert slots[at(day, 8).isoformat()] == {60: "free"}
    assert at(day, 15, 15).isoformat() not in slots  # a 60-minute visit would run past closing
    # For the other recipient, 10:00 is taken by someone else (one staff member on duty): busy, not hidden.
    await _as(client, app, settings, world, "other_recipient")
    params["recipient_id"] = str(world.people["other_recipient"])
    theirs = (await client.get("/api/v1/availability", params=params)).json()
    slots = {s["start"]: {x["minutes"]: x["status"] for x in s["lengths"]} for s in theirs["days"][0]["slots"]}
    assert slots[at(day, 10).isoformat()] == {60: "busy"}
    assert slots[at(day, 9, 15).isoformat()] == {60: "busy"}  # would overlap the booked hour
    assert slots[at(day, 11).isoformat()] == {60: "free"}


async def test_free_times_read_again_see_every_change_to_the_cells(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, db_session: AsyncSession
) -> None:
    """A department's grid is made once and kept (`booking.free_slots.GRIDS`) while its cells stay as they are: a
    booking, a cancellation and a change of staffing or hours must each show in the very next read."""
    service = await service_of(db_session, world.departments["d1"])
    day = bookable_day()
    params = {"recipient_id": str(world.people["other_recipient"]), "service_id": str(service.id),
              "from": day.isoformat(), "to": day.isoformat()}  # fmt: skip

    async def statuses() -> dict[str, str]:
        await _as(client, app, settings, world, "other_recipient")
        answer = (await client.get("/api/v1/availability", params=params)).json()
        return {s["start"]: s["lengths"][0]["status"] for s in answer["days"][0]["slots"]}

    before = await statuses()
    assert before[at(day, 10).isoformat()] == before[at(day, 13).isoformat()] == "free"
    assert await statuses() == before  # read again with nothing changed: the same answer (from the kept grid)
    await _as(client, app, settings, world, "recipient")
    booked = await _book(client, world, service.id, at(day, 10).isoformat())
    assert booked.status_code == 201
    assert (await statuses())[at(day, 10).isoformat()] == "busy"
    await _as(client, app, settings, world, "recipient")
    cancelled = await client.post(f"/api/v1/bookings/{booked.json()['id']}/cancel")
    assert cancelled.json()["status"] == "cancelled", cancelled.text
    assert await statuses() == before
    # Hours change outside any booking: the quarter from 13:00 closed.
    cells = CapacityCell.department_id == world.departments["d1"]
    await db_session.execute(
        update(CapacityCell).where(cells, CapacityCell.starts_at == at(day, 13)).values(capacity=0)
    )
    await db_session.flush()
    after = await statuses()
    assert at(day, 13).isoformat() not in after  # closed: no start there any more
    assert at(day, 12, 45).isoformat() not in after  # its hour would run into the closed quarter
    assert after[at(day, 10).isoformat()] == "free"


async def test_roster_and_assignment_never_double_books_staff(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, db_session: AsyncSession
) -> None:
    service = await service_of(db_session, world.departments["d1"])
    day = bookable_day()
    await _as(client, app, settings, world, "muni_admin")
    one = (await _book(client, world, service.id, at(day, 10).isoformat())).json()
    two = (await _book(client, world, service.id, at(day, 10, 30).isoformat(), recipient="other_recipient")).json()
    assert "id" in two or two["type"].endswith("slot_full")
    await db_session.execute(update(CapacityCell).values(capacity=CapacityCell.capacity + 1))  # room for both
    two = (await _book(client, world, service.id, at(day, 10, 30).isoformat(), recipient="other_recipient")).json()
    await _as(client, app, settings, world, "staff")
    staff_id = str(world.people["staff"])
    assert (await client.post(f"/api/v1/bookings/{one['id']}/assign", json={"staff_id": staff_id})).status_code == 201
    clash = await client.post(f"/api/v1/bookings/{two['id']}/assign", json={"staff_id": staff_id})
    assert clash.status_code == 409
    assert clash.json()["type"] == "urn:tjenesteshop:problem:staff_double_booked"
    roster = (
        await client.get(f"/api/v1/departments/{world.departments['d1']}/roster", params={"date": day.isoformat()})
    ).json()
    assert [(v["recipient_name"], v["assigned_staff_id"]) for v in roster] == [
        ("Recipient Testesen", staff_id),
        ("Other Recipient Testesen", None),
    ]
    mine = (await client.get(f"/api/v1/staff/{staff_id}/roster", params={"date": day.isoformat()})).json()
    assert [v["booking_id"] for v in mine] == [one["id"]]
    await _as(client, app, settings, world, "other_staff")
    assert (await client.get(f"/api/v1/staff/{staff_id}/roster", params={"date": day.isoformat()})).status_code == 404
    assert (await client.get(f"/api/v1/departments/{world.departments['d1']}/roster",
                             params={"date": day.isoformat()})).status_code == 403  # fmt: skip


async def test_a_moved_visit_keeps_its_staff_member_when_free_then_and_is_let_go_when_not(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, db_session: AsyncSession
) -> None:
    service = await service_of(db_session, world.departments["d1"])
    day = bookable_day()
    await db_session.execute(update(CapacityCell).values(capacity=CapacityCell.capacity + 1))  # two at a time
    await _as(client, app, settings, world, "muni_admin")
    one = (await _book(client, world, service.id, at(day, 10).isoformat())).json()
    two = (await _book(client, world, service.id, at(day, 12).isoformat(), recipient="other_recipient")).json()
    await _as(client, app, settings, world, "staff")
    staff_id = str(world.people["staff"])
    for booking in (one, two):
        assigned = await client.post(f"/api/v1/bookings/{booking['id']}/assign", json={"staff_id": staff_id})
        assert assigned.status_code == 201, assigned.text
    await _as(client, app, settings, world, "recipient")
    free_then = await client.post(f"/api/v1/bookings/{one['id']}/move", json={"start": at(day, 14).isoformat()})
    assert free_then.status_code == 201, free_then.text
    assert free_then.json()["assigned_staff_id"] == staff_id  # the staff member is free at 14: the visit keeps them
    busy_then = await client.post(f"/api/v1/bookings/{one['id']}/move", json={"start": at(day, 12).isoformat()})
    assert busy_then.status_code == 201, busy_then.text
    assert busy_then.json()["assigned_staff_id"] is None  # busy with the other visit at 12: the department reassigns
    last = await db_session.scalar(
        select(BookingEvent.details).where(BookingEvent.booking_id == uuid.UUID(one["id"]))
        .order_by(BookingEvent.id.desc()).limit(1)
    )  # fmt: skip
    # The staff member's calendar feed is refreshed, so the visit leaves it.
    assert last == {"previous_start": at(day, 14).astimezone(UTC).isoformat(), "previous_staff_id": staff_id}
    other = await db_session.get(Booking, uuid.UUID(two["id"]))
    assert other is not None
    await db_session.refresh(other)
    assert str(other.assigned_staff_id) == staff_id  # the other visit keeps its staff member
    assert await ledger_differences(db_session) == []


async def test_a_move_into_a_used_up_week_is_refused_and_the_old_time_stands(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, db_session: AsyncSession
) -> None:
    service = await service_of(db_session, world.departments["d1"])
    await db_session.execute(update(CapacityCell).values(capacity=CapacityCell.capacity + 1))
    this_week = bookable_day()
    next_week = bookable_day((this_week - bookable_day(0)).days + 7 - this_week.weekday())  # a Monday or later
    await _as(client, app, settings, world, "recipient")
    booking = (await _book(client, world, service.id, at(this_week, 10).isoformat())).json()
    assert (await _book(client, world, service.id, at(this_week, 15).isoformat())).status_code == 201
    for hour in (10, 12):  # the recipient's 120 minutes of each week, both used up
        assert (await _book(client, world, service.id, at(next_week, hour).isoformat())).status_code == 201
    before = await _state(db_session)
    move = f"/api/v1/bookings/{booking['id']}/move"
    refused = await client.post(move, json={"start": at(next_week, 14).isoformat()})
    assert refused.status_code == 409
    problem = refused.json()
    assert problem["type"] == "urn:tjenesteshop:problem:allocation_used_up"
    assert problem["minutes_left"] == 0
    assert problem["period_start"] == (next_week - timedelta(days=next_week.weekday())).isoformat()
    assert await _state(db_session) == before
    same_week = await client.post(move, json={"start": at(this_week, 13).isoformat()})
    assert same_week.status_code == 201, same_week.text  # its own minutes come back before the new time takes them
    assert await _state(db_session) == before
    assert await ledger_differences(db_session) == []


async def test_changing_opening_hours_under_real_bookings_both_ways(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, db_session: AsyncSession
) -> None:
    service = await service_of(db_session, world.departments["d1"])
    day = bookable_day()
    await _as(client, app, settings, world, "recipient")
    booking = (await _book(client, world, service.id, at(day, 10).isoformat())).json()
    await _as(client, app, settings, world, "dept_admin")
    hours = f"/api/v1/departments/{world.departments['d1']}/opening-hours"
    rules_before = (await client.get(hours)).json()
    state_before = await _state(db_session)
    # Fewer hours: 12-16 only. The 10:00 visit would lose its staff member: refused, naming the booking.
    afternoons = [{"weekday": d, "start": "12:00", "end": "16:00", "staff": 1} for d in range(7)]
    refused = await client.put(hours, json=afternoons)
    assert refused.status_code == 409
    assert refused.json()["type"] == "urn:tjenesteshop:problem:capacity_conflict"
    assert [b["id"] for b in refused.json()["bookings"]] == [booking["id"]]
    assert (await client.get(hours)).json() == rules_before
    assert await _state(db_session) == state_before
    # More staff all day: accepted, and the booking keeps its place in the ledger.
    more = [{"weekday": d, "start": "08:00", "end": "16:00", "staff": 2} for d in range(7)]
    assert (await client.put(hours, json=more)).status_code == 200
    assert await _state(db_session) == state_before
    assert await ledger_differences(db_session) == []
    capacity = await db_session.scalar(
        select(CapacityCell.capacity).where(CapacityCell.starts_at == at(day, 10), CapacityCell.department_id ==
                                            world.departments["d1"])
    )  # fmt: skip
    assert capacity == 2


async def test_repeated_no_shows_raise_one_follow_up_for_the_coordinator(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, db_session: AsyncSession
) -> None:
    service = await service_of(db_session, world.departments["d1"])
    admin = Principal(municipality_id=world.municipality, person_id=world.people["muni_admin"],
                      roles=frozenset({("municipality_admin", None)}))  # fmt: skip
    staff = Principal(municipality_id=world.municipality, person_id=world.people["staff"],
                      roles=frozenset({("staff", world.departments["d1"])}))  # fmt: skip
    day = bookable_day()
    for hour in (9, 13):
        booking = await book(db_session, admin, Origin(), BookRequest(world.people["recipient"], service.id,
                             at(day, hour), 60), key=f"no-show-{hour}", now=utcnow())  # fmt: skip
        await record_outcome(db_session, staff, Origin(), booking.id, outcome="no_show",
                             now=at(day, hour) + timedelta(minutes=20))  # fmt: skip
    await db_session.commit()
    await _as(client, app, settings, world, "coordinator")  # the recipient's coordinator, in another department
    items = (await client.get("/api/v1/follow-ups")).json()
    assert [(i["kind"], i["details"]["no_shows"]) for i in items] == [("repeated_no_show", 2)]
    await _as(client, app, settings, world, "recipient")
    assert (await client.get("/api/v1/follow-ups")).status_code == 403
    await _as(client, app, settings, world, "coordinator")
    done = await client.post(f"/api/v1/follow-ups/{items[0]['id']}/resolve", json={"note": "Ringte, alt vel."})
    assert done.status_code == 201
    assert (await client.get("/api/v1/follow-ups")).json() == []


async def test_the_hot_routes_read_the_callers_roles_and_person_with_their_first_statement(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, db_session: AsyncSession
) -> None:
    """Book, free times, move and cancel find the caller with their context: a role revoked or a person gone counts
    at once (404 for what the caller may no longer see, 401 when the session's person is no longer there)."""
    service = await service_of(db_session, world.departments["d1"])
    await _as(client, app, settings, world, "staff")
    booked = await _book(client, world, service.id, at(bookable_day(), 9).isoformat())
    assert booked.status_code == 201, booked.text
    assert booked.json()["acted_by"] == "staff"
    await db_session.execute(delete(RoleAssignment).where(RoleAssignment.person_id == world.people["staff"]))
    await db_session.commit()
    refused = await _book(client, world, service.id, at(bookable_day(), 11).isoformat())
    assert refused.status_code == 404, refused.text

    await _as(client, app, settings, world, "recipient")
    mine = await _book(client, world, service.id, at(bookable_day(), 13).isoformat())
    assert mine.status_code == 201, mine.text
    await db_session.execute(
        update(Person).where(Person.id == world.people["recipient"]).values(municipality_id=world.other_municipality)
    )
    await db_session.commit()
    booking = mine.json()["id"]
    gone = [
        await _book(client, world, service.id, at(bookable_day(), 15).isoformat()),
        await client.get("/api/v1/availability", params={"recipient_id": str(world.people["recipient"]),
                                                          "service_id": str(service.id)}),
        await client.post(f"/api/v1/bookings/{booking}/move", json={"start": at(bookable_day(), 14).isoformat()}),
        await client.post(f"/api/v1/bookings/{booking}/cancel"),
    ]  # fmt: skip
    assert [(r.status_code, r.json()["type"].rsplit(":", 1)[-1]) for r in gone] == [(401, "unauthorized")] * 4
    assert all(r.headers["www-authenticate"] == 'Bearer realm="tjenesteshop"' for r in gone)


async def _statements_of(db_session: AsyncSession) -> list[str]:
    """The booking statements the app sends from now on, on the connection the test's app shares (a query logger)."""
    sent: list[str] = []
    (await driver_of(db_session)).add_query_logger(lambda logged: sent.append(logged.query))
    return sent


def _booking_statements(sent: list[str]) -> list[str]:
    return [query for query in sent if query in {driver.CONTEXT, driver.BOOK_VISIT, driver.BOOK_OWN_VISIT}]


async def test_a_recipients_own_booking_is_one_statement_once_the_services_facts_are_kept(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, db_session: AsyncSession
) -> None:
    service = await service_of(db_session, world.departments["d1"])
    sent = await _statements_of(db_session)
    await _as(client, app, settings, world, "recipient")
    first = await _book(client, world, service.id, at(bookable_day(), 9).isoformat())
    assert first.status_code == 201, first.text
    assert _booking_statements(sent) == [driver.CONTEXT, driver.BOOK_VISIT]  # the service's facts, read and kept
    sent.clear()
    second = await _book(client, world, service.id, at(bookable_day(), 11).isoformat(), key="own-key-1")
    assert second.status_code == 201, second.text
    assert _booking_statements(sent) == [driver.BOOK_OWN_VISIT]
    assert second.json()["acted_by"] == "recipient"
    booking = await db_session.get(Booking, uuid.UUID(second.json()["id"]))
    assert booking is not None
    assert (booking.actor_person_id, booking.actor_token_id, booking.idempotency_key) == (
        world.people["recipient"], None, "own-key-1")  # fmt: skip
    assert await _state(db_session) == (2, 8, 120)
    about = (AuditEntry.object_type == "booking") & (AuditEntry.object_id == str(booking.id))
    assert [e.action for e in (await db_session.scalars(select(AuditEntry).where(about))).all()] == ["booking.create"]
    events = (await db_session.scalars(select(BookingEvent.kind).where(BookingEvent.booking_id == booking.id))).all()
    assert events == ["created"]
    # A retry is answered in the same one statement, with the first answer, and writes nothing.
    sent.clear()
    again = await _book(client, world, service.id, at(bookable_day(), 11).isoformat(), key="own-key-1")
    assert (again.status_code, again.json()["id"], again.headers["idempotent-replayed"]) == (
        201, str(booking.id), "true")  # fmt: skip
    assert _booking_statements(sent) == [driver.BOOK_OWN_VISIT]
    assert await _state(db_session) == (2, 8, 120)
    # Anyone booking for someone else still reads the whole context first: access depends on who they are. (The
    # week's two hours are booked, so the function refuses it.)
    sent.clear()
    await _as(client, app, settings, world, "proxy")
    by_proxy = await _book(client, world, service.id, at(bookable_day(), 13).isoformat())
    assert by_proxy.json()["type"].endswith("allocation_used_up"), by_proxy.text
    assert _booking_statements(sent) == [driver.CONTEXT, driver.BOOK_VISIT]
    assert await ledger_differences(db_session) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"notice_hours": 168}, "too_short_notice"),  # the department asks for a week's notice since it was kept
        ({"grid_minutes": 60}, "not_on_grid"),  # a coarser grid: half past is no start any more
    ],
)
async def test_a_department_changed_since_its_facts_were_kept_is_read_again(
    change: dict[str, int], expected: str, client: httpx.AsyncClient, app: Litestar, settings: Settings,
    world: World, db_session: AsyncSession,
) -> None:  # fmt: skip
    service = await service_of(db_session, world.departments["d1"])
    await _as(client, app, settings, world, "recipient")
    assert (await _book(client, world, service.id, at(bookable_day(), 9).isoformat())).status_code == 201
    await db_session.execute(update(Department).where(Department.id == world.departments["d1"]).values(**change))
    await db_session.commit()
    before = await _state(db_session)
    refused = await _book(client, world, service.id, at(bookable_day(), 11, 30).isoformat())
    assert refused.status_code in {409, 422}, refused.text
    assert refused.json()["type"].endswith(expected)
    assert await _state(db_session) == before


async def test_a_service_retired_since_its_facts_were_kept_takes_no_booking(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, db_session: AsyncSession
) -> None:
    service = await service_of(db_session, world.departments["d1"])
    await _as(client, app, settings, world, "recipient")
    assert (await _book(client, world, service.id, at(bookable_day(), 9).isoformat())).status_code == 201
    await db_session.execute(update(Service).where(Service.id == service.id).values(active=False))
    await db_session.commit()
    refused = await _book(client, world, service.id, at(bookable_day(), 11).isoformat())
    assert refused.status_code == 422, refused.text
    assert refused.json()["type"].endswith("service_retired")
    assert await _state(db_session) == (1, 4, 60)


async def test_a_recipients_own_cancellation_is_one_statement(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, db_session: AsyncSession
) -> None:
    service = await service_of(db_session, world.departments["d1"])
    await _as(client, app, settings, world, "recipient")
    first = (await _book(client, world, service.id, at(bookable_day(), 9).isoformat())).json()
    second = (await _book(client, world, service.id, at(bookable_day(), 11).isoformat())).json()
    changes = {driver.CHANGE_CONTEXT, driver.CANCEL_VISIT, driver.CANCEL_OWN_VISIT}
    sent = await _statements_of(db_session)
    own = await client.post(f"/api/v1/bookings/{first['id']}/cancel")
    assert (own.status_code, own.json()["status"]) == (201, "cancelled"), own.text
    assert [query for query in sent if query in changes] == [driver.CANCEL_OWN_VISIT]
    assert await _state(db_session) == (1, 4, 60)
    # Anyone else's is not taken by it: the long way, the booking's whole context first.
    sent.clear()
    await _as(client, app, settings, world, "proxy")
    by_proxy = await client.post(f"/api/v1/bookings/{second['id']}/cancel")
    assert (by_proxy.status_code, by_proxy.json()["status"]) == (201, "cancelled"), by_proxy.text
    assert [query for query in sent if query in changes] == [
        driver.CANCEL_OWN_VISIT, driver.CHANGE_CONTEXT, driver.CANCEL_VISIT]  # fmt: skip
    assert await _state(db_session) == (0, 0, 0)
    about = (AuditEntry.object_type == "booking") & AuditEntry.object_id.in_([first["id"], second["id"]])
    actions = (await db_session.execute(select(AuditEntry.action, AuditEntry.actor_person_id).where(about))).all()
    assert sorted(actions) == sorted([("booking.create", world.people["recipient"]),
                                      ("booking.create", world.people["recipient"]),
                                      ("booking.cancelled", world.people["recipient"]),
                                      ("booking.cancelled", world.people["proxy"])])  # fmt: skip
    assert await ledger_differences(db_session) == []
