"""Calendar feeds: secret iCal URLs per person, rendered when a booking changes and served from storage."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, Date, Select, cast, exists, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from booking.access import visible_in_department
from booking.tables import Booking
from core.errors import DomainError, NotFoundError
from departments.tables import Department, Service, service_text
from notifications import ical
from notifications.tables import CalendarFeed
from people.access import Principal, proxy_link_live
from people.audit import Origin, record
from people.errors import ForbiddenError
from people.tables import Person, ProxyLink, RoleAssignment
from people.tokens import hash_token

KEEP_PAST = timedelta(days=30)  # past visits, and cancelled ones after the change, stay this long
# Bookings never start later than a department's horizon (at most 60 days) after they were made.
AHEAD = timedelta(days=62)
FEEDS_PER_PERSON = 10  # each live feed is re-rendered on every change it shows: keep the count small
PREFIX_LENGTH = 6


class FeedKindNotAllowedError(DomainError):
    """The caller may not have a feed of this kind (not a recipient, proxy for nobody, not staff)."""

    code = "feed_kind_not_allowed"


class FeedLimitError(DomainError):
    """The person already has as many live feeds as allowed."""

    code = "feed_limit_reached"


def _department_today(now: datetime) -> ColumnElement[date]:
    """`now`'s date in the booking's department's time zone (proxy links are valid on local dates)."""
    return cast(func.timezone(Department.timezone, literal(now)), Date)


def _valid_proxy(proxy_id: ColumnElement[uuid.UUID] | uuid.UUID, now: datetime) -> ColumnElement[bool]:
    """A proxy link from `proxy_id` to the booking's recipient, valid on the local date of its department."""
    today = _department_today(now)
    return exists().where(
        ProxyLink.municipality_id == Booking.municipality_id,
        ProxyLink.recipient_id == Booking.recipient_id,
        ProxyLink.proxy_id == proxy_id,
        ProxyLink.valid_from <= today,
        or_(ProxyLink.valid_to.is_(None), ProxyLink.valid_to >= today),
        proxy_link_live(),
    )


def _links_near(now: datetime) -> ColumnElement[bool]:
    """Proxy links valid on some date within a day of `now`'s UTC date: every time zone's today is among them."""
    return (ProxyLink.valid_from <= now.date() + timedelta(days=1)) & or_(
        ProxyLink.valid_to.is_(None), ProxyLink.valid_to >= now.date() - timedelta(days=1)
    )


def _whose(feed: CalendarFeed, now: datetime) -> ColumnElement[bool]:
    if feed.kind == "recipient":
        return Booking.recipient_id == feed.person_id
    if feed.kind == "proxy":
        # The plain subquery lets PostgreSQL start from the proxy's few recipients (their bookings by index);
        # the exact test, on the department's local date, then filters those.
        near = select(ProxyLink.recipient_id).where(
            ProxyLink.proxy_id == feed.person_id, ProxyLink.municipality_id == feed.municipality_id, _links_near(now)
        )
        return Booking.recipient_id.in_(near) & _valid_proxy(feed.person_id, now)
    return Booking.assigned_staff_id == feed.person_id


def _in_window(now: datetime) -> ColumnElement[bool]:
    """From 30 days back to the horizon; cancelled visits until 30 days after they were cancelled."""
    changed = func.coalesce(Booking.changed_at, Booking.created_at)
    return (
        (Booking.ends_at >= now - KEEP_PAST)
        & (Booking.starts_at < now + AHEAD)
        & or_(Booking.status.not_in(ical.CANCELLED), changed >= now - KEEP_PAST)
    )


Found = tuple[Booking, Service, Department, Person]


