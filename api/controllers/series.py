"""Recurring visits (faste avtaler): create, list, change from now on, end."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated
from zoneinfo import ZoneInfo

from litestar import Controller, Response, delete, get, patch, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter

from api.controllers.bookings import BOOKING_REQUESTS
from api.dependencies import Current, DbSession, Where
from api.schemas.series import OccurrenceRead, SeriesBooked, SeriesCreate, SeriesRead, SeriesUpdate
from api.transactions import READS
from booking import series_service as service
from booking.errors import BookingRefusedError
from booking.series import Outcome
from booking.tables import BookingSeries
from core.clock import utcnow


def _booked(series: BookingSeries, outcomes: list[Outcome], zone: ZoneInfo) -> SeriesBooked:
    """The refusals of this run are in `occurrences`, each with its date and reason."""
    return SeriesBooked(SeriesRead.of(series, [], zone), [OccurrenceRead.of(o, zone) for o in outcomes])


class SeriesController(Controller):
    """`/api/v1/series`: for the recipient, their proxies, and staff or administrators who serve them."""

    path = "/api/v1/series"
    tags = ["series"]  # noqa: RUF012 - Litestar's declared attribute type

    @post("/", summary="Make a recurring visit (fast avtale); its occurrences in the horizon are booked at once",
          middleware=[BOOKING_REQUESTS])  # fmt: skip
    async def create(
        self, db_session: DbSession, current: Current, origin: Where, state: State, data: JSONBody[SeriesCreate]
    ) -> Response[SeriesBooked]:
        """201 with the series and each occurrence booked or refused (why); 404 for what the caller may not see."""
        request = service.SeriesRequest(
            data.recipient_id, data.service_id, data.minutes, tuple(data.weekdays), data.local_time, data.valid_from,
            data.valid_until, data.every_weeks,
        )  # fmt: skip
        series, outcomes = await service.create(db_session, current, origin, request, now=utcnow())
        return Response(_booked(series, outcomes, state.settings.zone), status_code=201)

    @get("/", summary="My recurring visits, or those of a recipient I may see", opt={READS: "series.read"})
    async def list_series(
        self, db_session: DbSession, current: Current, state: State, today: NamedDependency[date],
        recipient_id: Annotated[uuid.UUID | None, QueryParameter()] = None,
    ) -> list[SeriesRead]:  # fmt: skip
        """Active first, each with the occurrences from today on that could not be booked."""
        if recipient_id is None and current.person_id is None:
            raise BookingRefusedError("recipient_required")
        rows = await service.list_series(db_session, current, recipient_id or current.person_id, today)  # type: ignore[arg-type]
        return [SeriesRead.of(series, failures, state.settings.zone) for series, failures in rows]

    @patch("/{series_id:uuid}", summary="Change the pattern from now on (future occurrences rebooked)",
           middleware=[BOOKING_REQUESTS])  # fmt: skip
    async def update(
        self, db_session: DbSession, current: Current, origin: Where, state: State, series_id: FromPath[uuid.UUID],
        data: JSONBody[SeriesUpdate],
    ) -> SeriesBooked:  # fmt: skip
        """The series and its new occurrences in the horizon; the past is kept."""
        change = service.SeriesChange(
            tuple(data.weekdays) if data.weekdays else None, data.local_time, data.every_weeks, data.valid_until
        )
        series, outcomes = await service.change(db_session, current, origin, series_id, change, now=utcnow())
        return _booked(series, outcomes, state.settings.zone)

    @delete("/{series_id:uuid}", summary="End the series: future occurrences cancelled, the past kept",
            status_code=200)  # fmt: skip
    async def end(
        self, db_session: DbSession, current: Current, origin: Where, state: State, series_id: FromPath[uuid.UUID]
    ) -> SeriesRead:
        """The series, ended."""
        ended = await service.end(db_session, current, origin, series_id, now=utcnow())
        return SeriesRead.of(ended, [], state.settings.zone)
