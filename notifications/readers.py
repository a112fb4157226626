"""Who hears of a recipient's visits outside the reminders themselves (a waitlist offer, a refused recurring visit).

The same people and channels as the reminders (notifications/planning.py plans those in SQL): the recipient, and
the proxies who act for them that day and asked for their reminders (a child's parent); each on the channel they
chose, else e-mail, else SMS; nobody who chose none.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from people.tables import Person, ProxyLink


def channel_of(person: Person) -> str | None:
    """The person's channel for messages about their visits; None: they asked for none, or cannot be reached."""
    if person.reminder_channel is not None:
        return None if person.reminder_channel == "none" else person.reminder_channel
    if person.email:
        return "email"
    return "sms" if person.phone else None


async def readers(
    session: AsyncSession, municipality_id: uuid.UUID, recipient_id: uuid.UUID, day: date
) -> list[Person]:
    """The recipient, and the proxies who act for them on `day` and get their reminders, in id order."""
    proxies = select(ProxyLink.proxy_id).where(
        ProxyLink.municipality_id == municipality_id, ProxyLink.recipient_id == recipient_id,
        ProxyLink.reminders, ProxyLink.valid_from <= day, or_(ProxyLink.valid_to.is_(None), ProxyLink.valid_to >= day),
        ProxyLink.ended_at.is_(None),
    )  # fmt: skip
    people = await session.scalars(
        select(Person).where(or_(Person.id == recipient_id, Person.id.in_(proxies))).order_by(Person.id)
    )
    return list(people.all())
