"""The worker's periodic work: dispatch the outbox, queue the reminders due soon, reconcile with the database."""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from booking.tables import BookingEvent
from notifications import feeds, planning, sending
from notifications.tables import Reminder
from waitlist import holds
from webhooks import fanout

log = logging.getLogger(__name__)

BATCH = 200
MAX_EVENT_ATTEMPTS = 10  # an event that fails this often stops being retried and shows as a dead letter
UNCERTAIN_AFTER = timedelta(minutes=15)  # a send claimed this long ago and never acknowledged: the worker died
# Reconciliation plans the missing reminders due this soon; the outbox plans all of a changed booking's at once.
# Far more than the 10 minutes between passes, so a reminder is planned days before it is due.
PLAN_AHEAD = timedelta(days=2)
QUEUE_AT_MOST = 2000  # reminders queued per pass (5 s apart); the next pass takes the rest

# (when, batches, already due): queue that many batch sends for that time, each at most once while queued
Schedule = Callable[[datetime, int, bool], Awaitable[None]]


async def _dispatch_batch(session: AsyncSession, now: datetime) -> int:
    events = (
        await session.scalars(
            select(BookingEvent)
            .where(BookingEvent.processed_at.is_(None), BookingEvent.attempts < MAX_EVENT_ATTEMPTS)
            .order_by(BookingEvent.id)
            .limit(BATCH)
            .with_for_update(skip_locked=True)
        )
    ).all()
    if not events:
        return 0
    booking_ids = sorted({event.booking_id for event in events})
    await planning.skip_obsolete(session, now, booking_ids)
    await planning.plan(session, now, booking_ids)
    try:
        # The webhook deliveries are made in the transaction that marks the events processed: none is lost.
        async with session.begin_nested():
            await fanout.booking_events(session, events, now)
    except Exception:  # a bug here must not stop reminders; the events stay unprocessed and are tried again
        log.exception("webhook deliveries for booking events %s..%s failed", events[0].id, events[-1].id)
        for event in events:
            event.attempts += 1
        return len(events)
    refreshed: set[tuple[uuid.UUID, object]] = set()
    for event in events:
        key = (event.booking_id, event.details.get("previous_staff_id"))
        try:
            if key not in refreshed:
                async with session.begin_nested():
                    await feeds.refresh_for_booking(session, event.booking_id, event.details, now)
                refreshed.add(key)
            event.processed_at = now
        except Exception:  # one bad event must not stop the others; it is retried, then shown
            log.exception("booking event %s (%s) failed", event.id, event.kind)
            event.attempts += 1
        await _note_freed(session, event)
    return len(events)


async def _note_freed(session: AsyncSession, event: BookingEvent) -> None:
    """A cancellation or move freed a time: note it for the waitlist's offers (waitlist.passes offers it).

    In a savepoint of its own: a failure here is logged and never holds up the outbox.
    """
    if event.kind not in {"cancelled", "moved"} or event.processed_at is None:
        return
    try:
        async with session.begin_nested():
            await holds.record_freed(session, [event])
    except Exception:  # the outbox goes on; the freed time is not offered
        log.exception("booking event %s: noting the freed time for the waitlist failed", event.id)


async def dispatch_events(sessionmaker: async_sessionmaker[AsyncSession], now: datetime) -> int:
    """Handle committed booking events in batches: plan their reminders, refresh their feeds, mark them done."""
    handled = 0
    while True:
        async with sessionmaker.begin() as session:
            count = await _dispatch_batch(session, now)
        handled += count
        if count < BATCH:
            return handled


async def queue_due(
    sessionmaker: async_sessionmaker[AsyncSession], now: datetime, window: timedelta, schedule: Schedule
) -> int:
    """Queue sends for the reminders due within `window`: one batch job per `sending.BATCH` due at a time.

    Reminders already due are sent now, later ones at their time; a job claims whatever is due when it
    runs, so a job queued twice (or one whose reminders another took) sends nothing twice.
    """
    async with sessionmaker() as session:
        rows = (
            await session.scalars(
                select(Reminder.next_attempt_at)
                .where(Reminder.status == "scheduled", Reminder.next_attempt_at <= now + window)
                .order_by(Reminder.next_attempt_at)
                .limit(QUEUE_AT_MOST)
            )
        ).all()
    due = Counter(max(when, now) for when in rows)
    for when, count in sorted(due.items()):
        await schedule(when, -(-count // sending.BATCH), when <= now)
    return len(rows)


async def reconcile(
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: Callable[[], datetime],
    refresh_feeds: Callable[[AsyncSession, datetime], Awaitable[int]] | None = None,
) -> dict[str, int]:
    """Make the schedule match the bookings, whatever Redis lost: the database is the source of truth.

    Dispatches any waiting events (planning every reminder of each booking they name), plans the missing
    reminders of every upcoming booking that fall due within `PLAN_AHEAD` (after a restore, the rest follow
    pass by pass, long before they are due), skips obsolete ones, and turns sends that never came back into
    dead letters. Queueing what is due is `queue_due`'s.
    """
    now = clock()
    result = {"events": await dispatch_events(sessionmaker, now)}
    async with sessionmaker.begin() as session:
        result["skipped"] = await planning.skip_obsolete(session, now)
        result["planned"] = await planning.plan(session, now, ahead=PLAN_AHEAD)
        result["uncertain"] = await planning.give_up_uncertain(session, now, UNCERTAIN_AFTER)
        if refresh_feeds is not None:
            result["feeds"] = await refresh_feeds(session, now)
    return result
