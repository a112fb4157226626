"""Calendar feeds over HTTP: create, serve from storage with ETags, re-render on change, revoke; who sees what."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from icalendar import Calendar, Event
from litestar import Litestar
from redis.asyncio import Redis
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from booking import roster
from booking.service import BookRequest, book, cancel, move
from booking.tables import Allocation, Booking, BookingEvent
from core.clock import utcnow
from core.settings import Settings
from departments.tables import Service
from notifications import feeds, ical
from notifications.tables import CalendarFeed
from people.access import Principal
from people.audit import Origin
from people.tables import AuditEntry, Person, ProxyLink, RoleAssignment
from tests import icaljs_check
from tests.booking_world import at, bookable_day, open_department, service_of
from tests.world import World, build_world, sign_in

HEALTH_DETAIL = "Hjelp med insulin og sårstell"  # in the tjenestebeskrivelse: never in a feed


@pytest.fixture(scope="session")
def icaljs() -> None:
    icaljs_check.install()


@pytest.fixture
async def world(db_session: AsyncSession, settings: Settings) -> World:
    world = await build_world(db_session, settings)
    department = await open_department(db_session, world.departments["d1"], staff=3)
    department.phone = "22 33 44 55"
    service = await service_of(db_session, department.id)
    service.description = {"nb": HEALTH_DETAIL}
    db_session.add_all([
        # The proxy is a parent of two: the world's recipient and the other recipient, both served by d1.
        Allocation(municipality_id=world.municipality, recipient_id=world.people["other_recipient"],
                   department_id=department.id, service_id=service.id, minutes=600, period="week",
                   valid_from=bookable_day(0) - timedelta(days=7)),
        ProxyLink(municipality_id=world.municipality, proxy_id=world.people["proxy"],
                  recipient_id=world.people["other_recipient"], kind="parent",
                  valid_from=bookable_day(0) - timedelta(days=30)),
        # A second staff member of d1, to move a visit to.
        RoleAssignment(municipality_id=world.municipality, person_id=world.people["other_staff"], role="staff",
                       department_id=department.id),
    ])  # fmt: skip
    await db_session.commit()
    world.links["service"] = service.id
    return world


def _admin(world: World) -> Principal:
    return Principal(municipality_id=world.municipality, person_id=world.people["muni_admin"],
                     roles=frozenset({("municipality_admin", None)}))  # fmt: skip


async def _book(session: AsyncSession, world: World, who: str, day: date, hour: int) -> Booking:
    request = BookRequest(world.people[who], world.links["service"], at(day, hour), 60)
    booking = await book(session, _admin(world), Origin(), request, key=uuid.uuid4().hex, now=utcnow())
    await session.commit()
    return booking


async def _as(client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, who: str) -> None:
    redis: Redis = app.state.redis
    await sign_in(client, redis, settings, world, who)


async def _create(client: httpx.AsyncClient, kind: str, **extra: str) -> tuple[str, dict[str, object]]:
    response = await client.post("/api/v1/feeds", json={"kind": kind, **extra})
    assert response.status_code == 201, response.text
    body = response.json()
    return str(body["url"]).removeprefix("http://127.0.0.1:8000"), body


async def _fetch(client: httpx.AsyncClient, path: str) -> tuple[httpx.Response, list[Event]]:
    """GET a feed (anonymously, as a calendar app does) and check that ical.js reads it as icalendar does."""
    response = await client.get(path, headers={"cookie": "", "authorization": ""})
    assert response.status_code == 200, response.text
    await icaljs_check.agrees(response.text)
    return response, Calendar.from_ical(response.text).events


async def _refresh(session: AsyncSession, booking_id: uuid.UUID) -> int:
    """What the worker does for the booking's latest outbox event."""
    event = await session.scalar(
        select(BookingEvent).where(BookingEvent.booking_id == booking_id).order_by(BookingEvent.id.desc()).limit(1)
    )
    assert event is not None
    count = await feeds.refresh_for_booking(session, booking_id, event.details, utcnow())
    await session.commit()
    return count


async def _audited(session: AsyncSession, action: str) -> int:
    return int(await session.scalar(select(func.count()).where(AuditEntry.action == action)) or 0)


