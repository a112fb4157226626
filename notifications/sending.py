"""Send one reminder at most once: claim it (committed), hand it to the channel, then record what happened.

The claim is the delivery record: once a reminder is `sending`, no job sends it again, whatever crashes. A
worker that dies between the send and the acknowledgement leaves it `sending`; reconciliation turns such a
reminder into a dead letter (it may have gone out) instead of sending it twice.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from booking.tables import Booking
from departments.tables import Department, Service
from notifications.channels import Channel, Message, PermanentFailure, TransientFailure
from notifications.messages import reminder_message
from notifications.tables import ContactProblem, PushSubscription, Reminder
from people.tables import Person

log = logging.getLogger(__name__)

# Waits after the 1st, 2nd, ... failed attempt; after the last one the reminder is a dead letter.
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15), timedelta(hours=1))
MAX_ATTEMPTS = len(BACKOFF) + 1


@dataclass(frozen=True)
class Claimed:
    """A reminder claimed for sending, with what the channel needs."""

    reminder_id: int
    attempt: int  # 1 for the first try
    channel: str
    messages: tuple[Message, ...]


def _skip(reminder: Reminder, reason: str, now: datetime) -> str:
    reminder.status, reminder.last_error, reminder.changed_at = "skipped", reason, now
    return "skipped"


async def _addresses(session: AsyncSession, person: Person, channel: str) -> list[str]:
    if channel == "email":
        addresses = [person.email] if person.email else []
    elif channel == "sms":
        addresses = [person.phone] if person.phone else []
    else:
        subscriptions = await session.scalars(select(PushSubscription).where(PushSubscription.person_id == person.id))
        addresses = [
            json.dumps({"endpoint": s.endpoint, "keys": {"p256dh": s.p256dh, "auth": s.auth}}) for s in subscriptions
        ]
    known_bad = set(
        (
            await session.scalars(
                select(ContactProblem.address).where(
                    ContactProblem.person_id == person.id, ContactProblem.channel == channel
                )
            )
        ).all()
    )
    return [address for address in addresses if address not in known_bad]


def reference(reminder_id: int) -> str:
    """Our id of a reminder's SMS, as the gateway names it in its delivery receipt."""
    return f"reminder-{reminder_id}"


async def messages_for(  # noqa: PLR0913 - keyword-only after the rows
    session: AsyncSession, reminder: Reminder, booking: Booking, person: Person, base_url: str, *,
    channel: str | None = None,
) -> tuple[Message, ...]:  # fmt: skip
    """The reminder's messages to the person's usable addresses on `channel` (by default the reminder's own)."""
    channel = channel or reminder.channel
    service = await session.get(Service, booking.service_id)
    department = await session.get(Department, booking.department_id)
    recipient = person if person.id == booking.recipient_id else await session.get(Person, booking.recipient_id)
    if service is None or department is None or recipient is None:  # foreign keys guarantee them
        raise LookupError(booking.id)
    subject, plain, html = reminder_message(
        person.language,
        recipient_name=recipient.given_name,
        for_someone_else=person.id != booking.recipient_id,
        service_name=service.name,
        department_name=department.name,
        department_phone=department.phone,
        starts_at_local=booking.starts_at.astimezone(ZoneInfo(department.timezone)),
        minutes=booking.minutes,
        lead_minutes=reminder.lead_minutes,
        manage_url=f"{base_url.rstrip('/')}/",
    )
    ref = reference(reminder.id) if channel == "sms" else None
    return tuple(
        Message(to=address, subject=subject, text=plain, html=html, language=person.language, url=base_url,
                reference=ref)
        for address in await _addresses(session, person, channel)
    )  # fmt: skip


