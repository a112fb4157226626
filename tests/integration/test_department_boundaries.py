"""Department boundaries: staff, administrators and tokens of one department never reach another's bookings.

The world's recipient has decisions in both departments (d1 and d2) and a booking in each. Each pair of callers
is the same kind of caller in d1 and in d2 (staff, a department administrator, a department-scoped token): each
sees, books, moves, cancels and reads free times in their own department, and gets a 404 (ids leak nothing)
in the other one. The recipient, their proxy and coordinator, and the municipality's administrators see both.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta

import httpx
import pytest
from litestar import Litestar
from redis.asyncio import Redis
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from booking.roster import assign
from booking.service import BookRequest, book
from booking.tables import Allocation, Booking, FollowUp
from core.clock import utcnow
from core.settings import Settings
from people.access import Principal
from people.audit import Origin
from people.tables import Person, RoleAssignment
from tests.booking_world import at, bookable_day, open_department, service_of
from tests.world import World, build_world, sign_in

PAIRS = [("staff", "other_staff"), ("dept_admin", "other_dept_admin"), ("token_dept", "token_other_dept")]
ADMIN_PAIRS = PAIRS[1:]
SEES_BOTH = ("recipient", "proxy", "coordinator", "muni_admin", "token_admin")


@dataclass
class Two:
    """The world, with a service and a booking of the recipient in each department."""

    world: World
    services: dict[str, uuid.UUID] = field(default_factory=dict)  # department handle -> its service
    bookings: dict[str, uuid.UUID] = field(default_factory=dict)  # department handle -> the recipient's booking
    day: date = field(default_factory=date.today)  # the bookings' local day


def _admin(world: World) -> Principal:
    return Principal(municipality_id=world.municipality, person_id=world.people["muni_admin"],
                     roles=frozenset({("municipality_admin", None)}))  # fmt: skip


@pytest.fixture
async def two(db_session: AsyncSession, settings: Settings) -> Two:
    world = await build_world(db_session, settings)
    two = Two(world)
    for handle in ("d1", "d2"):
        department = await open_department(db_session, world.departments[handle], staff=2)
        two.services[handle] = (await service_of(db_session, department.id)).id
    db_session.add(  # the recipient is served by d2 too (the world gives them a decision in d1 only)
        Allocation(municipality_id=world.municipality, recipient_id=world.people["recipient"],
                   department_id=world.departments["d2"], service_id=two.services["d2"], minutes=600, period="week",
                   valid_from=bookable_day(0) - timedelta(days=7))
    )  # fmt: skip
    await db_session.flush()
    day = two.day = bookable_day()
    for handle, hour in (("d1", 9), ("d2", 11)):
        request = BookRequest(world.people["recipient"], two.services[handle], at(day, hour), 60)
        booking = await book(db_session, _admin(world), Origin(), request, key=f"boundary-{handle}", now=utcnow())
        two.bookings[handle] = booking.id
    await db_session.commit()
    return two


async def _as(client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, who: str) -> None:
    redis: Redis = app.state.redis
    await sign_in(client, redis, settings, world, who)


async def _status(session: AsyncSession, booking_id: uuid.UUID) -> str:
    session.expire_all()
    return (await session.scalar(select(Booking.status).where(Booking.id == booking_id))) or ""


async def test_the_recipient_and_those_who_see_everything_keep_both_departments(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, two: Two
) -> None:
    world = two.world
    for who in SEES_BOTH:
        await _as(client, app, settings, world, who)
        listed = await client.get("/api/v1/bookings", params={"recipient_id": str(world.people["recipient"])})
        assert {b["id"] for b in listed.json()} == {str(b) for b in two.bookings.values()}, who
        for handle in ("d1", "d2"):
            event = await client.get(f"/api/v1/bookings/{two.bookings[handle]}/event.ics")
            assert event.status_code == 200, (who, handle)
            free = await client.get("/api/v1/availability", params={
                "recipient_id": str(world.people["recipient"]), "service_id": str(two.services[handle])})  # fmt: skip
            assert free.status_code == 200, (who, handle)


@pytest.mark.parametrize(("d1_caller", "d2_caller"), PAIRS, ids=[a for a, _ in PAIRS])
async def test_listing_a_recipients_bookings_shows_only_the_callers_department(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, two: Two, d1_caller: str, d2_caller: str
) -> None:
    world = two.world
    for who, handle in ((d1_caller, "d1"), (d2_caller, "d2")):
        await _as(client, app, settings, world, who)
        listed = await client.get("/api/v1/bookings", params={"recipient_id": str(world.people["recipient"])})
        assert listed.status_code == 200, listed.text
        assert [b["id"] for b in listed.json()] == [str(two.bookings[handle])], who


@pytest.mark.parametrize(("d1_caller", "d2_caller"), PAIRS, ids=[a for a, _ in PAIRS])
async def test_booking_a_service_of_another_department_is_not_found(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, two: Two, db_session: AsyncSession,
    d1_caller: str, d2_caller: str,
) -> None:  # fmt: skip
    world = two.world
    for who, mine, theirs, hour in ((d1_caller, "d1", "d2", 13), (d2_caller, "d2", "d1", 14)):
        await _as(client, app, settings, world, who)

        async def _book(handle: str, hour: int) -> httpx.Response:
            return await client.post(
                "/api/v1/bookings",
                json={"recipient_id": str(world.people["recipient"]), "service_id": str(two.services[handle]),
                      "start": at(two.day, hour).isoformat(), "minutes": 60},
                headers={"Idempotency-Key": uuid.uuid4().hex},
            )  # fmt: skip

        refused = await _book(theirs, hour)
        assert refused.status_code == 404, (who, refused.text)
        assert refused.headers["content-type"] == "application/problem+json"
        booked = await _book(mine, hour)
        assert booked.status_code == 201, (who, booked.text)
    active = (await db_session.scalars(select(Booking.department_id).where(Booking.status == "booked"))).all()
    assert sorted(active) == sorted([world.departments["d1"], world.departments["d2"]] * 2)  # nothing more


@pytest.mark.parametrize(("d1_caller", "d2_caller"), PAIRS, ids=[a for a, _ in PAIRS])
async def test_free_times_of_another_departments_service_are_not_found(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, two: Two, d1_caller: str, d2_caller: str
) -> None:
    world = two.world
    for who, mine, theirs in ((d1_caller, "d1", "d2"), (d2_caller, "d2", "d1")):
        await _as(client, app, settings, world, who)
        for handle, expected in ((theirs, 404), (mine, 200)):
            free = await client.get("/api/v1/availability", params={
                "recipient_id": str(world.people["recipient"]), "service_id": str(two.services[handle])})  # fmt: skip
            assert free.status_code == expected, (who, handle, free.text)


@pytest.mark.parametrize(("d1_caller", "d2_caller"), PAIRS, ids=[a for a, _ in PAIRS])
async def test_a_booking_of_another_department_cannot_be_exported(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, two: Two, d1_caller: str, d2_caller: str
) -> None:
    for who, mine, theirs in ((d1_caller, "d1", "d2"), (d2_caller, "d2", "d1")):
        await _as(client, app, settings, two.world, who)
        assert (await client.get(f"/api/v1/bookings/{two.bookings[theirs]}/event.ics")).status_code == 404, who
        assert (await client.get(f"/api/v1/bookings/{two.bookings[mine]}/event.ics")).status_code == 200, who


@pytest.mark.parametrize(("d1_caller", "d2_caller"), PAIRS, ids=[a for a, _ in PAIRS])
async def test_a_booking_of_another_department_cannot_be_moved(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, two: Two, db_session: AsyncSession,
    d1_caller: str, d2_caller: str,
) -> None:  # fmt: skip
    for who, mine, theirs, hour in ((d1_caller, "d1", "d2", 13), (d2_caller, "d2", "d1", 14)):
        await _as(client, app, settings, two.world, who)
        body = {"start": at(two.day, hour).isoformat()}
        refused = await client.post(f"/api/v1/bookings/{two.bookings[theirs]}/move", json=body)
        assert refused.status_code == 404, (who, refused.text)
        moved = await client.post(f"/api/v1/bookings/{two.bookings[mine]}/move", json=body)
        assert moved.status_code == 201, (who, moved.text)
    starts = dict((await db_session.execute(select(Booking.id, Booking.starts_at))).tuples().all())
    assert starts == {two.bookings["d1"]: at(two.day, 13), two.bookings["d2"]: at(two.day, 14)}


@pytest.mark.parametrize(("d1_caller", "d2_caller"), PAIRS, ids=[a for a, _ in PAIRS])
async def test_a_booking_of_another_department_cannot_be_cancelled(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, two: Two, db_session: AsyncSession,
    d1_caller: str, d2_caller: str,
) -> None:  # fmt: skip
    for who, mine, theirs in ((d1_caller, "d1", "d2"), (d2_caller, "d2", "d1")):
        await _as(client, app, settings, two.world, who)
        before = await _status(db_session, two.bookings[theirs])
        refused = await client.post(f"/api/v1/bookings/{two.bookings[theirs]}/cancel", json={})
        assert refused.status_code == 404, (who, refused.text)
        assert await _status(db_session, two.bookings[theirs]) == before
        cancelled = await client.post(f"/api/v1/bookings/{two.bookings[mine]}/cancel", json={})
        assert cancelled.status_code == 201, (who, cancelled.text)
        assert await _status(db_session, two.bookings[mine]) == "cancelled"


@pytest.mark.parametrize(("d1_caller", "d2_caller"), PAIRS, ids=[a for a, _ in PAIRS])
async def test_no_outcome_for_a_booking_of_another_department(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, two: Two, d1_caller: str, d2_caller: str
) -> None:
    for who, mine, theirs in ((d1_caller, "d1", "d2"), (d2_caller, "d2", "d1")):
        await _as(client, app, settings, two.world, who)
        refused = await client.post(f"/api/v1/bookings/{two.bookings[theirs]}/outcome", json={"outcome": "no_show"})
        assert refused.status_code == 404, (who, refused.text)
        # The caller's own department's visit is theirs to record: only its time has not come.
        early = await client.post(f"/api/v1/bookings/{two.bookings[mine]}/outcome", json={"outcome": "no_show"})
        assert early.json()["type"] == "urn:tjenesteshop:problem:outcome_too_early", (who, early.text)


@pytest.mark.parametrize(("d1_caller", "d2_caller"), PAIRS, ids=[a for a, _ in PAIRS])
async def test_no_staff_assigned_to_a_booking_of_another_department(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, two: Two, d1_caller: str, d2_caller: str
) -> None:
    for who, mine, theirs in ((d1_caller, "d1", "d2"), (d2_caller, "d2", "d1")):
        await _as(client, app, settings, two.world, who)
        refused = await client.post(f"/api/v1/bookings/{two.bookings[theirs]}/assign", json={"staff_id": None})
        assert refused.status_code == 404, (who, refused.text)
        assigned = await client.post(f"/api/v1/bookings/{two.bookings[mine]}/assign", json={"staff_id": None})
        assert assigned.status_code == 201, (who, assigned.text)


@pytest.mark.parametrize(("d1_caller", "d2_caller"), PAIRS, ids=[a for a, _ in PAIRS])
async def test_feedback_on_a_visit_of_another_department_is_not_found(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, two: Two, d1_caller: str, d2_caller: str
) -> None:
    """Staff and administrators never answer for a visit: their own department's is a 403, another's a 404."""
    for who, mine, theirs in ((d1_caller, "d1", "d2"), (d2_caller, "d2", "d1")):
        await _as(client, app, settings, two.world, who)
        other = await client.post(f"/api/v1/bookings/{two.bookings[theirs]}/feedback", json={"answer": "yes"})
        assert other.status_code == 404, (who, other.text)
        own = await client.post(f"/api/v1/bookings/{two.bookings[mine]}/feedback", json={"answer": "yes"})
        assert own.status_code == 403, (who, own.text)


@pytest.mark.parametrize(("d1_caller", "d2_caller"), PAIRS, ids=[a for a, _ in PAIRS])
async def test_the_department_roster_is_the_departments_own(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, two: Two, d1_caller: str, d2_caller: str
) -> None:
    world = two.world
    for who, mine, theirs in ((d1_caller, "d1", "d2"), (d2_caller, "d2", "d1")):
        await _as(client, app, settings, world, who)
        day = {"date": two.day.isoformat()}
        refused = await client.get(f"/api/v1/departments/{world.departments[theirs]}/roster", params=day)
        assert refused.status_code == 403, (who, refused.text)  # departments are public; their visits are not
        own = await client.get(f"/api/v1/departments/{world.departments[mine]}/roster", params=day)
        assert [v["booking_id"] for v in own.json()] == [str(two.bookings[mine])], who


@pytest.mark.parametrize(("d1_caller", "d2_caller"), ADMIN_PAIRS, ids=[a for a, _ in ADMIN_PAIRS])
async def test_a_staff_members_roster_shows_an_administrator_only_their_departments_visits(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, two: Two, db_session: AsyncSession,
    d1_caller: str, d2_caller: str,
) -> None:  # fmt: skip
    world = two.world
    both = Person(id=uuid.uuid4(), municipality_id=world.municipality, national_id_hash="both-departments",
                  national_id_masked="010180*****", given_name="Both", family_name="Testesen")  # fmt: skip
    db_session.add(both)
    await db_session.flush()
    for handle in ("d1", "d2"):
        db_session.add(RoleAssignment(municipality_id=world.municipality, person_id=both.id, role="staff",
                                      department_id=world.departments[handle]))  # fmt: skip
    await db_session.flush()
    for handle in ("d1", "d2"):
        await assign(db_session, _admin(world), Origin(), two.bookings[handle], both.id)
    await db_session.commit()
    day = {"date": two.day.isoformat()}
    for who, mine in ((d1_caller, "d1"), (d2_caller, "d2"), ("muni_admin", None)):
        await _as(client, app, settings, world, who)
        roster = await client.get(f"/api/v1/staff/{both.id}/roster", params=day)
        assert roster.status_code == 200, (who, roster.text)
        expected = [str(two.bookings[mine])] if mine else [str(two.bookings["d1"]), str(two.bookings["d2"])]
        assert [v["booking_id"] for v in roster.json()] == expected, who


@pytest.mark.parametrize(("d1_caller", "d2_caller"), PAIRS, ids=[a for a, _ in PAIRS])
async def test_follow_ups_of_another_department_are_neither_listed_nor_resolved(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, two: Two, db_session: AsyncSession,
    d1_caller: str, d2_caller: str,
) -> None:  # fmt: skip
    world = two.world
    items = {}
    for handle in ("d1", "d2"):
        item = FollowUp(id=uuid.uuid4(), municipality_id=world.municipality, recipient_id=world.people["recipient"],
                        department_id=world.departments[handle], kind="repeated_no_show", details={})  # fmt: skip
        db_session.add(item)
        items[handle] = item.id
    await db_session.commit()
    for who, mine, theirs in ((d1_caller, "d1", "d2"), (d2_caller, "d2", "d1")):
        await _as(client, app, settings, world, who)
        listed = await client.get("/api/v1/follow-ups")
        assert [f["id"] for f in listed.json()] == [str(items[mine])], who
        refused = await client.post(f"/api/v1/follow-ups/{items[theirs]}/resolve", json={"note": "Ringt"})
        assert refused.status_code == 404, (who, refused.text)
        resolved = await client.post(f"/api/v1/follow-ups/{items[mine]}/resolve", json={"note": "Ringt"})
        assert resolved.status_code == 201, (who, resolved.text)