@pytest.mark.usefixtures("icaljs")
async def test_create_and_fetch_a_feed_with_etag(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, db_session: AsyncSession
) -> None:
    booking = await _book(db_session, world, "recipient", bookable_day(), 10)
    await _as(client, app, settings, world, "recipient")
    path, created = await _create(client, "recipient")
    assert str(created["webcal_url"]).startswith("webcal://127.0.0.1:8000/ical/")
    assert path.startswith("/ical/")
    assert path.endswith(".ics")
    assert await _audited(db_session, "calendar_feed.create") == 1
    response, events = await _fetch(client, path)
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert response.headers["cache-control"] == "private, max-age=300"
    [event] = events
    assert event.uid == f"{booking.id}@tjenesteshop"
    assert event.sequence == 0
    assert event.status == "CONFIRMED"
    assert event.summary == "Hjelp"  # the recipient's own feed names nobody
    assert isinstance(event.start, datetime)
    assert event.start.astimezone(ZoneInfo("Europe/Oslo")).time() == time(10)
    etag = response.headers["etag"]
    not_modified = await client.get(path, headers={"if-none-match": etag})
    assert not_modified.status_code == 304
    assert not_modified.content == b""
    assert not_modified.headers["etag"] == etag
    assert not_modified.headers["cache-control"] == "private, max-age=300"
    assert (await client.get(path, headers={"if-none-match": f'W/{etag}, "other"'})).status_code == 304
    assert (await client.get(path, headers={"if-none-match": '"other"'})).status_code == 200
    listed = (await client.get("/api/v1/feeds")).json()
    assert [(f["id"], f["kind"], f["language"]) for f in listed] == [(created["feed"]["id"], "recipient", "nb")]  # type: ignore[index]
    assert path.removeprefix("/ical/").startswith(listed[0]["prefix"])
    assert "url" not in listed[0]


@pytest.mark.usefixtures("icaljs")
async def test_a_change_is_served_only_after_the_worker_renders_it(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, db_session: AsyncSession
) -> None:
    day = bookable_day()
    booking = await _book(db_session, world, "recipient", day, 10)
    await _as(client, app, settings, world, "recipient")
    path, _ = await _create(client, "recipient", language="en")
    first, _ = await _fetch(client, path)
    await move(db_session, _admin(world), Origin(), booking.id, start=at(day, 13), minutes=None, now=utcnow())
    await db_session.commit()
    # Served from storage: until the worker renders, the feed does not touch the bookings.
    stale, [event] = await _fetch(client, path)
    assert stale.headers["etag"] == first.headers["etag"]
    assert event.sequence == 0
    assert await _refresh(db_session, booking.id) == 1
    moved, [event] = await _fetch(client, path)
    assert moved.headers["etag"] != first.headers["etag"]
    assert event.sequence == 1
    assert isinstance(event.start, datetime)
    assert event.start.astimezone(ZoneInfo("Europe/Oslo")) == at(day, 13)
    assert (await client.get(path, headers={"if-none-match": first.headers["etag"]})).status_code == 200
    await cancel(db_session, _admin(world), Origin(), booking.id, now=utcnow())
    await db_session.commit()
    await _refresh(db_session, booking.id)
    _, [event] = await _fetch(client, path)
    # The service has only a bokmål name.
    assert (event.status, event.sequence, event.summary) == ("CANCELLED", 2, "Cancelled: Hjelp")


@pytest.mark.usefixtures("icaljs")
async def test_revoked_and_unknown_feeds_answer_the_same_404(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, db_session: AsyncSession
) -> None:
    await _as(client, app, settings, world, "recipient")
    path, created = await _create(client, "recipient")
    feed_id = created["feed"]["id"]  # type: ignore[index]
    await _fetch(client, path)
    await _as(client, app, settings, world, "other_recipient")
    assert (await client.delete(f"/api/v1/feeds/{feed_id}")).status_code == 404  # someone else's
    await _as(client, app, settings, world, "recipient")
    assert (await client.delete(f"/api/v1/feeds/{feed_id}")).status_code == 204
    assert await _audited(db_session, "calendar_feed.revoke") == 1
    assert (await client.delete(f"/api/v1/feeds/{feed_id}")).status_code == 404
    assert (await client.get("/api/v1/feeds")).json() == []
    revoked = await client.get(path)
    unknown = await client.get(f"/ical/{uuid.uuid4().hex}.ics")
    for response in (revoked, unknown, await client.get(path.removesuffix(".ics"))):
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
        assert "etag" not in response.headers
    assert {k: v for k, v in revoked.json().items() if k != "instance"} == {
        k: v for k, v in unknown.json().items() if k != "instance"
    }
    feed = await db_session.get(CalendarFeed, uuid.UUID(str(feed_id)))
    assert feed is not None
    assert feed.body is None  # nothing of the calendar stays behind a dead address