async def claim(session: AsyncSession, reminder_id: int, now: datetime, base_url: str) -> Claimed | str:
    """Claim a due reminder for sending, or say why not (`gone`, `not_due`, `skipped`). Does not commit."""
    reminder = await session.scalar(
        select(Reminder).where(Reminder.id == reminder_id, Reminder.status == "scheduled")
        .with_for_update(skip_locked=True)
    )  # fmt: skip
    if reminder is None:
        return "gone"  # sent, skipped, dead, or being sent by another job right now
    if reminder.next_attempt_at > now:
        return "not_due"
    booking = await session.get(Booking, reminder.booking_id)
    if booking is None or booking.status != "booked" or booking.starts_at != reminder.starts_at:
        return _skip(reminder, "booking changed", now)
    if booking.starts_at <= now:
        return _skip(reminder, "too late: the visit has started", now)
    person = await session.get(Person, reminder.person_id)
    assert person is not None  # noqa: S101 - a foreign key guarantees it
    messages = await messages_for(session, reminder, booking, person, base_url)
    if not messages:
        return _skip(reminder, f"no usable {reminder.channel} address", now)
    reminder.status, reminder.changed_at = "sending", now
    reminder.attempts += 1
    return Claimed(reminder.id, reminder.attempts, reminder.channel, messages)


async def _deliver(channel: Channel, claimed: Claimed) -> tuple[int, list[tuple[str, str]], str | None]:
    """Send every message; count successes, collect refused addresses, and the last transient error."""
    sent, refused, transient = 0, [], None
    for message in claimed.messages:
        try:
            await channel.send(message)
            sent += 1
        except PermanentFailure as exc:
            refused.append((message.to, str(exc)[:500]))
        except TransientFailure as exc:
            transient = str(exc)[:500]
    return sent, refused, transient


async def acknowledge(  # noqa: PLR0913 - keyword-only; each is needed
    session: AsyncSession, claimed: Claimed, *, sent: int, refused: list[tuple[str, str]], transient: str | None,
    now: datetime,
) -> str:  # fmt: skip
    """Record the send's result; returns `sent`, `retry` (scheduled again, later) or `dead`."""
    reminder = await session.get(Reminder, claimed.reminder_id, with_for_update=True)
    assert reminder is not None  # noqa: S101 - claimed rows are never deleted while sending
    for address, reason in refused:
        await session.execute(
            insert(ContactProblem)
            .values(municipality_id=reminder.municipality_id, person_id=reminder.person_id, channel=claimed.channel,
                    address=address, reason=reason)
            .on_conflict_do_nothing(constraint="uq_contact_problem")
        )  # fmt: skip
    reminder.changed_at = now
    if sent:
        reminder.status, reminder.sent_at, reminder.last_error = "sent", now, None
        return "sent"
    if transient is not None and reminder.attempts < MAX_ATTEMPTS:
        retry_at = now + BACKOFF[reminder.attempts - 1]
        reminder.status, reminder.next_attempt_at, reminder.last_error = "scheduled", retry_at, transient
        return "retry"
    reminder.status = "dead"
    if claimed.channel == "sms" and reminder.fallback is None:  # the gateway refused it: e-mail instead, once
        reminder.fallback = "due"
    reminder.last_error = transient or (refused[0][1] if refused else "no address accepted the message")
    return "dead"


async def send_reminder(
    sessionmaker: async_sessionmaker[AsyncSession], channels: Mapping[str, Channel], reminder_id: int, *,
    now: Callable[[], datetime], base_url: str,
) -> str:  # fmt: skip
    """Claim, send, acknowledge.

    A transient failure puts the reminder back with a later `next_attempt_at`, where the periodic queueing
    finds it again (the database is the schedule).
    """
    async with sessionmaker.begin() as session:
        claimed = await claim(session, reminder_id, now(), base_url)
    if isinstance(claimed, str):
        return claimed
    sent, refused, transient = await _deliver(channels[claimed.channel], claimed)
    async with sessionmaker.begin() as session:
        status = await acknowledge(session, claimed, sent=sent, refused=refused, transient=transient, now=now())
    log.info("reminder %s: %s (attempt %s)", reminder_id, status, claimed.attempt)
    if status == "dead" and claimed.channel == "sms":
        await send_fallback(sessionmaker, channels, reminder_id, now=now, base_url=base_url)
    return status


