"""Calendar feeds as RFC 5545 text: plain values in, a VCALENDAR out (the `icalendar` library writes it)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from notifications.ical_texts import words

PRODID = "-//Tjenesteshop//Timebestilling//NO"
UID_DOMAIN = "tjenesteshop"
# Calendar apps poll a subscribed feed; asking for every 15 minutes keeps a moved visit from going unseen for hours.
REFRESH = timedelta(minutes=15)
CANCELLED = frozenset({"cancelled", "late_cancelled"})


@dataclass(frozen=True)
class FeedEvent:
    """One booking as a calendar shows it. Times are UTC; `zone` is the department's time zone.

    Only what a calendar needs: the service's name is the one health detail (a feed URL may leak).
    """

    booking_id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    zone: str
    service: str  # the service's name in the feed's language
    department: str
    department_phone: str | None
    department_address: str | None
    status: str  # the booking's status (booked, cancelled, late_cancelled, delivered, no_show)
    sequence: int
    created_at: datetime
    changed_at: datetime | None
    person: str | None = None  # whose visit it is, on proxy and staff feeds
    home_visit: bool = False
    address: str | None = None  # the recipient's address: home visits on a staff feed only


def calendar_name(kind: str, language: str) -> str:
    """The calendar's name for a feed of `kind` (recipient, proxy, staff) or a downloaded `event`."""
    return words(language).calendar[kind]


def event_uid(booking_id: uuid.UUID) -> str:
    """The event's UID: stable for the booking's life, so a change replaces the event instead of adding one."""
    return f"{booking_id}@{UID_DOMAIN}"


def _summary(event: FeedEvent, language: str) -> str:
    said = words(language)
    summary = event.service if event.person is None else said.with_person.format(
        service=event.service, person=event.person
    )  # fmt: skip
    return said.cancelled.format(summary=summary) if event.status in CANCELLED else summary


def _description(event: FeedEvent, language: str) -> str:
    said = words(language)
    lines = [said.at_department.format(service=event.service, department=event.department)]
    if event.status in CANCELLED:
        lines.append(said.is_cancelled)
    if event.department_phone:
        lines.append(said.call.format(department=event.department, phone=event.department_phone))
    return "\n".join(lines)


def _location(event: FeedEvent, language: str) -> str:
    if event.home_visit:
        return event.address or words(language).home_visit
    return ", ".join(part for part in (event.department, event.department_address) if part)


def _wall_time(instant: datetime, zone: ZoneInfo) -> datetime:
    """The instant in the zone's local time; in UTC where that local time occurs twice (autumn's repeated hour).

    RFC 5545 reads a repeated local time as its first occurrence, and some parsers (ical.js) as the second:
    only UTC says which one is meant.
    """
    local = instant.astimezone(zone)
    if local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset():
        return instant.astimezone(UTC)
    return local


def _one_rdate_a_line(calendar: Calendar) -> None:
    """Write each VTIMEZONE onset date as its own RDATE line.

    icalendar lists them in one comma-separated RDATE, which RFC 5545 allows, but ical.js (Thunderbird's parser,
    used by many web calendars) reads only the first value of each RDATE and then misses every later change.
    """
    for timezone in calendar.timezones:
        for observance in timezone.subcomponents:
            found = observance.pop("RDATE", None)
            if found is None:
                continue
            for onset in sorted(value.dt for values in (found if isinstance(found, list) else [found])
                                for value in values.dts):  # fmt: skip
                observance.add("rdate", onset)


def _vevent(event: FeedEvent, language: str, now: datetime) -> Event:
    zone = ZoneInfo(event.zone)
    vevent = Event()
    vevent.add("uid", event_uid(event.booking_id))
    vevent.add("dtstamp", now.astimezone(UTC))
    vevent.add("created", event.created_at.astimezone(UTC))
    vevent.add("last-modified", (event.changed_at or event.created_at).astimezone(UTC))
    vevent.add("sequence", event.sequence)
    vevent.add("dtstart", _wall_time(event.starts_at, zone))
    vevent.add("dtend", _wall_time(event.ends_at, zone))
    vevent.add("status", "CANCELLED" if event.status in CANCELLED else "CONFIRMED")
    vevent.add("transp", "TRANSPARENT" if event.status in CANCELLED else "OPAQUE")
    vevent.add("class", "PRIVATE")
    vevent.add("summary", _summary(event, language))
    vevent.add("description", _description(event, language))
    vevent.add("location", _location(event, language))
    return vevent


def _calendar(events: Sequence[FeedEvent], *, name: str, language: str, now: datetime) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    for event in sorted(events, key=lambda e: (e.starts_at, str(e.booking_id))):
        calendar.add_component(_vevent(event, language, now))
    if events:
        # One VTIMEZONE per zone used, made by icalendar from the zoneinfo database, covering whole years
        # around the events (so the text stays the same from render to render while the events do).
        first = min(e.starts_at for e in events).year - 1
        last = max(e.ends_at for e in events).year + 2
        # The first year holds no event: ical.js ignores an observance's DTSTART when it has RDATEs.
        calendar.add_missing_timezones(first_date=date(first, 1, 1), last_date=date(last, 1, 1))
        _one_rdate_a_line(calendar)
    return calendar


def render_feed(events: Sequence[FeedEvent], *, name: str, language: str, now: datetime) -> str:
    """A subscribable feed: METHOD:PUBLISH, a VTIMEZONE for every zone used, a refresh interval.

    Args:
        events: The bookings to show (cancelled ones are shown with STATUS:CANCELLED).
        name: The calendar's name (`X-WR-CALNAME`).
        language: nb, nn or en, for summaries and descriptions.
        now: The moment of rendering (each event's DTSTAMP).

    """
    calendar = _calendar(events, name=name, language=language, now=now)
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT15M")
    return bytes(calendar.to_ical()).decode()


def render_single(event: FeedEvent, *, language: str, now: datetime) -> str:
    """One booking as a calendar file to download and import (METHOD:PUBLISH, the same event as in feeds)."""
    calendar = _calendar([event], name=calendar_name("event", language), language=language, now=now)
    return bytes(calendar.to_ical()).decode()