def feed_event(view: str, language: str, found: Found) -> ical.FeedEvent:
    """A booking as a calendar of `view` (recipient, proxy, staff) shows it: names to others, addresses to staff."""
    booking, service, department, recipient = found
    person = None
    full = view == "staff" and department.staff_feed_details
    if view == "proxy":
        person = recipient.given_name  # enough for a parent to tell the children apart
    elif full:
        person = f"{recipient.given_name} {recipient.family_name}"
    elif view == "staff":  # a lock screen shows it: initials, unless the department turns the full text on
        person = initials(recipient.given_name, recipient.family_name)
    return ical.FeedEvent(
        booking_id=booking.id,
        starts_at=booking.starts_at,
        ends_at=booking.ends_at,
        zone=department.timezone,
        service=service_text(service.name, language),
        department=department.name,
        department_phone=department.phone,
        department_address=department.address,
        status=booking.status,
        sequence=booking.sequence,
        created_at=booking.created_at,
        changed_at=booking.changed_at,
        person=person,
        home_visit=service.home_visit,
        address=recipient.address if full and service.home_visit else None,
    )


def initials(given_name: str, family_name: str) -> str:
    """`Kari Nordmann` as `K. N.` (every part of the name, hyphenated ones too)."""
    parts = f"{given_name} {family_name}".replace("-", " ").split()
    return " ".join(f"{p[0].upper()}." for p in parts if p)


def _with_details() -> Select[Found]:
    return (
        select(Booking, Service, Department, Person)
        .join(Service, Service.id == Booking.service_id)
        .join(Department, Department.id == Booking.department_id)
        .join(Person, Person.id == Booking.recipient_id)
    )


async def _events(session: AsyncSession, feed: CalendarFeed, now: datetime) -> list[ical.FeedEvent]:
    rows = await session.execute(
        _with_details()
        .where(Booking.municipality_id == feed.municipality_id, _whose(feed, now), _in_window(now))
        .order_by(Booking.starts_at, Booking.id)
    )
    return [feed_event(feed.kind, feed.language, found) for found in rows.tuples()]


def _without_stamps(body: str) -> list[str]:
    return [line for line in body.splitlines() if not line.startswith("DTSTAMP:")]


async def render(session: AsyncSession, feed: CalendarFeed, now: datetime) -> None:
    """Render the feed's body and ETag from the bookings now.

    When nothing but the render time changed, the stored body and ETag stay, so calendar apps get a 304.
    """
    events = await _events(session, feed, now)
    body = ical.render_feed(events, name=ical.calendar_name(feed.kind, feed.language), language=feed.language,
                            now=now)  # fmt: skip
    if feed.body is None or _without_stamps(feed.body) != _without_stamps(body):
        feed.body = body
        feed.etag = hashlib.sha256(body.encode()).hexdigest()
    feed.rendered_at = now


async def _may_have(session: AsyncSession, principal: Principal, kind: str, today: date) -> bool:
    if kind == "recipient":
        return principal.has_role("recipient")
    if kind == "staff":
        return principal.has_role("staff")
    valid_link = select(ProxyLink.id).where(
        ProxyLink.proxy_id == principal.person_id,
        ProxyLink.municipality_id == principal.municipality_id,
        ProxyLink.valid_from <= today,
        or_(ProxyLink.valid_to.is_(None), ProxyLink.valid_to >= today),
        proxy_link_live(),
    )
    return await session.scalar(valid_link.limit(1)) is not None


def _own_live(principal: Principal) -> ColumnElement[bool]:
    return (
        (CalendarFeed.municipality_id == principal.municipality_id)
        & (CalendarFeed.person_id == principal.person_id)
        & CalendarFeed.revoked_at.is_(None)
    )


