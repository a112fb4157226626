"""Rendering calendar feeds: RFC 5545 shape, DST, status, sequence and language, read back with icalendar."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar, Event

from notifications.ical import FeedEvent, calendar_name, render_feed, render_single

OSLO = ZoneInfo("Europe/Oslo")
NOW = datetime(2026, 10, 1, 12, tzinfo=UTC)
# The Sundays around the changes: summer time ends 2026-10-25 and starts 2027-03-28.
DST_SUNDAYS = (date(2026, 10, 18), date(2026, 10, 25), date(2026, 11, 1), date(2027, 3, 21), date(2027, 3, 28),
               date(2027, 4, 4))  # fmt: skip


def event(start: datetime, **changes: object) -> FeedEvent:
    base = FeedEvent(
        booking_id=uuid.uuid4(),
        starts_at=start.astimezone(UTC),
        ends_at=(start + timedelta(hours=1)).astimezone(UTC),
        zone="Europe/Oslo",
        service="Avlastning",
        department="Solsikken avlastning",
        department_phone="22 33 44 55",
        department_address="Storgata 1, 0155 Oslo",
        status="booked",
        sequence=0,
        created_at=NOW - timedelta(days=2),
        changed_at=None,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def at_ten(day: date) -> datetime:
    return datetime.combine(day, time(10), tzinfo=OSLO)


def parse(body: str) -> tuple[Calendar, list[Event]]:
    calendar = Calendar.from_ical(body)
    return calendar, calendar.events


def test_the_calendar_has_what_rfc_5545_and_calendar_apps_need() -> None:
    body = render_feed([event(at_ten(date(2026, 10, 18)))], name="Mine timer", language="nb", now=NOW)
    lines = body.split("\r\n")
    for line in ("BEGIN:VCALENDAR", "VERSION:2.0", "CALSCALE:GREGORIAN", "METHOD:PUBLISH", "X-WR-CALNAME:Mine timer",
                 "REFRESH-INTERVAL;VALUE=DURATION:PT15M", "X-PUBLISHED-TTL:PT15M", "BEGIN:VTIMEZONE",
                 "TZID:Europe/Oslo"):  # fmt: skip
        assert line in lines
    assert any(line.startswith("PRODID:-//Tjenesteshop//") for line in lines)
    assert all(len(line.encode()) <= 75 for line in lines)  # folded as RFC 5545 says
    assert body.index("BEGIN:VTIMEZONE") < body.index("BEGIN:VEVENT")


def test_the_event_has_a_stable_uid_timestamps_in_utc_and_the_departments_zone() -> None:
    changed = NOW - timedelta(hours=3)
    one = event(at_ten(date(2026, 10, 18)), sequence=4, changed_at=changed)
    _, [vevent] = parse(render_feed([one], name="x", language="nb", now=NOW))
    assert vevent.uid == f"{one.booking_id}@tjenesteshop"
    assert vevent.sequence == 4
    assert vevent.DTSTAMP == NOW
    assert vevent.created == one.created_at
    assert vevent.last_modified == changed
    assert isinstance(vevent.start, datetime)
    assert vevent.start.tzinfo is not None
    assert str(vevent.start.tzinfo) == "Europe/Oslo"
    assert "DTSTART;TZID=Europe/Oslo:20261018T100000" in render_feed([one], name="x", language="nb", now=NOW)


@pytest.mark.parametrize("day", DST_SUNDAYS, ids=str)
def test_ten_oclock_stays_ten_oclock_across_the_dst_changes(day: date) -> None:
    start = at_ten(day)
    calendar, [vevent] = parse(render_feed([event(start)], name="x", language="nb", now=NOW))
    assert isinstance(vevent.start, datetime)
    assert isinstance(vevent.end, datetime)
    assert (vevent.start.hour, vevent.start.minute) == (10, 0)
    assert (vevent.end.hour, vevent.end.minute) == (11, 0)
    assert vevent.start.astimezone(UTC) == start.astimezone(UTC)
    # The VTIMEZONE itself (not only the TZID) gives the right offset on that day.
    [vtimezone] = calendar.timezones
    embedded = vtimezone.to_tz(lookup_tzid=False)
    assert vevent.start.replace(tzinfo=embedded).utcoffset() == start.utcoffset()


def test_the_repeated_autumn_hour_is_written_in_utc() -> None:
    first = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 summer time
    second = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)  # 02:30 again, winter time
    body = render_feed([event(first), event(second)], name="x", language="nb", now=NOW)
    assert "DTSTART:20261025T003000Z" in body
    assert "DTSTART:20261025T013000Z" in body
    starts = sorted(e.start for e in parse(body)[1] if isinstance(e.start, datetime))
    assert starts == [first, second]


def test_vtimezone_onsets_one_a_line_for_every_zone_used() -> None:
    oslo = event(at_ten(date(2026, 10, 18)))
    new_york = event(datetime(2027, 3, 21, 10, tzinfo=ZoneInfo("America/New_York")), zone="America/New_York")
    body = render_feed([oslo, new_york], name="x", language="nb", now=NOW)
    calendar, _ = parse(body)
    assert sorted(tz.tz_name for tz in calendar.timezones) == ["America/New_York", "Europe/Oslo"]
    assert not [line for line in body.split("\r\n") if line.startswith("RDATE") and "," in line]
    assert "RDATE:20270328T030000" in body
    assert "BEGIN:VTIMEZONE" not in render_feed([], name="x", language="nb", now=NOW)


@pytest.mark.parametrize(
    ("status", "expected"),
    [("booked", "CONFIRMED"), ("delivered", "CONFIRMED"), ("no_show", "CONFIRMED"), ("cancelled", "CANCELLED"),
     ("late_cancelled", "CANCELLED")],
)  # fmt: skip
def test_status(status: str, expected: str) -> None:
    _, [vevent] = parse(render_feed([event(at_ten(date(2026, 11, 1)), status=status)], name="x", language="nb",
                                    now=NOW))  # fmt: skip
    assert vevent.status == expected
    assert vevent.summary.startswith("Avlyst: ") == (expected == "CANCELLED")


@pytest.mark.parametrize(
    ("language", "summary", "description", "name"),
    [
        ("nb", "Avlastning (Ola)", "Avlastning hos Solsikken avlastning.", "Timer for dem jeg hjelper (Tjenesteshop)"),
        ("nn", "Avlastning (Ola)", "Avlastning hos Solsikken avlastning.", "Timar for dei eg hjelper (Tjenesteshop)"),
        ("en", "Avlastning (Ola)", "Avlastning at Solsikken avlastning.",
         "Bookings of the people I help (Tjenesteshop)"),
        ("xx", "Avlastning (Ola)", "Avlastning hos Solsikken avlastning.", "Timer for dem jeg hjelper (Tjenesteshop)"),
    ],
)  # fmt: skip
def test_language(language: str, summary: str, description: str, name: str) -> None:
    body = render_feed([event(at_ten(date(2026, 11, 1)), person="Ola")], name=calendar_name("proxy", language),
                       language=language, now=NOW)  # fmt: skip
    calendar, [vevent] = parse(body)
    assert vevent.summary == summary
    assert vevent.description.startswith(description)
    assert calendar.calendar_name == name


def test_cancelled_in_english_and_the_description_says_whom_to_call() -> None:
    _, [vevent] = parse(render_feed([event(at_ten(date(2026, 11, 1)), status="cancelled")], name="x", language="en",
                                    now=NOW))  # fmt: skip
    assert vevent.summary == "Cancelled: Avlastning"
    assert vevent.description.splitlines() == [
        "Avlastning at Solsikken avlastning.",
        "The booking is cancelled.",
        "Questions? Call Solsikken avlastning on 22 33 44 55.",
    ]


def test_home_visits_show_the_address_only_when_given() -> None:
    home = event(at_ten(date(2026, 11, 1)), home_visit=True)
    _, [vevent] = parse(render_feed([home], name="x", language="nb", now=NOW))
    assert vevent["LOCATION"] == "Hjemmebesøk"
    _, [staff] = parse(render_feed([replace(home, address="Bakkeveien 2")], name="x", language="nb", now=NOW))
    assert staff["LOCATION"] == "Bakkeveien 2"
    _, [visit] = parse(render_feed([event(at_ten(date(2026, 11, 1)))], name="x", language="nb", now=NOW))
    assert visit["LOCATION"] == "Solsikken avlastning, Storgata 1, 0155 Oslo"


def test_the_download_is_the_same_event_without_a_refresh_interval() -> None:
    one = event(at_ten(date(2027, 3, 28)), sequence=2)
    single = render_single(one, language="nb", now=NOW)
    calendar, [vevent] = parse(single)
    assert calendar["METHOD"] == "PUBLISH"
    assert "REFRESH-INTERVAL" not in calendar
    assert calendar.calendar_name == "Tjenesteshop"
    _, [in_feed] = parse(render_feed([one], name="x", language="nb", now=NOW))
    assert vevent.to_ical() == in_feed.to_ical()


def test_events_come_in_time_order_and_the_text_depends_only_on_its_input() -> None:
    later, earlier = event(at_ten(date(2026, 11, 1))), event(at_ten(date(2026, 10, 18)))
    body = render_feed([later, earlier], name="x", language="nb", now=NOW)
    _, events = parse(body)
    assert [e.uid for e in events] == [f"{earlier.booking_id}@tjenesteshop", f"{later.booking_id}@tjenesteshop"]
    assert render_feed([earlier, later], name="x", language="nb", now=NOW) == body
