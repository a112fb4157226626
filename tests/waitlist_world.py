"""Helpers for waitlist tests: recipients who wait in department d1, and the worker's passes run by hand."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from booking.service import BookRequest, book, cancel
from booking.tables import Allocation
from departments.tables import CapacityCell
from notifications import dispatch
from people.access import Principal
from people.audit import Origin
from people.rules import national_id_hash, national_id_masked, synthetic_national_id
from people.tables import Person, RoleAssignment
from waitlist import rules, service
from waitlist.tables import WaitlistOffer

ORIGIN = Origin()


async def add_recipients(
    session: AsyncSession, municipality_id: uuid.UUID, department_id: uuid.UUID, service_id: uuid.UUID, count: int,
    *, key: bytes, first_index: int = 0, valid_from: date,
) -> list[uuid.UUID]:  # fmt: skip
    """`count` recipients with an e-mail address and a decision of 600 minutes a week in the department."""
    people = []
    for index in range(first_index, first_index + count):
        national_id = synthetic_national_id(date(1940, 1, 1) + timedelta(days=index * 5), 300 + index % 600)
        person = Person(id=uuid.uuid4(), municipality_id=municipality_id, given_name=f"Venter{index}",
                        family_name="Kø", email=f"venter{index}@example.no",
                        national_id_hash=national_id_hash(f"{national_id}-{municipality_id}", key),
                        national_id_masked=national_id_masked(national_id))  # fmt: skip
        people.append(person)
    session.add_all(people)
    await session.flush()
    session.add_all(RoleAssignment(municipality_id=municipality_id, person_id=p.id, role="recipient") for p in people)
    session.add_all(
        Allocation(municipality_id=municipality_id, recipient_id=p.id, department_id=department_id,
                   service_id=service_id, minutes=600, period="week", valid_from=valid_from)
        for p in people
    )  # fmt: skip
    await session.flush()
    return [p.id for p in people]


def me(municipality_id: uuid.UUID, person_id: uuid.UUID) -> Principal:
    """The person themself, signed in."""
    return Principal(municipality_id=municipality_id, person_id=person_id, roles=frozenset({("recipient", None)}))


async def wait_for(
    session: AsyncSession, municipality_id: uuid.UUID, person_id: uuid.UUID, service_id: uuid.UUID, day: date,
    now: datetime, minutes: int = 60,
) -> uuid.UUID:  # fmt: skip
    """Put the person in line for `minutes` on `day`, any hour."""
    wish = rules.Wish(minutes, day, day, None, None, None)
    entry = await service.create(session, me(municipality_id, person_id), ORIGIN,
                                 service.EntryRequest(person_id, service_id, wish), now=now)  # fmt: skip
    return entry.id


async def book_at(
    session: AsyncSession, municipality_id: uuid.UUID, person_id: uuid.UUID, service_id: uuid.UUID, start: datetime,
    now: datetime,
) -> uuid.UUID:  # fmt: skip
    """Book a visit of 60 minutes as the person."""
    booking = await book(session, me(municipality_id, person_id), ORIGIN,
                         BookRequest(person_id, service_id, start, 60), key=uuid.uuid4().hex, now=now)  # fmt: skip
    return booking.id


async def cancel_as(
    session: AsyncSession, municipality_id: uuid.UUID, person_id: uuid.UUID, booking_id: uuid.UUID, now: datetime
) -> None:
    """Cancel the person's booking."""
    await cancel(session, me(municipality_id, person_id), ORIGIN, booking_id, now=now)


async def run_worker(maker: async_sessionmaker[AsyncSession], now: datetime) -> None:
    """What the worker's tick does for the waitlist: dispatch the outbox (notes freed times), offer them."""
    from waitlist import passes  # noqa: PLC0415 - tests only

    await dispatch.dispatch_events(maker, now)
    await passes.offer_freed(maker, now)


async def held(session: AsyncSession) -> list[WaitlistOffer]:
    """The offers held now, oldest first."""
    return list(
        (
            await session.scalars(
                select(WaitlistOffer).where(WaitlistOffer.status == "held").order_by(WaitlistOffer.offered_at)
                .execution_options(populate_existing=True)
            )
        ).all()
    )  # fmt: skip


async def used_at(session: AsyncSession, department_id: uuid.UUID, start: datetime) -> int:
    """Staff units used in the department's cell that starts at `start`."""
    used = await session.scalar(
        select(func.max(CapacityCell.used)).where(CapacityCell.department_id == department_id,
                                                  CapacityCell.starts_at == start)
    )  # fmt: skip
    return int(used or 0)
