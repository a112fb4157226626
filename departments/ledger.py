"""The capacity ledger: a department's timeline as `capacity_cell` rows, never losing booked capacity."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import column, delete, or_, select, table, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import DomainError
from departments.rules import Cell, DateException, WeeklyRule, Window, capacity_timeline, norwegian_holidays
from departments.tables import CapacityCell, Department, HolidayOpening, OpeningException, OpeningRule

LOCK_TIMEOUT = "5s"  # an administrator's change waits this long for bookings in flight, then gives up


class CapacityConflictError(DomainError):
    """The change would leave cells with more staff booked than on duty; `cells` lists them."""

    code = "capacity_conflict"


@dataclass(frozen=True)
class Materialized:
    """What a materialisation did."""

    first: date
    last: date
    cells: int
    removed: int


def horizon(department: Department, now: datetime) -> tuple[date, date]:
    """The local dates the ledger keeps: today through the horizon's last day."""
    today = now.astimezone(ZoneInfo(department.timezone)).date()
    return today, today + timedelta(days=department.horizon_days)


def _clock(minute: int) -> time:
    return time(0, 0) if minute == 1440 else time(minute // 60, minute % 60)  # noqa: PLR2004 - 24:00


def _window(stored: dict[str, int]) -> Window:
    return Window(_clock(stored["start_minute"]), _clock(stored["end_minute"]), stored["staff"])


async def _opening_data(
    session: AsyncSession, department: Department, first: date, last: date
) -> tuple[list[WeeklyRule], list[DateException], frozenset[date]]:
    where = {"department_id": department.id, "municipality_id": department.municipality_id}
    rules = (await session.scalars(select(OpeningRule).filter_by(**where))).all()
    in_range = OpeningException.day.between(first, last)
    exceptions = (await session.scalars(select(OpeningException).filter_by(**where).where(in_range))).all()
    opted_in = HolidayOpening.day.between(first, last)
    openings = (await session.scalars(select(HolidayOpening.day).filter_by(**where).where(opted_in))).all()
    weekly = [
        WeeklyRule(r.weekday, _clock(r.start_minute), _clock(r.end_minute), r.staff, r.valid_from, r.valid_to)
        for r in rules
    ]
    dated = [DateException(e.day, e.closed, tuple(_window(w) for w in e.windows)) for e in exceptions]
    return weekly, dated, frozenset(openings)


async def department_timeline(session: AsyncSession, department: Department, first: date, last: date) -> list[Cell]:
    """The department's capacity timeline for the local dates [first, last], from its rules as stored."""
    weekly, dated, openings = await _opening_data(session, department, first, last)
    return capacity_timeline(
        weekly,
        dated,
        zone=ZoneInfo(department.timezone),
        grid_minutes=department.grid_minutes,
        first=first,
        last=last,
        holidays=norwegian_holidays(first, last),
        open_on_holidays=openings,
    )


def _bounds(department: Department, first: date, last: date) -> tuple[datetime, datetime]:
    zone = ZoneInfo(department.timezone)
    start = datetime.combine(first, time(0), tzinfo=zone)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=zone)
    return start, end


async def rematerialize(
    session: AsyncSession, department: Department, *, now: datetime, first: date | None = None
) -> Materialized:
    """Bring the ledger rows for today..horizon in line with the department's rules (caller's transaction).

    Idempotent. Cells nobody has booked are added, changed or removed freely; a cell whose `used` would
    exceed its new capacity (or that would disappear) refuses the whole change.

    Raises:
        CapacityConflictError: booked capacity would be lost; nothing is changed.

    """
    today, last = horizon(department, now)
    first = max(first or today, today)
    desired = {cell.start: cell for cell in await department_timeline(session, department, first, last)}
    start, end = _bounds(department, first, last)
    await session.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
    existing = (
        (
            await session.execute(
                select(CapacityCell.id, CapacityCell.starts_at, CapacityCell.ends_at, CapacityCell.used)
                .where(
                    CapacityCell.department_id == department.id,
                    CapacityCell.municipality_id == department.municipality_id,
                    CapacityCell.starts_at >= start,
                    CapacityCell.starts_at < end,
                )
                .order_by(CapacityCell.id)
                .with_for_update()
            )
        )
        .tuples()
        .all()
    )
    # A visit that has begun can no longer be moved or cancelled, so it never blocks a change (closing the rest of
    # today when staff call in sick): the cells it holds keep room for it, and otherwise follow the new rules.
    begun = await _begun_units(session, department, now, existing)
    lost = _lost_capacity(existing, desired, begun)
    if lost:
        held = await _bookings_in(session, department, [(c[1], c[2]) for c in existing if c[1] in lost])
        in_the_way = [b for b in held if datetime.fromisoformat(b["starts_at"]) > now]
        raise CapacityConflictError(cells=list(lost.values()), bookings=in_the_way)
    stale = [
        cell_id for cell_id, starts_at, ends_at, _ in existing
        if starts_at not in begun and _replaced(desired, starts_at, ends_at)
    ]  # fmt: skip
    if stale:
        await session.execute(delete(CapacityCell).where(CapacityCell.id.in_(stale)))
    await _upsert(session, department, [cell for start, cell in desired.items() if start not in begun])
    for cell_id, starts_at, ends_at, used in existing:
        if starts_at in begun:
            await session.execute(
                update(CapacityCell)
                .where(CapacityCell.id == cell_id)
                .values(capacity=max(_new_capacity(desired, starts_at, ends_at), used))
            )
    # A shorter horizon leaves unbooked cells past its end: they go (booked ones stay with their bookings).
    await session.execute(
        delete(CapacityCell).where(
            CapacityCell.department_id == department.id,
            CapacityCell.municipality_id == department.municipality_id,
            CapacityCell.starts_at >= end,
            CapacityCell.used == 0,
        )
    )
    return Materialized(first=first, last=last, cells=len(desired), removed=len(stale))