async def create_feed(  # noqa: PLR0913 - keyword-only after the kind; each is needed
    session: AsyncSession, principal: Principal, origin: Origin, kind: str, language: str | None, *, now: datetime,
    today: date,
) -> tuple[CalendarFeed, str]:  # fmt: skip
    """Create a feed of `kind` for the signed-in person, rendered at once; return it and its secret.

    The secret is stored only as its SHA-256 and never shown again. `language` defaults to the person's.

    Raises:
        ForbiddenError: The caller is an integration, not a person.
        FeedKindNotAllowedError: `recipient` needs the recipient role, `proxy` a valid proxy link, `staff` staff.
        FeedLimitError: The person already has `FEEDS_PER_PERSON` live feeds.

    """
    if principal.person_id is None:
        raise ForbiddenError
    if not await _may_have(session, principal, kind, today):
        raise FeedKindNotAllowedError(kind=kind)
    live = await session.scalar(select(func.count()).select_from(CalendarFeed).where(_own_live(principal)))
    if (live or 0) >= FEEDS_PER_PERSON:
        raise FeedLimitError(limit=FEEDS_PER_PERSON)
    person = await session.get(Person, principal.person_id)
    assert person is not None  # noqa: S101 - a signed-in principal's person exists
    secret = secrets.token_urlsafe(32)
    feed = CalendarFeed(
        municipality_id=principal.municipality_id, person_id=person.id, kind=kind, token_hash=hash_token(secret),
        prefix=secret[:PREFIX_LENGTH], language=language or person.language,
    )  # fmt: skip
    session.add(feed)
    await render(session, feed, now)
    await session.flush()
    await record(session, principal, origin, action="calendar_feed.create", object_type="calendar_feed",
                 object_id=feed.id, subject_person_id=person.id)  # fmt: skip
    return feed, secret


async def list_feeds(session: AsyncSession, principal: Principal) -> Sequence[CalendarFeed]:
    """The signed-in person's live feeds, newest first (without secrets: only their prefixes)."""
    if principal.person_id is None:
        raise ForbiddenError
    query = select(CalendarFeed).where(_own_live(principal)).order_by(CalendarFeed.created_at.desc())
    return (await session.scalars(query)).all()


async def revoke_feed(
    session: AsyncSession, principal: Principal, origin: Origin, feed_id: uuid.UUID, *, now: datetime
) -> None:
    """Revoke one of one's own live feeds: its URL answers 404 from now on. Anyone else's is a 404."""
    if principal.person_id is None:
        raise ForbiddenError
    feed = await session.scalar(
        select(CalendarFeed).where(CalendarFeed.id == feed_id, _own_live(principal)).with_for_update()
    )
    if feed is None:
        raise NotFoundError
    feed.revoked_at = now
    feed.body = None  # nothing of the calendar stays behind a dead URL
    await record(session, principal, origin, action="calendar_feed.revoke", object_type="calendar_feed",
                 object_id=feed.id, subject_person_id=principal.person_id)  # fmt: skip


# A staff feed serves only while its person is staff: revoking the role closes the feed at once.
_STILL_STAFF = exists().where(
    RoleAssignment.person_id == CalendarFeed.person_id,
    RoleAssignment.municipality_id == CalendarFeed.municipality_id,
    RoleAssignment.role == "staff",
)


async def find_feed(session: AsyncSession, secret: str) -> CalendarFeed | None:
    """The live feed behind a secret, or None (unknown, revoked, and a staff feed of someone no longer staff)."""
    feed: CalendarFeed | None = await session.scalar(
        select(CalendarFeed).where(
            CalendarFeed.token_hash == hash_token(secret),
            CalendarFeed.revoked_at.is_(None),
            or_(CalendarFeed.kind != "staff", _STILL_STAFF),
        )
    )
    return feed


async def refresh_staff_feeds(session: AsyncSession, department: Department, now: datetime) -> int:
    """Re-render the staff feeds of the department's staff now (its feed setting changed)."""
    staff = select(RoleAssignment.person_id).where(
        RoleAssignment.department_id == department.id, RoleAssignment.role == "staff"
    )
    condition = (
        (CalendarFeed.municipality_id == department.municipality_id)
        & (CalendarFeed.kind == "staff")
        & CalendarFeed.person_id.in_(staff)
    )
    return await _render_all(session, condition, now, skip_locked=False)


async def refresh_for_person(session: AsyncSession, municipality_id: uuid.UUID, person_id: uuid.UUID,
                             now: datetime) -> int:  # fmt: skip
    """Re-render the person's live feeds now (an ended proxy link drops the recipient's visits at once)."""
    condition = (CalendarFeed.municipality_id == municipality_id) & (CalendarFeed.person_id == person_id)
    return await _render_all(session, condition, now, skip_locked=False)


