"""Bad input never answers 500: every class of it, on every route that takes it, is a 4xx problem that writes nothing.

The routes are read from the app, so a new route is covered by the classes that apply to it: a route with a JSON
body gets every body class, a body with a datetime gets the missing offset, a date in the query gets the edges
of the range.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import types
import typing
import uuid
from dataclasses import dataclass, field

import httpx
import msgspec
import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute
from redis.asyncio import Redis
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.app import REQUEST_MAX_BODY_SIZE
from api.controllers.imports import IMPORT_MAX_BYTES, ImportUpload
from api.problem_texts import PROBLEMS
from api.problems import PROBLEM_MEDIA_TYPE, TYPE_PREFIX
from booking.tables import Allocation, Booking
from core.settings import Settings
from departments.tables import Department, Service
from notifications.tables import PushSubscription
from people.tables import AuditEntry, Person
from tests.booking_world import at, bookable_day, open_department, service_of
from tests.world import World, build_world, sign_in

WRITES = (AuditEntry, Booking, Person, Department, Service, Allocation, PushSubscription)
SKIPPED = {"OPTIONS", "HEAD"}


@dataclass(frozen=True)
class Operation:
    """One method on one route, and what it takes."""

    method: str
    path: str  # Litestar's template, e.g. /api/v1/bookings/{booking_id:uuid}/move
    body: type | None = None
    date_params: tuple[str, ...] = ()  # query parameter names (aliases) typed as a date
    path_params: dict[str, tuple[str, type]] = field(default_factory=dict)  # name: (its {...} text, type)

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def _unwrap(annotation: object) -> list[object]:
    """The types an annotation may hold (`date | None` -> [date, None])."""
    if typing.get_origin(annotation) is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return [inner for arg in typing.get_args(annotation) for inner in _unwrap(arg)]
    return [annotation]


def operations(app: Litestar) -> list[Operation]:
    """Every operation of the app, with its JSON body type and its date query parameters."""
    found: list[Operation] = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            signature = handler.parsed_fn_signature
            dependencies = handler.resolve_dependencies()
            data = signature.parameters.get("data")
            body = data.annotation if data is not None else None
            dates = tuple(
                getattr(parameter.kwarg_definition, "name", None) or name
                for name, parameter in signature.parameters.items()
                if name != "data"
                and name not in dependencies
                and name not in route.path_parameters
                and dt.date in _unwrap(parameter.annotation)
                and not getattr(parameter.kwarg_definition, "header", None)
            )
            path_params = {p.name: (p.full, p.type) for p in route.path_parameters.values()}
            found.extend(
                Operation(method, route.path, body, dates, path_params)
                for method in sorted(handler.http_methods - SKIPPED)
            )
    return found


def _leaves(kind: msgspec.inspect.Type) -> list[msgspec.inspect.Type]:
    """The types a field may hold, through unions and constraints (`Annotated[...]`)."""
    if isinstance(kind, msgspec.inspect.Metadata):
        return _leaves(kind.type)
    if isinstance(kind, msgspec.inspect.UnionType):
        return [leaf for member in kind.types for leaf in _leaves(member)]
    return [kind]


def _fields_of(body: type, *kinds: type[msgspec.inspect.Type]) -> list[str]:
    """The top-level fields of a body struct that take one of `kinds`."""
    info = msgspec.inspect.type_info(body)
    if not isinstance(info, msgspec.inspect.StructType):
        return []
    return [f.encode_name for f in info.fields if any(isinstance(t, kinds) for t in _leaves(f.type))]


def _datetime_fields(body: type) -> list[str]:
    return _fields_of(body, msgspec.inspect.DateTimeType)


def _str_fields(body: type) -> list[str]:
    return _fields_of(body, msgspec.inspect.StrType)


@pytest.fixture
async def world(db_session: AsyncSession, settings: Settings) -> World:
    world = await build_world(db_session, settings)
    await open_department(db_session, world.departments["d1"], staff=1)
    await db_session.commit()
    return world


@pytest.fixture
async def admin(client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World) -> httpx.AsyncClient:
    """The client, as the municipality's administrator (a bearer token: no CSRF token needed)."""
    redis: Redis = app.state.redis
    await sign_in(client, redis, settings, world, "token_admin")
    return client


async def _written(session: AsyncSession) -> dict[str, int]:
    return {model.__name__: int(await session.scalar(select(func.count()).select_from(model)) or 0) for model in WRITES}


