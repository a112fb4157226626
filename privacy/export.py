"""The right of access (GDPR Art. 15): a copy of what the service holds about one person, read in one go.

Only rows about the subject are read: their own person row, proxy links they are a party to, their decisions,
bookings and feedback answers. Names of others appear only where the subject already sees them (the other party
of a proxy link, the department and service); another recipient's data never does. Push subscriptions and
sessions belong to the notifications and sign-in layers above; `api` adds them.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from booking.tables import Allocation, Booking
from core.errors import NotFoundError
from departments.tables import Department, Service
from insight.tables import VisitFeedback
from people.access import Principal, is_proxy_for
from people.audit import Origin, record
from people.tables import Person, ProxyLink


@dataclass(frozen=True)
class LinkedPerson:
    """A proxy link of the subject, with the other party's name."""

    link: ProxyLink
    role: str  # the subject's side: "proxy" (acts for the other) or "recipient" (the other acts for them)
    other_name: str


@dataclass(frozen=True)
class BookedVisit:
    """A booking of the subject, with the department's and service's names."""

    booking: Booking
    department_name: str
    service_name: dict[str, str]


@dataclass(frozen=True)
class DataCopy:
    """What the service holds about the subject, apart from push subscriptions, sessions and the access log."""

    person: Person
    proxy_links: Sequence[LinkedPerson]
    decisions: Sequence[Allocation]
    bookings: Sequence[BookedVisit]
    feedback: Sequence[VisitFeedback]
    by_proxy: bool  # fetched by a proxy for the person they act for


async def export_subject(
    session: AsyncSession, principal: Principal, subject_id: uuid.UUID | None, today: date
) -> tuple[uuid.UUID, bool]:
    """Whose copy the caller may have: their own, or (as DESIGN.md's proxies act for a recipient) the recipient's.

    A proxy exercises the recipient's rights as the recipient would (a parent for a child, a guardian for a
    ward), through a link valid today; anyone else, staff and administrators included, is told there is nothing.

    Raises:
        NotFoundError: an integration token, or a person the caller does not act for.

    """
    if principal.person_id is None:
        raise NotFoundError
    if subject_id is None or subject_id == principal.person_id:
        return principal.person_id, False
    if not await is_proxy_for(session, principal, subject_id, today):
        raise NotFoundError
    return subject_id, True


async def _links(
    session: AsyncSession, principal: Principal, subject_id: uuid.UUID, *, by_proxy: bool
) -> list[LinkedPerson]:
    parties = (ProxyLink.proxy_id == subject_id, ProxyLink.recipient_id == subject_id)
    query = select(ProxyLink).where(ProxyLink.municipality_id == principal.municipality_id, or_(*parties))
    if by_proxy:  # the recipient's other proxies are not the caller's business: only the caller's own link
        query = query.where(ProxyLink.proxy_id == principal.person_id)
    links = (await session.scalars(query.order_by(ProxyLink.valid_from, ProxyLink.id))).all()
    others = {link.recipient_id if link.proxy_id == subject_id else link.proxy_id for link in links}
    names = dict(
        (await session.execute(select(Person.id, Person.given_name + " " + Person.family_name).where(
            Person.id.in_(others)))).tuples().all()
    ) if others else {}  # fmt: skip
    return [
        LinkedPerson(
            link,
            "proxy" if link.proxy_id == subject_id else "recipient",
            names.get(link.recipient_id if link.proxy_id == subject_id else link.proxy_id, ""),
        )
        for link in links
    ]


async def data_copy(
    session: AsyncSession, principal: Principal, origin: Origin, subject_id: uuid.UUID, *, by_proxy: bool
) -> DataCopy:
    """Read the copy and audit that it was handed out (`person.export`, about the subject)."""
    person = await session.get(Person, subject_id)
    if person is None or person.municipality_id != principal.municipality_id:
        raise NotFoundError
    mine = principal.municipality_id
    decisions = (await session.scalars(
        select(Allocation).where(Allocation.municipality_id == mine, Allocation.recipient_id == subject_id)
        .order_by(Allocation.valid_from, Allocation.id)
    )).all()  # fmt: skip
    visits = (await session.execute(
        select(Booking, Department.name, Service.name)
        .join(Department, Department.id == Booking.department_id)
        .join(Service, Service.id == Booking.service_id)
        .where(Booking.municipality_id == mine, Booking.recipient_id == subject_id)
        .order_by(Booking.starts_at, Booking.id)
    )).tuples().all()  # fmt: skip
    feedback = (await session.scalars(
        select(VisitFeedback).where(VisitFeedback.municipality_id == mine, VisitFeedback.recipient_id == subject_id)
        .order_by(VisitFeedback.answered_at, VisitFeedback.id)
    )).all()  # fmt: skip
    copy = DataCopy(
        person=person,
        proxy_links=await _links(session, principal, subject_id, by_proxy=by_proxy),
        decisions=decisions,
        bookings=[BookedVisit(b, d, s) for b, d, s in visits],
        feedback=feedback,
        by_proxy=by_proxy,
    )
    await record(session, principal, origin, action="person.export", object_type="person", object_id=subject_id,
                 subject_person_id=subject_id)  # fmt: skip
    return copy
