"""Bookings, services and free times as FHIR R4 resources (plain dicts, ready to encode as JSON)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from booking.availability import Slot
from booking.tables import Booking
from departments.tables import Department, Service
from fhir_r4.codes import (
    APPOINTMENT_STATUS,
    BOOKING_STATUS_SYSTEM,
    D_NUMBER_SYSTEM,
    NATIONAL_ID_SYSTEM,
    PROBLEM_SYSTEM,
    SLOT_REASON_SYSTEM,
    SLOT_STATUS,
    URI_SYSTEM,
)
from fhir_r4.ids import SlotId
from people.tables import Person

Resource = dict[str, Any]
_SERVICE_REF = "#service"


def _local(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).isoformat()


def _name(service: Service) -> str:
    return service.name.get("nb") or next(iter(service.name.values()), "")


def _healthcare_service(service: Service, department: Department) -> Resource:
    """The service, contained: R4 lets Schedule and Appointment name a HealthcareService, not an Organization."""
    return {
        "resourceType": "HealthcareService",
        "id": _SERVICE_REF[1:],
        "active": service.active,
        "providedBy": {"reference": f"Organization/{department.id}", "display": department.name},
        "name": _name(service),
    }


def schedule(service: Service, department: Department, today: date) -> Resource:
    """A service's calendar in its department: bookable from today through the horizon's last day."""
    zone = ZoneInfo(department.timezone)
    last = today + timedelta(days=department.horizon_days + 1)
    resource: Resource = {
        "resourceType": "Schedule",
        "id": str(service.id),
        "active": service.active,
        "contained": [_healthcare_service(service, department)],
        "serviceType": [{"text": _name(service)}],
        "actor": [{"reference": _SERVICE_REF, "display": _name(service)}],
        "planningHorizon": {
            "start": datetime.combine(today, time(0), tzinfo=zone).isoformat(),
            "end": datetime.combine(last, time(0), tzinfo=zone).isoformat(),
        },
    }
    description = service.description.get("nb")
    if description:
        resource["comment"] = description
    return resource


def slots(service: Service, days: Sequence[Sequence[Slot]], zone: ZoneInfo) -> list[Resource]:
    """One Slot per start and allowed length; why a busy one is busy is coded (`busy`, `yours`, `no_hours`...)."""
    found = []
    for day in days:
        for start in day:
            for minutes, status in start.durations.items():
                resource: Resource = {
                    "resourceType": "Slot",
                    "id": str(SlotId(service.id, start.start, minutes)),
                    "schedule": {"reference": f"Schedule/{service.id}"},
                    "status": SLOT_STATUS[status],
                    "start": start.start.isoformat(),
                    "end": (start.start + timedelta(minutes=minutes)).astimezone(zone).isoformat(),
                }
                if status != "free":
                    resource["serviceType"] = [{"text": _name(service)}]
                    resource["comment"] = status
                    resource["specialty"] = [{"coding": [{"system": SLOT_REASON_SYSTEM, "code": status}]}]
                found.append(resource)
    return found


def appointment(  # noqa: PLR0913 - the booking and what it points at
    booking: Booking, service: Service, department: Department, recipient: Person, *,
    staff: Person | None = None, identifier: dict[str, str] | None = None,
) -> Resource:  # fmt: skip
    """A booking as an Appointment: its patient, its service (provided by the department) and its staff member.

    `identifier`: the patient's national id as the caller gave it (the number itself is never stored).
    """
    zone = ZoneInfo(department.timezone)
    name = f"{recipient.given_name} {recipient.family_name}"
    patient: Resource = {"reference": f"Patient/{recipient.id}", "display": name}
    if identifier is not None:
        patient["identifier"] = identifier
    participants: list[Resource] = [
        {"actor": patient, "required": "required", "status": "accepted"},
        {"actor": {"reference": _SERVICE_REF, "display": _name(service)}, "required": "required", "status": "accepted"},
    ]
    if staff is not None:
        participants.append({
            "actor": {"reference": f"Practitioner/{staff.id}", "display": f"{staff.given_name} {staff.family_name}"},
            "required": "required", "status": "accepted",
        })  # fmt: skip
    updated = booking.changed_at or booking.created_at
    resource: Resource = {
        "resourceType": "Appointment",
        "id": str(booking.id),
        "meta": {"versionId": str(booking.sequence + 1), "lastUpdated": _local(updated, zone)},
        "contained": [_healthcare_service(service, department)],
        "status": APPOINTMENT_STATUS[booking.status],
        "serviceType": [{"text": _name(service)}],
        "start": _local(booking.starts_at, zone),
        "end": _local(booking.ends_at, zone),
        "minutesDuration": booking.minutes,
        "slot": [{"reference": f"Slot/{SlotId(service.id, booking.starts_at, booking.minutes)}"}],
        "created": booking.created_at.isoformat(),
        "participant": participants,
    }
    if booking.status == "late_cancelled":  # cancelled inside the deadline: the department's policy applied
        resource["cancelationReason"] = {"coding": [{"system": BOOKING_STATUS_SYSTEM, "code": booking.status}]}
    return resource


def national_id_identifier(number: str) -> dict[str, str]:
    """A national identity number as a no-basis Patient identifier: a D number (first digit 4-7) in its own system."""
    return {"system": D_NUMBER_SYSTEM if number[:1] in {"4", "5", "6", "7"} else NATIONAL_ID_SYSTEM, "value": number}


def bundle(entries: Sequence[Resource], *, total: int, base: str, self_url: str, next_url: str | None) -> Resource:
    """A searchset Bundle: one page of matches, the total, and links to this page and the next."""
    links = [{"relation": "self", "url": self_url}]
    if next_url is not None:
        links.append({"relation": "next", "url": next_url})
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": total,
        "link": links,
        "entry": [
            {"fullUrl": f"{base}/{entry['resourceType']}/{entry['id']}", "resource": entry, "search": {"mode": "match"}}
            for entry in entries
        ],
    }


# OperationOutcome.issue.code for a problem: input faults are `invalid`, a rule's refusal a `business-rule`.
_INVALID = frozenset({"validation_failed", "malformed_body", "time_zone_required", "invalid_search_parameter",
                      "invalid_national_id", "unknown_identifier_system", "date_out_of_range", "text_contains_nul",
                      "bad_request"})  # fmt: skip
_BY_STATUS = {401: "login", 403: "forbidden", 404: "not-found", 405: "not-supported", 410: "deleted", 413: "too-costly",
              415: "not-supported", 429: "throttled", 500: "exception", 503: "transient"}  # fmt: skip


def issue_code(code: str, status: int) -> str:
    """The FHIR issue type of problem `code` answered with HTTP `status`."""
    if code in _INVALID:
        return "invalid"
    return _BY_STATUS.get(status, "business-rule" if status in {409, 422} else "processing")


def operation_outcome(code: str, status: int, title: str, diagnostics: str | None) -> Resource:
    """A problem as an OperationOutcome: the problem type as a coding, its title as the text."""
    issue: Resource = {
        "severity": "error" if status < 500 else "fatal",  # noqa: PLR2004 - HTTP's server errors
        "code": issue_code(code, status),
        "details": {
            "coding": [
                {"system": PROBLEM_SYSTEM, "code": code, "display": title},
                {"system": URI_SYSTEM, "code": f"{PROBLEM_SYSTEM}:{code}"},  # the problem type URI itself
            ],
            "text": title,
        },
    }
    if diagnostics:
        issue["diagnostics"] = diagnostics
    return {"resourceType": "OperationOutcome", "issue": [issue]}
