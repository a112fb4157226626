"""`/fhir/R4`: a FHIR R4 interface to read and book, over the same services and access rules as /api/v1."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode
from zoneinfo import ZoneInfo

from litestar import Controller, HttpMethod, Request, Response, get, post, put, route
from litestar.di import NamedDependency
from litestar.params import Body, FromPath, FromQuery, HeaderParameter, QueryParameter

from api.controllers.bookings import BOOKING_WRITES
from api.dependencies import Current, DbSession, Where
from api.fhir import FHIR_EXCEPTION_HANDLERS, fhir_response
from api.transactions import READS
from booking.errors import BookingRefusedError
from core.clock import utcnow
from core.errors import NotFoundError
from core.settings import Settings
from fhir_r4 import resources, search
from fhir_r4 import service as fhir
from fhir_r4.appointments import cancelling, new_appointment
from fhir_r4.capability import capability_statement
from fhir_r4.codes import APPOINTMENT_STATUS, MEDIA_TYPE, SLOT_STATUSES
from fhir_r4.resources import Resource

Query = Annotated[list[str] | None, QueryParameter()]
FhirBody = Annotated[dict[str, Any], Body(media_type=MEDIA_TYPE, description="A FHIR Appointment")]
OptionalKey = Annotated[
    str | None,
    HeaderParameter(name="Idempotency-Key", min_length=8, max_length=200, description="A new random value a booking"),
]
_APPOINTMENT_STATUSES = frozenset(APPOINTMENT_STATUS.values())


def _base(request: Request[Any, Any, Any]) -> str:
    return f"{str(request.base_url).rstrip('/')}/fhir/R4"


def _id(value: str) -> uuid.UUID:
    """A path id: not one of ours is simply not found."""
    try:
        return uuid.UUID(value)
    except ValueError as error:
        raise NotFoundError from error


def _page(request: Request[Any, Any, Any], found: list[Resource], count: list[str] | None,
          offset: list[str] | None) -> Response[Resource]:  # fmt: skip
    """One page of a search's matches as a searchset Bundle, with a `next` link while more remain."""
    size, start = search.count(count or []), search.offset(offset or [])
    url = str(request.url)
    following = None
    if start + size < len(found):
        query = [(k, v) for k, v in parse_qsl(request.url.query, keep_blank_values=True) if k != "_offset"]
        following = f"{url.split('?', 1)[0]}?{urlencode([*query, ('_offset', str(start + size))])}"
    page = found[start : start + size]
    return fhir_response(
        resources.bundle(page, total=len(found), base=_base(request), self_url=url, next_url=following)
    )


def _patient(values: list[str] | None, identifiers: list[str] | None) -> fhir.Patient | None:
    """`patient=Patient/<id>`, or the national id as `patient:identifier=<system>|<number>` (or `patient=` so)."""
    if identifiers:
        return fhir.Patient(number=search.national_id("patient:identifier", identifiers[-1]))
    if values and "|" in values[-1]:
        return fhir.Patient(number=search.national_id("patient", values[-1]))
    if values:
        return fhir.Patient(person_id=search.reference_id("patient", values[-1], "Patient"))
    return None


def _appointment(visit: fhir.Visit, identifier: dict[str, str] | None = None) -> Resource:
    return resources.appointment(
        visit.booking, visit.service, visit.department, visit.recipient, staff=visit.staff, identifier=identifier
    )


def _identifier(patient: fhir.Patient | None) -> dict[str, str] | None:
    if patient is None or patient.number is None:
        return None
    return resources.national_id_identifier(patient.number)


def _version_headers(request: Request[Any, Any, Any], resource: Resource) -> dict[str, str]:
    version = resource["meta"]["versionId"]
    return {
        "Location": f"{_base(request)}/Appointment/{resource['id']}/_history/{version}",
        "ETag": f'W/"{version}"',
    }


