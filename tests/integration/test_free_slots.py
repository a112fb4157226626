"""The SQL function `free_slots` (the API's free times) equals `grid_free_times`, the Python calculation it mirrors.

Random scenes (tests/unit/test_free_times.py's: cells in runs on the UTC grid, own bookings anywhere, DST Sundays,
zones with half-hour offsets, any grid, notice and horizon) go through both; the answers must be the same JSON.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings

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
from booking.free_slots import ANY_LEFT, ANY_TIME, NEIGHBOURS, DayGrid, apply, day_grids, slots_json
from tests.conftest import Database
from tests.unit.test_free_times import scenes

FREE_SLOTS = (
    "SELECT start, wall, codes FROM free_slots($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
)


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


def via_grid(
    db: Database, *, cells: list[LedgerCell], own: list[tuple[datetime, datetime]], visit: Visit,
    policy: rules.Policy, minutes_left: Mapping[date, int], now: datetime,
) -> dict[int, Any]:  # fmt: skip
    """Each day's grid as `PLAIN` asks `free_slots` for it (no one's own, no time bounds), from the cells of the UTC
    days around its date only, then the recipient's parts put in by `apply`: as the API's availability does for every
    read but a move's, a day made again at a time."""
    grid = grid_cells_of(cells, policy)
    durations = tuple(sorted(visit.durations))
    limits = bounds(policy, now)
    days: dict[int, DayGrid] = {}
    for day in (day_number(d) for d in minutes_left if day_number(d) <= limits.last_day):
        near = range(day - NEIGHBOURS, day + NEIGHBOURS + 1)  # UTC days, as `PLAIN` reads them
        kept = [c for c in grid if c.start // (24 * 60) in near]
        rows = db.fetch(
            FREE_SLOTS, [c.start for c in kept], [c.local for c in kept], [c.free_units for c in kept], [], [],
            list(durations), visit.staff_units, visit.buffer_before, visit.buffer_after, policy.grid_minutes,
            -ANY_TIME, -ANY_TIME, ANY_TIME, list(near), [ANY_LEFT] * len(near),
        )  # fmt: skip
        plain = {"days": [], "signatures": [], "open_days": [], "starts": [r["start"] for r in rows],
                 "walls": [r["wall"] for r in rows], "codes": [r["codes"] for r in rows]}  # fmt: skip
        days |= day_grids(plain, durations, [day])
    left = {day_number(d): minutes for d, minutes in minutes_left.items()}
    found = apply(days, durations, own_minutes(own), left, limits)
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


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(scene=scenes())
def test_the_department_grid_with_the_recipients_parts_put_in_equals_free_slots(
    database: Database, scene: dict[str, Any]
) -> None:
    assert via_grid(database, **scene) == in_sql(database, **scene)
    # The same cells for a recipient with nothing booked and minutes to spare: most days are then the grid's as it is.
    light = scene | {"own": [], "minutes_left": dict.fromkeys(scene["minutes_left"], 600)}
    assert via_grid(database, **light) == in_sql(database, **light)


def _open_day(**change: Any) -> dict[str, Any]:
    """Two days open 08-16 in Oslo (one unit a quarter, one quarter full), seen at 07:00 on the first: a scene whose
    days the grid answers as they are unless `change` (own visits, minutes left, notice, now) touches them."""
    oslo = ZoneInfo("Europe/Oslo")
    day = date(2027, 6, 14)
    cells = [LedgerCell(at, at + timedelta(minutes=15), 0 if at.hour == 11 and at.minute == 0 else 1)
             for offset in range(2)
             for at in (datetime.combine(day + timedelta(days=offset), time(8), tzinfo=oslo) + timedelta(minutes=15 * i)
                        for i in range(32))]  # fmt: skip
    scene = {"cells": cells, "own": [], "visit": Visit((30, 60), 1, 0, 0),
             "policy": rules.Policy(oslo, 15, 14, 0, 24), "minutes_left": {day: 600, day + timedelta(days=1): 600},
             "now": datetime.combine(day, time(7), tzinfo=oslo)}  # fmt: skip
    return scene | change


@pytest.mark.parametrize(
    "scene",
    [
        pytest.param(_open_day(), id="untouched"),
        pytest.param(_open_day(policy=rules.Policy(ZoneInfo("Europe/Oslo"), 15, 14, 2, 24)), id="notice-into-the-day"),
        pytest.param(_open_day(now=datetime(2027, 6, 14, 9, 7, tzinfo=ZoneInfo("Europe/Oslo"))), id="day-begun"),
        pytest.param(_open_day(own=[(datetime(2027, 6, 15, 12, tzinfo=ZoneInfo("Europe/Oslo")),
                                     datetime(2027, 6, 15, 12, 30, tzinfo=ZoneInfo("Europe/Oslo")))]), id="own-visit"),
        pytest.param(_open_day(minutes_left={date(2027, 6, 14): 45, date(2027, 6, 15): 600}), id="minutes-short"),
        pytest.param(_open_day(policy=rules.Policy(ZoneInfo("Europe/Oslo"), 15, 0, 0, 24)), id="horizon-today"),
    ],
)  # fmt: skip
def test_each_of_the_recipients_parts_changes_the_grids_days(database: Database, scene: dict[str, Any]) -> None:
    """Hypothesis' scenes rarely leave a whole day untouched; these take each part alone onto one that is."""
    found = via_grid(database, **scene)
    assert found == in_sql(database, **scene)
    assert found  # something is offered: the comparison is not of two empty answers


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Etc/GMT+12"])  # UTC+14 and UTC-12
def test_days_far_from_utc_reach_cells_two_utc_days_off(database: Database, zone: str) -> None:
    """At UTC+14 a 12-hour buffer before reaches back into the UTC day two before the date's: a day's grid is made
    from the cells of the UTC days two either side (`NEIGHBOURS`), and with one it fails. UTC-12 is the other end."""
    here = ZoneInfo(zone)
    day = date(2027, 6, 14)
    begin = datetime.combine(day - timedelta(days=1), time(0), tzinfo=here)
    # Three local days open round the clock, one unit a quarter; two quarters full, each 13 hours from the day.
    full = {begin + timedelta(hours=11), datetime.combine(day + timedelta(days=1), time(13), tzinfo=here)}
    cells = [LedgerCell(at, at + timedelta(minutes=15), 0 if at in full else 1)
             for at in (begin + timedelta(minutes=15 * i) for i in range(3 * 96))]  # fmt: skip
    visit = Visit((30, 600), 1, 720, 0)  # within REACH_MINUTES, as the API keeps grids for
    scene: dict[str, Any] = {"cells": cells, "own": [], "visit": visit, "policy": rules.Policy(here, 15, 14, 0, 24),
             "minutes_left": {day: 2000}, "now": begin - timedelta(days=2)}  # fmt: skip
    found = via_grid(database, **scene)
    assert found == in_sql(database, **scene)
    assert found


def test_a_scene_with_nothing_open_has_no_days(database: Database) -> None:
    policy = rules.Policy(rules.GRID_EPOCH.tzinfo, 15, 14, 2, 24)  # type: ignore[arg-type]
    now = datetime(2027, 6, 14, 8, tzinfo=rules.GRID_EPOCH.tzinfo)
    scene = {"cells": [], "own": [], "visit": Visit((30,), 1, 0, 0), "policy": policy,
             "minutes_left": {date(2027, 6, 14): 60}, "now": now}  # fmt: skip
    assert in_sql(database, **scene) == {} == in_python(free_times(**scene))  # type: ignore[arg-type]