def _replaced(desired: dict[datetime, Cell], starts_at: datetime, ends_at: datetime) -> bool:
    cell = desired.get(starts_at)
    return cell is None or cell.end != ends_at


def _new_capacity(desired: dict[datetime, Cell], starts_at: datetime, ends_at: datetime) -> int:
    cell = desired.get(starts_at)
    return 0 if cell is None or cell.end != ends_at else cell.capacity


def _lost_capacity(
    existing: Sequence[tuple[int, datetime, datetime, int]], desired: dict[datetime, Cell], begun: dict[datetime, int]
) -> dict[datetime, dict[str, object]]:
    """Cells where the visits not yet begun would need more staff than the new rules put on duty."""
    lost: dict[datetime, dict[str, object]] = {}
    for _, starts_at, ends_at, used in existing:
        capacity = _new_capacity(desired, starts_at, ends_at)
        if used - begun.get(starts_at, 0) > capacity:
            lost[starts_at] = {"starts_at": starts_at.isoformat(), "used": used, "capacity": capacity}
    return lost


# The bookings table by name: departments/ stays below booking/ in the import floors.
_BOOKING = table(
    "booking", column("id"), column("department_id"), column("municipality_id"), column("status"),
    column("starts_at"), column("ends_at"), column("span_start"), column("span_end"), column("staff_units"),
)  # fmt: skip


async def _bookings_in(
    session: AsyncSession, department: Department, cells: Sequence[tuple[datetime, datetime]]
) -> list[dict[str, str]]:
    """The active bookings that hold the given cells: what the administrator must move or cancel first."""
    overlaps = or_(*((_BOOKING.c.span_start < end) & (_BOOKING.c.span_end > start) for start, end in cells))
    rows = await session.execute(
        select(_BOOKING.c.id, _BOOKING.c.starts_at, _BOOKING.c.ends_at)
        .where(_BOOKING.c.department_id == department.id, _BOOKING.c.municipality_id == department.municipality_id,
               _BOOKING.c.status == "booked", overlaps)
        .order_by(_BOOKING.c.starts_at)
    )  # fmt: skip
    return [{"id": str(i), "starts_at": s.isoformat(), "ends_at": e.isoformat()} for i, s, e in rows.tuples()]


async def _begun_units(
    session: AsyncSession, department: Department, now: datetime, cells: Sequence[tuple[int, datetime, datetime, int]]
) -> dict[datetime, int]:
    """Staff units of visits already begun (and still holding cells) in each cell they overlap, by its start."""
    if not cells:
        return {}
    first = min(c[1] for c in cells)
    rows = (await session.execute(
        select(_BOOKING.c.span_start, _BOOKING.c.span_end, _BOOKING.c.staff_units)
        .where(_BOOKING.c.department_id == department.id, _BOOKING.c.municipality_id == department.municipality_id,
               _BOOKING.c.status.in_(("booked", "delivered", "no_show")), _BOOKING.c.starts_at <= now,
               _BOOKING.c.span_end > first)
    )).tuples().all()  # fmt: skip
    units: dict[datetime, int] = {}
    for _, starts_at, ends_at, _ in cells:
        held = sum(n for span_start, span_end, n in rows if span_start < ends_at and span_end > starts_at)
        if held:
            units[starts_at] = held
    return units


UPSERT_CHUNK = 1000  # rows a statement: 6 parameters each, well under PostgreSQL's 32767


async def _upsert(session: AsyncSession, department: Department, cells: list[Cell]) -> None:
    for chunk in range(0, len(cells), UPSERT_CHUNK):
        await _upsert_chunk(session, department, cells[chunk : chunk + UPSERT_CHUNK])


async def _upsert_chunk(session: AsyncSession, department: Department, cells: list[Cell]) -> None:
    if not cells:
        return
    rows = [
        {
            "municipality_id": department.municipality_id,
            "department_id": department.id,
            "starts_at": cell.start,
            "ends_at": cell.end,
            "local_date": cell.local_date,
            "capacity": cell.capacity,
        }
        for cell in cells
    ]
    statement = insert(CapacityCell).values(rows)
    statement = statement.on_conflict_do_update(
        constraint="uq_capacity_cell_start",
        set_={"capacity": statement.excluded.capacity, "ends_at": statement.excluded.ends_at,
              "local_date": statement.excluded.local_date},
        where=CapacityCell.capacity.is_distinct_from(statement.excluded.capacity),
    )  # fmt: skip
    await session.execute(statement)


async def open_new_days(session: AsyncSession, department_id: uuid.UUID, *, now: datetime) -> Materialized | None:
    """The daily job's work for one department: materialise through the horizon's (new) last day."""
    department = await session.get(Department, department_id)
    if department is None:
        return None
    return await rematerialize(session, department, now=now)
