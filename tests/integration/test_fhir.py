"""The FHIR R4 interface over HTTP: every answer a valid R4 resource, a client's whole flow, and each refusal."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fhir.resources.R4B import get_fhir_model_class
from litestar import Litestar
from redis.asyncio import Redis
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from api.problem_texts import PROBLEMS
from booking.consistency import ledger_differences
from booking.tables import Allocation, Booking
from core.clock import utcnow
from core.settings import Settings
from departments.tables import Service
from fhir_r4.codes import NATIONAL_ID_SYSTEM, PROBLEM_SYSTEM
from notifications.dispatch import dispatch_events
from notifications.queue import webhook_sender
from people.tables import AuditEntry
from tests.booking_world import at, bookable_day, open_department, service_of
from tests.webhook_receiver import WebhookReceiver
from tests.world import World, build_world, sign_in
from webhooks import delivery

FHIR = "/fhir/R4"


@pytest.fixture
async def world(db_session: AsyncSession, settings: Settings) -> World:
    world = await build_world(db_session, settings)
    department = await open_department(db_session, world.departments["d1"], staff=1)
    service = await service_of(db_session, department.id)
    db_session.add(  # the other recipient is served by d1 too, to take its one staff member
        Allocation(municipality_id=department.municipality_id, recipient_id=world.people["other_recipient"],
                   department_id=department.id, service_id=service.id, minutes=600, period="week",
                   valid_from=bookable_day(0) - timedelta(days=7))
    )  # fmt: skip
    await db_session.commit()
    return world


def valid(response: httpx.Response, status: int, resource_type: str) -> dict[str, Any]:
    """The body, checked: the status, FHIR's media type, and a valid R4 resource of the type (R4B models)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/fhir+json")
    body: dict[str, Any] = response.json()
    assert body["resourceType"] == resource_type
    get_fhir_model_class(resource_type).model_validate(body)
    return body


