"""Waitlist use cases, one transaction each: join the line, list, withdraw, decline or accept an offer. Never commits.

Access is a booking's: the recipient, their proxy, and staff or administrators of the department on their
behalf (`booking.access.visible_in_department`). Accepting books through `booking.driver.book_claim` (`book_visit`), the
same function as every booking, after giving the hold back in the same transaction and lock order.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from booking import driver, ledger
from booking.access import recipient_scope, visible_in_department
from booking.driver import idempotency_scope
from booking.errors import BookingRefusedError
from booking.service import BookRequest, acting_as, context_of, plan, service_and_department
from booking.tables import Booking
from core.db import driver_of
from core.errors import NotFoundError
from people.access import Principal
from people.audit import Origin, record
from waitlist import holds, rules
from waitlist.tables import WaitlistEntry, WaitlistFreed, WaitlistOffer

# Lock the allocation period first (DESIGN.md's order) by charging it nothing; the booking charges it after.
LOCK_PERIOD = text("SELECT visit_charge(:municipality, :allocation, :period_start, :period_end, :granted, 0)")


@dataclass(frozen=True)
class EntryRequest:
    """Join the line for `minutes` of a service between two local dates, perhaps only some weekdays or hours."""

    recipient_id: uuid.UUID
    service_id: uuid.UUID
    wish: rules.Wish


async def create(
    session: AsyncSession, principal: Principal, origin: Origin, request: EntryRequest, *, now: datetime
) -> WaitlistEntry:
    """Put the recipient in line (the access a booking needs; bad wishes are refused before anything is written)."""
    service, department = await service_and_department(session, principal, request.service_id)
    today = now.astimezone(ZoneInfo(department.timezone)).date()
    recipient = await visible_in_department(session, principal, request.recipient_id, department.id, today)
    problem = rules.wish_problem(request.wish, list(service.durations), today)
    if problem is not None:
        raise BookingRefusedError(problem)
    wish = request.wish
    weekdays = sorted(wish.weekdays) if wish.weekdays is not None else None
    same = await session.scalar(
        select(WaitlistEntry).where(
            WaitlistEntry.municipality_id == principal.municipality_id, WaitlistEntry.recipient_id == recipient.id,
            WaitlistEntry.service_id == service.id, WaitlistEntry.status == "waiting",
            WaitlistEntry.minutes == wish.minutes, WaitlistEntry.first_day == max(wish.first_day, today),
            WaitlistEntry.last_day == wish.last_day, WaitlistEntry.weekdays.is_not_distinct_from(weekdays),
            WaitlistEntry.from_minute.is_not_distinct_from(wish.from_minute),
            WaitlistEntry.to_minute.is_not_distinct_from(wish.to_minute),
        )
    )  # fmt: skip
    if same is not None:  # asked twice (a second tap, a reload): one place in line, the first
        return same
    entry = WaitlistEntry(
        id=uuid.uuid4(), municipality_id=principal.municipality_id, recipient_id=recipient.id,
        department_id=department.id, service_id=service.id, minutes=wish.minutes, first_day=max(wish.first_day, today),
        last_day=wish.last_day, weekdays=weekdays,
        from_minute=wish.from_minute, to_minute=wish.to_minute, status="waiting",
        acted_by=await acting_as(session, principal, recipient, today), actor_person_id=principal.person_id,
        created_at=now,
    )  # fmt: skip
    session.add(entry)
    await record(session, principal, origin, action="waitlist.create", object_type="waitlist_entry",
                 object_id=entry.id, subject_person_id=recipient.id)  # fmt: skip
    await session.flush()
    return entry


async def entries(
    session: AsyncSession, principal: Principal, recipient_id: uuid.UUID, today: date
) -> list[tuple[WaitlistEntry, WaitlistOffer | None]]:
    """The recipient's entries still open or ended lately (newest first), each with its held offer if any."""
    person, departments = await recipient_scope(session, principal, recipient_id, today)
    query = (
        select(WaitlistEntry, WaitlistOffer)
        .outerjoin(WaitlistOffer, (WaitlistOffer.entry_id == WaitlistEntry.id) & (WaitlistOffer.status == "held"))
        .where(WaitlistEntry.municipality_id == principal.municipality_id, WaitlistEntry.recipient_id == person.id,
               WaitlistEntry.last_day >= today - timedelta(days=30))
        .order_by(WaitlistEntry.created_at.desc())
        .limit(100)
    )  # fmt: skip
    if departments is not None:
        query = query.where(WaitlistEntry.department_id.in_(departments))
    return list((await session.execute(query)).tuples().all())


async def _locked_entry(session: AsyncSession, principal: Principal, entry_id: uuid.UUID, today: date) -> WaitlistEntry:
    entry = await session.scalar(
        select(WaitlistEntry)
        .where(WaitlistEntry.id == entry_id, WaitlistEntry.municipality_id == principal.municipality_id)
        .with_for_update()
    )
    if entry is None:
        raise NotFoundError
    await visible_in_department(session, principal, entry.recipient_id, entry.department_id, today)
    return entry