@pytest.mark.usefixtures("icaljs")
async def test_the_event_file_is_for_those_who_may_see_the_booking(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, db_session: AsyncSession
) -> None:
    booking = await _book(db_session, world, "recipient", bookable_day(), 9)
    path = f"/api/v1/bookings/{booking.id}/event.ics"
    for who in ("other_recipient", "expired_proxy", "new_person", "foreign_admin"):
        await _as(client, app, settings, world, who)
        assert (await client.get(path)).status_code == 404, who
    await _as(client, app, settings, world, "anonymous")
    assert (await client.get(path)).status_code == 401
    assert await _audited(db_session, "booking.export") == 0
    await _as(client, app, settings, world, "recipient")
    mine = await client.get(path, headers={"accept-language": "nn"})
    assert mine.status_code == 200
    assert mine.headers["content-type"] == "text/calendar; charset=utf-8"
    assert mine.headers["content-disposition"].startswith('attachment; filename="tjenesteshop-')
    calendar = Calendar.from_ical(mine.text)
    assert calendar["METHOD"] == "PUBLISH"
    [event] = calendar.events
    assert (event.uid, event.summary) == (f"{booking.id}@tjenesteshop", "Hjelp")
    assert event.description.startswith("Hjelp hos Avdeling d1.")
    await icaljs_check.agrees(mine.text)
    await _as(client, app, settings, world, "proxy")
    [event] = Calendar.from_ical((await client.get(path)).text).events
    assert event.summary == "Hjelp (Recipient)"
    # A download link names the app's language (the browser sends its own Accept-Language): the service's name in it.
    service = await db_session.get(Service, booking.service_id)
    assert service is not None
    service.name = {"nb": "Hjelp", "en": "Help"}
    await db_session.commit()
    english = await client.get(path, params={"lang": "en"}, headers={"accept-language": "nb-NO"})
    [event] = Calendar.from_ical(english.text).events
    assert event.summary == "Help (Recipient)"
    assert (await client.get(path, params={"lang": "sv"})).status_code == 422
    assert await _audited(db_session, "booking.export") == 3


@pytest.mark.usefixtures("icaljs")
async def test_a_parents_feed_holds_both_children(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, db_session: AsyncSession
) -> None:
    day = bookable_day()
    one = await _book(db_session, world, "recipient", day, 10)
    two = await _book(db_session, world, "other_recipient", day, 10)
    await _as(client, app, settings, world, "proxy")
    path, _ = await _create(client, "proxy")
    _, events = await _fetch(client, path)
    assert sorted((e.uid, e.summary) for e in events) == sorted([
        (f"{one.id}@tjenesteshop", "Hjelp (Recipient)"), (f"{two.id}@tjenesteshop", "Hjelp (Other Recipient)"),
    ])  # fmt: skip
    # A change to one child's booking re-renders the parent's feed.
    await cancel(db_session, _admin(world), Origin(), two.id, now=utcnow())
    await db_session.commit()
    assert await _refresh(db_session, two.id) == 1
    _, events = await _fetch(client, path)
    assert {e.uid: e.status for e in events}[f"{two.id}@tjenesteshop"] == "CANCELLED"
    # A proxy whose link has ended may not make one.
    await _as(client, app, settings, world, "expired_proxy")
    refused = await client.post("/api/v1/feeds", json={"kind": "proxy"})
    assert refused.status_code == 403
    assert refused.json()["type"] == "urn:tjenesteshop:problem:feed_kind_not_allowed"


@pytest.mark.usefixtures("icaljs")
async def test_a_staff_feed_holds_the_assigned_visits_and_follows_a_reassignment(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, db_session: AsyncSession
) -> None:
    service = await db_session.get(Service, world.links["service"])
    recipient = await db_session.get(Person, world.people["recipient"])
    assert service is not None
    assert recipient is not None
    service.home_visit, recipient.address = True, "Bakkeveien 2, 0150 Oslo"
    await db_session.commit()
    booking = await _book(db_session, world, "recipient", bookable_day(), 11)
    _unassigned = await _book(db_session, world, "other_recipient", bookable_day(), 11)
    paths = {}
    for who in ("staff", "other_staff"):
        await _as(client, app, settings, world, who)
        paths[who], _ = await _create(client, "staff")
        assert (await _fetch(client, paths[who]))[1] == []
    await roster.assign(db_session, _admin(world), Origin(), booking.id, world.people["staff"])
    await db_session.commit()
    assert await _refresh(db_session, booking.id) == 1  # the staff feed (the recipient has none)
    # A lock screen shows it: by default the recipient's initials and the service, no name, no home address.
    [event] = (await _fetch(client, paths["staff"]))[1]
    assert event.summary == "Hjelp (R. T.)"
    assert "Bakkeveien" not in (await client.get(paths["staff"], headers={"cookie": ""})).text
    assert "Testesen" not in (await client.get(paths["staff"], headers={"cookie": ""})).text
    # The department turns on the full text: the staff feeds show it at once.
    await _as(client, app, settings, world, "dept_admin")
    changed = await client.patch(f"/api/v1/departments/{world.departments['d1']}", json={"staff_feed_details": True})
    assert changed.status_code == 200, changed.text
    assert changed.json()["staff_feed_details"] is True
    [event] = (await _fetch(client, paths["staff"]))[1]
    assert event.summary == "Hjelp (Recipient Testesen)"
    assert event["LOCATION"] == "Bakkeveien 2, 0150 Oslo"
    await roster.assign(db_session, _admin(world), Origin(), booking.id, world.people["other_staff"])
    await db_session.commit()
    assert await _refresh(db_session, booking.id) == 2  # the new staff member's feed and the previous one's
    assert (await _fetch(client, paths["staff"]))[1] == []
    [event] = (await _fetch(client, paths["other_staff"]))[1]
    assert (event.uid, event.sequence) == (f"{booking.id}@tjenesteshop", 2)


