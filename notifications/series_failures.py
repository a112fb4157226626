"""Tell the recipient (and the proxies who get their reminders) which occurrence of a series was not booked, and why.

A `series_failure` row is claimed and marked `notified_at` in one committed transaction before its messages go
out, so a pass that runs twice never sends twice; a channel's failure is logged, not retried (the failure stays
visible in the series' list in the app).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from booking.tables import BookingSeries, SeriesFailure
from departments.tables import Department, Service
from notifications.channels import Channel, ChannelError, Message
from notifications.readers import channel_of, readers
from notifications.sending import _addresses

log = logging.getLogger(__name__)

SENDS_AT_MOST = 50  # failures told a pass; the next pass takes the rest

REASONS = {
    "nb": {
        "slot_full": "tiden er full",
        "series_share_full": "faste avtaler har fylt sin del av tiden",
        "allocation_used_up": "timene i vedtaket er brukt opp",
        "outside_opening_hours": "avdelingen er stengt da",
        "overlaps_own_booking": "du har en annen avtale da",
        "no_valid_allocation": "du har ikke vedtak den dagen",
        "service_retired": "tjenesten tilbys ikke lenger",
        "series_not_allowed": "avdelingen tillater ikke faste avtaler",
        "no_such_time": "klokkeslettet finnes ikke den natten (sommertid)",
        "busy": "systemet var opptatt",
    },
    "nn": {
        "slot_full": "tida er full",
        "series_share_full": "faste avtalar har fylt sin del av tida",
        "allocation_used_up": "timane i vedtaket er brukte opp",
        "outside_opening_hours": "avdelinga er stengd då",
        "overlaps_own_booking": "du har ein annan avtale då",
        "no_valid_allocation": "du har ikkje vedtak den dagen",
        "service_retired": "tenesta blir ikkje tilboden lenger",
        "series_not_allowed": "avdelinga tillèt ikkje faste avtalar",
        "no_such_time": "klokkeslettet finst ikkje den natta (sommartid)",
        "busy": "systemet var oppteke",
    },
    "en": {
        "slot_full": "the time is full",
        "series_share_full": "recurring visits have filled their share of the time",
        "allocation_used_up": "the decision's hours are used up",
        "outside_opening_hours": "the department is closed then",
        "overlaps_own_booking": "you have another visit then",
        "no_valid_allocation": "you have no decision that day",
        "service_retired": "the service is no longer offered",
        "series_not_allowed": "the department does not allow recurring visits",
        "no_such_time": "that time does not exist that night (summer time)",
        "busy": "the system was busy",
    },
}
_TEXTS = {
    "nb": ("Fast avtale ble ikke booket", "Den faste avtalen din ({service}) {when} ble ikke booket: {reason}.",
           " Nærmeste ledige tider: {free}.", " Velg en annen tid i appen: {url}"),
    "nn": ("Fast avtale vart ikkje booka", "Den faste avtalen din ({service}) {when} vart ikkje booka: {reason}.",
           " Næraste ledige tider: {free}.", " Vel ei anna tid i appen: {url}"),
    "en": ("Recurring visit not booked", "Your recurring visit ({service}) {when} was not booked: {reason}.",
           " Nearest free times: {free}.", " Choose another time in the app: {url}"),
}  # fmt: skip


def failure_text(  # noqa: PLR0913 - keyword-only; one value each
    language: str, *, service: str, starts: datetime, reason: str, nearest: list[datetime], url: str
) -> tuple[str, str]:
    """The subject and text telling which date failed and why, with the nearest free times (bokmål when unknown)."""
    lang = language if language in _TEXTS else "nb"
    subject, body, free, link = _TEXTS[lang]
    moment = "%d.%m.%Y %H:%M" if lang != "en" else "%Y-%m-%d %H:%M"
    text = body.format(service=service, when=starts.strftime(moment), reason=REASONS[lang].get(reason, reason))
    if nearest:
        text += free.format(free=", ".join(t.strftime(moment) for t in nearest))
    return subject, text + link.format(url=url)


async def _claim(
    session: AsyncSession, failure: SeriesFailure, now: datetime, base_url: str
) -> list[tuple[str, Message]]:
    failure.notified_at = now
    series = await session.get(BookingSeries, failure.series_id)
    department = await session.get(Department, series.department_id) if series is not None else None
    service = await session.get(Service, series.service_id) if series is not None else None
    if series is None or department is None or service is None:  # foreign keys guarantee them
        return []
    zone = ZoneInfo(department.timezone)
    url = f"{base_url.rstrip('/')}/faste-avtaler"
    messages: list[tuple[str, Message]] = []
    for person in await readers(session, series.municipality_id, series.recipient_id, now.astimezone(zone).date()):
        channel = channel_of(person)
        if channel is None:
            continue
        subject, body = failure_text(
            person.language, service=service.name.get(person.language) or service.name.get("nb", ""),
            starts=failure.starts_at.astimezone(zone), reason=failure.reason,
            nearest=[datetime.fromisoformat(t).astimezone(zone) for t in failure.nearest], url=url,
        )  # fmt: skip
        messages += [(channel, Message(to=address, subject=subject, text=body, language=person.language, url=url))
                     for address in await _addresses(session, person, channel)]  # fmt: skip
    return messages


async def send_series_failures(
    sessionmaker: async_sessionmaker[AsyncSession], channels: Mapping[str, Channel], *, now: datetime, base_url: str
) -> int:
    """Claim the failures nobody has been told of yet, mark them, then send their messages; how many were told."""
    async with sessionmaker.begin() as session:
        failures = (
            await session.scalars(
                select(SeriesFailure).where(SeriesFailure.notified_at.is_(None)).order_by(SeriesFailure.id)
                .limit(SENDS_AT_MOST).with_for_update(skip_locked=True)
            )
        ).all()  # fmt: skip
        outgoing = [await _claim(session, failure, now, base_url) for failure in failures]
    for messages in outgoing:
        for channel, message in messages:
            try:
                await channels[channel].send(message)
            except ChannelError as exc:
                log.warning("series failure message not sent (%s): %s", channel, exc)
    return len(failures)
