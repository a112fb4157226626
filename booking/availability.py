"""Free times: where a visit of each allowed length would succeed now, and where others have booked.

`free_times` is pure (plain values in, plain values out); `load_free_times` reads what it needs: the
department's ledger cells, the recipient's own bookings and the allocation's periods. It never reads
other people's bookings, so it stays fast however busy the department is. For a move, the booking being moved
is given back first (its staff, its minutes, its time), as `move_visit` does before it takes the new time.
"""

from __future__ import annotations

import uuid
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, NamedTuple, Protocol

from sqlalchemy import (
    bindparam,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from booking import rules
from booking.tables import ACTIVE_STATUSES, Allocation, AllocationPeriod, Booking
from core.db import driver_of
from core.errors import NotFoundError
from departments.tables import Department, Service

FREE, BUSY, YOURS, NO_HOURS, TOO_SOON = "free", "busy", "yours", "no_hours", "too_soon"


@dataclass(frozen=True, slots=True)
class LedgerCell:
    """A cell as the calculation needs it."""

    start: datetime
    end: datetime
    free_units: int


class GridCell(NamedTuple):
    """A cell in whole minutes from `rules.GRID_EPOCH`: its start as an instant and as local wall-clock time.

    `local - start` is the zone's UTC offset then, in minutes (`local` is None when the local time is not a
    whole minute: such a cell is no start); `free_units` are the staff units not yet taken.
    """

    start: int
    local: int | None
    free_units: int


class Slot(NamedTuple):
    """A start time and, per allowed length, whether it can be booked: free, busy, yours, no_hours or too_soon.

    Named tuples, like `GridCell`: an answer makes hundreds of each, and a tuple is made several times faster
    than a frozen dataclass (which sets each field through `object.__setattr__`).
    """

    start: datetime
    durations: dict[int, str]


@dataclass(frozen=True, slots=True)
class Visit:
    """What is being booked."""

    durations: tuple[int, ...]
    staff_units: int
    buffer_before: int
    buffer_after: int


MINUTE = timedelta(minutes=1)


def _minutes(moment: datetime) -> int:
    """Whole minutes from the grid's epoch, rounded down."""
    return (moment - rules.GRID_EPOCH) // MINUTE


def _minutes_up(moment: datetime) -> int:
    """Whole minutes from the grid's epoch, rounded up."""
    return -((rules.GRID_EPOCH - moment) // MINUTE)


@dataclass(frozen=True, slots=True)
class _Own:
    """The recipient's bookings in whole minutes from the epoch, by start, with the latest end so far.

    Exact for any datetimes: starts are rounded down and ends up, and the times compared with them are
    whole minutes (`s < E` holds for a whole E exactly when `floor(s) < E`, and `e > S` when `ceil(e) > S`).
    """

    starts: list[int]
    latest_end: list[int]  # latest_end[i]: the latest end among the first i + 1 bookings by start

    @classmethod
    def of(cls, own: Sequence[tuple[int, int]]) -> _Own:
        """From [start, end) spans in whole minutes, starts rounded down and ends up."""
        spans = sorted(own)
        latest, ends = -(2**62), []
        for _, end in spans:
            latest = max(latest, end)
            ends.append(latest)
        return cls([start for start, _ in spans], ends)

    def overlaps(self, start: int, end: int) -> bool:
        """Whether a booking overlaps [start, end)."""
        before = bisect_left(self.starts, end)
        return before > 0 and self.latest_end[before - 1] > start


@dataclass(frozen=True, slots=True)
class _Runs:
    """The department's grid steps (cells starting on the grid), for answering "open and not full?" in O(1).

    `position[m]` is the step starting at minute m in the sorted list of steps; `run_end[i]` the end of the
    unbroken run of open steps holding step i; `full_before[i]` how many of the first i steps are full.
    """

    position: dict[int, int]
    run_end: list[int]
    full_before: list[int]

    @classmethod
    def of(cls, free: Mapping[int, int], grid: int, units: int) -> _Runs:
        """From each cell's free units by start minute; a step is full when fewer than `units` are free."""
        starts = sorted(m for m in free if m % grid == 0)
        run_end = [0] * len(starts)
        end = None
        for i in range(len(starts) - 1, -1, -1):  # from the back, so each step knows where its run ends
            if end is None or starts[i] + grid != starts[i + 1]:
                end = starts[i] + grid
            run_end[i] = end
        full_before = [0]
        for start in starts:
            full_before.append(full_before[-1] + (free[start] < units))
        return cls({start: i for i, start in enumerate(starts)}, run_end, full_before)

    def room(self, span_start: int, span_end: int, grid: int) -> bool | None:
        """Whether every step [span_start, span_end) touches has room; None when one is closed."""
        first = span_start - span_start % grid
        i = self.position.get(first)
        steps = -((first - span_end) // grid)
        if i is None or self.run_end[i] < first + steps * grid:
            return None  # runs outside the opening hours: not offered at all
        return self.full_before[i + steps] == self.full_before[i]


def _status(  # noqa: PLR0913 - the parts of one decision, keyword-only
    *, start: int, minutes: int, visit: Visit, runs: _Runs, own: _Own, minutes_left: int, grid: int, soon: bool
) -> str | None:
    """The status of one length at one start, all in whole minutes; None when it runs outside the opening hours.

    The reason that lasts comes first: a visit of yours then; too few minutes left in the decision's period (true
    of every start in it, whoever else books); inside the notice; taken by others.
    """
    room = runs.room(start - visit.buffer_before, start + minutes + visit.buffer_after, grid)
    if room is None:
        return None
    if own.overlaps(start, start + minutes):
        return YOURS
    if minutes > minutes_left:
        return NO_HOURS
    if soon:
        return TOO_SOON
    return FREE if room else BUSY


def free_times(  # noqa: PLR0913 - plain values in, keyword-only
    *, cells: Sequence[LedgerCell], own: Sequence[tuple[datetime, datetime]], visit: Visit, policy: rules.Policy,
    minutes_left: Mapping[date, int], now: datetime,
) -> dict[date, list[Slot]]:  # fmt: skip
    """Per local date, each grid start in the opening hours with the status of every allowed length.

    Starts already begun are left out; those inside the notice (`policy.notice_hours`) are `too_soon`.

    Converts to whole minutes and calls `grid_free_times` (cells that do not start on a whole minute can be
    neither a start nor a step of the grid, so they are left out); `tests/unit/test_free_times.py` holds the
    result equal to the plain datetime version.

    Args:
        cells: The department's ledger cells in the range.
        own: The recipient's active bookings, [start, end).
        visit: The service's lengths, staff units and buffers.
        policy: The department's grid, notice and horizon.
        minutes_left: Minutes left in the allocation period, keyed by each local date in the range
            (a date without an entry has no valid allocation).
        now: The current instant.

    """
    return grid_free_times(cells=grid_cells_of(cells, policy), own=own_minutes(own), visit=visit, policy=policy,
                           minutes_left=minutes_left, now=now)  # fmt: skip


def grid_cells_of(cells: Sequence[LedgerCell], policy: rules.Policy) -> list[GridCell]:
    """The cells in whole minutes, as the database hands them over (`_CELLS`); those not on a whole minute left out."""
    grid_cells = []
    for cell in cells:
        if (cell.start - rules.GRID_EPOCH) % MINUTE:
            continue
        local = cell.start.astimezone(policy.zone)
        wall = None if local.second or local.microsecond else (local.replace(tzinfo=None) - _EPOCH_WALL) // MINUTE
        grid_cells.append(GridCell(_minutes(cell.start), wall, cell.free_units))
    return grid_cells


def own_minutes(own: Sequence[tuple[datetime, datetime]]) -> list[tuple[int, int]]:
    """Own bookings' [start, end) in whole minutes, starts rounded down and ends up (as `_OWN` reads them)."""
    return [(_minutes(start), _minutes_up(end)) for start, end in own]


class Bounds(NamedTuple):
    """`now` in whole minutes for the grid.

    Starts before `past` have passed, before `earliest` are too soon; no start is offered on a day (days from the
    epoch) after `last_day`, the horizon's.
    """

    past: int
    earliest: int
    last_day: int


def bounds(policy: rules.Policy, now: datetime) -> Bounds:
    """`start_problem` in whole minutes: the past, the notice and the horizon as of `now`."""
    past, earliest = _minutes_up(now), _minutes_up(max(now, now + timedelta(hours=policy.notice_hours)))
    last_day = (now.astimezone(policy.zone).date() + timedelta(days=policy.horizon_days)).toordinal() - _EPOCH_ORDINAL
    return Bounds(past, earliest, last_day)


def day_number(day: date) -> int:
    """A date as days from the grid's epoch (the local wall-clock minute of its midnight, divided by a day's)."""
    return day.toordinal() - _EPOCH_ORDINAL


_EPOCH_WALL = rules.GRID_EPOCH.replace(tzinfo=None)  # local wall-clock minutes count from the same midnight
_EPOCH_ORDINAL = rules.GRID_EPOCH.date().toordinal()
_DAY = 24 * 60
_INTO_DAY = [timedelta(minutes=minute) for minute in range(_DAY)]  # made once, not once a start


def grid_free_times(  # noqa: PLR0913 - plain values in, keyword-only
    *, cells: Sequence[GridCell], own: Sequence[tuple[int, int]], visit: Visit, policy: rules.Policy,
    minutes_left: Mapping[date, int], now: datetime,
) -> dict[date, list[Slot]]:  # fmt: skip
    """`free_times` on whole minutes from `rules.GRID_EPOCH`, as the database hands them over.

    The zone's arithmetic is done once, before: each cell carries its local wall-clock minute (None when
    that is not a whole minute: then it is no start), so a date is a division and an offset a subtraction.
    This runs several times faster than datetime arithmetic, and is what every free-times answer costs.

    Args:
        cells: The department's ledger cells in the range, whole-minute starts only.
        own: The recipient's active bookings as [start, end) in minutes, starts rounded down and ends up.
        visit: The service's lengths, staff units and buffers.
        policy: The department's grid, notice and horizon.
        minutes_left: Minutes left in the allocation period, keyed by local date.
        now: The current instant.

    """
    grid = policy.grid_minutes
    runs, mine = _Runs.of({cell.start: cell.free_units for cell in cells}, grid, visit.staff_units), _Own.of(own)
    # `start_problem`: a start before now has passed (left out), one before the notice is too soon (shown, with why).
    past, earliest, last_day = bounds(policy, now)
    dates: dict[int, date] = {}
    midnights: dict[tuple[int, int], datetime] = {}
    days: dict[date, list[Slot]] = {}
    for cell in cells:
        if cell.local is None or cell.start < past:
            continue
        day_number, minute_of_day = divmod(cell.local, _DAY)
        if day_number > last_day or minute_of_day % grid:
            continue
        day = dates.get(day_number)
        if day is None:
            day = dates[day_number] = date.fromordinal(_EPOCH_ORDINAL + day_number)
        left = minutes_left.get(day)
        if left is None:
            continue
        statuses = {}
        soon = cell.start < earliest
        for minutes in visit.durations:
            status = _status(start=cell.start, minutes=minutes, visit=visit, runs=runs, own=mine, minutes_left=left,
                             grid=grid, soon=soon)  # fmt: skip
            if status is not None:
                statuses[minutes] = status
        if statuses:
            offset = cell.local - cell.start
            midnight = midnights.get((day_number, offset))
            if midnight is None:  # the day's midnight with the offset the start has (a fixed offset: exact)
                zone = timezone(timedelta(minutes=offset))
                midnight = midnights[day_number, offset] = (_EPOCH_WALL + timedelta(days=day_number)).replace(
                    tzinfo=zone
                )
            days.setdefault(day, []).append(Slot(midnight + _INTO_DAY[minute_of_day], statuses))
    return days


def _dates(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


# Cells and own bookings come as whole minutes from the epoch (`rules.GRID_EPOCH`, spelt out below), worked out by
# PostgreSQL: turning 500 timestamps into datetimes and back into minutes in Python cost more than the free-times
# calculation itself. Written once, as text with named places for the parameters (`str.format`): `load_free_times`
# runs them on its session's driver connection, and `booking.free_slots.FREE` holds them as CTEs beside the
# calculation done in PostgreSQL.
# The cells in double precision (`date_part`), cheaper for PostgreSQL than numeric `extract` and exact here:
# whole seconds this side of 2^53 are whole floats, and a fraction of a second never divides to a whole minute
# (a float's step near 10^9 s is 10^-7 s). The cells of the span given back (a move's old time; none: NULL) count
# its staff units as free again. A cell not on a whole local minute has no wall (no start); one not on a whole UTC
# minute is left out.
CELLS = """
SELECT CAST(m.utc AS bigint) AS start, CASE WHEN m.wall = floor(m.wall) THEN CAST(m.wall AS bigint) END AS wall,
       m.free
  FROM (SELECT starts_at, date_part('epoch', starts_at - TIMESTAMPTZ '2000-01-03 00:00:00+00') / 60 AS utc,
               date_part('epoch', timezone({zone}, starts_at) - TIMESTAMP '2000-01-03 00:00:00') / 60 AS wall,
               capacity - used + CASE WHEN starts_at < {back_end} AND ends_at > {back_start} THEN {back_units} ELSE 0
                                 END AS free
          FROM capacity_cell
         WHERE municipality_id = {municipality} AND department_id = {department} AND starts_at >= {start}
           AND starts_at < {end} AND capacity > 0) AS m
 WHERE m.utc = floor(m.utc)"""
# The recipient's active visits over the span, but the one being moved, starts rounded down and ends up. Written
# against the GiST index of the exclusion constraint no_overlap_per_recipient (the same columns, operator and
# predicate), so it reads only the visits near the span, however long the recipient's history (through the btree
# on recipient_id alone it read all of it: 25 ms for 4,400 past visits).
OWN = """
SELECT CAST(floor(extract(epoch FROM b.starts_at - TIMESTAMPTZ '2000-01-03 00:00:00+00') / 60) AS bigint) AS s,
       CAST(ceil(extract(epoch FROM b.ends_at - TIMESTAMPTZ '2000-01-03 00:00:00+00') / 60) AS bigint) AS e
  FROM booking b
 WHERE b.municipality_id = {municipality} AND b.recipient_id = {recipient} AND b.status IN ({active})
   AND tstzrange(b.starts_at, b.ends_at) && tstzrange({start}, {end}) AND b.id <> {moving}""".replace(
    "{active}", ", ".join(f"'{status}'" for status in ACTIVE_STATUSES)
)
_CELLS = CELLS.format(municipality="$1", department="$2", zone="$3", start="$4", end="$5", back_start="$6",
                      back_end="$7", back_units="$8") + "\n ORDER BY start"  # fmt: skip
_OWN = OWN.format(municipality="$1", recipient="$2", start="$3", end="$4", moving="$5")
_NOT_MOVING = uuid.UUID(int=0)
# Every decision of the recipient on the service still valid on `first`, later ones too (they say when new minutes
# begin), each with the minutes used in its periods that overlap the dates asked for.
_ALLOCATIONS = (
    select(Allocation.id, Allocation.minutes, Allocation.period, Allocation.period_anchor, Allocation.valid_from,
           Allocation.valid_to, AllocationPeriod.period_start, AllocationPeriod.used)
    .outerjoin(AllocationPeriod, (AllocationPeriod.municipality_id == Allocation.municipality_id)
               & (AllocationPeriod.allocation_id == Allocation.id)
               & (AllocationPeriod.period_start > bindparam("since"))
               & (AllocationPeriod.period_end >= bindparam("first"))
               & (AllocationPeriod.period_start <= bindparam("last")))
    .where(Allocation.recipient_id == bindparam("recipient"), Allocation.service_id == bindparam("service"),
           or_(Allocation.valid_to.is_(None), Allocation.valid_to >= bindparam("first")))
)  # fmt: skip


class Allowance(NamedTuple):
    """What the recipient's decision gives on a date: the minutes left in that date's period, and when new come.

    `renews` is the first later date counted in another period (the next period, or another decision), None when
    no decision is valid after (`rules.renewal`).
    """

    left: int
    period: str
    period_start: date
    period_end: date
    renews: date | None


class Given(Protocol):
    """What a booking being moved gives back to its decision's period (the ORM's `Booking`, or the driver's row)."""

    @property
    def allocation_id(self) -> uuid.UUID: ...  # noqa: D102 - as the class says
    @property
    def period_start(self) -> date: ...  # noqa: D102
    @property
    def minutes(self) -> int: ...  # noqa: D102
    @property
    def minutes_returned(self) -> bool: ...  # noqa: D102


def allowances_of(
    rows: Iterable[Sequence[Any]], first: date, last: date, *, moving: Given | None = None
) -> dict[date, Allowance]:
    """The allowance on each date of [first, last] (a date without a valid decision has none).

    `rows` as `_ALLOCATIONS` selects them: (id, minutes, period, anchor, valid_from, valid_to, period_start, used), a
    row a decision and period of it (period_start and used NULL for a decision none of whose periods is charged).
    The minutes of a booking being moved count as left in its period.
    """
    grants: dict[uuid.UUID, rules.Grant] = {}
    minutes: dict[uuid.UUID, int] = {}
    used: dict[tuple[uuid.UUID, date], int] = {}
    for allocation_id, granted, kind, anchor, valid_from, valid_to, period_start, period_used in rows:
        grants[allocation_id] = rules.Grant(allocation_id, kind, anchor, valid_from, valid_to)
        minutes[allocation_id] = granted
        if period_start is not None:
            used[allocation_id, period_start] = period_used
    if moving is not None and not moving.minutes_returned and (moving.allocation_id, moving.period_start) in used:
        used[moving.allocation_id, moving.period_start] -= moving.minutes
    decisions = list(grants.values())
    found: dict[tuple[rules.Grant, rules.Period], Allowance] = {}  # a period's dates share one
    allowances: dict[date, Allowance] = {}
    for day in _dates(first, last):
        counting = rules.counting_on(decisions, day)
        if counting is None:
            continue
        allowance = found.get(counting)
        if allowance is None:
            grant, period = counting
            left = minutes[grant.id] - used.get((grant.id, period.start), 0)
            renews = rules.renewal(decisions, day)
            allowance = found[counting] = Allowance(left, grant.period, period.start, period.end, renews)
        allowances[day] = allowance
    return allowances


async def _allowances(  # noqa: PLR0913 - the recipient's decision on a service over dates; each is needed
    session: AsyncSession,
    recipient_id: uuid.UUID,
    service_id: uuid.UUID,
    first: date,
    last: date,
    *,
    moving: Booking | None = None,
) -> dict[date, Allowance]:
    """`allowances_of` the recipient's decisions on the service, read in one query."""
    since = first - timedelta(days=rules.LONGEST_PERIOD_DAYS)
    params = {"recipient": recipient_id, "service": service_id, "first": first, "last": last, "since": since}
    rows = (await session.execute(_ALLOCATIONS, params)).tuples().all()
    return allowances_of(rows, first, last, moving=moving)


def open_dates(cells: Sequence[GridCell]) -> set[date]:
    """The local dates on which some cell starts: the department has staff on duty some time that day."""
    return {date.fromordinal(_EPOCH_ORDINAL + day) for day in {c.local // _DAY for c in cells if c.local is not None}}


@dataclass(frozen=True, slots=True)
class FreeDay:
    """One date with a valid decision: whether the department is closed, the allowance, and its starts."""

    day: date
    closed: bool
    allowance: Allowance
    slots: list[Slot]


_NOTHING_BACK = {"back_start": None, "back_end": None, "back_units": 0}


async def _grid_cells(
    session: AsyncSession, department: Department, zone: str, span: dict[str, datetime], back: dict[str, Any]
) -> list[GridCell]:
    conn = await driver_of(session)
    rows = await conn.fetch(_CELLS, department.municipality_id, department.id, zone, span["start"], span["end"],
                            back["back_start"], back["back_end"], back["back_units"])  # fmt: skip
    return list(map(GridCell._make, rows))


def _cell_span(service: Service, policy: rules.Policy, first: date, last: date) -> dict[str, datetime]:
    """From the grid step holding the first start's buffer (a cell starting before it can cover it)."""
    lead = service.buffer_before + policy.grid_minutes
    start = datetime.combine(first, time(0), tzinfo=policy.zone) - timedelta(minutes=lead)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=policy.zone) + timedelta(minutes=24 * 60)
    return {"start": start, "end": end}


async def load_service_free_times(  # noqa: PLR0913 - keyword-only; each is needed
    session: AsyncSession, *, service: Service, department: Department, first: date, last: date,
    policy: rules.Policy, now: datetime,
) -> dict[date, list[Slot]]:  # fmt: skip
    """Free times of a service for nobody in particular, per local date of [first, last] the department is open.

    The same calculation as `load_free_times`, with no recipient: no own bookings and no decision to count
    against, so a length is `free`, `busy` (the department's staff are taken) or `too_soon` (inside the notice).
    What one recipient can book is `load_free_times`'s answer.
    """
    cells = await _grid_cells(session, department, policy.zone.key, _cell_span(service, policy, first, last),
                              _NOTHING_BACK)  # fmt: skip
    visit = Visit(tuple(sorted(service.durations)), service.staff_units, service.buffer_before, service.buffer_after)
    unlimited = dict.fromkeys(_dates(first, last), max(visit.durations, default=0))
    return grid_free_times(cells=cells, own=[], visit=visit, policy=policy, minutes_left=unlimited, now=now)


async def load_free_times(  # noqa: PLR0913 - keyword-only; each is needed
    session: AsyncSession, *, recipient_id: uuid.UUID, service: Service, department: Department, first: date,
    last: date, policy: rules.Policy, now: datetime, moving: uuid.UUID | None = None,
) -> list[FreeDay]:  # fmt: skip
    """Free times for the recipient and service on each local date of [first, last] with a valid decision.

    `moving`: a booked visit of theirs on the service being moved, given back first (its time is no longer theirs,
    its staff and minutes are free); `NotFoundError` when it is not one.
    """
    moved = await session.get(Booking, moving) if moving is not None else None
    if moving is not None and (
        moved is None or (moved.recipient_id, moved.service_id, moved.status) != (recipient_id, service.id, "booked")
    ):
        raise NotFoundError(booking_id=str(moving))
    zone = policy.zone
    span = _cell_span(service, policy, first, last)
    back = (
        {"back_start": moved.span_start, "back_end": moved.span_end, "back_units": moved.staff_units}
        if moved is not None
        else _NOTHING_BACK
    )
    cells = await _grid_cells(session, department, zone.key, span, back)
    not_this = moved.id if moved is not None else _NOT_MOVING
    own = await (await driver_of(session)).fetch(_OWN, department.municipality_id, recipient_id, span["start"],
                                                 span["end"], not_this)  # fmt: skip
    visit = Visit(tuple(sorted(service.durations)), service.staff_units, service.buffer_before, service.buffer_after)
    allowances = await _allowances(session, recipient_id, service.id, first, last, moving=moved)
    left = {day: allowance.left for day, allowance in allowances.items()}
    days = grid_free_times(cells=cells, own=own, visit=visit, policy=policy, minutes_left=left, now=now)
    opened = open_dates(cells)
    return [
        FreeDay(day, day not in opened, allowance, days.get(day, [])) for day, allowance in sorted(allowances.items())
    ]