class FhirController(Controller):
    """FHIR R4: Schedule, Slot and Appointment; errors are OperationOutcomes with the API's problem types."""

    path = "/fhir/R4"
    tags = ["fhir"]  # noqa: RUF012 - Litestar's declared attribute type
    exception_handlers = FHIR_EXCEPTION_HANDLERS

    @get("/metadata", media_type=MEDIA_TYPE, summary="The CapabilityStatement (public)")
    async def metadata(self, request: Request[Any, Any, Any]) -> Response[Resource]:
        """What this server does: resources, interactions and search parameters."""
        from api.app import API_VERSION  # noqa: PLC0415 - the app module imports this one

        return fhir_response(capability_statement(_base(request), API_VERSION))

    @get("/Schedule", media_type=MEDIA_TYPE, summary="Search Schedules: one a service of a department")
    async def search_schedules(
        self, request: Request[Any, Any, Any], db_session: DbSession, current: Current,
        actor: Query = None, count: Annotated[list[str] | None, QueryParameter(name="_count")] = None,
        offset: Annotated[list[str] | None, QueryParameter(name="_offset")] = None,
    ) -> Response[Resource]:  # fmt: skip
        """The municipality's active services; `actor=Organization/<department id>` for one department's."""
        department = search.reference_id("actor", actor[-1], "Organization") if actor else None
        settings: Settings = request.app.state.settings
        today = utcnow().astimezone(settings.zone).date()
        found = [resources.schedule(s, d, today) for s, d in await fhir.schedules(db_session, current, department)]
        return _page(request, found, count, offset)

    @get(
        "/Schedule/{schedule_id:str}",
        media_type=MEDIA_TYPE,
        summary="Read a Schedule (410 when its service is retired)",
    )
    async def read_schedule(
        self, db_session: DbSession, current: Current, schedule_id: FromPath[str]
    ) -> Response[Resource]:
        """One service's Schedule."""
        service, department = await fhir.schedule(db_session, current, _id(schedule_id))
        today = utcnow().astimezone(ZoneInfo(department.timezone)).date()
        return fhir_response(resources.schedule(service, department, today))

    @get(
        "/Slot",
        media_type=MEDIA_TYPE,
        summary="Search free and busy Slots of a Schedule",
        opt={READS: "fhir.slot.read"},
    )
    async def search_slots(
        self, request: Request[Any, Any, Any], db_session: DbSession, current: Current, schedule: FromQuery[list[str]],
        start: Query = None, status: Query = None, patient: Query = None,
        patient_identifier: Annotated[list[str] | None, QueryParameter(name="patient:identifier")] = None,
        count: Annotated[list[str] | None, QueryParameter(name="_count")] = None,
        offset: Annotated[list[str] | None, QueryParameter(name="_offset")] = None,
    ) -> Response[Resource]:  # fmt: skip
        """Starts from the same free-times calculation as /api/v1/availability; with `patient`, theirs."""
        service_id = search.reference_id("schedule", schedule[-1], "Schedule")
        statuses = search.tokens("status", status or [], SLOT_STATUSES)
        who = _patient(patient, patient_identifier)
        settings: Settings = request.app.state.settings
        recipient = await fhir.patient_id(db_session, current, who, key=settings.national_id_key) if who else None
        zone = ZoneInfo(settings.timezone)
        free = await fhir.free_slots(db_session, current, service_id=service_id,
                                     within=search.date_range("start", start or [], zone), patient=recipient,
                                     now=utcnow())  # fmt: skip
        found = resources.slots(free.service, free.days, ZoneInfo(free.department.timezone))
        if statuses is not None:
            found = [slot for slot in found if slot["status"] in statuses]
        return _page(request, found, count, offset)

    @get(
        "/Appointment",
        media_type=MEDIA_TYPE,
        summary="Search a patient's Appointments",
        opt={READS: "fhir.appointment.read"},
    )
    async def search_appointments(
        self, request: Request[Any, Any, Any], db_session: DbSession, current: Current, today: NamedDependency[date],
        patient: Query = None, status: Query = None,
        when: Annotated[list[str] | None, QueryParameter(name="date")] = None,
        patient_identifier: Annotated[list[str] | None, QueryParameter(name="patient:identifier")] = None,
        count: Annotated[list[str] | None, QueryParameter(name="_count")] = None,
        offset: Annotated[list[str] | None, QueryParameter(name="_offset")] = None,
    ) -> Response[Resource]:  # fmt: skip
        """Bookings as Appointments, by start; a person without `patient` gets their own."""
        statuses = search.tokens("status", status or [], _APPOINTMENT_STATUSES)
        who = _patient(patient, patient_identifier)
        settings: Settings = request.app.state.settings
        within = search.date_range("date", when or [], ZoneInfo(settings.timezone))
        if who is None and current.person_id is None:
            raise BookingRefusedError("recipient_required")
        person = (
            await fhir.patient_id(db_session, current, who, key=settings.national_id_key) if who else current.person_id
        )
        assert person is not None  # noqa: S101 - checked just above
        visits = await fhir.appointments(db_session, current, patient=person, within=within, statuses=statuses,
                                         today=today)  # fmt: skip
        return _page(request, [_appointment(v, _identifier(who)) for v in visits], count, offset)

    @get(
        "/Appointment/{appointment_id:str}",
        media_type=MEDIA_TYPE,
        summary="Read an Appointment",
        opt={READS: "fhir.appointment.read"},
    )
    async def read_appointment(
        self, db_session: DbSession, current: Current, today: NamedDependency[date], appointment_id: FromPath[str]
    ) -> Response[Resource]:
        """One booking as an Appointment."""
        visit = await fhir.appointment(db_session, current, _id(appointment_id), today)
        resource = _appointment(visit)
        return fhir_response(resource, headers={"ETag": f'W/"{resource["meta"]["versionId"]}"'})

    @post(
        "/Appointment",
        media_type=MEDIA_TYPE,
        summary="Book a Slot: create an Appointment",
        middleware=[BOOKING_WRITES],
    )
    async def create_appointment(
        self, request: Request[Any, Any, Any], db_session: DbSession, current: Current, origin: Where,
        data: FhirBody, key: OptionalKey = None,
    ) -> Response[Resource]:  # fmt: skip
        """201 with the Appointment; a retry with the same Idempotency-Key answers 200 with the first one.

        Refused with an OperationOutcome carrying the same problem type and text as POST /api/v1/bookings.
        """
        new = new_appointment(data)
        settings: Settings = request.app.state.settings
        visit, replayed = await fhir.book(db_session, current, origin, new, key=settings.national_id_key,
                                          idempotency=key or uuid.uuid4().hex, now=utcnow())  # fmt: skip
        identifier = resources.national_id_identifier(new.national_id) if new.national_id else None
        resource = _appointment(visit, identifier)
        headers = _version_headers(request, resource) | ({"Idempotent-Replayed": "true"} if replayed else {})
        return fhir_response(resource, status_code=200 if replayed else 201, headers=headers)

    @put(
        "/Appointment/{appointment_id:str}",
        media_type=MEDIA_TYPE,
        summary="Cancel an Appointment (send it with status cancelled)",
    )
    async def update_appointment(
        self, request: Request[Any, Any, Any], db_session: DbSession, current: Current, origin: Where,
        appointment_id: FromPath[str], data: FhirBody,
    ) -> Response[Resource]:  # fmt: skip
        """Only cancelling: inside the department's deadline it is a late cancellation (cancelationReason says so)."""
        booking_id = _id(appointment_id)
        cancelling(data, booking_id)
        visit = await fhir.cancel(db_session, current, origin, booking_id, now=utcnow())
        resource = _appointment(visit)
        return fhir_response(resource, headers=_version_headers(request, resource))

    @route("/{rest:path}", http_method=[HttpMethod.GET, HttpMethod.POST, HttpMethod.PUT, HttpMethod.PATCH,
                                        HttpMethod.DELETE], include_in_schema=False)  # fmt: skip
    async def unknown(self, rest: FromPath[str]) -> None:
        """A resource type or operation this server does not have: 404, as an OperationOutcome."""
        raise NotFoundError(path=rest)
