"""Holding a freed time for the first in line, and handing it on: the waitlist's part of the capacity ledger.

A hold takes its staff units in the department's capacity cells, as a booking does, so nobody else can book
them meanwhile; giving it back returns them. Lock order (DESIGN.md, extended): the waitlist entries (the one
whose hold is given back, then the candidates in line order), the offer, then the cells in id order
(`visit_cells_lock`); a confirmation locks the allocation period before the cells, as every booking does.
A hold never touches an allocation period: the minutes are charged when the offer is confirmed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, exists, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from booking import rules as booking_rules
from booking.service import policy_of
from booking.tables import Booking, BookingEvent
from departments.tables import Department, Service
from waitlist import rules
from waitlist.tables import WaitlistEntry, WaitlistFreed, WaitlistOffer

CANDIDATES_AT_MOST = 100  # entries looked at per freed time; those further down wait for a later one
LOCK_CELLS = text("SELECT visit_cells_lock(:municipality, :department, :start, :end, :other_start, :other_end)")
TAKE_CELLS = text("SELECT visit_cells_take(:municipality, :department, :start, :end, :units)")
LOCKED_CELLS = text("""
SELECT c.starts_at, c.ends_at, c.capacity, c.used FROM capacity_cell c
WHERE c.municipality_id = :municipality AND c.department_id = :department
  AND c.starts_at > CAST(:start AS timestamptz) - interval '1 hour' AND c.starts_at < :end AND c.ends_at > :start
""")


@dataclass(frozen=True)
class _Candidate:
    entry: WaitlistEntry
    span_start: datetime
    span_end: datetime
    units: int
    cells: int


def wish_of(entry: WaitlistEntry) -> rules.Wish:
    """The entry's wish for the pure rules."""
    return rules.Wish(
        minutes=entry.minutes, first_day=entry.first_day, last_day=entry.last_day,
        weekdays=frozenset(entry.weekdays) if entry.weekdays is not None else None,
        from_minute=entry.from_minute, to_minute=entry.to_minute,
    )  # fmt: skip


async def record_freed(session: AsyncSession, events: list[BookingEvent]) -> int:
    """Note the times these outbox events freed (a cancellation's start, a move's previous start).

    Only where someone waits in the department; once per event (the unique key makes it idempotent).
    """
    count = 0
    for event in events:
        if event.kind not in {"cancelled", "moved"}:
            continue
        booking = await session.get(Booking, event.booking_id)
        if booking is None:
            continue
        previous = event.details.get("previous_start")
        start = datetime.fromisoformat(str(previous)) if previous else booking.starts_at
        waiting = await session.scalar(
            select(WaitlistEntry.id)
            .where(WaitlistEntry.department_id == booking.department_id, WaitlistEntry.status == "waiting")
            .limit(1)
        )
        if waiting is None:
            continue
        await session.execute(
            insert(WaitlistFreed)
            .values(municipality_id=booking.municipality_id, event_id=event.id,
                    department_id=booking.department_id, starts_at=start)
            .on_conflict_do_nothing(constraint="uq_waitlist_freed_event")
        )  # fmt: skip
        count += 1
    return count


async def _candidates(
    session: AsyncSession, freed: WaitlistFreed, department: Department, now: datetime
) -> list[_Candidate]:
    """The waiting entries the freed start fits, in line order, locked (entries first, in the same order always)."""
    offered = exists().where(
        WaitlistOffer.entry_id == WaitlistEntry.id,
        WaitlistOffer.municipality_id == WaitlistEntry.municipality_id,
        (WaitlistOffer.status == "held") | (WaitlistOffer.starts_at == freed.starts_at),
    )
    zone, policy = ZoneInfo(department.timezone), policy_of(department)
    day = freed.starts_at.astimezone(zone).date()
    rows = (
        await session.execute(
            select(WaitlistEntry, Service)
            .join(Service, and_(Service.id == WaitlistEntry.service_id, Service.active))
            .where(WaitlistEntry.municipality_id == freed.municipality_id,
                   WaitlistEntry.department_id == freed.department_id, WaitlistEntry.status == "waiting",
                   WaitlistEntry.first_day <= day, WaitlistEntry.last_day >= day, ~offered)
            .order_by(WaitlistEntry.created_at, WaitlistEntry.id)
            .limit(CANDIDATES_AT_MOST)
            .with_for_update(of=WaitlistEntry)
            .execution_options(populate_existing=True)
        )
    ).tuples().all()  # fmt: skip
    hold = timedelta(minutes=department.waitlist_hold_minutes)
    found = []
    for entry, service in rows:
        if entry.status != "waiting" or not rules.fits(wish_of(entry), freed.starts_at, zone):
            continue
        if not rules.offerable(start=freed.starts_at, minutes=entry.minutes, durations=list(service.durations),
                               policy=policy, now=now, hold=hold):  # fmt: skip
            continue
        span_start, span_end = booking_rules.occupied(
            freed.starts_at, entry.minutes, service.buffer_before, service.buffer_after
        )
        cells = booking_rules.cells_covering(span_start, span_end, department.grid_minutes)
        found.append(_Candidate(entry, span_start, span_end, service.staff_units, cells))
    return found