async def _render_all(
    session: AsyncSession, condition: ColumnElement[bool], now: datetime, *, skip_locked: bool
) -> int:
    # Locked in id order: two workers rendering the same feed take turns, and the later one reads the
    # bookings after the earlier one committed, so a stale render never overwrites a fresh one.
    feeds = await session.scalars(
        select(CalendarFeed)
        .where(condition, CalendarFeed.revoked_at.is_(None))
        .order_by(CalendarFeed.id)
        .with_for_update(skip_locked=skip_locked)
    )
    count = 0
    for feed in feeds.all():
        await render(session, feed, now)
        count += 1
    await session.flush()
    return count


async def refresh_for_booking(
    session: AsyncSession, booking_id: uuid.UUID, details: dict[str, object], now: datetime
) -> int:
    """Re-render every live feed that shows the booking, or showed it before this change. Never commits.

    That is its recipient's recipient feeds, the proxy feeds of whoever validly acts for the recipient, and the
    staff feeds of the assigned staff member and of `details["previous_staff_id"]` (a reassignment).

    Returns:
        How many feeds were rendered (0 when the booking is gone).

    """
    booking = await session.get(Booking, booking_id)
    if booking is None:
        return 0
    staff = [s for s in (booking.assigned_staff_id, _uuid_or_none(details.get("previous_staff_id"))) if s is not None]
    proxies = select(ProxyLink.proxy_id).where(
        ProxyLink.municipality_id == booking.municipality_id,
        ProxyLink.recipient_id == booking.recipient_id,
        _links_near(now),  # a day too generous at most: rendering a feed that does not show the booking is harmless
    )
    condition = (CalendarFeed.municipality_id == booking.municipality_id) & or_(
        (CalendarFeed.kind == "recipient") & (CalendarFeed.person_id == booking.recipient_id),
        (CalendarFeed.kind == "proxy") & CalendarFeed.person_id.in_(proxies),
        (CalendarFeed.kind == "staff") & CalendarFeed.person_id.in_(staff),
    )
    return await _render_all(session, condition, now, skip_locked=False)


async def refresh_all(session: AsyncSession, now: datetime) -> int:
    """The daily upkeep: re-render every live feed, so old and long-cancelled visits and ended proxy links drop out.

    Feeds whose body is missing are rendered too; a feed whose events did not change keeps its ETag. Feeds
    that a booking change is rendering at this moment are skipped (they come out fresh anyway). Never commits.

    Returns:
        How many feeds were rendered.

    """
    return await _render_all(session, literal(value=True), now, skip_locked=True)


def _uuid_or_none(value: object) -> uuid.UUID | None:
    if value is None or value == "":
        return None
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


async def booking_event_file(  # noqa: PLR0913 - keyword-only after the booking; each is needed
    session: AsyncSession, principal: Principal, origin: Origin, booking_id: uuid.UUID, *, language: str,
    now: datetime, today: date,
) -> tuple[Booking, str]:  # fmt: skip
    """One booking as a calendar file, for whoever may see its recipient in its department; else `NotFoundError`.

    The recipient gets their own view; the assigned staff member the staff view (name, home address);
    anyone else who may see it (a proxy, other staff, administrators) the proxy view (first name only).
    """
    query = _with_details().where(Booking.id == booking_id, Booking.municipality_id == principal.municipality_id)
    found = (await session.execute(query)).tuples().first()
    if found is None:
        raise NotFoundError
    booking, _, _, recipient = found
    await visible_in_department(session, principal, recipient.id, booking.department_id, today)
    view = "proxy"
    if principal.person_id == recipient.id:
        view = "recipient"
    elif principal.person_id is not None and principal.person_id == booking.assigned_staff_id:
        view = "staff"
    await record(session, principal, origin, action="booking.export", object_type="booking", object_id=booking.id,
                 subject_person_id=recipient.id)  # fmt: skip
    event = feed_event(view, language, found)
    return booking, ical.render_single(event, language=language, now=now)
