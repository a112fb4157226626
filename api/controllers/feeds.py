"""Calendar feeds: my secret iCal addresses, the feeds themselves (no sign-in), and one booking as a file."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, Response, delete, get, post
from litestar.datastructures import State
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, HeaderParameter, JSONBody, QueryParameter
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT, HTTP_304_NOT_MODIFIED

from api.dependencies import Current, DbSession, RequestLanguage, Today, Where
from api.i18n import Language
from api.schemas.feeds import FeedCreate, FeedCreated, FeedRead
from api.transactions import READS
from core.clock import utcnow
from core.errors import NotFoundError
from notifications import feeds

CALENDAR_MEDIA_TYPE = "text/calendar"  # Litestar adds "; charset=utf-8" to text types
# Calendar apps poll; five minutes in their cache is plenty, and the feed is one person's (private).
FEED_CACHE = "private, max-age=300"
FEED_SUFFIX = ".ics"
IfNoneMatch = Annotated[str | None, HeaderParameter(name="If-None-Match", required=False)]


def _matches(if_none_match: str | None, etag: str) -> bool:
    """Whether an `If-None-Match` header names the current ETag (RFC 9110: weak comparison, or `*`)."""
    if not if_none_match:
        return False
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in tags or etag in tags


class FeedController(Controller):
    """`/api/v1/feeds` for the signed-in person, the feeds at `/ical/{secret}.ics`, and `.../event.ics`."""

    path = "/"
    tags = ["calendar"]  # noqa: RUF012 - Litestar's declared attribute type

    @post("/api/v1/feeds", summary="Make a calendar feed; its address is shown only in this answer")
    async def create(
        self, db_session: DbSession, current: Current, origin: Where, today: Today, state: State,
        data: JSONBody[FeedCreate],
    ) -> Response[FeedCreated]:  # fmt: skip
        """201 with the feed and its secret address; subscribe to it in the phone's calendar at once."""
        feed, secret = await feeds.create_feed(
            db_session, current, origin, data.kind, data.language, now=utcnow(), today=today
        )
        url = f"{state.settings.base_url.rstrip('/')}/ical/{secret}{FEED_SUFFIX}"
        created = FeedCreated(FeedRead.of(feed), url=url, webcal_url="webcal://" + url.split("://", 1)[1])
        return Response(created, status_code=HTTP_201_CREATED, headers={"Cache-Control": "no-store"})

    @get("/api/v1/feeds", summary="My calendar feeds (without their addresses)")
    async def list_feeds(self, db_session: DbSession, current: Current) -> list[FeedRead]:
        """Newest first; revoked feeds are gone."""
        return [FeedRead.of(feed) for feed in await feeds.list_feeds(db_session, current)]

    @delete("/api/v1/feeds/{feed_id:uuid}", summary="Revoke a calendar feed", status_code=HTTP_204_NO_CONTENT)
    async def revoke(
        self, db_session: DbSession, current: Current, origin: Where, feed_id: FromPath[uuid.UUID]
    ) -> None:
        """Its address answers 404 from now on."""
        await feeds.revoke_feed(db_session, current, origin, feed_id, now=utcnow())

    @get(
        "/ical/{filename:str}",
        summary="A calendar feed, by its secret address (no sign-in)",
        media_type=CALENDAR_MEDIA_TYPE,
        responses={304: ResponseSpec(None, description="Unchanged since the ETag in If-None-Match")},
    )
    async def feed(self, db_session: DbSession, filename: FromPath[str], if_none_match: IfNoneMatch) -> Response[str]:
        """The stored feed (the worker keeps it current); 304 when `If-None-Match` has its ETag."""
        secret = filename.removesuffix(FEED_SUFFIX) if filename.endswith(FEED_SUFFIX) else None
        found = await feeds.find_feed(db_session, secret) if secret else None
        if found is None:
            raise NotFoundError  # unknown and revoked look alike
        if found.body is None or found.etag is None:
            await feeds.render(db_session, found, utcnow())  # not rendered yet: only after a manual reset
        headers = {"ETag": f'"{found.etag}"', "Cache-Control": FEED_CACHE}
        if _matches(if_none_match, headers["ETag"]):
            return Response("", status_code=HTTP_304_NOT_MODIFIED, headers=headers)
        return Response(found.body or "", media_type=CALENDAR_MEDIA_TYPE, headers=headers)

    @get(
        "/api/v1/bookings/{booking_id:uuid}/event.ics",
        summary="A booking as a calendar file to import",
        opt={READS: "booking.calendar_file.read"},
        media_type=CALENDAR_MEDIA_TYPE,
    )
    async def event_file(
        self, db_session: DbSession, current: Current, origin: Where, today: Today, user_language: RequestLanguage,
        booking_id: FromPath[uuid.UUID], lang: Annotated[Language | None, QueryParameter()] = None,
    ) -> Response[str]:  # fmt: skip
        """For whoever may see the booking's recipient; anyone else gets a 404.

        In `lang` when given (a download link carries the app's language, as the browser sends its own), else in
        the request's `Accept-Language`.
        """
        booking, body = await feeds.booking_event_file(
            db_session, current, origin, booking_id, language=lang or user_language, now=utcnow(), today=today
        )
        disposition = f'attachment; filename="tjenesteshop-{booking.starts_at:%Y%m%d}-{str(booking.id)[:8]}.ics"'
        headers = {"Content-Disposition": disposition, "Cache-Control": "private, no-store"}
        return Response(body, media_type=CALENDAR_MEDIA_TYPE, headers=headers)
