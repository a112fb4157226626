"""The waitlist's messages: tell the first in line that a time is held for them, with a link to answer.

Sent as reminders are (`notifications.sending`): the offer row is the delivery record, claimed (committed) before
the send, so a pass that runs twice cannot send twice; a transient failure is retried with the same back-off,
then given up. Also the worker's waitlist passes: offer freed times, lapse the holds nobody answered.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from departments.tables import Department, Service
from notifications.channels import Channel, Message, PermanentFailure, TransientFailure
from notifications.readers import channel_of, readers
from notifications.sending import BACKOFF, MAX_ATTEMPTS, _addresses
from waitlist import passes
from waitlist.tables import WaitlistEntry, WaitlistOffer

log = logging.getLogger(__name__)

SENDS_AT_MOST = 50  # offers sent per pass; the next pass takes the rest

_TEXTS = {
    "nb": ("En tid er ledig",
           ("En tid har blitt ledig: {service} {when}, {department}. "
           "Den holdes for deg til kl. {until}. Svar her: {url}")),
    "nn": ("Ei tid er ledig",
           ("Ei tid har vorte ledig: {service} {when}, {department}. "
           "Ho blir halden for deg til kl. {until}. Svar her: {url}")),
    "en": ("A time is free",
           ("A time has become free: {service} {when}, {department}. "
           "It is held for you until {until}. Answer here: {url}")),
}  # fmt: skip


def offer_text(  # noqa: PLR0913 - keyword-only; one value each
    language: str, *, service: str, department: str, starts: datetime, until: datetime, url: str
) -> tuple[str, str]:
    """The subject and text of an offer, in the reader's language (bokmål when unknown)."""
    subject, body = _TEXTS.get(language, _TEXTS["nb"])
    when = starts.strftime("%d.%m.%Y %H:%M" if language != "en" else "%Y-%m-%d %H:%M")
    return subject, body.format(service=service, when=when, department=department, until=until.strftime("%H:%M"),
                                url=url)  # fmt: skip


@dataclass(frozen=True)
class _Claimed:
    offer_id: uuid.UUID
    messages: tuple[tuple[str, Message], ...]  # (channel, message)


async def _claim(session: AsyncSession, offer_id: uuid.UUID, now: datetime, base_url: str) -> _Claimed | None:
    offer = await session.scalar(
        select(WaitlistOffer).where(WaitlistOffer.id == offer_id, WaitlistOffer.notice_status == "scheduled")
        .with_for_update(skip_locked=True)
    )  # fmt: skip
    if offer is None:
        return None
    if offer.status != "held" or offer.expires_at <= now:
        offer.notice_status, offer.notice_error = "skipped", "the offer is no longer held"
        return None
    entry = await session.get(WaitlistEntry, offer.entry_id)
    department = await session.get(Department, offer.department_id)
    service = await session.get(Service, entry.service_id) if entry is not None else None
    if department is None or service is None:  # foreign keys guarantee them
        return None
    zone = ZoneInfo(department.timezone)
    url = f"{base_url.rstrip('/')}/venteliste/tilbud/{offer.id}"
    messages: list[tuple[str, Message]] = []
    for person in await readers(session, offer.municipality_id, offer.recipient_id, now.astimezone(zone).date()):
        channel = channel_of(person)
        if channel is None:
            continue
        subject, body = offer_text(
            person.language, service=service.name.get(person.language) or service.name.get("nb", ""),
            department=department.name, starts=offer.starts_at.astimezone(zone),
            until=offer.expires_at.astimezone(zone), url=url,
        )  # fmt: skip
        messages += [(channel, Message(to=address, subject=subject, text=body, language=person.language, url=url,
                                       expires_at=offer.expires_at))
                     for address in await _addresses(session, person, channel)]  # fmt: skip
    if not messages:
        offer.notice_status, offer.notice_error = "skipped", "no usable address"
        return None
    offer.notice_status, offer.notice_attempts = "sending", offer.notice_attempts + 1
    return _Claimed(offer.id, tuple(messages))


async def send_offer(
    sessionmaker: async_sessionmaker[AsyncSession], channels: Mapping[str, Channel], offer_id: uuid.UUID, *,
    now: datetime, base_url: str,
) -> str:  # fmt: skip
    """Claim, send, acknowledge one offer's messages: `sent`, `retry`, `dead`, or `gone` (nothing to send).

    Sent when any reader's message went out; a transient failure of all is retried with the reminders' back-off.
    """
    async with sessionmaker.begin() as session:
        claimed = await _claim(session, offer_id, now, base_url)
    if claimed is None:
        return "gone"
    sent, failure = 0, None
    for channel, message in claimed.messages:
        try:
            await channels[channel].send(message)
            sent += 1
        except (PermanentFailure, TransientFailure) as exc:
            failure = str(exc)[:500]
    async with sessionmaker.begin() as session:
        offer = await session.get(WaitlistOffer, offer_id, with_for_update=True)
        assert offer is not None  # noqa: S101 - offers are never deleted while sending
        if sent:
            offer.notice_status, offer.notice_error = "sent", None
        elif offer.notice_attempts < MAX_ATTEMPTS:
            offer.notice_status, offer.notice_error = "scheduled", failure
            offer.notice_next_at = now + BACKOFF[offer.notice_attempts - 1]
        else:
            offer.notice_status, offer.notice_error = "dead", failure
        status = offer.notice_status
    log.info("waitlist offer %s: %s", offer_id, status)
    return status


async def waitlist_pass(
    sessionmaker: async_sessionmaker[AsyncSession], channels: Mapping[str, Channel], *, now: datetime,
    base_url: str,
) -> dict[str, int]:  # fmt: skip
    """Lapse the holds that ran out, offer the freed times, and send the offers' messages that are due."""
    result = {"ended": await passes.end_past(sessionmaker, now),
              "lapsed": await passes.lapse_expired(sessionmaker, now),
              "offered": await passes.offer_freed(sessionmaker, now)}  # fmt: skip
    async with sessionmaker() as session:
        due = (
            await session.scalars(
                select(WaitlistOffer.id)
                .where(WaitlistOffer.notice_status == "scheduled", WaitlistOffer.notice_next_at <= now)
                .order_by(WaitlistOffer.notice_next_at)
                .limit(SENDS_AT_MOST)
            )
        ).all()
    sent = 0
    for offer_id in due:
        sent += await send_offer(sessionmaker, channels, offer_id, now=now, base_url=base_url) == "sent"
    result["sent"] = sent
    return result