async def _claim_fallback(session: AsyncSession, reminder_id: int, now: datetime, base_url: str) -> Claimed | str:
    """Claim the e-mail that stands in for a failed SMS, or say why there is none. Does not commit."""
    reminder = await session.scalar(
        select(Reminder).where(Reminder.id == reminder_id, Reminder.fallback == "due").with_for_update(skip_locked=True)
    )
    if reminder is None:
        return "gone"  # sent, being sent, or never due: never twice
    booking = await session.get(Booking, reminder.booking_id)
    person = await session.get(Person, reminder.person_id)
    assert person is not None  # noqa: S101 - a foreign key guarantees it
    current = booking is not None and booking.status == "booked" and booking.starts_at == reminder.starts_at
    # E-mail is allowed unless the person has since turned reminders off; too late once the visit has started.
    if booking is None or not current or booking.starts_at <= now or person.reminder_channel == "none":
        reminder.fallback, reminder.changed_at = "unwanted", now
        return "unwanted"
    messages = await messages_for(session, reminder, booking, person, base_url, channel="email")
    if not messages:  # no e-mail address, or one known to be bad
        reminder.fallback, reminder.changed_at = "unwanted", now
        return "unwanted"
    reminder.fallback, reminder.changed_at = "sending", now
    return Claimed(reminder.id, reminder.attempts, "email", messages)


async def send_fallback(
    sessionmaker: async_sessionmaker[AsyncSession], channels: Mapping[str, Channel], reminder_id: int, *,
    now: Callable[[], datetime], base_url: str,
) -> str:  # fmt: skip
    """Send a failed SMS reminder by e-mail, at most once: `sent`, `failed`, `unwanted` or `gone`.

    The claim (`fallback` from `due` to `sending`) is committed before the send, as for reminders: a repeated
    receipt or a second worker finds nothing due. A failed e-mail is recorded, not retried.
    """
    async with sessionmaker.begin() as session:
        claimed = await _claim_fallback(session, reminder_id, now(), base_url)
    if isinstance(claimed, str):
        log.info("reminder %s: e-mail in place of the SMS: %s", reminder_id, claimed)
        return claimed
    sent, refused, transient = await _deliver(channels["email"], claimed)
    async with sessionmaker.begin() as session:
        reminder = await session.get(Reminder, reminder_id, with_for_update=True)
        assert reminder is not None  # noqa: S101 - claimed rows are never deleted while sending
        for address, reason in refused:
            await session.execute(
                insert(ContactProblem)
                .values(municipality_id=reminder.municipality_id, person_id=reminder.person_id, channel="email",
                        address=address, reason=reason)
                .on_conflict_do_nothing(constraint="uq_contact_problem")
            )  # fmt: skip
        reminder.fallback, reminder.changed_at = ("sent" if sent else "failed"), now()
        if not sent:
            reminder.last_error = (transient or (refused[0][1] if refused else "e-mail refused"))[:500]
        status = reminder.fallback
    log.info("reminder %s: e-mail in place of the SMS: %s", reminder_id, status)
    return status


async def send_due_fallbacks(
    sessionmaker: async_sessionmaker[AsyncSession], channels: Mapping[str, Channel], *,
    now: Callable[[], datetime], base_url: str, limit: int = 100,
) -> int:  # fmt: skip
    """Send the e-mails due in place of failed SMS (after a failed delivery receipt); how many were looked at."""
    async with sessionmaker() as session:
        due = (
            await session.scalars(select(Reminder.id).where(Reminder.fallback == "due").order_by(Reminder.id)
                                  .limit(limit))
        ).all()  # fmt: skip
    for reminder_id in due:
        await send_fallback(sessionmaker, channels, reminder_id, now=now, base_url=base_url)
    return len(due)
