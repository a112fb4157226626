"""Reading FHIR search parameters and client resources: pure, no database."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from core.errors import DomainError
from fhir_r4 import search
from fhir_r4.appointments import cancelling, new_appointment
from fhir_r4.codes import D_NUMBER_SYSTEM, NATIONAL_ID_SYSTEM
from fhir_r4.ids import SlotId
from fhir_r4.resources import national_id_identifier

OSLO = ZoneInfo("Europe/Oslo")


def test_a_date_is_the_whole_local_day_and_prefixes_narrow_it() -> None:
    day = search.date_range("date", ["2026-03-29"], OSLO)  # the spring-forward Sunday: 23 hours
    assert day.lower == datetime(2026, 3, 28, 23, tzinfo=UTC)
    assert day.upper == datetime(2026, 3, 29, 22, tzinfo=UTC)
    week = search.date_range("date", ["ge2026-12-01", "lt2026-12-08"], OSLO)
    assert (week.lower, week.upper) == (datetime(2026, 11, 30, 23, tzinfo=UTC), datetime(2026, 12, 7, 23, tzinfo=UTC))
    after = search.date_range("date", ["gt2026-12-01T10:00:00+01:00"], OSLO)
    moment = datetime(2026, 12, 1, 9, tzinfo=UTC)
    assert not after.holds(moment)
    assert after.holds(moment + timedelta(microseconds=1))
    # An unencoded + in a query string arrives as a space.
    assert search.date_range("start", ["le2026-12-01T10:00:00 01:00"], OSLO).holds(moment)
    assert not search.date_range("start", ["le2026-12-01T10:00:00 01:00"], OSLO).holds(moment + timedelta(seconds=1))


@pytest.mark.parametrize("value", ["2026-13-01", "ne2026-12-01", "ap2026-12-01", "2026-12-01T10:00", "tomorrow", ""])
def test_a_date_that_cannot_be_read_is_refused_naming_the_parameter(value: str) -> None:
    with pytest.raises(DomainError) as refused:
        search.date_range("date", [value], OSLO)
    assert refused.value.code == "invalid_search_parameter"
    assert refused.value.fields["parameter"] == "date"


def test_references_tokens_and_paging() -> None:
    some = uuid.uuid4()
    for value in (str(some), f"Schedule/{some}", f"https://x.example/fhir/R4/Schedule/{some}"):
        assert search.reference_id("schedule", value, "Schedule") == some
    for bad in (f"Patient/{some}", "Schedule/42"):
        with pytest.raises(DomainError):
            search.reference_id("schedule", bad, "Schedule")
    assert search.tokens("status", ["free,busy"], frozenset({"free", "busy"})) == frozenset({"free", "busy"})
    with pytest.raises(DomainError):
        search.tokens("status", ["maybe"], frozenset({"free"}))
    assert search.national_id("patient:identifier", f"{NATIONAL_ID_SYSTEM}|123") == "123"
    with pytest.raises(DomainError) as other:
        search.national_id("patient:identifier", "urn:oid:1.2|123")
    assert other.value.code == "unknown_identifier_system"
    assert (search.count([]), search.count(["7"]), search.offset(["14"])) == (50, 7, 14)
    for bad in ("0", "501", "-1", "x"):
        with pytest.raises(DomainError):
            search.count([bad])


def test_slot_ids_say_the_service_start_and_length() -> None:
    slot = SlotId(uuid.uuid4(), datetime(2026, 12, 1, 10, tzinfo=OSLO), 90)
    text = str(slot)
    assert len(text) <= 64
    assert SlotId.parse(f"Slot/{text}", field="slot") == SlotId(slot.service_id, slot.start.astimezone(UTC), 90)
    with pytest.raises(DomainError) as refused:
        SlotId.parse("Slot/nonsense", field="slot[0].reference")
    assert refused.value.fields["errors"] == [{"field": "slot[0].reference", "source": "body",
                                               "message": "not a Slot of ours"}]  # fmt: skip


def test_a_new_appointment_names_one_slot_and_one_patient() -> None:
    slot = str(SlotId(uuid.uuid4(), datetime(2026, 12, 1, 9, tzinfo=UTC), 60))
    person = uuid.uuid4()
    patient, service = {"actor": {"reference": f"Patient/{person}"}}, {"actor": {"reference": "#service"}}
    by_id: dict[str, Any] = {"resourceType": "Appointment", "status": "booked", "slot": [{"reference": f"Slot/{slot}"}],
             "participant": [patient, service]}  # fmt: skip
    assert new_appointment(by_id).patient_id == person
    by_number = {**by_id, "participant": [{"actor": {"identifier": {"system": NATIONAL_ID_SYSTEM, "value": "1"}}}]}
    assert new_appointment(by_number).national_id == "1"
    broken: object
    for broken in ({**by_id, "participant": []}, {**by_id, "slot": []}, {**by_id, "status": "cancelled"},
                   {**by_id, "resourceType": "Patient"}, []):  # fmt: skip
        with pytest.raises(DomainError) as refused:
            new_appointment(broken)
        assert refused.value.code == "validation_failed"


def test_an_update_may_only_cancel() -> None:
    some = uuid.uuid4()
    cancelling({"resourceType": "Appointment", "id": str(some), "status": "cancelled"}, some)
    with pytest.raises(DomainError) as moved:
        cancelling({"resourceType": "Appointment", "id": str(some), "status": "booked"}, some)
    assert moved.value.code == "appointment_change_unsupported"
    with pytest.raises(DomainError):
        cancelling({"resourceType": "Appointment", "id": str(uuid.uuid4()), "status": "cancelled"}, some)


def test_an_echoed_identifier_names_the_d_number_system_for_a_d_number() -> None:
    assert national_id_identifier("01818020046")["system"] == NATIONAL_ID_SYSTEM
    assert national_id_identifier("41018020046")["system"] == D_NUMBER_SYSTEM
