"""The CapabilityStatement: what this FHIR server does, for clients that look before they ask."""

from __future__ import annotations

from fhir_r4.codes import FHIR_VERSION, MEDIA_TYPE
from fhir_r4.resources import Resource

RELEASED = "2026-12-04"  # when this statement last changed


def _param(name: str, kind: str, documentation: str) -> Resource:
    return {"name": name, "type": kind, "documentation": documentation}


_PAGING = [
    _param("_count", "number", "Entries a page (default 50, at most 500); the Bundle's `next` link pages on"),
]
_PATIENT = _param(
    "patient", "reference",
    "Patient/<id>, or patient:identifier=urn:oid:2.16.578.1.12.4.1.4.1|<national identity number> (or the D "
    "number's system, urn:oid:2.16.578.1.12.4.1.4.2)",
)  # fmt: skip


def _resource(kind: str, interactions: list[str], params: list[Resource], documentation: str) -> Resource:
    return {
        "type": kind,
        "documentation": documentation,
        "interaction": [{"code": code} for code in interactions],
        "searchParam": params,
    }


def capability_statement(base: str, version: str) -> Resource:
    """The statement for the server at `base` (…/fhir/R4), software version `version`."""
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": RELEASED,
        "publisher": "Tjenesteshop",
        "kind": "instance",
        "software": {"name": "Tjenesteshop", "version": version},
        "implementation": {"description": "Tjenesteshop: booking of municipal care service hours", "url": base},
        "fhirVersion": FHIR_VERSION,
        "format": [MEDIA_TYPE, "json"],
        "rest": [
            {
                "mode": "server",
                "documentation": "Errors are OperationOutcomes carrying the same problem type as /api/v1 "
                "(coding system urn:tjenesteshop:problem) and the same Norwegian text.",
                "security": {
                    "description": "An integration's API token (Authorization: Bearer tjs_...), scoped to a "
                    "department or the municipality, or a signed-in person's session: the same access rules as "
                    "/api/v1. Every read of a person's data is in their access log."
                },
                "resource": [
                    _resource("Schedule", ["read", "search-type"],
                              [_param("actor", "reference", "Organization/<department id>")],
                              "One Schedule a service of a department (the department is the contained "
                              "HealthcareService's providedBy Organization)"),
                    _resource("Slot", ["search-type"],
                              [_param("schedule", "reference", "Schedule/<id> (required)"),
                               _param("start", "date", "With prefixes ge, gt, le, lt, eq; a date is a local day"),
                               _param("status", "token", "free | busy | busy-unavailable"), _PATIENT, *_PAGING],
                              "One Slot a start and allowed length, from the same free-times calculation as "
                              "/api/v1/availability; with `patient`, what that person can book"),
                    _resource("Appointment", ["read", "search-type", "create", "update"],
                              [_PATIENT, _param("date", "date", "With prefixes ge, gt, le, lt, eq"),
                               _param("status", "token", "booked | cancelled | fulfilled | noshow"), *_PAGING],
                              "Bookings. Create books a Slot (send an Idempotency-Key header to retry safely); "
                              "update can only cancel (status cancelled)"),
                ],
            }
        ],
    }  # fmt: skip
