"""Free times: where a visit of each allowed length would succeed now, and where others have booked.

`free_times` is pure (plain values in, plain values out); `load_free_times` reads what it needs: the
department's ledger cells, the recipient's own bookings and the allocation's periods. It never reads
other people's bookings, so it stays fast however busy the department is.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from booking import rules
from booking.tables import ACTIVE_STATUSES, Allocation, AllocationPeriod, Booking
from departments.tables import CapacityCell, Department, Service

FREE, BUSY, YOURS, NO_HOURS = "free", "busy", "yours", "no_hours"


@dataclass(frozen=True, slots=True)
class LedgerCell:
    """A cell as the calculation needs it."""

    start: datetime
    end: datetime
    free_units: int


@dataclass(frozen=True, slots=True)
class Slot:
    """A start time and, per allowed length, whether it can be booked: free, busy, yours or no_hours."""

    start: datetime
    durations: dict[int, str]


@dataclass(frozen=True, slots=True)
class Visit:
    """What is being booked."""

    durations: tuple[int, ...]
    staff_units: int
    buffer_before: int
    buffer_after: int


def _status(  # noqa: PLR0913 - the parts of one decision, keyword-only
    *, start: datetime, minutes: int, visit: Visit, cells: Mapping[datetime, LedgerCell],
    own: Sequence[tuple[datetime, datetime]], minutes_left: int, grid: timedelta,
) -> str | None:  # fmt: skip
    span_start, span_end = rules.occupied(start, minutes, visit.buffer_before, visit.buffer_after)
    step = span_start - (span_start - rules.GRID_EPOCH) % grid
    full = False
    while step < span_end:
        cell = cells.get(step)
        if cell is None:
            return None  # runs outside the opening hours: not offered at all
        full = full or cell.free_units < visit.staff_units
        step += grid
    end = start + timedelta(minutes=minutes)
    if any(s < end and e > start for s, e in own):
        return YOURS
    if full:
        return BUSY
    return FREE if minutes <= minutes_left else NO_HOURS


def free_times(  # noqa: PLR0913 - plain values in, keyword-only
    *, cells: Sequence[LedgerCell], own: Sequence[tuple[datetime, datetime]], visit: Visit, policy: rules.Policy,
    minutes_left: Mapping[date, int], now: datetime,
) -> dict[date, list[Slot]]:  # fmt: skip
    """Per local date, each grid start in the opening hours with the status of every allowed length.

    Args:
        cells: The department's ledger cells in the range.
        own: The recipient's active bookings, [start, end).
        visit: The service's lengths, staff units and buffers.
        policy: The department's grid, notice and horizon.
        minutes_left: Minutes left in the allocation period, keyed by each local date in the range
            (a date without an entry has no valid allocation).
        now: The current instant.

    """
    by_start = {cell.start: cell for cell in cells}
    grid = timedelta(minutes=policy.grid_minutes)
    allowed = list(visit.durations)
    days: dict[date, list[Slot]] = {}
    for cell in cells:
        local = cell.start.astimezone(policy.zone)
        left = minutes_left.get(local.date())
        if left is None:
            continue
        # Grid, notice and horizon depend on the start only: one check a start, not one a length.
        if rules.start_problem(cell.start, visit.durations[0], allowed, policy, now) is not None:
            continue
        statuses = {}
        for minutes in visit.durations:
            status = _status(start=cell.start, minutes=minutes, visit=visit, cells=by_start, own=own,
                             minutes_left=left, grid=grid)  # fmt: skip
            if status is not None:
                statuses[minutes] = status
        if statuses:
            days.setdefault(local.date(), []).append(Slot(local, statuses))
    return days


def _dates(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


async def _minutes_left(
    session: AsyncSession, recipient_id: uuid.UUID, service_id: uuid.UUID, first: date, last: date
) -> dict[date, int]:
    allocations = (
        await session.scalars(
            select(Allocation).where(
                Allocation.recipient_id == recipient_id, Allocation.service_id == service_id,
                Allocation.valid_from <= last, or_(Allocation.valid_to.is_(None), Allocation.valid_to >= first),
            )
        )
    ).all()  # fmt: skip
    used = {
        (allocation_id, start): value
        for allocation_id, start, value in (
            await session.execute(
                select(AllocationPeriod.allocation_id, AllocationPeriod.period_start, AllocationPeriod.used).where(
                    AllocationPeriod.allocation_id.in_([a.id for a in allocations])
                )
            )
        ).tuples()
    }
    left: dict[date, int] = {}
    for day in _dates(first, last):
        valid = [a for a in allocations if a.valid_from <= day and (a.valid_to is None or a.valid_to >= day)]
        if valid:
            allocation = max(valid, key=lambda a: a.valid_from)
            period = rules.period_of(allocation.period, allocation.period_anchor, day)
            left[day] = allocation.minutes - used.get((allocation.id, period.start), 0)
    return left


async def load_free_times(  # noqa: PLR0913 - keyword-only; each is needed
    session: AsyncSession, *, recipient_id: uuid.UUID, service: Service, department: Department, first: date,
    last: date, policy: rules.Policy, now: datetime,
) -> dict[date, list[Slot]]:  # fmt: skip
    """Free times for the recipient and service on the local dates [first, last]."""
    zone = policy.zone
    start = datetime.combine(first, time(0), tzinfo=zone) - timedelta(minutes=service.buffer_before)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=zone) + timedelta(minutes=24 * 60)
    cells = [
        LedgerCell(s, e, capacity - used)
        for s, e, capacity, used in (
            await session.execute(
                select(CapacityCell.starts_at, CapacityCell.ends_at, CapacityCell.capacity, CapacityCell.used)
                .where(CapacityCell.department_id == department.id, CapacityCell.starts_at >= start,
                       CapacityCell.starts_at < end, CapacityCell.capacity > 0)
                .order_by(CapacityCell.starts_at)
            )
        ).tuples()
    ]  # fmt: skip
    own = (
        await session.execute(
            select(Booking.starts_at, Booking.ends_at).where(
                Booking.recipient_id == recipient_id, Booking.status.in_(ACTIVE_STATUSES),
                Booking.ends_at > start, Booking.starts_at < end,
            )
        )
    ).tuples().all()  # fmt: skip
    visit = Visit(tuple(sorted(service.durations)), service.staff_units, service.buffer_before, service.buffer_after)
    left = await _minutes_left(session, recipient_id, service.id, first, last)
    days = free_times(cells=cells, own=list(own), visit=visit, policy=policy, minutes_left=left, now=now)
    return {day: slots for day, slots in days.items() if first <= day <= last}
