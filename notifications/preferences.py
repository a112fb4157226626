"""A person's own reminder settings: the channel, which represented people's reminders they get, push devices."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import DomainError, NotFoundError
from notifications import push_endpoint
from notifications.tables import PushSubscription
from people.access import Principal, represented
from people.audit import Origin, record
from people.errors import ForbiddenError
from people.tables import Person, ProxyLink


class ChannelUnreachableError(DomainError):
    """The chosen channel has nowhere to send: no e-mail address, phone number or push subscription."""

    code = "reminder_channel_unreachable"


class NotRepresentedError(DomainError):
    """Reminders may only be asked for people one acts for."""

    code = "not_represented"


@dataclass(frozen=True)
class ReminderSettings:
    """What a person has chosen, and what it amounts to."""

    channel: str | None  # as chosen; None means the default
    effective_channel: str | None  # what is used: the choice, else e-mail when known, else SMS; None: nowhere
    reminders_for: tuple[uuid.UUID, ...]  # represented people whose reminders this person also gets
    push_devices: int


def _me(principal: Principal) -> uuid.UUID:
    if principal.person_id is None:
        raise ForbiddenError
    return principal.person_id


async def _push_devices(session: AsyncSession, person_id: uuid.UUID) -> int:
    query = select(func.count()).select_from(PushSubscription).where(PushSubscription.person_id == person_id)
    return int(await session.scalar(query) or 0)


def effective_channel(person: Person, push_devices: int) -> str | None:
    """The channel reminders actually go through, as planning decides it."""
    channel = person.reminder_channel or ("email" if person.email else "sms" if person.phone else None)
    reachable = {"email": bool(person.email), "sms": bool(person.phone), "push": push_devices > 0}
    return channel if channel is not None and reachable.get(channel, False) else None


async def reminder_settings(session: AsyncSession, principal: Principal, today: date) -> ReminderSettings:
    """The caller's reminder settings."""
    person = await session.get(Person, _me(principal))
    if person is None:
        raise NotFoundError
    devices = await _push_devices(session, person.id)
    wanted = await session.scalars(
        select(ProxyLink.recipient_id).where(ProxyLink.proxy_id == person.id, ProxyLink.reminders)
    )
    acting_for = {p.id for p in await represented(session, principal, today)}
    return ReminderSettings(
        person.reminder_channel, effective_channel(person, devices),
        tuple(sorted(r for r in set(wanted.all()) if r in acting_for)), devices,
    )  # fmt: skip


async def change_reminder_settings(  # noqa: PLR0913 - keyword-only after the principal
    session: AsyncSession, principal: Principal, origin: Origin, *, channel: str | None,
    reminders_for: Sequence[uuid.UUID], today: date,
) -> ReminderSettings:  # fmt: skip
    """Choose the channel (None: the default) and whose reminders to get besides one's own."""
    person = await session.get(Person, _me(principal))
    if person is None:
        raise NotFoundError
    acting_for = {p.id for p in await represented(session, principal, today)}
    if not set(reminders_for) <= acting_for:
        raise NotRepresentedError(recipient_ids=[str(r) for r in set(reminders_for) - acting_for])
    devices = await _push_devices(session, person.id)
    person.reminder_channel = channel
    if channel not in (None, "none") and effective_channel(person, devices) is None:
        raise ChannelUnreachableError(channel=channel)
    await session.execute(
        update(ProxyLink).where(ProxyLink.proxy_id == person.id, ProxyLink.municipality_id == person.municipality_id)
        .values(reminders=ProxyLink.recipient_id.in_(list(reminders_for)))
    )  # fmt: skip
    await record(session, principal, origin, action="reminder_settings.change", object_type="person",
                 object_id=person.id, subject_person_id=person.id)  # fmt: skip
    return await reminder_settings(session, principal, today)


async def add_push_subscription(  # noqa: PLR0913 - keyword-only after the origin
    session: AsyncSession, principal: Principal, origin: Origin, *, endpoint: str, p256dh: str, auth: str
) -> uuid.UUID:
    """Register this browser for Web Push (again: the same endpoint is updated, not doubled).

    Raises:
        PushEndpointNotAllowedError: the endpoint is not a public https push service.

    """
    person_id = _me(principal)
    push_endpoint.check(endpoint)
    subscription_id = await session.scalar(
        insert(PushSubscription)
        .values(id=uuid.uuid4(), municipality_id=principal.municipality_id, person_id=person_id, endpoint=endpoint,
                p256dh=p256dh, auth=auth)
        .on_conflict_do_update(constraint="uq_push_subscription_endpoint",
                               set_={"person_id": person_id, "p256dh": p256dh, "auth": auth})
        .returning(PushSubscription.id)
    )  # fmt: skip
    assert subscription_id is not None  # noqa: S101 - RETURNING of an upsert always yields the row
    await record(session, principal, origin, action="push_subscription.create", object_type="push_subscription",
                 object_id=subscription_id, subject_person_id=person_id)  # fmt: skip
    return subscription_id


async def remove_push_subscription(
    session: AsyncSession, principal: Principal, origin: Origin, subscription_id: uuid.UUID
) -> None:
    """Forget one of my browsers."""
    person_id = _me(principal)
    subscription = await session.get(PushSubscription, subscription_id)
    if subscription is None or subscription.person_id != person_id:
        raise NotFoundError
    await session.delete(subscription)
    await record(session, principal, origin, action="push_subscription.delete", object_type="push_subscription",
                 object_id=subscription_id, subject_person_id=subscription.person_id)  # fmt: skip


async def push_subscriptions_of(session: AsyncSession, person_id: uuid.UUID) -> Sequence[PushSubscription]:
    """The person's push subscriptions, oldest first (for their copy of their data)."""
    query = select(PushSubscription).where(PushSubscription.person_id == person_id)
    return (await session.scalars(query.order_by(PushSubscription.created_at, PushSubscription.id))).all()
