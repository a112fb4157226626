"""Send reminders at most once: claim a batch (committed), hand it to the channels, then record what happened.

The claim is the delivery record: once a reminder is `sending`, no job sends it again, whatever crashes. A
worker that dies between the send and the acknowledgement leaves it `sending`; reconciliation turns such a
reminder into a dead letter (it may have gone out) instead of sending it twice. Claims, sends and
acknowledgements go by the batch (`BATCH` reminders, a few statements, one SMTP connection).
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from booking.tables import Booking
from departments.tables import Department, Service
from notifications.channels import Channel, ChannelError, Message, PermanentFailure, send_all
from notifications.messages import reminder_message
from notifications.tables import ContactProblem, PushSubscription, Reminder
from people.tables import Person

log = logging.getLogger(__name__)
_Row = TypeVar("_Row", Booking, Person, Service, Department)

# Waits after the 1st, 2nd, ... failed attempt; after the last one the reminder is a dead letter.
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15), timedelta(hours=1))
MAX_ATTEMPTS = len(BACKOFF) + 1
BATCH = 100  # reminders claimed, sent and acknowledged together by one job


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
    visit = _Visit(reminder, booking, person, recipient, service, department)
    return _compose(visit, channel, await _addresses(session, person, channel), base_url)


@dataclass(frozen=True)
class _Visit:
    """A reminder with the rows its text is made from."""

    reminder: Reminder
    booking: Booking
    person: Person  # the reader: the recipient, or a proxy
    recipient: Person
    service: Service
    department: Department


def _compose(visit: _Visit, channel: str, addresses: list[str], base_url: str) -> tuple[Message, ...]:
    """The reminder's text in the reader's language, one message to each of `addresses`."""
    booking, person, department = visit.booking, visit.person, visit.department
    subject, plain, html = reminder_message(
        person.language,
        recipient_name=visit.recipient.given_name,
        for_someone_else=person.id != booking.recipient_id,
        service_name=visit.service.name,
        department_name=department.name,
        department_phone=department.phone,
        starts_at_local=booking.starts_at.astimezone(ZoneInfo(department.timezone)),
        minutes=booking.minutes,
        lead_minutes=visit.reminder.lead_minutes,
        manage_url=f"{base_url.rstrip('/')}/",
    )
    ref = reference(visit.reminder.id) if channel == "sms" else None
    return tuple(
        Message(to=address, subject=subject, text=plain, html=html, language=person.language, url=base_url,
                reference=ref)
        for address in addresses
    )  # fmt: skip


async def _due_rows(session: AsyncSession, now: datetime, ids: Sequence[int] | None, limit: int) -> Sequence[Reminder]:
    """Lock scheduled reminders: the oldest due ones, or those of `ids` (due or not); rows locked elsewhere are left."""
    query = select(Reminder).where(Reminder.status == "scheduled")
    if ids is None:
        query = query.where(Reminder.next_attempt_at <= now).order_by(Reminder.next_attempt_at, Reminder.id)
        query = query.limit(limit)
    else:
        query = query.where(Reminder.id.in_(list(ids))).order_by(Reminder.id)
    return (await session.scalars(query.with_for_update(skip_locked=True))).all()


async def _batch_addresses(session: AsyncSession, reminders: Sequence[Reminder], people: Mapping[uuid.UUID, Person]) \
        -> dict[int, list[str]]:  # fmt: skip
    """Each reminder's usable addresses on its channel (as `_addresses`, in three queries for the whole batch)."""
    person_ids = {reminder.person_id for reminder in reminders}
    bad = set(
        (
            await session.execute(
                select(ContactProblem.person_id, ContactProblem.channel, ContactProblem.address)
                .where(ContactProblem.person_id.in_(person_ids))
            )
        ).tuples().all()
    )  # fmt: skip
    pushing = {reminder.person_id for reminder in reminders if reminder.channel == "push"}
    devices: dict[uuid.UUID, list[str]] = {}
    if pushing:
        for subscription in await session.scalars(
            select(PushSubscription).where(PushSubscription.person_id.in_(pushing))
        ):
            devices.setdefault(subscription.person_id, []).append(
                json.dumps({"endpoint": subscription.endpoint,
                            "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth}})
            )  # fmt: skip
    found: dict[int, list[str]] = {}
    for reminder in reminders:
        person = people[reminder.person_id]
        if reminder.channel == "email":
            addresses = [person.email] if person.email else []
        elif reminder.channel == "sms":
            addresses = [person.phone] if person.phone else []
        else:
            addresses = devices.get(person.id, [])
        found[reminder.id] = [a for a in addresses if (person.id, reminder.channel, a) not in bad]
    return found


async def _by_id(session: AsyncSession, entity: type[_Row], ids: set[uuid.UUID]) -> dict[uuid.UUID, _Row]:
    """The rows of `entity` with these ids, by id, in one query."""
    rows = await session.scalars(select(entity).where(entity.id.in_(ids)))
    return {row.id: row for row in rows}


async def claim_batch(
    session: AsyncSession, now: datetime, base_url: str, *, ids: Sequence[int] | None = None, limit: int = BATCH
) -> dict[int, Claimed | str]:
    """Claim due reminders for sending: up to `limit` of the oldest due, or those of `ids`. Does not commit.

    Per reminder looked at: its `Claimed` (now `sending`, one attempt more), or why not (`not_due`, only
    for `ids`; `skipped`: the booking changed, the visit started, or no usable address). The rows are
    read in a few queries and written in one statement per outcome, however many there are.
    """
    reminders = await _due_rows(session, now, ids, limit)
    if not reminders:
        return {}
    bookings = await _by_id(session, Booking, {reminder.booking_id for reminder in reminders})
    people = await _by_id(
        session, Person,
        {reminder.person_id for reminder in reminders} | {booking.recipient_id for booking in bookings.values()},
    )  # fmt: skip
    services = await _by_id(session, Service, {booking.service_id for booking in bookings.values()})
    departments = await _by_id(session, Department, {booking.department_id for booking in bookings.values()})
    addresses = await _batch_addresses(session, reminders, people)
    outcomes: dict[int, Claimed | str] = {}
    skipped: dict[str, list[int]] = {}
    for reminder in reminders:
        booking = bookings.get(reminder.booking_id)
        if reminder.next_attempt_at > now:
            outcomes[reminder.id] = "not_due"
            continue
        if booking is None or booking.status != "booked" or booking.starts_at != reminder.starts_at:
            reason = "booking changed"
        elif booking.starts_at <= now:
            reason = "too late: the visit has started"
        else:
            visit = _Visit(reminder, booking, people[reminder.person_id], people[booking.recipient_id],
                           services[booking.service_id], departments[booking.department_id])  # fmt: skip
            messages = _compose(visit, reminder.channel, addresses[reminder.id], base_url)
            if messages:
                outcomes[reminder.id] = Claimed(reminder.id, reminder.attempts + 1, reminder.channel, messages)
                continue
            reason = f"no usable {reminder.channel} address"
        skipped.setdefault(reason, []).append(reminder.id)
        outcomes[reminder.id] = "skipped"
    for reason, skip_ids in skipped.items():
        await session.execute(
            update(Reminder).where(Reminder.id.in_(skip_ids))
            .values(status="skipped", last_error=reason, changed_at=now)
            .execution_options(synchronize_session=False)
        )  # fmt: skip
    claimed = [reminder_id for reminder_id, outcome in outcomes.items() if isinstance(outcome, Claimed)]
    if claimed:
        await session.execute(
            update(Reminder).where(Reminder.id.in_(claimed))
            .values(status="sending", changed_at=now, attempts=Reminder.attempts + 1)
            .execution_options(synchronize_session=False)
        )  # fmt: skip
    return outcomes


async def _deliver(channel: Channel, claimed: Claimed) -> tuple[int, list[tuple[str, str]], str | None]:
    """Send every message; count successes, collect refused addresses, and the last transient error."""
    return (await _deliver_all(channel, [claimed]))[claimed.reminder_id]


Results = dict[int, tuple[int, list[tuple[str, str]], str | None]]  # per reminder: as `_deliver` says


async def _deliver_all(
    channel: Channel, batch: Sequence[Claimed], progress: list[ChannelError | None] | None = None
) -> Results:
    """Send every message of the batch through `channel`, over one connection where it can.

    Per reminder, as `_deliver` says: messages sent, addresses refused, the last transient error. Each
    message's outcome is appended to `progress` as it is known (see `_interrupted`).
    """
    messages = [message for claimed in batch for message in claimed.messages]
    return _tally(batch, await send_all(channel, messages, progress))


def _tally(batch: Sequence[Claimed], failures: Sequence[ChannelError | None]) -> Results:
    """The results of the reminders whose messages all have an outcome in `failures` (in the batch's order)."""
    results: Results = {}
    start = 0
    for claimed in batch:
        end = start + len(claimed.messages)
        if end > len(failures):
            break
        sent, refused, transient = 0, [], None
        for message, failure in zip(claimed.messages, failures[start:end], strict=True):
            if failure is None:
                sent += 1
            elif isinstance(failure, PermanentFailure):
                refused.append((message.to, str(failure)[:500]))
            else:
                transient = str(failure)[:500]
        results[claimed.reminder_id] = (sent, refused, transient)
        start = end
    return results


async def _interrupted(
    sessionmaker: async_sessionmaker[AsyncSession], batch: Sequence[Claimed],
    progress: Sequence[ChannelError | None], now: datetime,
) -> None:  # fmt: skip
    """A batch stopped midway (a timeout, a shutdown): record what is known, once.

    The reminders whose messages all have an outcome are acknowledged; the ones none of whose messages
    was begun go back to `scheduled` (the attempt not counted); the one on its way stays `sending`, and
    reconciliation makes it a dead letter rather than risk sending it twice.
    """
    done = _tally(batch, progress)
    untried, start = [], 0
    for claimed in batch:
        if start > len(progress):
            untried.append(claimed.reminder_id)
        start += len(claimed.messages)
    async with sessionmaker.begin() as session:
        if done:
            await acknowledge_batch(session, [c for c in batch if c.reminder_id in done], done, now)
        if untried:
            await session.execute(
                update(Reminder).where(Reminder.id.in_(untried), Reminder.status == "sending")
                .values(status="scheduled", attempts=Reminder.attempts - 1, changed_at=now)
                .execution_options(synchronize_session=False)
            )  # fmt: skip
    log.warning("reminder batch stopped: %s recorded, %s scheduled again, %s left uncertain",
                len(done), len(untried), len(batch) - len(done) - len(untried))  # fmt: skip


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


async def acknowledge_batch(
    session: AsyncSession, batch: Sequence[Claimed], results: Results, now: datetime,
) -> dict[int, str]:  # fmt: skip
    """Record a batch's results: every reminder that went in one statement, the rest one by one (as `acknowledge`).

    A reminder counts as sent when one of its messages went; addresses refused on the way are recorded.
    """
    went = [claimed.reminder_id for claimed in batch if results[claimed.reminder_id][0] and
            not results[claimed.reminder_id][1]]  # fmt: skip
    if went:
        await session.execute(
            update(Reminder).where(Reminder.id.in_(went), Reminder.status == "sending")
            .values(status="sent", sent_at=now, last_error=None, changed_at=now)
            .execution_options(synchronize_session=False)
        )  # fmt: skip
    statuses = dict.fromkeys(went, "sent")
    for claimed in batch:
        if claimed.reminder_id not in statuses:
            sent, refused, transient = results[claimed.reminder_id]
            statuses[claimed.reminder_id] = await acknowledge(
                session, claimed, sent=sent, refused=refused, transient=transient, now=now
            )
    return statuses


async def send_due(  # noqa: PLR0913 - keyword-only after the channels
    sessionmaker: async_sessionmaker[AsyncSession], channels: Mapping[str, Channel], *,
    now: Callable[[], datetime], base_url: str, ids: Sequence[int] | None = None, limit: int = BATCH,
) -> dict[int, str]:  # fmt: skip
    """Claim a batch (committed), send it channel by channel, acknowledge it (committed); each one's outcome.

    Outcomes: `sent`, `retry` (scheduled again, later: the periodic queueing finds it), `dead`, `skipped`,
    `not_due` (only for `ids`). A reminder asked for by id and not claimable is left out: already sent,
    skipped or dead, or being sent by another job right now.

    A worker that dies while sending leaves the batch's unacknowledged reminders `sending`: reconciliation
    makes them dead letters rather than risk sending one twice.
    """
    async with sessionmaker.begin() as session:
        outcomes = await claim_batch(session, now(), base_url, ids=ids, limit=limit)
    statuses = {reminder_id: o for reminder_id, o in outcomes.items() if isinstance(o, str)}
    claimed = [outcome for outcome in outcomes.values() if isinstance(outcome, Claimed)]
    by_channel: dict[str, list[Claimed]] = {}
    for one in claimed:
        by_channel.setdefault(one.channel, []).append(one)
    groups = list(by_channel.items())
    for index, (name, batch) in enumerate(groups):
        progress: list[ChannelError | None] = []
        try:
            results = await _deliver_all(channels[name], batch, progress)
        except asyncio.CancelledError:
            later = [one for _, other in groups[index + 1 :] for one in other]  # not begun: scheduled again
            await asyncio.shield(_interrupted(sessionmaker, [*batch, *later], progress, now()))
            raise
        async with sessionmaker.begin() as session:
            statuses.update(await acknowledge_batch(session, batch, results, now()))
    for one in claimed:
        log.info("reminder %s: %s (attempt %s)", one.reminder_id, statuses[one.reminder_id], one.attempt)
        if statuses[one.reminder_id] == "dead" and one.channel == "sms":
            await send_fallback(sessionmaker, channels, one.reminder_id, now=now, base_url=base_url)
    return statuses


async def send_reminder(
    sessionmaker: async_sessionmaker[AsyncSession], channels: Mapping[str, Channel], reminder_id: int, *,
    now: Callable[[], datetime], base_url: str,
) -> str:  # fmt: skip
    """Claim, send, acknowledge one reminder: `sent`, `retry`, `dead`, `skipped`, `not_due` or `gone`.

    `gone`: already sent, skipped or dead, or being sent by another job right now.
    """
    statuses = await send_due(sessionmaker, channels, now=now, base_url=base_url, ids=[reminder_id])
    return statuses.get(reminder_id, "gone")


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