@pytest.mark.usefixtures("icaljs")
async def test_no_health_detail_beyond_the_service_name(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, db_session: AsyncSession
) -> None:
    booking = await _book(db_session, world, "recipient", bookable_day(), 12)
    await roster.assign(db_session, _admin(world), Origin(), booking.id, world.people["staff"])
    await db_session.commit()
    bodies = []
    for who, kind in (("recipient", "recipient"), ("proxy", "proxy"), ("staff", "staff")):
        await _as(client, app, settings, world, who)
        path, _ = await _create(client, kind)
        bodies.append((await _fetch(client, path))[0].text)
    for body in bodies:
        assert "Hjelp" in body
        assert "insulin" not in body
        assert world.national_ids["recipient"] not in body
        assert "minutes" not in body.lower()
        assert "vedtak" not in body.lower()
    assert "Testesen" not in bodies[0] + bodies[1]  # only staff see the family name


async def test_a_feed_must_fit_the_caller_and_refusals_write_nothing(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, db_session: AsyncSession
) -> None:
    cases = [
        ("recipient", "staff", 403), ("recipient", "proxy", 403), ("staff", "recipient", 403),
        ("muni_admin", "staff", 403), ("token_admin", "recipient", 403), ("anonymous", "recipient", 401),
    ]  # fmt: skip
    for who, kind, status in cases:
        await _as(client, app, settings, world, who)
        response = await client.post("/api/v1/feeds", json={"kind": kind})
        assert response.status_code == status, (who, kind)
    await _as(client, app, settings, world, "recipient")
    assert (await client.post("/api/v1/feeds", json={"kind": "everyone"})).status_code == 422
    assert (await client.post("/api/v1/feeds", json={"kind": "recipient", "language": "sv"})).status_code == 422
    assert await db_session.scalar(select(func.count()).select_from(CalendarFeed)) == 0
    assert await _audited(db_session, "calendar_feed.create") == 0
    for _ in range(feeds.FEEDS_PER_PERSON):
        await _create(client, "recipient")
    too_many = await client.post("/api/v1/feeds", json={"kind": "recipient"})
    assert too_many.status_code == 409
    assert too_many.json()["type"] == "urn:tjenesteshop:problem:feed_limit_reached"


@pytest.mark.usefixtures("icaljs")
async def test_the_daily_refresh_drops_long_cancelled_visits_and_keeps_unchanged_etags(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, db_session: AsyncSession
) -> None:
    day = bookable_day()
    kept = await _book(db_session, world, "recipient", day, 9)
    dropped = await _book(db_session, world, "recipient", day, 12)
    await cancel(db_session, _admin(world), Origin(), dropped.id, now=utcnow())
    await db_session.commit()
    await _as(client, app, settings, world, "recipient")
    path, _ = await _create(client, "recipient")
    first, events = await _fetch(client, path)
    assert {e.uid: e.status for e in events} == {f"{kept.id}@tjenesteshop": "CONFIRMED",
                                                 f"{dropped.id}@tjenesteshop": "CANCELLED"}  # fmt: skip
    assert await feeds.refresh_all(db_session, utcnow() + timedelta(minutes=5)) == 1
    await db_session.commit()
    again, _ = await _fetch(client, path)
    assert again.headers["etag"] == first.headers["etag"]  # nothing changed but the render time
    # Thirty-one days after the cancellation it is gone; a feed without a body is rendered too.
    later = utcnow() + timedelta(days=31)
    await db_session.execute(update(Booking).where(Booking.id == dropped.id).values(changed_at=utcnow()))
    await db_session.execute(update(CalendarFeed).values(body=None, etag=None))
    assert await feeds.refresh_all(db_session, later) == 1
    await db_session.commit()
    _, events = await _fetch(client, path)
    assert [e.uid for e in events] == [f"{kept.id}@tjenesteshop"]  # the visit itself is within 30 days back


