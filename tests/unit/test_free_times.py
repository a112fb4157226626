"""The fast free-times calculation equals the plain datetime version it replaced, DST Sundays included."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import example, given, settings
from hypothesis import strategies as st

from booking import rules
from booking.availability import BUSY, FREE, NO_HOURS, TOO_SOON, YOURS, LedgerCell, Slot, Visit, free_times

OSLO = ZoneInfo("Europe/Oslo")
SPRING_FORWARD = date(2027, 3, 28)  # 02:00 CET -> 03:00 CEST
FALL_BACK = date(2027, 10, 31)  # 03:00 CEST -> 02:00 CET
DAYS = 3


def _reference_status(
    *, start: datetime, minutes: int, visit: Visit, cells: Mapping[datetime, LedgerCell],
    own: Sequence[tuple[datetime, datetime]], minutes_left: int, grid: timedelta, soon: bool,
) -> str | None:  # fmt: skip
    span_start, span_end = rules.occupied(start, minutes, visit.buffer_before, visit.buffer_after)
    step = span_start - (span_start - rules.GRID_EPOCH) % grid
    full = False
    while step < span_end:
        cell = cells.get(step)
        if cell is None:
            return None
        full = full or cell.free_units < visit.staff_units
        step += grid
    end = start + timedelta(minutes=minutes)
    if any(s < end and e > start for s, e in own):
        return YOURS
    if minutes > minutes_left:
        return NO_HOURS
    if soon:
        return TOO_SOON
    return BUSY if full else FREE


def reference_free_times(
    *, cells: Sequence[LedgerCell], own: Sequence[tuple[datetime, datetime]], visit: Visit, policy: rules.Policy,
    minutes_left: Mapping[date, int], now: datetime,
) -> dict[date, list[Slot]]:  # fmt: skip
    """The datetime version `free_times` replaced: `start_problem` a start and one `_status` a start and length."""
    by_start = {cell.start: cell for cell in cells}
    grid = timedelta(minutes=policy.grid_minutes)
    days: dict[date, list[Slot]] = {}
    for cell in cells:
        local = cell.start.astimezone(policy.zone)
        left = minutes_left.get(local.date())
        if left is None:
            continue
        problem = rules.start_problem(cell.start, visit.durations[0], list(visit.durations), policy, now)
        soon = problem == "too_short_notice"
        if soon:  # shown as too soon, unless beyond the horizon too
            problem = rules.start_problem(cell.start, visit.durations[0], list(visit.durations),
                                          replace(policy, notice_hours=0), now)  # fmt: skip
        if problem is not None:
            continue
        statuses = {}
        for minutes in visit.durations:
            status = _reference_status(start=cell.start, minutes=minutes, visit=visit, cells=by_start, own=own,
                                       minutes_left=left, grid=grid, soon=soon)  # fmt: skip
            if status is not None:
                statuses[minutes] = status
        if statuses:
            days.setdefault(local.date(), []).append(Slot(local, statuses))
    return days


@st.composite
def scenes(draw: st.DrawFn, first: date | None = None) -> dict[str, object]:
    """Cells in runs on the UTC grid over three days, own bookings anywhere (seconds too), a random now."""
    zone = draw(st.sampled_from([OSLO, ZoneInfo("UTC"), ZoneInfo("Asia/Kolkata"), ZoneInfo("Australia/Lord_Howe")]))
    grid = draw(st.sampled_from([5, 10, 15, 30, 60]))
    first = first or draw(st.sampled_from([SPRING_FORWARD, FALL_BACK, date(2027, 6, 14)]))
    midnight = datetime.combine(first, time(0), tzinfo=zone).astimezone(UTC)
    origin = midnight - (midnight - rules.GRID_EPOCH) % timedelta(minutes=grid)  # cells align to the grid in UTC
    steps = DAYS * 24 * 60 // grid
    free: dict[int, int] = {}
    for index, length, units in draw(st.lists(st.tuples(st.integers(0, steps - 1), st.integers(1, 40),
                                                        st.integers(0, 3)), max_size=8)):  # fmt: skip
        free.update({i: max(0, units - (i % 3 == 0)) for i in range(index, min(steps, index + length))})
    cells = [LedgerCell(origin + timedelta(minutes=i * grid), origin + timedelta(minutes=(i + 1) * grid), units)
             for i, units in sorted(free.items())]  # fmt: skip
    # Own bookings near the cells on quarter hours (so they touch and overlap starts), or anywhere to the second.
    near = st.sampled_from([int((c.start - origin).total_seconds()) for c in cells] or [0])
    starts = st.builds(lambda at, q: at + q * 900, near, st.integers(-8, 8)) | st.integers(-3600, DAYS * 86400)
    lengths = st.integers(1, 16).map(lambda q: q * 900) | st.integers(1, 14400)
    spans = draw(st.lists(st.tuples(starts, lengths), max_size=5))
    own = [(origin + timedelta(seconds=s), origin + timedelta(seconds=s + length)) for s, length in spans]
    durations = tuple(sorted(draw(st.sets(st.sampled_from([15, 30, 45, 60, 90]), min_size=1, max_size=3))))
    visit = Visit(durations, draw(st.integers(1, 2)), draw(st.integers(0, 30)), draw(st.integers(0, 30)))
    policy = rules.Policy(zone=zone, grid_minutes=grid, horizon_days=draw(st.integers(0, DAYS)),
                          notice_hours=draw(st.integers(0, 30)), cancel_deadline_hours=24)  # fmt: skip
    days = [first + timedelta(days=n) for n in range(-1, DAYS + 1)]
    left = {day: draw(st.integers(0, 120)) for day in days if draw(st.booleans()) or day == first}
    now = origin + timedelta(seconds=draw(st.integers(-86400, DAYS * 86400)))
    return {"cells": cells, "own": own, "visit": visit, "policy": policy, "minutes_left": left, "now": now}


@settings(max_examples=300, deadline=None)
@given(scenes())
@example(
    {
        "cells": [LedgerCell(datetime(2027, 3, 28, 0, 0, tzinfo=UTC) + timedelta(minutes=15 * i),
                             datetime(2027, 3, 28, 0, 15, tzinfo=UTC) + timedelta(minutes=15 * i), i % 3)
                  for i in range(16)],
        "own": [(datetime(2027, 3, 28, 1, 7, 30, tzinfo=UTC), datetime(2027, 3, 28, 1, 22, 1, tzinfo=UTC))],
        "visit": Visit((15, 30), 1, 5, 0),
        "policy": rules.Policy(zone=OSLO, grid_minutes=15, horizon_days=2, notice_hours=0, cancel_deadline_hours=24),
        "minutes_left": {SPRING_FORWARD: 20},
        "now": datetime(2027, 3, 27, 12, tzinfo=UTC),
    }
)  # fmt: skip
def test_fast_free_times_equal_the_reference(scene: dict[str, object]) -> None:
    assert _as_read(free_times(**scene)) == _as_read(reference_free_times(**scene))  # type: ignore[arg-type]


def _as_read(days: Mapping[date, Sequence[Slot]]) -> dict[date, list[tuple[str, dict[int, str]]]]:
    """Each start as a client reads it: local wall-clock time and UTC offset.

    Compared as datetimes, a start in the hour a fall-back night repeats never equals the same instant
    in another tzinfo (PEP 495), though both say the same thing.
    """
    return {day: [(slot.start.isoformat(), slot.durations) for slot in slots] for day, slots in days.items()}


def test_a_spring_forward_sunday_has_its_hour_missing_not_shifted() -> None:
    first = datetime.combine(SPRING_FORWARD, time(0), tzinfo=OSLO).astimezone(UTC)  # UTC: no wall-clock sums
    cells = [LedgerCell(first + timedelta(minutes=30 * i), first + timedelta(minutes=30 * (i + 1)), 1)
             for i in range(10)]  # fmt: skip
    policy = rules.Policy(zone=OSLO, grid_minutes=30, horizon_days=5, notice_hours=0, cancel_deadline_hours=24)
    days = free_times(cells=cells, own=[], visit=Visit((30,), 1, 0, 0), policy=policy,
                      minutes_left={SPRING_FORWARD: 60}, now=first - timedelta(days=1))  # fmt: skip
    starts = [slot.start.strftime("%H:%M") for slot in days[SPRING_FORWARD]]
    assert starts[:6] == ["00:00", "00:30", "01:00", "01:30", "03:00", "03:30"]
    assert all(slot.durations == {30: FREE} for slot in days[SPRING_FORWARD])


def test_a_fall_back_sunday_offers_its_repeated_hour_twice_with_each_offset() -> None:
    first = datetime.combine(FALL_BACK, time(0), tzinfo=OSLO).astimezone(UTC)
    cells = [LedgerCell(first + timedelta(minutes=30 * i), first + timedelta(minutes=30 * (i + 1)), 1)
             for i in range(10)]  # fmt: skip
    policy = rules.Policy(zone=OSLO, grid_minutes=30, horizon_days=5, notice_hours=0, cancel_deadline_hours=24)
    days = free_times(cells=cells, own=[], visit=Visit((30,), 1, 0, 0), policy=policy,
                      minutes_left={FALL_BACK: 60}, now=first - timedelta(days=1))  # fmt: skip
    starts = [slot.start.isoformat()[11:] for slot in days[FALL_BACK]]
    assert starts[2:8] == ["01:00:00+02:00", "01:30:00+02:00", "02:00:00+02:00", "02:30:00+02:00",
                           "02:00:00+01:00", "02:30:00+01:00"]  # fmt: skip
