"""The waitlist (venteliste): join the line for a service, list, withdraw, and answer a held offer."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from litestar import Controller, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter

from api.controllers.bookings import BOOKING_REQUESTS, BOOKING_WRITES
from api.dependencies import Current, DbSession, Where
from api.schemas.bookings import BookingRead
from api.schemas.waitlist import WaitlistCreate, WaitlistEntryRead, WaitlistOfferRead
from api.transactions import READS
from booking.errors import BookingRefusedError
from core.clock import utcnow
from waitlist import rules, service


class WaitlistController(Controller):
    """`/api/v1/waitlist`: for the recipient, their proxies, and staff or administrators who serve them."""

    path = "/api/v1/waitlist"
    tags = ["waitlist"]  # noqa: RUF012 - Litestar's declared attribute type

    @post("/", summary="Tell me if a time frees up (join the line for a service)", middleware=[BOOKING_REQUESTS])
    async def create(
        self, db_session: DbSession, current: Current, origin: Where, state: State, data: JSONBody[WaitlistCreate]
    ) -> Response[WaitlistEntryRead]:
        """201 with the entry; 404 for a recipient or service the caller may not see; 422 for a bad wish."""
        wish = rules.Wish(
            minutes=data.minutes, first_day=data.first_day, last_day=data.last_day,
            weekdays=frozenset(data.weekdays) if data.weekdays is not None else None,
            from_minute=data.from_minute, to_minute=data.to_minute,
        )  # fmt: skip
        request = service.EntryRequest(data.recipient_id, data.service_id, wish)
        entry = await service.create(db_session, current, origin, request, now=utcnow())
        return Response(WaitlistEntryRead.of(entry, None, state.settings.zone), status_code=201)

    @get("/", summary="My places in line, or those of a recipient I may see", opt={READS: "waitlist.read"})
    async def list_entries(
        self, db_session: DbSession, current: Current, state: State, today: NamedDependency[date],
        recipient_id: Annotated[uuid.UUID | None, QueryParameter()] = None,
    ) -> list[WaitlistEntryRead]:  # fmt: skip
        """Newest first, each with the offer held for it now (if any)."""
        if recipient_id is None and current.person_id is None:
            raise BookingRefusedError("recipient_required")
        rows = await service.entries(db_session, current, recipient_id or current.person_id, today)  # type: ignore[arg-type]
        return [WaitlistEntryRead.of(entry, offer, state.settings.zone) for entry, offer in rows]

    @post("/{entry_id:uuid}/withdraw", summary="Leave the line (a time held for me passes to the next)")
    async def withdraw(
        self, db_session: DbSession, current: Current, origin: Where, state: State, entry_id: FromPath[uuid.UUID]
    ) -> WaitlistEntryRead:
        """The entry, withdrawn."""
        entry = await service.withdraw(db_session, current, origin, entry_id, now=utcnow())
        return WaitlistEntryRead.of(entry, None, state.settings.zone)

    @get("/offers/{offer_id:uuid}", summary="An offer: the freed time held for me, and until when",
         opt={READS: "waitlist.read"})  # fmt: skip
    async def offer(
        self, db_session: DbSession, current: Current, state: State, offer_id: FromPath[uuid.UUID]
    ) -> WaitlistOfferRead:
        """The offer (whatever its status now: held, booked, declined, lapsed or released)."""
        offer = await service.offer(db_session, current, offer_id, now=utcnow())
        return WaitlistOfferRead.of(offer, state.settings.zone)

    @post("/offers/{offer_id:uuid}/accept", summary="Book the time held for me (every rule of a booking applies)",
          middleware=[BOOKING_WRITES])  # fmt: skip
    async def accept(
        self, db_session: DbSession, current: Current, origin: Where, state: State, offer_id: FromPath[uuid.UUID]
    ) -> Response[BookingRead]:
        """201 with the booking; 409 `offer_gone` when the hold has lapsed or was answered."""
        booking = await service.accept(db_session, current, origin, offer_id, now=utcnow())
        return Response(BookingRead.of(booking, state.settings.zone), status_code=201)

    @post("/offers/{offer_id:uuid}/decline", summary="Say no: the time passes to the next in line")
    async def decline(
        self, db_session: DbSession, current: Current, origin: Where, state: State, offer_id: FromPath[uuid.UUID]
    ) -> WaitlistOfferRead:
        """The offer, declined."""
        offer = await service.decline(db_session, current, origin, offer_id, now=utcnow())
        return WaitlistOfferRead.of(offer, state.settings.zone)