def refused(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """An OperationOutcome saying what /api/v1 says: the problem type as a coding, its Norwegian title."""
    body = valid(response, status, "OperationOutcome")
    (issue,) = body["issue"]
    assert isinstance(issue, dict)
    assert issue["details"]["coding"] == [
        {"system": PROBLEM_SYSTEM, "code": code, "display": PROBLEMS[code].nb},
        {"system": "urn:ietf:rfc:3986", "code": f"urn:tjenesteshop:problem:{code}"},
    ]
    assert issue["details"]["text"] == PROBLEMS[code].nb
    assert issue["diagnostics"].startswith(f"urn:tjenesteshop:problem:{code}")
    return issue


async def _as(client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, who: str) -> None:
    redis: Redis = app.state.redis
    await sign_in(client, redis, settings, world, who)


def _patient(world: World, who: str = "recipient") -> str:
    return f"{NATIONAL_ID_SYSTEM}|{world.national_ids[who]}"


def _appointment(slot_id: str, actor: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Appointment", "status": "booked", "slot": [{"reference": f"Slot/{slot_id}"}],
            "participant": [{"actor": actor, "status": "accepted"}]}  # fmt: skip


def _by_fnr(world: World, who: str = "recipient") -> dict[str, Any]:
    return {"type": "Patient", "identifier": {"system": NATIONAL_ID_SYSTEM, "value": world.national_ids[who]}}


async def _free_slot(
    client: httpx.AsyncClient, service: Service, world: World, hour: int, who: str = "recipient"
) -> str:
    day = bookable_day()
    response = await client.get(f"{FHIR}/Slot", params={
        "schedule": f"Schedule/{service.id}", "status": "free", "start": [f"ge{day}", f"le{day}"],
        "patient:identifier": _patient(world, who),
    })  # fmt: skip
    bundle = valid(response, 200, "Bundle")
    wanted = at(day, hour).isoformat()
    return str(next(e["resource"]["id"] for e in bundle["entry"] if e["resource"]["start"] == wanted))


async def test_metadata_is_a_public_capability_statement(client: httpx.AsyncClient) -> None:
    body = valid(await client.get(f"{FHIR}/metadata"), 200, "CapabilityStatement")
    assert body["fhirVersion"] == "4.0.1"
    kinds = {r["type"]: {i["code"] for i in r["interaction"]} for r in body["rest"][0]["resource"]}
    assert kinds == {"Schedule": {"read", "search-type"}, "Slot": {"search-type"},
                     "Appointment": {"read", "search-type", "create", "update"}}  # fmt: skip


async def test_a_client_books_reads_and_cancels_and_the_recipient_sees_it(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, db_session: AsyncSession
) -> None:
    service = await service_of(db_session, world.departments["d1"])
    await _as(client, app, settings, world, "token_dept")
    schedules = valid(await client.get(f"{FHIR}/Schedule", params={"actor": f"Organization/{world.departments['d1']}"}),
                      200, "Bundle")  # fmt: skip
    assert [e["resource"]["id"] for e in schedules["entry"]] == [str(service.id)]
    assert schedules["entry"][0]["resource"]["contained"][0]["providedBy"]["reference"] == (
        f"Organization/{world.departments['d1']}"
    )
    valid(await client.get(f"{FHIR}/Schedule/{service.id}"), 200, "Schedule")
    slot_id = await _free_slot(client, service, world, 10)
    headers = {"content-type": "application/fhir+json", "Idempotency-Key": "fhir-key-1"}
    created = await client.post(f"{FHIR}/Appointment", json=_appointment(slot_id, _by_fnr(world)), headers=headers)
    appointment = valid(created, 201, "Appointment")
    assert appointment["status"] == "booked"
    assert appointment["start"] == at(bookable_day(), 10).isoformat()
    assert appointment["slot"] == [{"reference": f"Slot/{slot_id}"}]
    patient = appointment["participant"][0]["actor"]
    assert patient["reference"] == f"Patient/{world.people['recipient']}"
    assert patient["identifier"] == {"system": NATIONAL_ID_SYSTEM, "value": world.national_ids["recipient"]}
    assert created.headers["location"].endswith(f"/fhir/R4/Appointment/{appointment['id']}/_history/1")
    booking = await db_session.get(Booking, uuid.UUID(appointment["id"]))
    assert booking is not None
    assert (booking.status, booking.acted_by, booking.actor_token_id) == ("booked", "integration",
                                                                         world.tokens["token_dept"])  # fmt: skip
    again = await client.post(f"{FHIR}/Appointment", json=_appointment(slot_id, _by_fnr(world)),
                              headers={"Idempotency-Key": "fhir-key-1"})  # fmt: skip
    assert valid(again, 200, "Appointment")["id"] == appointment["id"]
    assert await db_session.scalar(select(func.count()).select_from(Booking)) == 1

    read = valid(await client.get(f"{FHIR}/Appointment/{appointment['id']}"), 200, "Appointment")
    assert read["status"] == "booked"
    search = {"patient": _patient(world), "date": f"ge{bookable_day()}", "status": "booked"}
    found = valid(await client.get(f"{FHIR}/Appointment", params=search), 200, "Bundle")
    assert found["total"] == 1
    assert found["entry"][0]["resource"]["id"] == appointment["id"]
    assert found["link"][0]["relation"] == "self"
    # The slot taken is now the recipient's own: busy, and why.
    day = bookable_day()
    mine = valid(await client.get(f"{FHIR}/Slot", params={
        "schedule": f"Schedule/{service.id}", "start": f"eq{at(day, 10).isoformat()}",
        "patient": f"Patient/{world.people['recipient']}"}), 200, "Bundle")  # fmt: skip
    assert [(e["resource"]["status"], e["resource"]["comment"]) for e in mine["entry"]] == [("busy", "yours")]

    cancel = {**read, "status": "cancelled"}
    cancelled = valid(await client.put(f"{FHIR}/Appointment/{appointment['id']}", json=cancel), 200, "Appointment")
    assert cancelled["status"] == "cancelled"
    assert cancelled["meta"]["versionId"] == "2"
    search = {"patient": f"Patient/{world.people['recipient']}", "status": "cancelled"}
    assert valid(await client.get(f"{FHIR}/Appointment", params=search), 200, "Bundle")["total"] == 1
    refused(await client.put(f"{FHIR}/Appointment/{appointment['id']}", json=cancel), 409, "not_active")
    assert await ledger_differences(db_session) == []

    await _as(client, app, settings, world, "recipient")
    log = (await client.get("/api/v1/me/access-log")).json()
    by_token = {entry["action"] for entry in log if entry["actor_name"] == "token_dept"}
    assert {"booking.create", "booking.cancelled", "fhir.appointment.read", "fhir.slot.read"} <= by_token


async def test_refusals_carry_the_same_reason(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, db_session: AsyncSession
) -> None:
    service = await service_of(db_session, world.departments["d1"])
    await _as(client, app, settings, world, "token_dept")
    slot_id = await _free_slot(client, service, world, 11)
    taken = await client.post(f"{FHIR}/Appointment", json=_appointment(slot_id, _by_fnr(world, "other_recipient")))
    valid(taken, 201, "Appointment")
    # The one staff member is taken: the slot is full.
    full = await client.post(f"{FHIR}/Appointment", json=_appointment(slot_id, _by_fnr(world)))
    issue = refused(full, 409, "slot_full")
    assert issue["code"] == "business-rule"
    # Hours used up: a week's 120 minutes, all but 30 used.
    await db_session.execute(update(Allocation).where(Allocation.recipient_id == world.people["recipient"])
                             .values(minutes=30))  # fmt: skip
    day = bookable_day()
    later = valid(await client.get(f"{FHIR}/Slot", params={
        "schedule": f"Schedule/{service.id}", "start": f"eq{at(day, 13).isoformat()}",
        "patient:identifier": _patient(world)}), 200, "Bundle")["entry"][0]["resource"]  # fmt: skip
    assert (later["status"], later["comment"]) == ("busy-unavailable", "no_hours")
    audited = await db_session.scalar(select(func.count()).select_from(AuditEntry))
    refused(await client.post(f"{FHIR}/Appointment", json=_appointment(later["id"], _by_fnr(world))), 409,
            "allocation_used_up")  # fmt: skip
    # Another department's token reaches nothing of d1's.
    await _as(client, app, settings, world, "token_other_dept")
    assert refused(await client.post(f"{FHIR}/Appointment", json=_appointment(later["id"], _by_fnr(world))), 404,
                   "not_found")["code"] == "not-found"  # fmt: skip
    refused(await client.get(f"{FHIR}/Appointment/{taken.json()['id']}"), 404, "not_found")
    await _as(client, app, settings, world, "token_dept")
    # A bad identifier: a wrong check digit, or another system.
    wrong = world.national_ids["recipient"][:-1] + str((int(world.national_ids["recipient"][-1]) + 1) % 10)
    bad = {"type": "Patient", "identifier": {"system": NATIONAL_ID_SYSTEM, "value": wrong}}
    refused(await client.post(f"{FHIR}/Appointment", json=_appointment(later["id"], bad)), 422, "invalid_national_id")
    refused(await client.get(f"{FHIR}/Appointment", params={"patient:identifier": f"{NATIONAL_ID_SYSTEM}|{wrong}"}),
            422, "invalid_national_id")  # fmt: skip
    refused(await client.get(f"{FHIR}/Appointment", params={"patient:identifier": "urn:oid:1.2.3|12345678901"}),
            422, "unknown_identifier_system")  # fmt: skip
    # A bad date, or a prefix not supported.
    for date in ("2026-13-45", "ne2026-12-01", "ge2026-12-01T10:00:00"):
        refused(await client.get(f"{FHIR}/Appointment", params={"patient:identifier": _patient(world), "date": date}),
                400, "invalid_search_parameter")  # fmt: skip
    refused(await client.post(f"{FHIR}/Appointment", json={"resourceType": "Patient"}), 422, "validation_failed")
    broken = await client.post(
        f"{FHIR}/Appointment", content=b"{not", headers={"content-type": "application/fhir+json"}
    )
    refused(broken, 400, "malformed_body")
    assert await db_session.scalar(select(func.count()).select_from(AuditEntry)) == audited, "a refusal writes nothing"
    assert await db_session.scalar(select(func.count()).select_from(Booking)) == 1


async def test_not_found_gone_and_unauthorised_are_operation_outcomes(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, db_session: AsyncSession
) -> None:
    service = await service_of(db_session, world.departments["d1"])
    refused(await client.get(f"{FHIR}/Appointment/{uuid.uuid4()}"), 401, "unauthorized")
    await _as(client, app, settings, world, "token_dept")
    refused(await client.get(f"{FHIR}/Appointment/{uuid.uuid4()}"), 404, "not_found")
    refused(await client.get(f"{FHIR}/Appointment/not-an-id"), 404, "not_found")
    service.active = False
    await db_session.flush()
    assert refused(await client.get(f"{FHIR}/Schedule/{service.id}"), 410, "gone")["code"] == "deleted"


async def test_the_department_sees_free_and_busy_slots_page_by_page(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, db_session: AsyncSession
) -> None:
    service = await service_of(db_session, world.departments["d1"])
    await _as(client, app, settings, world, "token_dept")
    day = bookable_day()
    slot_id = await _free_slot(client, service, world, 9)
    valid(await client.post(f"{FHIR}/Appointment", json=_appointment(slot_id, _by_fnr(world))), 201, "Appointment")
    params = {
        "schedule": f"Schedule/{service.id}",
        "start": [f"ge{at(day, 8).isoformat()}", f"lt{at(day, 11).isoformat()}"],
    }
    everything = valid(await client.get(f"{FHIR}/Slot", params=params), 200, "Bundle")
    statuses = [(e["resource"]["start"], e["resource"]["status"]) for e in everything["entry"]]
    # 60-minute visits from 08:00 to 10:45 on a 15-minute grid, one staff member, busy 09:00-10:00.
    assert len(statuses) == 12
    busy = {start for start, status in statuses if status == "busy"}
    assert busy == {at(day, 8, 15).isoformat(), at(day, 8, 30).isoformat(), at(day, 8, 45).isoformat(),
                    at(day, 9).isoformat(), at(day, 9, 15).isoformat(), at(day, 9, 30).isoformat(),
                    at(day, 9, 45).isoformat()}  # fmt: skip
    first = valid(await client.get(f"{FHIR}/Slot", params={**params, "status": "free", "_count": "3"}), 200, "Bundle")
    assert first["total"] == 5
    assert len(first["entry"]) == 3
    following = next(link["url"] for link in first["link"] if link["relation"] == "next")
    second = valid(await client.get(following), 200, "Bundle")
    assert len(second["entry"]) == 2
    assert [link["relation"] for link in second["link"]] == ["self"]
    starts = [e["resource"]["start"] for e in first["entry"] + second["entry"]]
    assert starts == [start for start, status in statuses if status == "free"]


async def test_the_openapi_lists_the_fhir_routes(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    listed = {
        (method, path.removeprefix(FHIR)) for path, item in paths.items() if path.startswith(FHIR) for method in item
    }
    assert listed == {("get", "/metadata"), ("get", "/Schedule"), ("get", "/Schedule/{schedule_id}"), ("get", "/Slot"),
                      ("get", "/Appointment"), ("post", "/Appointment"), ("get", "/Appointment/{appointment_id}"),
                      ("put", "/Appointment/{appointment_id}")}  # fmt: skip
    create = paths[f"{FHIR}/Appointment"]["post"]
    assert create["responses"]["409"] == {"$ref": "#/components/responses/Outcome409"}
    assert "application/fhir+json" in create["requestBody"]["content"]


async def test_people_see_their_own_and_outcomes_map_to_fhir_statuses(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, db_session: AsyncSession
) -> None:
    service = await service_of(db_session, world.departments["d1"])
    await _as(client, app, settings, world, "proxy")  # a parent books for the child
    slot_id = await _free_slot(client, service, world, 12)
    actor = {"reference": f"Patient/{world.people['recipient']}"}
    booked = valid(await client.post(f"{FHIR}/Appointment", json=_appointment(slot_id, actor)), 201, "Appointment")
    booking = await db_session.get(Booking, uuid.UUID(booked["id"]))
    assert booking is not None
    assert booking.acted_by == "proxy"
    await _as(client, app, settings, world, "recipient")
    own = valid(await client.get(f"{FHIR}/Appointment"), 200, "Bundle")
    assert [e["resource"]["id"] for e in own["entry"]] == [booked["id"]]
    search = {"schedule": f"Schedule/{service.id}", "start": f"eq{bookable_day()}"}  # no patient: my own
    mine = valid(await client.get(f"{FHIR}/Slot", params=search), 200, "Bundle")
    assert {"yours"} == {e["resource"].get("comment") for e in mine["entry"] if e["resource"]["status"] == "busy"}
    await _as(client, app, settings, world, "other_recipient")
    refused(await client.get(f"{FHIR}/Appointment/{booked['id']}"), 404, "not_found")
    refused(await client.get(f"{FHIR}/Appointment", params={"patient": f"Patient/{world.people['recipient']}"}), 404,
            "not_found")  # fmt: skip
    await _as(client, app, settings, world, "token_dept")
    refused(await client.get(f"{FHIR}/Appointment"), 422, "recipient_required")
    expected = {"delivered": ("fulfilled", None), "no_show": ("noshow", None),
                "late_cancelled": ("cancelled", "late_cancelled")}  # fmt: skip
    for status, (fhir_status, reason) in expected.items():
        booking.status = status
        await db_session.flush()
        read = valid(await client.get(f"{FHIR}/Appointment/{booked['id']}"), 200, "Appointment")
        assert read["status"] == fhir_status
        assert (read.get("cancelationReason") or {"coding": [{"code": None}]})["coding"][0]["code"] == reason
        search = {"patient": f"Patient/{world.people['recipient']}", "status": fhir_status}
        assert valid(await client.get(f"{FHIR}/Appointment", params=search), 200, "Bundle")["total"] == 1


async def test_a_fhir_booking_and_its_cancellation_reach_the_case_system_signed(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, db_session: AsyncSession,
    connection: AsyncConnection,
) -> None:  # fmt: skip
    # Issue 21's whole round: the case system books and cancels over FHIR and hears of both by webhook.
    service = await service_of(db_session, world.departments["d1"])
    maker = async_sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    async with WebhookReceiver() as receiver, httpx.AsyncClient() as http:
        await _as(client, app, settings, world, "token_dept")
        subscribed = await client.post("/api/v1/webhooks", json={
            "url": receiver.url, "event_types": ["booking.booked", "booking.cancelled", "booking.late_cancelled"],
            "department_id": str(world.departments["d1"]),
        })  # fmt: skip
        assert subscribed.status_code == 201, subscribed.text
        receiver.secrets.append(subscribed.json()["secret"])
        slot_id = await _free_slot(client, service, world, 10)
        created = await client.post(f"{FHIR}/Appointment", json=_appointment(slot_id, _by_fnr(world)),
                                    headers={"content-type": "application/fhir+json"})  # fmt: skip
        appointment = valid(created, 201, "Appointment")
        cancelled = {**appointment, "status": "cancelled"}
        valid(await client.put(f"{FHIR}/Appointment/{appointment['id']}", json=cancelled), 200, "Appointment")
        await db_session.commit()

        await dispatch_events(maker, utcnow())
        sent = await delivery.deliver_due(maker, http, webhook_sender(settings), utcnow)

        assert sent["delivered"] == 2, sent
        assert receiver.invalid == []
        heard = {item.payload["type"]: item.payload["data"] for item in receiver.unique().values()}
        assert set(heard) == {"booking.booked", "booking.cancelled"}
        assert {data["booking_id"] for data in heard.values()} == {appointment["id"]}
        assert all("national_id" not in str(data) for data in heard.values())  # the scope carries no personal data