async def withdraw(
    session: AsyncSession, principal: Principal, origin: Origin, entry_id: uuid.UUID, *, now: datetime
) -> WaitlistEntry:
    """Leave the line; a time held for the entry is given back and handed on."""
    entry = await _locked_entry(session, principal, entry_id, now.date())
    if entry.status != "waiting":
        raise BookingRefusedError("waitlist_not_waiting", entry_status=entry.status)
    held = await session.scalar(
        select(WaitlistOffer).where(WaitlistOffer.entry_id == entry.id, WaitlistOffer.status == "held")
        .with_for_update()
    )  # fmt: skip
    entry.status, entry.changed_at = "withdrawn", now
    if held is not None:
        await holds.release(session, held, "released", now)
    await record(session, principal, origin, action="waitlist.withdraw", object_type="waitlist_entry",
                 object_id=entry.id, subject_person_id=entry.recipient_id)  # fmt: skip
    return entry


async def _offer_for(
    session: AsyncSession, principal: Principal, offer_id: uuid.UUID, now: datetime
) -> tuple[WaitlistOffer, WaitlistEntry]:
    offer = await holds.locked_offer(session, offer_id, principal.municipality_id)
    if offer is None:
        raise NotFoundError
    await visible_in_department(session, principal, offer.recipient_id, offer.department_id, now.date())
    entry = await session.get(WaitlistEntry, offer.entry_id)
    assert entry is not None  # noqa: S101 - a foreign key guarantees it
    return offer, entry


async def offer(session: AsyncSession, principal: Principal, offer_id: uuid.UUID, *, now: datetime) -> WaitlistOffer:
    """An offer the principal may see (the recipient's, as their bookings are seen)."""
    found = await session.scalar(
        select(WaitlistOffer).where(
            WaitlistOffer.id == offer_id, WaitlistOffer.municipality_id == principal.municipality_id
        )
    )
    if found is None:
        raise NotFoundError
    await visible_in_department(session, principal, found.recipient_id, found.department_id, now.date())
    return found


def _still_held(offer: WaitlistOffer, now: datetime) -> None:
    if offer.status != "held" or offer.expires_at <= now:
        raise BookingRefusedError("offer_gone", offer_status="lapsed" if offer.status == "held" else offer.status)


async def decline(
    session: AsyncSession, principal: Principal, origin: Origin, offer_id: uuid.UUID, *, now: datetime
) -> WaitlistOffer:
    """Say no to an offer: the time goes to the next in line; the entry stays in line for other times."""
    offer, entry = await _offer_for(session, principal, offer_id, now)
    _still_held(offer, now)
    await holds.release(session, offer, "declined", now)
    await record(session, principal, origin, action="waitlist.decline", object_type="waitlist_offer",
                 object_id=offer.id, subject_person_id=entry.recipient_id)  # fmt: skip
    return offer


async def accept(
    session: AsyncSession, principal: Principal, origin: Origin, offer_id: uuid.UUID, *, now: datetime
) -> Booking:
    """Book the held time through the booking function (every rule of a booking), giving the hold back first.

    Lock order: the entry and the offer, the allocation period, then the cells (the hold's given back, then
    checked and charged by `book_visit`). A refusal rolls everything back: the hold stands until it lapses.
    Accepting again answers with the booking already made.
    """
    offer, entry = await _offer_for(session, principal, offer_id, now)
    if offer.status == "booked" and offer.booking_id is not None:
        booking = await session.get(Booking, offer.booking_id)
        assert booking is not None  # noqa: S101 - bookings are never deleted
        return booking
    _still_held(offer, now)
    request = BookRequest(entry.recipient_id, entry.service_id, offer.starts_at, entry.minutes)
    context = await context_of(session, principal, request)
    claim = plan(context, request, now)
    department = context.department
    recipient = await visible_in_department(session, principal, entry.recipient_id, department.id, now.date())
    freed = await session.get(WaitlistFreed, offer.freed_id, with_for_update=True)
    allocation = claim.allocation
    await session.execute(LOCK_PERIOD, {
        "municipality": allocation.municipality_id, "allocation": allocation.id, "period_start": claim.period_start,
        "period_end": claim.period_end, "granted": allocation.minutes,
    })  # fmt: skip
    span = {"municipality": offer.municipality_id, "department": offer.department_id, "start": offer.span_start,
            "end": offer.span_end}  # fmt: skip
    await session.execute(holds.LOCK_CELLS, {**span, "other_start": None, "other_end": None})
    await session.execute(holds.TAKE_CELLS, {**span, "units": -offer.staff_units})
    new = ledger.NewBooking(
        id=uuid.uuid4(), recipient_id=recipient.id, service_id=entry.service_id, starts_at=offer.starts_at,
        ends_at=offer.starts_at + timedelta(minutes=entry.minutes),
        acted_by=await acting_as(session, principal, recipient, now.date()), actor_person_id=principal.person_id,
        actor_token_id=principal.token_id, idempotency_key=f"waitlist-offer:{offer.id}",
        idempotency_scope=idempotency_scope(principal),
    )  # fmt: skip
    booking_id = await driver.book_claim(await driver_of(session), claim, new, origin)
    booking = await session.get(Booking, booking_id, populate_existing=True)
    assert booking is not None  # noqa: S101 - booked a moment ago; bookings are never deleted
    offer.status, offer.ended_at, offer.booking_id = "booked", now, booking.id
    entry.status, entry.changed_at = "booked", now
    if freed is not None:
        freed.status, freed.changed_at = "done", now
    await record(session, principal, origin, action="waitlist.accept", object_type="waitlist_offer",
                 object_id=offer.id, subject_person_id=entry.recipient_id)  # fmt: skip
    return booking
