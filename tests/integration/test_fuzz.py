"""Schema-driven fuzzing (schemathesis) of the live app, as an administrator's token and as a signed-in recipient.

Every operation of the app's own OpenAPI gets a fixed, derandomised budget of examples, valid ones and ones that
break the schema, with real ids from the world mixed into the paths and queries so that requests get past the
404. Each answer is checked by schemathesis's checks: never a 5xx, and the status code, content type, headers and
body are ones the OpenAPI lists. After the run, nothing the caller has no right to was written.

Transport: the app is the suite's shared app, running in the test's event loop, with its sessions joining the
test's rolled-back transaction (so the fuzz test needs no database of its own, and the rights check reads exactly
what the requests wrote). Hypothesis and schemathesis run synchronously, so they run in a worker thread; each
request they make is serialised by `requests` (as schemathesis's own transport does) and handed to the event
loop, which sends it to the app through httpx's ASGI transport and hands back the answer.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import hypothesis
import pytest
import requests
import schemathesis
from hypothesis import strategies as st
from litestar import Litestar
from schemathesis import checks
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from core.db import Base
from core.settings import Settings
from tests.booking_world import at, bookable_day, open_department, service_of
from tests.world import SESSION_COOKIE, World, build_world, server_session

# About 40 s of CPU for both callers; on a machine shared with other runs the wall time can be several times that.
pytestmark = [pytest.mark.slow, pytest.mark.serial, pytest.mark.timeout(600)]

# Examples per operation, per generation mode (valid and invalid data), per caller: about 260 requests a caller.
# Hypothesis's generation costs most of the CPU (schemathesis builds a strategy per operation and mode), not the app.
EXAMPLES = 2
CHECKS = (
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
)
# Signing out ends the caller's session, and the rest of the run would test only the 401.
SKIPPED = {("POST", "/auth/logout")}
BASE_URL = "http://test"


@dataclass
class Run:
    """What the fuzzing sent and found."""

    requests: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)


@pytest.fixture
async def world(db_session: AsyncSession, settings: Settings) -> World:
    world = await build_world(db_session, settings)
    for department in ("d1", "d2"):
        await open_department(db_session, world.departments[department], staff=2)
    await db_session.commit()
    return world


async def _book(client: httpx.AsyncClient, secret: str, recipient: uuid.UUID, service: uuid.UUID, hour: int) -> str:
    body = {"recipient_id": str(recipient), "service_id": str(service), "start": at(bookable_day(), hour).isoformat()}
    response = await client.post(
        "/api/v1/bookings",
        json=body | {"minutes": 60},
        headers={"Authorization": f"Bearer {secret}", "Idempotency-Key": uuid.uuid4().hex},
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def _known_ids(client: httpx.AsyncClient, db_session: AsyncSession, world: World) -> dict[str, list[str]]:
    """Real ids by parameter name: the caller's own objects and others' (a booking each for two recipients)."""
    d1, d2 = world.departments["d1"], world.departments["d2"]
    service1, service2 = await service_of(db_session, d1), await service_of(db_session, d2)
    admin = world.secrets["token_admin"]
    bookings = [
        await _book(client, admin, world.people["recipient"], service1.id, 10),
        await _book(client, admin, world.people["other_recipient"], service2.id, 12),
    ]
    allocations = [
        str(row)
        for row in (await db_session.execute(text("SELECT id FROM allocation ORDER BY recipient_id"))).scalars()
    ]
    people = [str(world.people[who]) for who in ("recipient", "other_recipient", "staff", "coordinator")]
    return {
        "department_id": [str(d1), str(d2)],
        "service_id": [str(service1.id), str(service2.id)],
        "booking_id": bookings,
        "allocation_id": allocations,
        "person_id": people,
        "recipient_id": people,
        "staff_id": people,
        "role_id": [str(world.roles["new_person"]), str(world.roles["staff"])],
        "link_id": [str(world.links["proxy"])],
        "token_id": [str(world.tokens["token_dept"])],
    }


def _fuzz(
    schema: Any,
    run: Run,
    known: dict[str, list[str]],
    credentials: dict[str, str],
    send: Callable[[requests.PreparedRequest], httpx.Response],
) -> None:
    """Every operation, both generation modes, EXAMPLES each (runs in a worker thread)."""
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in SKIPPED:
            continue
        label = f"{operation.method.upper()} {operation.path}"
        for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE):

            @hypothesis.settings(
                max_examples=EXAMPLES,
                derandomize=True,
                database=None,
                deadline=None,
                phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
                suppress_health_check=list(hypothesis.HealthCheck),
            )
            @hypothesis.given(case=operation.as_strategy(generation_mode=mode), data=st.data())
            def example(case: schemathesis.Case[Any], data: st.DataObject) -> None:
                for container in (case.path_parameters, case.query):
                    for name in list(container or {}):
                        if name in known and data.draw(st.booleans()):
                            container[name] = data.draw(st.sampled_from(known[name]))
                kwargs = case.as_transport_kwargs(base_url=BASE_URL, headers=credentials)
                accepted = ("method", "url", "headers", "params", "cookies", "data", "json", "files")
                prepared = requests.Request(**{k: v for k, v in kwargs.items() if k in accepted}).prepare()
                response = send(prepared)
                run.requests += 1
                run.statuses[response.status_code] = run.statuses.get(response.status_code, 0) + 1
                try:
                    case.validate_response(response, checks=list(CHECKS))
                except schemathesis.errors.FailureGroup as failures:
                    run.failures.append(f"{label}: {failures}")  # noqa: B023 - called before the loop moves on

            try:
                example()
            except hypothesis.errors.Unsatisfiable:
                # Nothing to break: an operation without parameters or body has no invalid requests.
                assert mode is schemathesis.GenerationMode.NEGATIVE, operation.label


async def _fuzz_as(app: Litestar, credentials: dict[str, str], known: dict[str, list[str]]) -> Run:
    loop = asyncio.get_running_loop()
    transport = httpx.ASGITransport(app=app, client=("127.16.0.2", 50000))  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        raw = (await client.get("/schema/openapi.json")).json()
        schema = schemathesis.openapi.from_dict(raw)

        async def request(prepared: requests.PreparedRequest) -> httpx.Response:
            client.cookies.clear()  # stateless: the caller's credentials are in each request's headers
            body = prepared.body.encode() if isinstance(prepared.body, str) else prepared.body
            assert body is None or isinstance(body, bytes)  # no streamed or multipart bodies in this API
            headers = {name: value if isinstance(value, str) else value.decode("latin-1")
                       for name, value in prepared.headers.items()}  # fmt: skip
            return await client.request(prepared.method or "GET", prepared.url or "/", headers=headers, content=body)

        def send(prepared: requests.PreparedRequest) -> httpx.Response:
            return asyncio.run_coroutine_threadsafe(request(prepared), loop).result(timeout=60)

        run = Run()
        await asyncio.to_thread(_fuzz, schema, run, known, credentials, send)
        return run


# The rights check: rows the caller may not touch, before and after.

LEDGERS = {"capacity_cell", "allocation_period"}  # shared counters a booking moves; conftest checks them


async def _rows(connection: AsyncConnection) -> dict[str, dict[str, dict[str, Any]]]:
    """Every row of every table, by table and id."""
    rows: dict[str, dict[str, dict[str, Any]]] = {}
    for table in Base.metadata.sorted_tables:
        result = await connection.execute(text(f'SELECT row_to_json(t)::text FROM "{table.name}" AS t'))  # noqa: S608
        rows[table.name] = {str(row["id"]): row for row in (json.loads(value) for value in result.scalars())}
    return rows


def _outside_rights(
    rows: dict[str, dict[str, dict[str, Any]]], world: World, recipient: uuid.UUID | None, before: set[str]
) -> dict[str, dict[str, Any]]:
    """The rows (by table and id) the caller has no right to write: the other municipality's, and for a
    recipient everything that is not theirs (the ledgers a booking moves aside, and new audit entries)."""
    other = str(world.other_municipality)
    own = str(recipient)
    own_bookings = {i for i, row in rows["booking"].items() if row["recipient_id"] == own}
    own_allocations = {i for i, row in rows["allocation"].items() if row["recipient_id"] == own}
    outside: dict[str, dict[str, Any]] = {}
    for table, by_id in rows.items():
        for row_id, row in by_id.items():
            key = f"{table}:{row_id}"
            foreign = row.get("municipality_id", row_id if table == "municipality" else None) == other
            if recipient is not None and not foreign:
                mine = (
                    (table == "person" and row_id == own)
                    or own in {row.get("person_id"), row.get("recipient_id")}
                    or row.get("booking_id") in own_bookings
                    or row.get("allocation_id") in own_allocations
                    or table in LEDGERS
                    or (table == "audit_entry" and key not in before)
                )
                foreign = not mine
            if foreign:
                outside[key] = row
    return outside


@pytest.mark.parametrize("caller", ["token_admin", "recipient"])
async def test_fuzzing_finds_no_5xx_no_answer_off_the_schema_and_no_write_outside_the_callers_rights(
    caller: str,
    app: Litestar,
    client: httpx.AsyncClient,
    connection: AsyncConnection,
    db_session: AsyncSession,
    settings: Settings,
    world: World,
) -> None:
    known = await _known_ids(client, db_session, world)
    if caller == "recipient":
        recipient: uuid.UUID | None = world.people["recipient"]
        session_id, csrf_token = await server_session(
            app.state.redis, settings, world.people["recipient"], world.municipality
        )
        credentials = {"Cookie": f"{SESSION_COOKIE}={session_id}", "X-CSRF-Token": csrf_token}
    else:
        recipient = None
        credentials = {"Authorization": f"Bearer {world.secrets[caller]}"}
    before = await _rows(connection)
    before_keys = {f"{table}:{row_id}" for table, by_id in before.items() for row_id in by_id}

    run = await _fuzz_as(app, credentials, known)

    after = await _rows(connection)
    print(f"{caller}: {run.requests} requests, statuses {sorted(run.statuses.items())}")  # noqa: T201
    assert not run.failures, "\n\n".join(run.failures)
    assert not any(status >= 500 for status in run.statuses)
    assert _outside_rights(after, world, recipient, before_keys) == _outside_rights(
        before, world, recipient, before_keys
    )
    assert run.requests >= 200  # the budget really was spent (259 a caller when written)