async def test_refresh_for_a_booking_without_feeds_or_gone_renders_nothing(
    world: World, db_session: AsyncSession
) -> None:
    booking = await _book(db_session, world, "recipient", bookable_day(), 14)
    assert await feeds.refresh_for_booking(db_session, booking.id, {}, utcnow()) == 0
    assert await feeds.refresh_for_booking(db_session, uuid.uuid4(), {"previous_staff_id": None}, utcnow()) == 0
    assert await feeds.refresh_for_booking(db_session, booking.id, {"previous_staff_id": "not-a-uuid"}, utcnow()) == 0


@pytest.mark.usefixtures("icaljs")
async def test_ical_js_reads_the_dst_sundays_at_ten_local() -> None:
    zone = ZoneInfo("Europe/Oslo")
    days = (date(2026, 10, 18), date(2026, 10, 25), date(2026, 11, 1), date(2027, 3, 21), date(2027, 3, 28),
            date(2027, 4, 4))  # fmt: skip
    events = [
        ical.FeedEvent(
            booking_id=uuid.uuid4(), starts_at=datetime.combine(day, time(10), tzinfo=zone).astimezone(UTC),
            ends_at=datetime.combine(day, time(11), tzinfo=zone).astimezone(UTC), zone="Europe/Oslo",
            service="Avlastning", department="Solsikken", department_phone=None, department_address=None,
            status="booked", sequence=0, created_at=datetime(2026, 9, 1, tzinfo=UTC), changed_at=None,
        )
        for day in days
    ]  # fmt: skip
    body = ical.render_feed(events, name="x", language="nb", now=datetime(2026, 10, 1, tzinfo=UTC))
    parsed = await icaljs_check.agrees(body)
    assert sorted(e["start"]["local"] for e in parsed.values()) == [f"{day.isoformat()}T10:00:00" for day in days]
    assert sorted(e["end"]["local"] for e in parsed.values()) == [f"{day.isoformat()}T11:00:00" for day in days]
    assert {e["start"]["zone"] for e in parsed.values()} == {"Europe/Oslo"}


@pytest.mark.usefixtures("icaljs")
async def test_ending_a_proxy_link_takes_effect_at_once_in_the_api_and_the_feed(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, db_session: AsyncSession
) -> None:
    one = await _book(db_session, world, "recipient", bookable_day(), 10)
    two = await _book(db_session, world, "other_recipient", bookable_day(), 10)
    await _as(client, app, settings, world, "proxy")
    path, _ = await _create(client, "proxy")
    _, events = await _fetch(client, path)
    assert {e.uid for e in events} == {f"{one.id}@tjenesteshop", f"{two.id}@tjenesteshop"}
    mine = {"recipient_id": str(world.people["recipient"])}
    assert (await client.get("/api/v1/bookings", params=mine)).status_code == 200
    await _as(client, app, settings, world, "muni_admin")
    ended = await client.post(f"/api/v1/proxy-links/{world.links['proxy']}/end")
    assert ended.status_code == 201, ended.text
    await _as(client, app, settings, world, "proxy")
    # Not at midnight: now, the same day, in the API and in the calendar app.
    assert (await client.get("/api/v1/bookings", params=mine)).status_code == 404
    assert [p["id"] for p in (await client.get("/api/v1/me")).json()["acts_for"]] == [
        str(world.people["other_recipient"])
    ]
    _, events = await _fetch(client, path)
    assert [e.uid for e in events] == [f"{two.id}@tjenesteshop"]


async def test_a_staff_feed_stops_serving_when_the_staff_role_is_revoked(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World
) -> None:
    await _as(client, app, settings, world, "staff")
    path, _ = await _create(client, "staff")
    assert (await client.get(path, headers={"cookie": ""})).status_code == 200
    await _as(client, app, settings, world, "muni_admin")
    revoked = await client.delete(f"/api/v1/persons/{world.people['staff']}/roles/{world.roles['staff']}")
    assert revoked.status_code == 204, revoked.text
    assert (await client.get(path, headers={"cookie": "", "authorization": ""})).status_code == 404