def _url(operation: Operation, world: World) -> str:
    """The route's path with real ids where the world has one (else a random one)."""
    known = {
        "department_id": world.departments["d1"],
        "staff_id": world.people["staff"],
        "person_id": world.people["recipient"],
        "recipient_id": world.people["recipient"],
    }
    path = operation.path
    for name, (full, kind) in operation.path_params.items():
        value: object = known.get(name, uuid.uuid4()) if kind is uuid.UUID else (1 if kind is int else "x.ics")
        path = path.replace("{" + full + "}", str(value))
    return path


def assert_problem(response: httpx.Response, status: int | tuple[int, ...], code: str) -> None:
    """A problem of type `code` with its bokmål title and the expected status."""
    statuses = status if isinstance(status, tuple) else (status,)
    assert response.status_code in statuses, response.text
    if response.request.url.path.startswith("/fhir/"):  # the same problem, as an OperationOutcome
        assert response.headers["content-type"] == "application/fhir+json"
        coding = response.json()["issue"][0]["details"]["coding"][0]
        assert (coding["code"], coding["display"]) == (code, PROBLEMS[code].nb)
        return
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    body = response.json()
    assert body["type"] == TYPE_PREFIX + code, body
    assert body["title"] == PROBLEMS[code].nb


def documented(app: Litestar, operation: Operation) -> set[int]:
    """The statuses the app's OpenAPI lists for the operation: every answer below must be among them."""
    path = re.sub(r"\{(\w+):[^}]+\}", r"{\1}", operation.path)
    return {int(code) for code in app.openapi_schema.to_schema()["paths"][path][operation.method.lower()]["responses"]}


@dataclass(frozen=True)
class BodyCase:
    """A bad body: its bytes, content type, and the problem it must give."""

    name: str
    content: bytes
    content_type: str
    status: int
    code: str


def _multipart(content: bytes) -> bytes:
    """A multipart/form-data body (boundary `b`) holding `content` as the file `file`."""
    head = (
        b'--b\r\nContent-Disposition: form-data; name="file"; filename="eksport.csv"\r\nContent-Type: text/csv\r\n\r\n'
    )
    return head + content + b"\r\n--b--\r\n"


