"""The free-times statements read through the indexes made for them, so their cost stays flat as history grows.

Each test seeds what makes a wrong plan expensive (a long history of past visits; other municipalities' and
departments' cells), has PostgreSQL plan the very statement (`availability.CELLS` and `OWN` are read by both
`load_free_times` and the API's `free_slots.FREE`, `CHECK` and `PLAIN`) for its values, and reads the index the plan
names and the condition it gives that index.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from functools import partial
from typing import Any

from sqlalchemy import DateTime, bindparam, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ClauseElement

from booking import availability, free_slots, rules
from booking.tables import Allocation, Booking
from core.clock import utcnow
from core.db import driver_of
from core.settings import Settings
from departments.tables import CapacityCell, Department
from tests.booking_world import open_department, oslo_today, service_of
from tests.world import build_world

HISTORY = text("""
INSERT INTO booking (id, municipality_id, recipient_id, department_id, service_id, allocation_id, period_start,
                     starts_at, ends_at, span_start, span_end, minutes, staff_units, acted_by, status)
SELECT gen_random_uuid(), :municipality, :recipient, :department, :service, :allocation, :period_start,
       s, s + interval '15 minutes', s, s + interval '15 minutes', 15, 1, 'staff', 'delivered'
FROM generate_series(:first, :last, interval '1 day') AS s
""")

PERIODS = text("""
INSERT INTO allocation_period (municipality_id, allocation_id, period_start, period_end, granted, used)
SELECT :municipality, :allocation, CAST(:monday AS date) - 7 * k, CAST(:monday AS date) - 7 * k + 6, 600, 15
FROM generate_series(1, 400) AS k
""")

# Other people's decisions and their periods, so that a decision's own periods are a few among many, as in a
# municipality: 60 decisions of 200 weekly periods each, around today.
OTHER_PERIODS = text("""
WITH gone AS (
    INSERT INTO allocation (id, municipality_id, recipient_id, department_id, service_id, minutes, period, valid_from,
                            valid_to)
    SELECT gen_random_uuid(), :municipality, :recipient, :department, :service, 600, 'week',
           CAST(:monday AS date) - 1000, NULL
      FROM generate_series(0, 59) AS k
    RETURNING id
)
INSERT INTO allocation_period (municipality_id, allocation_id, period_start, period_end, granted, used)
SELECT :municipality, gone.id, CAST(:monday AS date) - 7 * w, CAST(:monday AS date) - 7 * w + 6, 600, 15
  FROM gone CROSS JOIN generate_series(-10, 189) AS w
""")

MORE_CELLS = text("""
INSERT INTO capacity_cell (municipality_id, department_id, starts_at, ends_at, local_date, capacity, used)
SELECT :municipality, :department, s, s + interval '15 minutes', CAST(s AS date), 2, 0
FROM generate_series(TIMESTAMPTZ '2030-01-01 00:00+00', TIMESTAMPTZ '2030-07-28 07:45+00', interval '15 minutes') AS s
""")

_moment = partial(bindparam, type_=DateTime(timezone=True))
_READS = {"Seq Scan", "Index Scan", "Index Only Scan", "Bitmap Index Scan"}


def _nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [plan, *(node for child in plan.get("Plans", []) for node in _nodes(child))]


async def _scans(session: AsyncSession, statement: ClauseElement, values: dict[str, Any]) -> list[dict[str, Any]]:
    """The scan nodes of the statement's plan, with `values` written in as literals (as the driver would bind)."""
    sql = statement.params(values).compile(dialect=session.get_bind().dialect, compile_kwargs={"literal_binds": True})
    return await _driver_scans(session, str(sql))


async def _driver_scans(session: AsyncSession, sql: str, *args: object) -> list[dict[str, Any]]:
    """The scan nodes of the plan of `sql` (the driver's text, `$n` parameters) for the values `args`."""
    conn = await driver_of(session)
    await conn.execute("SET LOCAL enable_seqscan = off")  # tables this small would be read whole anyway
    value = await conn.fetchval(f"EXPLAIN (FORMAT JSON) {sql}", *args)
    (plan,) = json.loads(value) if isinstance(value, str) else value
    return [node for node in _nodes(plan["Plan"]) if node["Node Type"] in _READS]


async def _history(session: AsyncSession, settings: Settings) -> tuple[Department, uuid.UUID]:
    """d1 open, and a recipient with a visit a day for 3,000 days up to two days ago and 400 past weekly periods
    of their decision, analysed."""
    world = await build_world(session, settings)
    department = await open_department(session, world.departments["d1"])
    service = await service_of(session, department.id)
    recipient = world.people["recipient"]
    allocation = Allocation(municipality_id=department.municipality_id, recipient_id=recipient,
                            department_id=department.id, service_id=service.id, minutes=600, period="week",
                            valid_from=oslo_today() - timedelta(days=4000))  # fmt: skip
    session.add(allocation)
    await session.flush()
    now = utcnow()
    await session.execute(HISTORY, {
        "municipality": department.municipality_id, "recipient": recipient, "department": department.id,
        "service": service.id, "allocation": allocation.id, "period_start": oslo_today(),
        "first": now - timedelta(days=3000), "last": now - timedelta(days=2),
    })  # fmt: skip
    await session.execute(PERIODS, {"municipality": department.municipality_id, "allocation": allocation.id,
                                    "monday": oslo_today() - timedelta(days=oslo_today().weekday())})  # fmt: skip
    await session.execute(text("ANALYZE booking"))
    await session.execute(text("ANALYZE allocation"))
    await session.execute(text("ANALYZE allocation_period"))
    return department, recipient


