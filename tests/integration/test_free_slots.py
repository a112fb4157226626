"""The SQL function `free_slots` (the API's free times) equals `grid_free_times`, the Python calculation it mirrors.

Random scenes (tests/unit/test_free_times.py's: cells in runs on the UTC grid, own bookings anywhere, DST Sundays,
zones with half-hour offsets, any grid, notice and horizon) go through both; the answers must be the same JSON.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from typing import Any

import asyncpg
import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from sqlalchemy import make_url

from booking import rules
from booking.availability import (
    LedgerCell,
    Slot,
    Visit,
    bounds,
    day_number,
    free_times,
    grid_cells_of,
    own_minutes,
)
from booking.free_slots import slots_json
from core.settings import Settings
from tests.unit.test_free_times import scenes

FREE_SLOTS = (
    "SELECT start, wall, codes FROM free_slots($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
)


class Database:
    """One driver connection on an event loop of its own, for a test that hypothesis calls again and again."""

    def __init__(self, url: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.conn: asyncpg.Connection = self.loop.run_until_complete(asyncpg.connect(url))

    def fetch(self, query: str, *args: Any) -> list[asyncpg.Record]:
        return self.loop.run_until_complete(self.conn.fetch(query, *args))

    def close(self) -> None:
        self.loop.run_until_complete(self.conn.close())
        self.loop.close()


@pytest.fixture(scope="module")
def database(settings: Settings) -> Iterator[Database]:
    assert settings.database_url is not None
    url = make_url(settings.database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    found = Database(url)
    yield found
    found.close()


def in_sql(
    db: Database, *, cells: list[LedgerCell], own: list[tuple[datetime, datetime]], visit: Visit,
    policy: rules.Policy, minutes_left: Mapping[date, int], now: datetime,
) -> dict[int, Any]:  # fmt: skip
    """`free_slots` on the scene, converted and written out as the API does: each day's starts as JSON."""
    grid = grid_cells_of(cells, policy)
    spans = own_minutes(own)
    days = sorted(minutes_left)
    rows = db.fetch(
        FREE_SLOTS, [c.start for c in grid], [c.local for c in grid], [c.free_units for c in grid],
        [s for s, _ in spans], [e for _, e in spans], sorted(visit.durations), visit.staff_units,
        visit.buffer_before, visit.buffer_after, policy.grid_minutes, *bounds(policy, now),
        [day_number(d) for d in days], [minutes_left[d] for d in days],
    )  # fmt: skip
    found = slots_json([r["start"] for r in rows], [r["wall"] for r in rows], [r["codes"] for r in rows],
                       sorted(visit.durations))  # fmt: skip
    return {day: json.loads(slots) for day, slots in found.items()}


def in_python(days: Mapping[date, list[Slot]]) -> dict[int, Any]:
    """`grid_free_times`' answer as the API used to encode it (`SlotRead`: start, then each length and status)."""
    return {
        day_number(day): [
            {"start": json.loads(msgspec.json.encode(slot.start)),
             "lengths": [{"minutes": m, "status": s} for m, s in slot.durations.items()]}
            for slot in slots
        ]
        for day, slots in days.items()
    }  # fmt: skip


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(scene=scenes())
def test_free_slots_in_sql_equal_grid_free_times(database: Database, scene: dict[str, Any]) -> None:
    assert in_sql(database, **scene) == in_python(free_times(**scene))


def test_a_scene_with_nothing_open_has_no_days(database: Database) -> None:
    policy = rules.Policy(rules.GRID_EPOCH.tzinfo, 15, 14, 2, 24)  # type: ignore[arg-type]
    now = datetime(2027, 6, 14, 8, tzinfo=rules.GRID_EPOCH.tzinfo)
    scene = {"cells": [], "own": [], "visit": Visit((30,), 1, 0, 0), "policy": policy,
             "minutes_left": {date(2027, 6, 14): 60}, "now": now}  # fmt: skip
    assert in_sql(database, **scene) == {} == in_python(free_times(**scene))  # type: ignore[arg-type]