def _upload_cases() -> list[BodyCase]:
    """An upload route (the case system's export) takes multipart/form-data and nothing else."""
    multipart = "multipart/form-data; boundary=b"
    no_file = b'--b\r\nContent-Disposition: form-data; name="x"\r\n\r\n{}\r\n--b--\r\n'
    file_as_text = b'--b\r\nContent-Disposition: form-data; name="file"\r\n\r\nrecord\r\n--b--\r\n'
    return [
        BodyCase("json", b"{}", "application/json", 415, "unsupported_media_type"),
        BodyCase("text_plain", b"record\n", "text/plain", 415, "unsupported_media_type"),
        BodyCase("form", b"name=Kari", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
        BodyCase("malformed", b"--b\r\n\r\n", multipart, 400, "malformed_body"),
        BodyCase("no_file", no_file, multipart, 422, "validation_failed"),
        BodyCase("file_as_text", file_as_text, multipart, 422, "validation_failed"),
        BodyCase("not_a_text", _multipart(b"record\n\x81\x8d\n"), multipart, 422, "import_encoding"),
        BodyCase("nul", _multipart(b"record;given_name\nperson;Ka\x00ri\n"), multipart, 422, "import_refused"),
        BodyCase("too_large", _multipart(b"a" * IMPORT_MAX_BYTES), multipart, 413, "request_too_large"),
    ]


def _body_cases(operation: Operation) -> list[BodyCase]:
    assert operation.body is not None
    if operation.body is ImportUpload:
        return _upload_cases()
    text_field = (_str_fields(operation.body) or ["name"])[0]
    cases = [
        BodyCase("nul", json.dumps({text_field: "Kari\u0000"}).encode(), "application/json", 422, "text_contains_nul"),
        BodyCase("nul_key", b'{"x\\u0000": 1}', "application/json", 422, "text_contains_nul"),
        BodyCase("malformed", b'{"name": ', "application/json", 400, "malformed_body"),
        BodyCase("invalid_utf8", b'{"name": "\xff\xfe\xfa"}', "application/json", 400, "malformed_body"),
        BodyCase("deep", b"[" * 100_000 + b"]" * 100_000, "application/json", 400, "malformed_body"),
        BodyCase("deep_object", b'{"a":' * 20_000 + b"1" + b"}" * 20_000, "application/json", 400, "malformed_body"),
        BodyCase("text_plain", b"{}", "text/plain", 415, "unsupported_media_type"),
        BodyCase("form", b"name=Kari", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
        BodyCase(
            "too_large",
            b'{"name": "' + b"a" * REQUEST_MAX_BODY_SIZE + b'"}',
            "application/json",
            413,
            "request_too_large",
        ),
    ]
    cases.extend(
        BodyCase(
            f"naive_{name}",
            json.dumps({name: "2026-12-07T10:00:00"}).encode(),
            "application/json",
            422,
            "time_zone_required",
        )
        for name in _datetime_fields(operation.body)
    )
    return cases


def _app_operations() -> list[Operation]:
    from api.app import create_app  # noqa: PLC0415 - the routes of a demo app, without servers

    app = create_app(
        Settings(
            DATABASE_URL="postgresql+asyncpg://unused@127.0.0.1/unused",
            REDIS_URL="redis://127.0.0.1:1/0",
            demo=True,
            _env_file=None,
        )
    )
    return operations(app)


OPERATIONS = _app_operations()
BODY_OPERATIONS = [o for o in OPERATIONS if o.body is not None]
# Routes a machine calls with a secret of its own, checked before the body is read: without it every body is refused
# alike (401, nothing written). Their bad bodies, sent with the secret, are in their own tests
# (tests/integration/test_sms_receipts.py).
OWN_SECRET = {("POST", "/api/v1/sms/receipts")}
DATE_OPERATIONS = [o for o in OPERATIONS if o.date_params]


def test_the_table_sees_the_routes_that_take_each_class() -> None:
    assert any(o.path == "/api/v1/bookings" and o.method == "POST" for o in BODY_OPERATIONS)
    assert any(o.path == "/api/v1/bookings" and o.method == "GET" for o in DATE_OPERATIONS)
    assert {p for o in DATE_OPERATIONS for p in o.date_params} >= {"from", "to", "date"}
    assert sum(bool(_datetime_fields(o.body)) for o in BODY_OPERATIONS if o.body) >= 2


@pytest.mark.parametrize("operation", BODY_OPERATIONS, ids=str)
async def test_every_bad_body_is_a_4xx_problem_that_writes_nothing(
    admin: httpx.AsyncClient, app: Litestar, world: World, db_session: AsyncSession, operation: Operation
) -> None:
    before = await _written(db_session)
    url = _url(operation, world)
    statuses = documented(app, operation)
    failures = []
    for case in _body_cases(operation):
        response = await admin.request(
            operation.method,
            url,
            content=case.content,
            headers={"Content-Type": case.content_type, "Idempotency-Key": uuid.uuid4().hex},
        )
        secret = (operation.method, operation.path) in OWN_SECRET
        try:
            assert_problem(response, 401 if secret else case.status, "unauthorized" if secret else case.code)
            assert response.status_code in statuses, f"{response.status_code} is not in the OpenAPI"
        except AssertionError as exc:
            failures.append(f"{case.name}: {response.status_code} {response.text[:200]} ({exc})")
    assert failures == []
    assert await _written(db_session) == before


@pytest.mark.parametrize("year", ["0001", "9999"])
@pytest.mark.parametrize("operation", DATE_OPERATIONS, ids=str)
async def test_dates_at_the_edge_of_the_range_are_refused(
    admin: httpx.AsyncClient, world: World, db_session: AsyncSession, operation: Operation, year: str
) -> None:
    url = _url(operation, world)
    edge = f"{year}-01-01" if year == "0001" else f"{year}-12-31"
    for name in operation.date_params:
        before = await _written(db_session)
        params = dict.fromkeys(operation.date_params, edge) | {name: edge}
        # Routes that need other query parameters get real ones (the booking and availability routes).
        extra = {"recipient_id": str(world.people["recipient"])}
        if "availability" in operation.path:
            service = await db_session.scalar(
                select(Service.id).where(Service.department_id == world.departments["d1"])
            )
            extra["service_id"] = str(service)
        response = await admin.request(operation.method, url, params=extra | params)
        assert response.status_code < 500, (name, response.text)
        if response.status_code >= 400:
            code = response.json()["type"].removeprefix(TYPE_PREFIX)
            assert code in {"date_out_of_range", "invalid_range", "day_passed", "in_the_past", "beyond_horizon"}
            assert_problem(response, (400, 422), code)
            assert await _written(db_session) == before  # a 200 may log a read (AuditEntry); a refusal writes nothing


async def test_department_feedback_from_month_zero_is_refused(admin: httpx.AsyncClient, world: World) -> None:
    url = f"/api/v1/departments/{world.departments['d1']}/feedback"
    for params in (
        {"from_month": "0000-01"},
        {"to_month": "0000-01"},
        {"from_month": "9999-12", "to_month": "9999-12"},
    ):
        response = await admin.get(url, params=params)
        assert response.status_code < 500, (params, response.text)
        assert response.headers["content-type"] in {PROBLEM_MEDIA_TYPE, "application/json"}
    response = await admin.get(url, params={"from_month": "0000-01"})
    assert_problem(response, (400, 422), "date_out_of_range")


# Whole, otherwise valid requests with one bad value: the cases that answered 500 and could have written.


async def test_a_booking_without_an_offset_is_refused_saying_why(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, db_session: AsyncSession
) -> None:
    await sign_in(client, app.state.redis, settings, world, "recipient")
    service = await service_of(db_session, world.departments["d1"])
    before = await _written(db_session)
    naive = at(bookable_day(), 10).replace(tzinfo=None).isoformat()
    body = {
        "recipient_id": str(world.people["recipient"]),
        "service_id": str(service.id),
        "start": naive,
        "minutes": 60,
    }
    response = await client.post("/api/v1/bookings", json=body, headers={"Idempotency-Key": uuid.uuid4().hex})
    assert_problem(response, 422, "time_zone_required")
    assert response.json()["errors"][0]["field"] == "start"
    english = await client.post(
        "/api/v1/bookings", json=body, headers={"Idempotency-Key": uuid.uuid4().hex, "Accept-Language": "en"}
    )
    assert english.json()["title"] == PROBLEMS["time_zone_required"].en
    assert await _written(db_session) == before


@pytest.mark.parametrize("year", [1, 9999])
async def test_a_booking_at_the_edge_of_the_range_is_refused(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, db_session: AsyncSession, year: int
) -> None:
    await sign_in(client, app.state.redis, settings, world, "recipient")
    service = await service_of(db_session, world.departments["d1"])
    before = await _written(db_session)
    start = dt.datetime(year, 1 if year == 1 else 12, 1 if year == 1 else 31, 10, tzinfo=dt.UTC).isoformat()
    body = {
        "recipient_id": str(world.people["recipient"]),
        "service_id": str(service.id),
        "start": start,
        "minutes": 60,
    }
    response = await client.post("/api/v1/bookings", json=body, headers={"Idempotency-Key": uuid.uuid4().hex})
    assert response.status_code < 500, response.text
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    assert response.json()["title"] in {text.nb for text in PROBLEMS.values()}
    assert await _written(db_session) == before


def _nul_requests(world: World, service: uuid.UUID) -> list[tuple[str, str, dict[str, object]]]:
    department = world.departments["d1"]
    return [
        (
            "token_admin",
            "/api/v1/persons",
            {"national_id": "15076500565", "given_name": "Kari\u0000", "family_name": "N"},
        ),
        ("token_admin", "/api/v1/departments", {"name": "Avdeling\u0000"}),
        ("token_admin", f"/api/v1/departments/{department}", {"name": "Ny\u0000"}),
        (
            "token_admin",
            f"/api/v1/departments/{department}/services",
            {
                "name": {"nb": "Hjelp\u0000"},
                "description": {"nb": "x"},
                "durations": [60],
            },
        ),
        (
            "recipient",
            "/api/v1/me/push-subscriptions",
            {
                "endpoint": "https://push.example/abc",
                "keys": {"p256dh": "B" * 20 + "\u0000", "auth": "a" * 8},
            },
        ),
        (
            "token_admin",
            "/api/v1/allocations",
            {
                "recipient_id": str(world.people["recipient"]),
                "service_id": str(service),
                "minutes": 60,
                "period": "week",
                "valid_from": bookable_day(0).isoformat(),
                "reference": "sak\u0000",
            },
        ),
    ]


async def test_nul_in_whole_requests_is_refused_and_writes_nothing(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, db_session: AsyncSession
) -> None:
    service = await service_of(db_session, world.departments["d1"])
    before = await _written(db_session)
    for who, path, body in _nul_requests(world, service.id):
        await sign_in(client, app.state.redis, settings, world, who)
        method = (
            "PATCH"
            if path.startswith(("/api/v1/departments/", "/api/v1/persons/")) and path.count("/") == 4
            else "POST"
        )
        response = await client.request(method, path, json=body)
        assert_problem(response, 422, "text_contains_nul")
    assert await _written(db_session) == before


async def test_nul_in_a_query_string_is_refused(admin: httpx.AsyncClient, world: World) -> None:
    department = world.departments["d1"]
    for url in (f"/api/v1/departments/{department}/feedback?from_month=2026-01%00", "/ical/x%00.ics"):
        response = await admin.get(url)
        assert_problem(response, 422, "text_contains_nul")
