"""Rosters for staff on shift: the day's visits, in order, and who goes where."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

import msgspec
from litestar import Controller, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter

from api.dependencies import Current, DbSession, Where
from api.schemas.bookings import BookingRead
from booking import roster

Day = Annotated[date, QueryParameter(name="date", description="Local date (YYYY-MM-DD)")]


class VisitRead(msgspec.Struct):
    """A visit on the roster; the address only for home visits."""

    booking_id: uuid.UUID
    start: datetime
    end: datetime
    recipient_id: uuid.UUID
    recipient_name: str
    service_name: str
    home_visit: bool
    address: str | None
    assigned_staff_id: uuid.UUID | None
    status: str

    @classmethod
    def of(cls, visit: roster.Visit, zone: ZoneInfo, language: str) -> VisitRead:
        """From a roster line."""
        booking, person, service = visit.booking, visit.recipient, visit.service
        return cls(
            booking_id=booking.id,
            start=booking.starts_at.astimezone(zone),
            end=booking.ends_at.astimezone(zone),
            recipient_id=person.id,
            recipient_name=f"{person.given_name} {person.family_name}",
            service_name=service.name.get(language) or service.name["nb"],
            home_visit=service.home_visit,
            address=person.address if service.home_visit else None,
            assigned_staff_id=booking.assigned_staff_id,
            status=booking.status,
        )


class Assignment(msgspec.Struct, forbid_unknown_fields=True):
    """Who goes: a staff member of the booking's department, or nobody (null)."""

    staff_id: uuid.UUID | None


class RosterController(Controller):
    """Department and staff rosters; assigning staff to visits."""

    tags = ["roster"]  # noqa: RUF012 - Litestar's declared attribute type

    @get("/api/v1/departments/{department_id:uuid}/roster", summary="The department's visits on a date")
    async def department(
        self, db_session: DbSession, current: Current, origin: Where, user_language: NamedDependency[str],
        department_id: FromPath[uuid.UUID], day: Day,
    ) -> list[VisitRead]:  # fmt: skip
        """For the department's staff and administrators; each recipient shown is logged as read."""
        department, visits = await roster.department_roster(db_session, current, origin, department_id, day)
        zone = ZoneInfo(department.timezone)
        return [VisitRead.of(v, zone, user_language) for v in visits]

    @get("/api/v1/staff/{staff_id:uuid}/roster", summary="A staff member's visits on a date")
    async def staff(
        self, db_session: DbSession, current: Current, origin: Where, state: State, user_language: NamedDependency[str],
        staff_id: FromPath[uuid.UUID], day: Day,
    ) -> list[VisitRead]:  # fmt: skip
        """For the staff member, and administrators of their departments."""
        zone = ZoneInfo(state.settings.timezone)
        visits = await roster.staff_roster(db_session, current, origin, staff_id=staff_id, day=day, zone=zone)
        return [VisitRead.of(v, zone, user_language) for v in visits]

    @post("/api/v1/bookings/{booking_id:uuid}/assign", summary="Assign a staff member to a visit")
    async def assign(
        self, db_session: DbSession, current: Current, origin: Where, state: State,
        booking_id: FromPath[uuid.UUID], data: JSONBody[Assignment],
    ) -> BookingRead:  # fmt: skip
        """A staff member is never given two overlapping visits (409 `staff_double_booked`)."""
        booking = await roster.assign(db_session, current, origin, booking_id, data.staff_id)
        return BookingRead.of(booking, ZoneInfo(state.settings.timezone))
