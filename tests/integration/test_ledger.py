"""The capacity ledger: materialised from the rules, idempotent, never losing booked capacity."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from litestar import Litestar
from redis.asyncio import Redis
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from core.settings import Settings
from departments.ledger import CapacityConflictError, rematerialize
from departments.tables import CapacityCell, Department, HolidayOpening, OpeningException, OpeningRule
from notifications.daily import open_days
from people.tables import RoleAssignment
from tests.world import World, build_world, sign_in

# A Monday; the horizon (14 days) then runs to Monday 2027-03-29 and spans the spring-forward night.
NOW = datetime(2027, 3, 15, 9, 0, tzinfo=UTC)


@pytest.fixture
async def department(db_session: AsyncSession, settings: Settings) -> Department:
    world = await build_world(db_session, settings)
    department = await db_session.get(Department, world.departments["d1"])
    assert department is not None
    for weekday in range(7):
        db_session.add_all(
            [
                OpeningRule(municipality_id=department.municipality_id, department_id=department.id, weekday=weekday,
                            start_minute=8 * 60, end_minute=12 * 60, staff=3),
                OpeningRule(municipality_id=department.municipality_id, department_id=department.id, weekday=weekday,
                            start_minute=12 * 60, end_minute=16 * 60, staff=2),
            ]
        )  # fmt: skip
    await db_session.flush()
    return department


async def _cells(session: AsyncSession, department: Department) -> list[tuple[datetime, int, int]]:
    rows = await session.execute(
        select(CapacityCell.starts_at, CapacityCell.capacity, CapacityCell.used)
        .where(CapacityCell.department_id == department.id)
        .order_by(CapacityCell.starts_at)
    )
    return list(rows.tuples().all())


async def test_materialises_today_through_the_horizon(db_session: AsyncSession, department: Department) -> None:
    result = await rematerialize(db_session, department, now=NOW)
    cells = await _cells(db_session, department)
    # 15 local days (today + 14), 32 cells of 15 minutes a day (08-16), but Easter closes 25, 26, 28 and 29 March.
    assert (result.first, result.last) == (date(2027, 3, 15), date(2027, 3, 29))
    holidays = 4
    assert len(cells) == (15 - holidays) * 32 == result.cells
    assert {capacity for _, capacity, _ in cells} == {3, 2}
    assert cells[0][0] == datetime(2027, 3, 15, 7, 0, tzinfo=UTC)  # 08:00 in Oslo, winter time


async def test_running_twice_creates_each_cell_once(db_session: AsyncSession, department: Department) -> None:
    await rematerialize(db_session, department, now=NOW)
    first = await _cells(db_session, department)
    await rematerialize(db_session, department, now=NOW)
    assert await _cells(db_session, department) == first


async def test_daily_job_twice_for_the_same_day_creates_each_cell_once(
    connection: AsyncConnection, db_session: AsyncSession, department: Department
) -> None:
    await db_session.commit()
    sessionmaker = async_sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    first = await open_days(sessionmaker, NOW)
    count = await db_session.scalar(select(func.count()).select_from(CapacityCell))
    second = await open_days(sessionmaker, NOW)
    assert first["departments"] == second["departments"] >= 2
    assert await db_session.scalar(select(func.count()).select_from(CapacityCell)) == count
    later = await open_days(sessionmaker, NOW + timedelta(days=1))  # the next day opens one more day
    assert later["refused"] == 0
    assert await _cells(db_session, department) != []


async def test_booked_capacity_blocks_a_reduction_and_nothing_changes(
    db_session: AsyncSession, department: Department
) -> None:
    await rematerialize(db_session, department, now=NOW)
    busy = datetime(2027, 3, 16, 8, 0, tzinfo=UTC)  # Tuesday 09:00 local: 3 on duty
    await db_session.execute(update(CapacityCell).where(CapacityCell.starts_at == busy).values(used=3))
    before = await _cells(db_session, department)
    # Fewer staff before lunch on Tuesdays: the booked cell would be over capacity.
    rule = await db_session.scalar(
        select(OpeningRule).where(OpeningRule.department_id == department.id, OpeningRule.weekday == 1,
                                  OpeningRule.start_minute == 480)
    )  # fmt: skip
    assert rule is not None
    rule.staff = 2
    await db_session.flush()
    with pytest.raises(CapacityConflictError) as refused:
        async with db_session.begin_nested():
            await rematerialize(db_session, department, now=NOW)
    cells = refused.value.fields["cells"]
    assert isinstance(cells, list)
    assert (cells[0]["used"], cells[0]["capacity"]) == (3, 2)
    rule.staff = 3
    await db_session.flush()
    assert await _cells(db_session, department) == before
    # More staff is always fine, and keeps what is booked.
    rule.staff = 5
    await db_session.flush()
    await rematerialize(db_session, department, now=NOW)
    after = {start: (capacity, used) for start, capacity, used in await _cells(db_session, department)}
    assert after[busy] == (5, 3)


async def test_closing_a_booked_day_is_refused(db_session: AsyncSession, department: Department) -> None:
    await rematerialize(db_session, department, now=NOW)
    busy = datetime(2027, 3, 17, 11, 0, tzinfo=UTC)  # Wednesday 12:00 local
    await db_session.execute(update(CapacityCell).where(CapacityCell.starts_at == busy).values(used=1))
    db_session.add(OpeningException(municipality_id=department.municipality_id, department_id=department.id,
                                    day=date(2027, 3, 17), closed=True, windows=[]))  # fmt: skip
    await db_session.flush()
    with pytest.raises(CapacityConflictError):
        async with db_session.begin_nested():
            await rematerialize(db_session, department, now=NOW)
    unbooked_day = OpeningException(municipality_id=department.municipality_id, department_id=department.id,
                                    day=date(2027, 3, 18), closed=True, windows=[])  # fmt: skip
    db_session.add(unbooked_day)
    await db_session.flush()
    assert (await db_session.get(OpeningException, unbooked_day.id)) is not None


async def test_spring_forward_night_has_no_2_am_cells(db_session: AsyncSession, department: Department) -> None:
    department.horizon_days = 14
    db_session.add(OpeningRule(municipality_id=department.municipality_id, department_id=department.id, weekday=6,
                               start_minute=0, end_minute=8 * 60, staff=1))  # fmt: skip
    await db_session.flush()
    # Easter Sunday 2027 is 28 March (closed); open it as usual to see the night.
    db_session.add(HolidayOpening(municipality_id=department.municipality_id, department_id=department.id,
                                  day=date(2027, 3, 28)))  # fmt: skip
    await db_session.flush()
    await rematerialize(db_session, department, now=NOW)
    night = await db_session.scalars(
        select(CapacityCell.starts_at)
        .where(CapacityCell.local_date == date(2027, 3, 28))
        .order_by(CapacityCell.starts_at)
    )
    local_hours = [start.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Oslo")).hour for start in night]
    assert 2 not in local_hours
    assert local_hours.count(1) == 4
    assert local_hours.count(3) == 4


async def test_capacity_endpoint_shows_capacity_and_use(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, db_session: AsyncSession, department: Department
) -> None:
    await rematerialize(db_session, department, now=NOW)
    await db_session.commit()
    world = World(municipality=department.municipality_id, other_municipality=uuid.uuid4())
    world.people, world.departments = await _staff_of(db_session, department)
    redis: Redis = app.state.redis
    await sign_in(client, redis, settings, world, "staff")
    response = await client.get(
        f"/api/v1/departments/{department.id}/capacity", params={"from": "2027-03-16", "to": "2027-03-16"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["timezone"] == "Europe/Oslo"
    assert body["cells"][0]["start"] == "2027-03-16T08:00:00+01:00"
    assert [c["capacity"] for c in body["cells"]] == [3] * 16 + [2] * 16
    assert (await client.get(f"/api/v1/departments/{department.id}/capacity",
                             params={"from": "2027-03-16", "to": "2027-03-01"})).status_code == 422  # fmt: skip


async def _staff_of(session: AsyncSession, department: Department) -> tuple[dict[str, uuid.UUID], dict[str, uuid.UUID]]:
    staff = await session.scalar(
        select(RoleAssignment.person_id).where(
            RoleAssignment.department_id == department.id, RoleAssignment.role == "staff"
        )
    )
    assert staff is not None
    return {"staff": staff}, {"d1": department.id}
