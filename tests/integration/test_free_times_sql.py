"""Free times read as whole minutes worked out by PostgreSQL equal those worked out from datetimes in Python.

`load_free_times` lets the database turn cells and bookings into minutes from the grid's epoch and into
local wall-clock minutes (`AT TIME ZONE`); `free_times` does the same with `zoneinfo`. Both are run on the
same rows, on days when the clocks change and in zones whose offsets are not whole hours.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from booking import availability, rules
from booking.availability import FREE, YOURS, LedgerCell, Visit, free_times, load_free_times
from booking.tables import ACTIVE_STATUSES, Allocation, Booking
from core.settings import Settings
from departments.tables import CapacityCell, Department, Service
from tests.booking_world import service_of
from tests.world import build_world

OWN = text("""
INSERT INTO booking (id, municipality_id, recipient_id, department_id, service_id, allocation_id, period_start,
                     starts_at, ends_at, span_start, span_end, minutes, staff_units, acted_by)
VALUES (gen_random_uuid(), :municipality, :recipient, :department, :service, :allocation, :period_start,
        :starts, :ends, :starts, :ends, 15, 1, 'staff')
""")


@pytest.mark.parametrize(
    ("zone", "day"),
    [
        ("Europe/Oslo", date(2027, 3, 28)),  # 02:00 becomes 03:00
        ("Europe/Oslo", date(2027, 10, 31)),  # 03:00 becomes 02:00
        ("Australia/Lord_Howe", date(2027, 4, 4)),  # half an hour back, at +11:00 / +10:30
        ("Asia/Kolkata", date(2027, 6, 14)),  # +05:30 all year
    ],
)
async def test_minutes_from_postgresql_equal_minutes_from_zoneinfo(
    zone: str, day: date, db_session: AsyncSession, settings: Settings
) -> None:
    world = await build_world(db_session, settings)
    department = await db_session.get(Department, world.departments["d1"])
    assert department is not None
    department.timezone = zone
    service: Service = await service_of(db_session, department.id)
    service.durations, service.buffer_before, service.buffer_after = [15, 30, 60], 5, 0
    local_midnight = datetime.combine(day, time(0), tzinfo=ZoneInfo(zone)).astimezone(UTC)
    origin = local_midnight - (local_midnight - rules.GRID_EPOCH) % timedelta(minutes=15)
    cells = [
        CapacityCell(municipality_id=department.municipality_id, department_id=department.id,
                     starts_at=origin + timedelta(minutes=15 * i), ends_at=origin + timedelta(minutes=15 * (i + 1)),
                     local_date=day, capacity=2, used=i % 3)
        for i in range(-8, 4 * 24 + 8) if i % 29 != 7  # gaps: some starts run into a missing cell
    ]  # fmt: skip
    # A cell off the whole minute is neither a start nor a step of the grid, on both sides.
    cells.append(CapacityCell(municipality_id=department.municipality_id, department_id=department.id,
                              starts_at=origin + timedelta(hours=30, seconds=30),
                              ends_at=origin + timedelta(hours=30, minutes=15, seconds=30), local_date=day,
                              capacity=1, used=0))  # fmt: skip
    recipient = world.people["recipient"]
    allocation = Allocation(municipality_id=department.municipality_id, recipient_id=recipient,
                            department_id=department.id, service_id=service.id, minutes=600, period="week",
                            valid_from=day - timedelta(days=7))  # fmt: skip
    db_session.add_all([*cells, allocation])
    await db_session.flush()
    # Own visits off the grid and to the second: starts are rounded down and ends up, in both.
    for starts in (origin + timedelta(hours=3, seconds=50), origin + timedelta(hours=26, minutes=7, seconds=1)):
        await db_session.execute(OWN, {
            "municipality": department.municipality_id, "recipient": recipient, "department": department.id,
            "service": service.id, "allocation": allocation.id, "period_start": day, "starts": starts,
            "ends": starts + timedelta(minutes=14, seconds=20),
        })  # fmt: skip
    policy = rules.Policy(zone=ZoneInfo(zone), grid_minutes=15, horizon_days=100_000, notice_hours=0,
                          cancel_deadline_hours=24)  # fmt: skip
    now, first, last = origin - timedelta(days=3), day, day + timedelta(days=1)

    got = await load_free_times(db_session, recipient_id=recipient, service=service, department=department,
                                first=first, last=last, policy=policy, now=now)  # fmt: skip

    rows = (await db_session.scalars(select(CapacityCell).where(CapacityCell.department_id == department.id))).all()
    own = (await db_session.execute(select(Booking.starts_at, Booking.ends_at).where(
        Booking.recipient_id == recipient, Booking.status.in_(ACTIVE_STATUSES)))).tuples().all()  # fmt: skip
    allowances = await availability._allowances(db_session, recipient, service.id, first, last)
    left = {day: allowance.left for day, allowance in allowances.items()}
    expected = free_times(
        cells=sorted((LedgerCell(c.starts_at, c.ends_at, c.capacity - c.used) for c in rows), key=lambda c: c.start),
        own=list(own), visit=Visit((15, 30, 60), service.staff_units, 5, 0), policy=policy, minutes_left=left, now=now,
    )  # fmt: skip
    assert [d.day for d in got] == [first, last]  # every date with the decision, each with its allowance
    assert {d.day: d.slots for d in got if d.slots} == {d: slots for d, slots in expected.items() if first <= d <= last}
    statuses = {status for d in got for slot in d.slots for status in slot.durations.values()}
    assert {FREE, YOURS} <= statuses
    offered = [slot.start for d in got for slot in d.slots]
    assert [s.isoformat() for s in offered] == [s.astimezone(ZoneInfo(zone)).isoformat() for s in offered]
