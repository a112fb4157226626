"""Reading an Appointment a client sends: whom for, which slot; and an update, which may only cancel."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from fhir_r4.codes import PATIENT_SYSTEMS
from fhir_r4.errors import ChangeUnsupportedError, InvalidResourceError, UnknownIdentifierSystemError
from fhir_r4.ids import SlotId


@dataclass(frozen=True)
class NewAppointment:
    """Book `slot` for the patient given by id (`Patient/<id>`) or by national id."""

    slot: SlotId
    patient_id: uuid.UUID | None
    national_id: str | None


def _invalid(field: str, message: str) -> InvalidResourceError:
    return InvalidResourceError(errors=[{"field": field, "source": "body", "message": message}])


def _resource(body: object, field: str = "resourceType") -> dict[str, Any]:
    if not isinstance(body, dict) or body.get("resourceType") != "Appointment":
        raise _invalid(field, "an Appointment")
    return body


def _patient(participants: object) -> tuple[uuid.UUID | None, str | None]:
    """The one participant who is the patient: `Patient/<id>`, or an identifier with a national id system."""
    if not isinstance(participants, list):
        raise _invalid("participant", "a list with the patient")
    found: list[tuple[uuid.UUID | None, str | None]] = []
    for index, participant in enumerate(participants):
        actor = participant.get("actor") if isinstance(participant, dict) else None
        if not isinstance(actor, dict):
            continue
        field = f"participant[{index}].actor"
        reference, identifier = actor.get("reference"), actor.get("identifier")
        if isinstance(reference, str) and reference.startswith("Patient/"):
            try:
                found.append((uuid.UUID(reference.removeprefix("Patient/")), None))
            except ValueError as error:
                raise _invalid(f"{field}.reference", "Patient/<id> with an id of ours") from error
        elif isinstance(identifier, dict) and (reference is None or actor.get("type") == "Patient"):
            system, value = identifier.get("system"), identifier.get("value")
            if system not in PATIENT_SYSTEMS:
                raise UnknownIdentifierSystemError(system=system)
            if not isinstance(value, str):
                raise _invalid(f"{field}.identifier.value", "the national identity number")
            found.append((None, value.strip()))
    if len(found) != 1:
        raise _invalid("participant", "exactly one patient: Patient/<id>, or an identifier with a national id")
    return found[0]


def new_appointment(body: object) -> NewAppointment:
    """What a client's new Appointment asks for: status `booked` (or `proposed`), one slot, one patient."""
    resource = _resource(body)
    if resource.get("status", "booked") not in {"booked", "proposed", "pending"}:
        raise _invalid("status", "booked")
    references = resource.get("slot")
    if not isinstance(references, list) or len(references) != 1 or not isinstance(references[0], dict):
        raise _invalid("slot", "exactly one Slot reference")
    reference = references[0].get("reference")
    if not isinstance(reference, str):
        raise _invalid("slot[0].reference", "Slot/<id>")
    slot = SlotId.parse(reference, field="slot[0].reference")
    patient_id, national_id = _patient(resource.get("participant"))
    return NewAppointment(slot, patient_id, national_id)


def cancelling(body: object, appointment_id: uuid.UUID) -> None:
    """An update must be the appointment itself with status `cancelled`: nothing else can be changed here."""
    resource = _resource(body)
    if resource.get("id") not in {None, str(appointment_id)}:
        raise _invalid("id", "the id in the address")
    if resource.get("status") != "cancelled":
        raise ChangeUnsupportedError(status=resource.get("status"))