async def test_own_visits_are_read_through_the_recipients_overlap_index(
    db_session: AsyncSession, settings: Settings
) -> None:
    department, recipient = await _history(db_session, settings)
    now = utcnow()

    scans = await _driver_scans(db_session, availability._OWN, department.municipality_id, recipient, now,
                                now + timedelta(days=15), uuid.UUID(int=0))  # fmt: skip

    assert [node.get("Index Name") for node in scans] == ["no_overlap_per_recipient"], scans
    (scan,) = scans
    assert "&&" in scan["Index Cond"], scan  # the span is an index condition, not a filter over all history


async def test_a_recipients_bookings_over_a_span_are_read_by_recipient_and_start(
    db_session: AsyncSession, settings: Settings
) -> None:
    _, recipient = await _history(db_session, settings)
    now = utcnow()
    # The shape of the booking list's, the feed's and the plan's statements: every status, a span of starts.
    listing = select(Booking.id).where(
        Booking.recipient_id == bindparam("recipient"), Booking.starts_at >= _moment("start"),
        Booking.starts_at < _moment("end"),
    )  # fmt: skip

    scans = await _scans(db_session, listing, {"recipient": recipient, "start": now, "end": now + timedelta(days=60)})

    (scan,) = scans
    assert scan.get("Index Name") == "ix_booking_recipient_time", scan
    assert "starts_at" in scan["Index Cond"], scan


async def test_free_times_read_the_cells_by_their_index_from_the_municipality_on(
    db_session: AsyncSession, settings: Settings
) -> None:
    world = await build_world(db_session, settings)
    department = await open_department(db_session, world.departments["d1"])
    other = await open_department(db_session, world.departments["d2"])
    # A municipality of many departments: 20,000 more cells of another department (later in the year).
    await db_session.execute(MORE_CELLS, {"municipality": other.municipality_id, "department": other.id})
    await db_session.execute(text("ANALYZE capacity_cell"))
    now = await db_session.scalar(select(func.min(CapacityCell.starts_at)))
    assert now is not None
    scans = await _driver_scans(db_session, availability._CELLS, department.municipality_id, department.id,
                                "Europe/Oslo", now, now + timedelta(days=15), None, None, 0)  # fmt: skip

    (scan,) = scans
    assert scan.get("Index Name") == "uq_capacity_cell_start", json.dumps(scans, indent=1)
    assert "municipality_id" in scan["Index Cond"], scan
    assert "department_id" in scan["Index Cond"], scan


async def test_free_times_read_the_decisions_periods_by_their_index_from_the_municipality_on(
    db_session: AsyncSession, settings: Settings
) -> None:
    department, recipient = await _history(db_session, settings)
    service = await service_of(db_session, department.id)
    world_other = await db_session.scalar(select(Allocation.recipient_id).where(Allocation.recipient_id != recipient))
    await db_session.execute(OTHER_PERIODS, {
        "municipality": department.municipality_id, "recipient": world_other, "department": department.id,
        "service": service.id, "monday": oslo_today() - timedelta(days=oslo_today().weekday()),
    })  # fmt: skip
    await db_session.execute(text("ANALYZE allocation"))
    await db_session.execute(text("ANALYZE allocation_period"))
    today = oslo_today()

    api = await _driver_scans(db_session, free_slots.CONTEXT, service.id, department.municipality_id, recipient,
                              recipient, utcnow(), None, None)  # fmt: skip
    orm = await _scans(db_session, availability._ALLOCATIONS, {
        "recipient": recipient, "service": service.id, "first": today, "last": today + timedelta(days=14),
        "since": today - timedelta(days=rules.LONGEST_PERIOD_DAYS),
    })  # fmt: skip

    for scans in (api, orm):
        # An index scan names its table; a bitmap index scan only its index.
        (scan,) = [
            node
            for node in scans
            if node.get("Relation Name") == "allocation_period"
            or node.get("Index Name", "").startswith(("uq_allocation_period", "ix_allocation_period"))
        ]
        assert scan.get("Index Name") == "uq_allocation_period_start", (scans is api, scan)
        assert "municipality_id" in scan["Index Cond"], scan
        assert "period_start" in scan["Index Cond"], scan  # from a month back, not the decision's whole past


async def test_the_grids_check_reads_the_cells_and_own_visits_through_their_indexes(
    db_session: AsyncSession, settings: Settings
) -> None:
    """`free_slots.CHECK` runs on every read of free times (the grid kept or not): it must stay flat as well."""
    department, recipient = await _history(db_session, settings)
    neighbour = select(Department.id).where(Department.municipality_id == department.municipality_id,
                                            Department.id != department.id)  # fmt: skip
    other = await open_department(db_session, (await db_session.scalars(neighbour)).first())
    await db_session.execute(MORE_CELLS, {"municipality": other.municipality_id, "department": other.id})
    await db_session.execute(text("ANALYZE capacity_cell"))
    now = utcnow()

    scans = await _driver_scans(db_session, free_slots.CHECK, department.municipality_id, department.id, "Europe/Oslo",
                                now, now + timedelta(days=15), recipient, uuid.UUID(int=0))  # fmt: skip

    by_index = {node.get("Index Name"): node for node in scans}
    assert set(by_index) == {"uq_capacity_cell_start", "no_overlap_per_recipient"}, json.dumps(scans, indent=1)
    assert "department_id" in by_index["uq_capacity_cell_start"]["Index Cond"]
    assert "&&" in by_index["no_overlap_per_recipient"]["Index Cond"]