def _has_room(cells: list[tuple[datetime, datetime, int, int]], candidate: _Candidate) -> bool:
    covering = [
        (capacity, used) for starts_at, ends_at, capacity, used in cells
        if starts_at < candidate.span_end and ends_at > candidate.span_start
    ]  # fmt: skip
    return (
        len(covering) >= candidate.cells
        and all(capacity > 0 for capacity, _ in covering)
        and all(used + candidate.units <= capacity for capacity, used in covering)
    )


def _span_params(offer_or_freed: WaitlistOffer | WaitlistFreed, start: datetime, end: datetime) -> dict[str, object]:
    return {"municipality": offer_or_freed.municipality_id, "department": offer_or_freed.department_id,
            "start": start, "end": end}  # fmt: skip


async def hand_on(
    session: AsyncSession, freed: WaitlistFreed, now: datetime, *, releasing: tuple[WaitlistOffer, str] | None = None
) -> WaitlistOffer | None:
    """Give back `releasing`'s hold (with its new status), then hold the freed time for the first in line it fits.

    Lock the entry and offer being released first. Returns the new offer, or None when no one in line can take
    the freed time (it is then done). Exactly one hold a freed unit: each takes the staff units in the cells.
    """
    department = await session.get(Department, freed.department_id)
    assert department is not None  # noqa: S101 - a foreign key guarantees it
    candidates = await _candidates(session, freed, department, now)
    old = releasing[0] if releasing is not None else None
    if candidates or old is not None:
        starts = [c.span_start for c in candidates] + ([old.span_start] if old else [])
        ends = [c.span_end for c in candidates] + ([old.span_end] if old else [])
        window = (min(starts), max(ends))
        params = _span_params(freed, *window)
        await session.execute(LOCK_CELLS, {**params, "other_start": None, "other_end": None})
    if releasing is not None:
        offer, status = releasing
        await session.execute(
            TAKE_CELLS, {**_span_params(offer, offer.span_start, offer.span_end), "units": -offer.staff_units}
        )
        offer.status, offer.ended_at = status, now
        if offer.notice_status == "scheduled":
            offer.notice_status = "skipped"
        await session.flush()
    new = await _hold_first(session, freed, department, candidates, now) if candidates else None
    freed.status, freed.changed_at = ("offered" if new is not None else "done"), now
    return new


async def _hold_first(
    session: AsyncSession, freed: WaitlistFreed, department: Department, candidates: list[_Candidate], now: datetime
) -> WaitlistOffer | None:
    window = (min(c.span_start for c in candidates), max(c.span_end for c in candidates))
    rows = (await session.execute(LOCKED_CELLS, _span_params(freed, *window))).tuples().all()
    cells: list[tuple[datetime, datetime, int, int]] = [(a, b, int(c), int(d)) for a, b, c, d in rows]
    hold = timedelta(minutes=department.waitlist_hold_minutes)
    for candidate in candidates:
        if not _has_room(cells, candidate):
            continue
        entry = candidate.entry
        offer_id = await session.scalar(
            insert(WaitlistOffer)
            .values(id=uuid.uuid4(), municipality_id=freed.municipality_id, entry_id=entry.id, freed_id=freed.id,
                    recipient_id=entry.recipient_id, department_id=freed.department_id, starts_at=freed.starts_at,
                    ends_at=freed.starts_at + timedelta(minutes=entry.minutes), span_start=candidate.span_start,
                    span_end=candidate.span_end, staff_units=candidate.units, offered_at=now,
                    expires_at=now + hold, notice_next_at=now)
            .on_conflict_do_nothing()
            .returning(WaitlistOffer.id)
        )  # fmt: skip
        if offer_id is None:  # held another time meanwhile, or offered this start before
            continue
        params = _span_params(freed, candidate.span_start, candidate.span_end)
        await session.execute(TAKE_CELLS, {**params, "units": candidate.units})
        return await session.get(WaitlistOffer, offer_id)
    return None


async def release(session: AsyncSession, offer: WaitlistOffer, status: str, now: datetime) -> WaitlistOffer | None:
    """Give a held offer back (declined, lapsed, released) and hand its freed time on. Lock entry, then offer."""
    freed = await session.get(WaitlistFreed, offer.freed_id, with_for_update=True)
    assert freed is not None  # noqa: S101 - a foreign key guarantees it
    return await hand_on(session, freed, now, releasing=(offer, status))


async def locked_offer(session: AsyncSession, offer_id: uuid.UUID, municipality_id: uuid.UUID) -> WaitlistOffer | None:
    """The offer and its entry, locked in the waitlist's order (entry, then offer); None if unknown."""
    entry_id = await session.scalar(
        select(WaitlistOffer.entry_id).where(WaitlistOffer.id == offer_id,
                                            WaitlistOffer.municipality_id == municipality_id)
    )  # fmt: skip
    if entry_id is None:
        return None
    await session.scalar(select(WaitlistEntry).where(WaitlistEntry.id == entry_id).with_for_update())
    offer: WaitlistOffer | None = await session.scalar(
        select(WaitlistOffer).where(WaitlistOffer.id == offer_id).with_for_update()
        .execution_options(populate_existing=True)
    )  # fmt: skip
    return offer
