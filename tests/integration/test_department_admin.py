"""Department administration over HTTP: settings, opening hours, exceptions, holidays, services, guards."""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from litestar import Litestar
from redis.asyncio import Redis
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.problem_texts import PROBLEMS
from booking.service import BookRequest, book
from core.clock import utcnow
from core.settings import Settings
from departments.rules import norwegian_holidays
from departments.tables import CapacityCell, Department, HolidayOpening, OpeningException, OpeningRule, Service
from people.access import Principal
from people.audit import Origin
from people.tables import AuditEntry
from tests.booking_world import oslo_today
from tests.world import World, build_world, sign_in

PROBLEM = "urn:tjenesteshop:problem:"
TODAY = oslo_today()  # days used are at least two days away from it
SOON = TODAY + timedelta(days=3)
HOLIDAY = next(iter(norwegian_holidays(TODAY + timedelta(days=2), TODAY + timedelta(days=400))))
WORKDAY = next(
    day
    for day in (TODAY + timedelta(days=offset) for offset in range(2, 30))
    if day not in norwegian_holidays(day, day)
)
WEEK = [{"weekday": day, "start": "08:00", "end": "16:00", "staff": 2} for day in range(7)]
TABLES = (Department, OpeningRule, OpeningException, HolidayOpening, Service, CapacityCell, AuditEntry)
ADMINS = ("dept_admin", "muni_admin", "token_dept", "token_admin")


@pytest.fixture
async def world(db_session: AsyncSession, settings: Settings) -> World:
    return await build_world(db_session, settings)


async def _as(client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, who: str) -> None:
    redis: Redis = app.state.redis
    await sign_in(client, redis, settings, world, who)


async def _counts(session: AsyncSession) -> dict[str, int]:
    return {
        model.__tablename__: int(await session.scalar(select(func.count()).select_from(model)) or 0) for model in TABLES
    }


async def _actions(session: AsyncSession) -> list[str]:
    return list((await session.scalars(select(AuditEntry.action).order_by(AuditEntry.id))).all())


def _d(world: World, suffix: str = "", handle: str = "d1") -> str:
    return f"/api/v1/departments/{world.departments[handle]}{suffix}"


def _problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["type"] == PROBLEM + code
    assert body["title"]
    return body


async def test_municipality_admin_creates_a_department(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, db_session: AsyncSession
) -> None:
    await _as(client, app, settings, world, "muni_admin")
    body = {"name": "Avlastning Nord", "timezone": "UTC", "grid_minutes": 30, "reminder_lead_minutes": [60, 1440, 60]}
    created = await client.post("/api/v1/departments", json=body)
    assert created.status_code == 201, created.text
    department = created.json()
    assert (department["timezone"], department["grid_minutes"], department["horizon_days"]) == ("UTC", 30, 14)
    assert department["reminder_lead_minutes"] == [1440, 60]
    listed = await client.get("/api/v1/departments", params={"municipality": "0001"})
    assert "Avlastning Nord" in [d["name"] for d in listed.json()]
    assert (await _actions(db_session))[-1] == "department.create"
    for who in ("dept_admin", "token_dept", "staff"):
        await _as(client, app, settings, world, who)
        _problem(await client.post("/api/v1/departments", json={"name": "Nei"}), 403, "forbidden")


@pytest.mark.parametrize("who", ADMINS)
async def test_administrators_change_settings(
    who: str, client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, db_session: AsyncSession
) -> None:
    await _as(client, app, settings, world, who)
    changed = await client.patch(
        _d(world), json={"notice_hours": 4, "phone": "+47 400 00 000", "late_cancel_uses_allocation": False}
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["notice_hours"], changed.json()["late_cancel_uses_allocation"]) == (4, False)
    cleared = await client.patch(_d(world), json={"phone": None})
    assert cleared.json()["phone"] is None
    assert cleared.json()["notice_hours"] == 4  # what is not sent stays
    public = (await client.get(_d(world))).json()
    assert (public["notice_hours"], public["phone"]) == (4, None)
    assert (await _actions(db_session))[-2:] == ["department.update", "department.update"]


async def test_the_department_decides_on_recurring_visits_and_their_share(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, db_session: AsyncSession
) -> None:
    await _as(client, app, settings, world, "dept_admin")
    before = (await client.get(_d(world))).json()
    assert (before["series_allowed"], before["series_share_percent"]) == (True, 50)
    for bad in ({"series_share_percent": 101}, {"series_share_percent": -1}, {"series_allowed": "ja"}):
        _problem(await client.patch(_d(world), json=bad), 422, "validation_failed")
    assert (await client.get(_d(world))).json()["series_share_percent"] == 50  # nothing written
    changed = await client.patch(_d(world), json={"series_allowed": False, "series_share_percent": 30})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["series_allowed"], changed.json()["series_share_percent"]) == (False, 30)
    department = await db_session.get(Department, world.departments["d1"], populate_existing=True)
    assert department is not None
    assert (department.series_allowed, department.series_share_percent) == (False, 30)
    assert (await _actions(db_session))[-1] == "department.update"


@pytest.mark.parametrize("who", ["dept_admin", "muni_admin"])
async def test_opening_hours_are_replaced_at_once_and_the_ledger_follows(
    who: str, client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, db_session: AsyncSession
) -> None:
    await _as(client, app, settings, world, who)
    rules = [*WEEK[:5], {"weekday": 5, "start": "20:00", "end": "24:00", "staff": 1, "valid_from": SOON.isoformat()}]
    replaced = await client.put(_d(world, "/opening-hours"), json=rules)
    assert replaced.status_code == 200, replaced.text
    saturday = replaced.json()[-1]
    assert (saturday["end"], saturday["end_minute"], saturday["valid_from"]) == ("24:00", 1440, SOON.isoformat())
    assert (await client.get(_d(world, "/opening-hours"))).json() == replaced.json()
    cells = await db_session.scalar(
        select(func.count()).select_from(CapacityCell).where(CapacityCell.department_id == world.departments["d1"])
    )
    assert cells
    again = await client.put(_d(world, "/opening-hours"), json=WEEK[:1])
    assert [r["weekday"] for r in again.json()] == [0]
    assert (await _actions(db_session))[-2:] == ["opening_hours.replace", "opening_hours.replace"]


@pytest.mark.parametrize("who", ["dept_admin", "muni_admin"])
async def test_exception_lifecycle(
    who: str, client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, db_session: AsyncSession
) -> None:
    await _as(client, app, settings, world, who)
    later = SOON + timedelta(days=2)
    windows = [{"start": "10:00", "end": "12:00", "staff": 1}, {"start": "12:00", "end": "14:30", "staff": 3}]
    opened = await client.post(
        _d(world, "/exceptions"), json={"day": later.isoformat(), "closed": False, "windows": windows}
    )
    assert opened.status_code == 201, opened.text
    assert opened.json()["windows"][1] == {
        "start": "12:00",
        "end": "14:30",
        "start_minute": 720,
        "end_minute": 870,
        "staff": 3,
    }
    closed = await client.post(
        _d(world, "/exceptions"), json={"day": SOON.isoformat(), "closed": True, "note": "Personaldag"}
    )
    assert closed.status_code == 201, closed.text
    before = await _counts(db_session)
    again = await client.post(_d(world, "/exceptions"), json={"day": later.isoformat(), "closed": True})
    _problem(again, 409, "exception_exists")  # one exception a day: delete it to make another
    assert await _counts(db_session) == before
    listed = (await client.get(_d(world, "/exceptions"))).json()
    assert [(e["day"], e["closed"], e["note"]) for e in listed] == [
        (SOON.isoformat(), True, "Personaldag"),
        (later.isoformat(), False, None),
    ]
    assert (await client.delete(_d(world, f"/exceptions/{closed.json()['id']}"))).status_code == 204
    assert [e["id"] for e in (await client.get(_d(world, "/exceptions"))).json()] == [opened.json()["id"]]
    _problem(await client.delete(_d(world, f"/exceptions/{closed.json()['id']}")), 404, "not_found")
    assert (await _actions(db_session))[-3:] == ["exception.create", "exception.create", "exception.delete"]


@pytest.mark.parametrize("who", ["dept_admin", "muni_admin"])
async def test_holiday_openings(
    who: str, client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, db_session: AsyncSession
) -> None:
    await _as(client, app, settings, world, who)
    holidays = (await client.get(_d(world, "/holiday-openings"))).json()
    assert len(holidays) >= 10  # Norway has 12 public holidays a year (two may share a date)
    assert all(not h["open"] and h["opening_id"] is None for h in holidays)
    assert HOLIDAY.isoformat() in [h["day"] for h in holidays]
    opened = await client.post(_d(world, "/holiday-openings"), json={"day": HOLIDAY.isoformat()})
    assert opened.status_code == 201, opened.text
    twice = await client.post(_d(world, "/holiday-openings"), json={"day": HOLIDAY.isoformat()})
    assert twice.json()["id"] == opened.json()["id"]  # the same opening, not a second one
    shown = {h["day"]: h for h in (await client.get(_d(world, "/holiday-openings"))).json()}[HOLIDAY.isoformat()]
    assert (shown["open"], shown["opening_id"]) == (True, opened.json()["id"])
    assert (await client.delete(_d(world, f"/holiday-openings/{opened.json()['id']}"))).status_code == 204
    assert (await _actions(db_session))[-2:] == ["holiday_opening.create", "holiday_opening.delete"]


@pytest.mark.parametrize("who", ["dept_admin", "muni_admin"])
async def test_service_catalogue(
    who: str, client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, db_session: AsyncSession
) -> None:
    await _as(client, app, settings, world, who)
    body = {
        "name": {"nb": "Dusjhjelp", "en": "Help with showering"},
        "description": {"nb": "Hjelp til å dusje", "nn": "Hjelp til å dusje"},
        "durations": [45, 30, 45],
        "staff_units": 2,
        "buffer_after": 15,
        "home_visit": True,
    }
    created = await client.post(_d(world, "/services"), json=body, headers={"accept-language": "en"})
    assert created.status_code == 201, created.text
    service = created.json()
    assert (service["name"], service["durations"], service["names"]) == ("Help with showering", [30, 45], body["name"])
    path = _d(world, f"/services/{service['id']}")
    changed = await client.patch(path, json={"durations": [60], "description": {"nb": "Dusj og stell"}})
    assert (changed.json()["durations"], changed.json()["description"]) == ([60], "Dusj og stell")
    retired = await client.patch(path, json={"active": False})
    assert retired.json()["active"] is False
    public = [s["id"] for s in (await client.get(_d(world, "/services"))).json()]
    assert service["id"] not in public
    everything = (await client.get(_d(world, "/services/all"))).json()
    assert [s["active"] for s in everything] == [True, False]
    assert everything[-1]["id"] == service["id"]
    assert (await _actions(db_session))[-3:] == ["service.create", "service.update", "service.update"]


def _all_routes(world: World, handle: str) -> list[tuple[str, str, dict[str, Any] | list[Any] | None]]:
    missing = uuid.uuid4()
    return [
        ("PATCH", _d(world, "", handle), {"notice_hours": 3}),
        ("PUT", _d(world, "/opening-hours", handle), WEEK),
        ("GET", _d(world, "/exceptions", handle), None),
        ("POST", _d(world, "/exceptions", handle), {"day": SOON.isoformat(), "closed": True}),
        ("DELETE", _d(world, f"/exceptions/{missing}", handle), None),
        ("GET", _d(world, "/holiday-openings", handle), None),
        ("POST", _d(world, "/holiday-openings", handle), {"day": HOLIDAY.isoformat()}),
        ("DELETE", _d(world, f"/holiday-openings/{missing}", handle), None),
        ("GET", _d(world, "/services/all", handle), None),
        ("POST", _d(world, "/services", handle), {"name": {"nb": "X"}, "description": {"nb": "X"}, "durations": [30]}),
        ("PATCH", _d(world, f"/services/{missing}", handle), {"active": False}),
    ]


@pytest.mark.parametrize(
    ("who", "handle", "status", "code"),
    [
        ("dept_admin", "d2", 403, "forbidden"),
        ("token_dept", "d2", 403, "forbidden"),
        ("staff", "d1", 403, "forbidden"),
        ("recipient", "d1", 403, "forbidden"),
        ("foreign_admin", "d1", 404, "not_found"),
        ("token_foreign", "d1", 404, "not_found"),
    ],
)
async def test_who_may_not_administer_gets_403_at_home_and_404_elsewhere(
    who: str,
    handle: str,
    status: int,
    code: str,
    client: httpx.AsyncClient,
    app: Litestar,
    settings: Settings,
    world: World,
    db_session: AsyncSession,
) -> None:
    await _as(client, app, settings, world, who)
    before = await _counts(db_session)
    for method, path, body in _all_routes(world, handle):
        response = (
            await client.request(method, path, json=body) if body is not None else await client.request(method, path)
        )
        _problem(response, status, code)
    assert await _counts(db_session) == before


async def test_service_texts_bokmal_required_the_others_fall_back_to_it(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World
) -> None:
    await _as(client, app, settings, world, "dept_admin")
    body = {"name": {"nb": " Dusjhjelp ", "nn": "Dusjhjelp", "en": "  "}, "description": {"nb": "Hjelp til å dusje"},
            "durations": [30]}  # fmt: skip
    created = await client.post(_d(world, "/services"), json=body, headers={"accept-language": "en"})
    assert created.status_code == 201, created.text
    service = created.json()
    # Trimmed; blank English left out, so English readers see bokmål (the stored texts hold no empty string).
    assert (service["names"], service["name"], service["description"]) == (
        {"nb": "Dusjhjelp", "nn": "Dusjhjelp"}, "Dusjhjelp", "Hjelp til å dusje")  # fmt: skip
    path = _d(world, f"/services/{service['id']}")
    described = {"nb": "Hjelp til å dusje", "nn": "Hjelp til å dusje", "en": "Help with showering"}
    texts = {"name": {"nb": "Dusj", "nn": "Dusj", "en": "Showering"}, "description": described}
    changed = await client.patch(path, json=texts, headers={"accept-language": "nn"})
    assert (changed.json()["name"], changed.json()["descriptions"]) == ("Dusj", texts["description"])
    english = (await client.get(_d(world, "/services"), headers={"accept-language": "en"})).json()
    assert next(s for s in english if s["id"] == service["id"])["description"] == "Help with showering"
    # Bokmål emptied or left out: refused with a title in the reader's language, naming the fields; nothing changed.
    refusals = {
        "nb": ({"name": {"nb": " ", "nn": "Dusj"}, "description": {"nb": ""}}, ["description.nb", "name.nb"]),
        "nn": ({"name": {"nn": "Dusj"}}, ["name.nb"]),
        "en": ({"description": {"en": "Showering"}}, ["description.nb"]),
    }
    for language, (change, fields) in refusals.items():
        refused = await client.patch(path, json=change, headers={"accept-language": language})
        problem = _problem(refused, 422, "service_text_required")
        assert problem["title"] == getattr(PROBLEMS["service_text_required"], language)
        assert refused.headers["content-language"] == language
        assert sorted(problem["fields"]) == fields
    kept = (await client.get(_d(world, "/services/all"))).json()
    assert next(s for s in kept if s["id"] == service["id"])["names"] == texts["name"]


def _rules(*rows: tuple[int, str, str, int]) -> list[dict[str, Any]]:
    return [{"weekday": w, "start": s, "end": e, "staff": n} for w, s, e, n in rows]


def _service(**extra: Any) -> dict[str, Any]:
    return {"name": {"nb": "X"}, "description": {"nb": "X"}, "durations": [30], **extra}


def _window(start: str, end: str) -> dict[str, Any]:
    return {"start": start, "end": end, "staff": 1}


def _open(*windows: dict[str, Any]) -> dict[str, Any]:
    return {"day": SOON.isoformat(), "closed": False, "windows": list(windows)}


CREATE = None  # POST /api/v1/departments; every other case is a path under department d1
HOURS, EXCEPTIONS, SERVICES = "/opening-hours", "/exceptions", "/services"
INVALID_HOURS, INVALID, UNKNOWN_ZONE = "invalid_opening_hours", "validation_failed", "unknown_timezone"
TEXT_REQUIRED = "service_text_required"
CASES: dict[str, tuple[str, str | None, Any, int, str]] = {
    "overlapping rules": ("PUT", HOURS, _rules((0, "08:00", "12:00", 1), (0, "11:00", "16:00", 1)), 422, INVALID_HOURS),
    "off-grid rule": ("PUT", HOURS, _rules((1, "08:07", "12:00", 1)), 422, INVALID_HOURS),
    "rule ends before it starts": ("PUT", HOURS, _rules((2, "12:00", "08:00", 1)), 422, INVALID_HOURS),
    "backwards period": ("PUT", HOURS, [{**WEEK[0], "valid_from": SOON.isoformat(), "valid_to": str(TODAY)}], 422,
                         INVALID_HOURS),
    "staff 0": ("PUT", HOURS, _rules((0, "08:00", "12:00", 0)), 422, INVALID_HOURS),
    "staff 51": ("PUT", HOURS, _rules((0, "08:00", "12:00", 51)), 422, INVALID_HOURS),
    "time 25:00": ("PUT", HOURS, _rules((0, "08:00", "25:00", 1)), 422, INVALID),
    "weekday 7": ("PUT", HOURS, _rules((7, "08:00", "12:00", 1)), 422, INVALID_HOURS),
    "101 rules": ("PUT", HOURS, [WEEK[0]] * 101, 422, INVALID),
    "staff not a number": ("PUT", HOURS, [{**WEEK[0], "staff": "two"}], 422, INVALID),
    "unknown field in a rule": ("PUT", HOURS, [{**WEEK[0], "capacity": 3}], 422, INVALID),
    "unknown zone on create": ("POST", CREATE, {"name": "X", "timezone": "Europe/Atlantis"}, 422, UNKNOWN_ZONE),
    "grid 7 on create": ("POST", CREATE, {"name": "X", "grid_minutes": 7}, 422, INVALID),
    "horizon 61 on create": ("POST", CREATE, {"name": "X", "horizon_days": 61}, 422, INVALID),
    "six reminders": ("POST", CREATE, {"name": "X", "reminder_lead_minutes": [5, 10, 15, 20, 25, 30]}, 422, INVALID),
    "unknown field on create": ("POST", CREATE, {"name": "X", "colour": "red"}, 422, INVALID),
    "unknown zone on update": ("PATCH", "", {"timezone": "Europe/Atlantis"}, 422, UNKNOWN_ZONE),
    "grid 7 on update": ("PATCH", "", {"grid_minutes": 7}, 422, INVALID),
    "notice 169 hours": ("PATCH", "", {"notice_hours": 169}, 422, INVALID),
    "unknown field on update": ("PATCH", "", {"colour": "red"}, 422, INVALID),
    "closed day with windows": ("POST", EXCEPTIONS, {**_open(_window("08:00", "10:00")), "closed": True}, 422,
                                "invalid_exception"),
    "open day without windows": ("POST", EXCEPTIONS, _open(), 422, "invalid_exception"),
    "overlapping windows": ("POST", EXCEPTIONS, _open(_window("08:00", "10:00"), _window("09:00", "11:00")), 422,
                            INVALID_HOURS),
    "off-grid window": ("POST", EXCEPTIONS, _open(_window("08:10", "10:00")), 422, INVALID_HOURS),
    "window staff 0": ("POST", EXCEPTIONS, _open({**_window("08:00", "10:00"), "staff": 0}), 422, INVALID_HOURS),
    "exception in the past": ("POST", EXCEPTIONS, {"day": str(TODAY - timedelta(days=2)), "closed": True}, 422,
                              "day_passed"),
    "not a holiday": ("POST", "/holiday-openings", {"day": WORKDAY.isoformat()}, 422, "not_a_holiday"),
    "duration off the grid": ("POST", SERVICES, _service(durations=[20]), 422, "invalid_durations"),
    "no durations": ("POST", SERVICES, _service(durations=[]), 422, INVALID),
    "eleven durations": ("POST", SERVICES, _service(durations=list(range(15, 180, 15))), 422, INVALID),
    "duration over ten hours": ("POST", SERVICES, _service(durations=[615]), 422, INVALID),
    "buffer not in fives": ("POST", SERVICES, _service(buffer_before=7), 422, INVALID),
    "buffer over 240": ("POST", SERVICES, _service(buffer_after=245), 422, INVALID),
    "three staff units": ("POST", SERVICES, _service(staff_units=3), 422, INVALID),
    "name without bokmål": ("POST", SERVICES, _service(name={"en": "X"}), 422, TEXT_REQUIRED),
    "blank bokmål name": ("POST", SERVICES, _service(name={"nb": "  ", "nn": "X"}), 422, TEXT_REQUIRED),
    "empty bokmål description": ("POST", SERVICES, _service(description={"nb": ""}), 422, TEXT_REQUIRED),
    "description without bokmål": ("POST", SERVICES, _service(description={"nn": "X"}), 422, TEXT_REQUIRED),
    "name of 201 letters": ("POST", SERVICES, _service(name={"nb": "X" * 201}), 422, INVALID),
    "unknown language": ("POST", SERVICES, _service(name={"nb": "X", "sv": "X"}), 422, INVALID),
}  # fmt: skip


@pytest.mark.parametrize("case", list(CASES))
async def test_invalid_input_is_refused_and_nothing_written(
    case: str, client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, db_session: AsyncSession
) -> None:
    method, suffix, body, status, code = CASES[case]
    await _as(client, app, settings, world, "muni_admin")
    before = await _counts(db_session)
    path = "/api/v1/departments" if suffix is None else _d(world, suffix)
    _problem(await client.request(method, path, json=body), status, code)
    assert await _counts(db_session) == before


async def test_opening_hours_problems_name_the_rule(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World
) -> None:
    await _as(client, app, settings, world, "dept_admin")
    rules = _rules((0, "08:00", "12:00", 1), (0, "11:00", "16:00", 1), (3, "09:05", "10:00", 2))
    body = _problem(await client.put(_d(world, "/opening-hours"), json=rules), 422, "invalid_opening_hours")
    assert body["problems"] == [
        {"code": "off_grid", "index": 2, "weekday": 3},
        {"code": "overlap", "index": 1, "weekday": 0},
    ]


async def test_a_service_change_must_stay_on_the_grid(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, db_session: AsyncSession
) -> None:
    await _as(client, app, settings, world, "dept_admin")
    service_id = await db_session.scalar(select(Service.id).where(Service.department_id == world.departments["d1"]))
    before = await _counts(db_session)
    refused = await client.patch(_d(world, f"/services/{service_id}"), json={"durations": [25]})
    assert _problem(refused, 422, "invalid_durations")["grid_minutes"] == 15
    _problem(
        await client.patch(_d(world, f"/services/{service_id}"), json={"home_visit": True, "x": 1}),
        422,
        "validation_failed",
    )
    assert await _counts(db_session) == before


async def test_a_new_grid_must_fit_the_hours_and_the_services(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, db_session: AsyncSession
) -> None:
    await _as(client, app, settings, world, "dept_admin")
    await client.put(_d(world, "/opening-hours"), json=_rules((0, "08:15", "12:00", 1)))
    before = await _counts(db_session)
    _problem(await client.patch(_d(world), json={"grid_minutes": 30}), 422, "invalid_opening_hours")
    assert await _counts(db_session) == before
    await client.put(_d(world, "/opening-hours"), json=_rules((0, "08:00", "12:00", 1)))
    created = await client.post(
        _d(world, "/services"), json={"name": {"nb": "X"}, "description": {"nb": "X"}, "durations": [90]}
    )
    assert created.status_code == 201
    assert (await client.patch(_d(world), json={"grid_minutes": 30})).status_code == 200
    before = await _counts(db_session)
    refused = _problem(await client.patch(_d(world), json={"grid_minutes": 60}), 422, "invalid_durations")
    assert refused["services"] == [created.json()["id"]]
    assert await _counts(db_session) == before


async def test_a_longer_horizon_opens_more_days_in_the_ledger(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, db_session: AsyncSession
) -> None:
    await _as(client, app, settings, world, "dept_admin")
    await client.put(_d(world, "/opening-hours"), json=WEEK)

    async def days() -> int:
        query = select(func.count(func.distinct(CapacityCell.local_date))).where(
            CapacityCell.department_id == world.departments["d1"]
        )
        return int(await db_session.scalar(query) or 0)

    def open_days(horizon: int) -> int:
        """Today and the horizon's days, less the public holidays (closed unless the department opts in)."""
        today = utcnow().astimezone(ZoneInfo("Europe/Oslo")).date()
        last = today + timedelta(days=horizon)
        return (last - today).days + 1 - len(norwegian_holidays(today, last))

    assert await days() == open_days(14)
    assert (await client.patch(_d(world), json={"horizon_days": 30})).status_code == 200
    assert await days() == open_days(30)
    assert open_days(30) > open_days(14)


async def test_losing_booked_capacity_is_refused(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, db_session: AsyncSession
) -> None:
    await _as(client, app, settings, world, "dept_admin")
    await client.put(_d(world, "/opening-hours"), json=WEEK)
    # A real booking at 10:00 on WORKDAY (through the booking service, so the ledgers stay consistent).
    service = await db_session.scalar(select(Service).where(Service.department_id == world.departments["d1"]))
    assert service is not None
    admin = Principal(municipality_id=world.municipality, person_id=world.people["muni_admin"],
                      roles=frozenset({("municipality_admin", None)}))  # fmt: skip
    start = datetime.combine(WORKDAY, time(10), tzinfo=ZoneInfo("Europe/Oslo"))
    await book(db_session, admin, Origin(), BookRequest(world.people["recipient"], service.id, start, 60),
               key="admin-test", now=utcnow())  # fmt: skip
    await db_session.commit()
    before = await _counts(db_session)
    afternoons = [{"weekday": day, "start": "12:00", "end": "16:00", "staff": 2} for day in range(7)]
    _problem(await client.put(_d(world, "/opening-hours"), json=afternoons), 409, "capacity_conflict")
    _problem(
        await client.post(_d(world, "/exceptions"), json={"day": WORKDAY.isoformat(), "closed": True}),
        409,
        "capacity_conflict",
    )
    _problem(await client.patch(_d(world), json={"grid_minutes": 30}), 409, "capacity_conflict")
    assert await _counts(db_session) == before
    assert len((await client.get(_d(world, "/opening-hours"))).json()) == 7


async def test_a_visit_already_over_today_does_not_block_a_change_and_keeps_its_cells(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, db_session: AsyncSession
) -> None:
    # Closing the rest of today is a change an administrator makes when staff call in sick; this morning's
    # visit is over (nobody can cancel it any more), so it must not stand in the way (it once hung the browser
    # suite in a loop of refused cancellations before noon).
    await _as(client, app, settings, world, "dept_admin")
    await client.put(_d(world, "/opening-hours"), json=WEEK)
    service = await db_session.scalar(select(Service).where(Service.department_id == world.departments["d1"]))
    assert service is not None
    admin = Principal(municipality_id=world.municipality, person_id=world.people["muni_admin"],
                      roles=frozenset({("municipality_admin", None)}))  # fmt: skip
    now = utcnow()
    start = now.astimezone(ZoneInfo("Europe/Oslo")).replace(hour=8, minute=0, second=0, microsecond=0)
    assert start + timedelta(hours=1) <= now  # the tests' clock is 10:00 in Oslo
    await book(db_session, admin, Origin(), BookRequest(world.people["recipient"], service.id, start, 60),
               key="over-today", now=start - timedelta(days=1))  # fmt: skip
    await db_session.commit()

    closed = await client.post(_d(world, "/exceptions"), json={"day": TODAY.isoformat(), "closed": True})

    assert closed.status_code in {200, 201}, closed.text
    cells = (await db_session.execute(
        select(CapacityCell.starts_at, CapacityCell.ends_at, CapacityCell.used)
        .where(CapacityCell.department_id == world.departments["d1"], CapacityCell.local_date == TODAY)
    )).tuples().all()  # fmt: skip
    assert cells, "the morning's cells stay as history"
    assert all(ends_at <= utcnow() for _, ends_at, _ in cells)  # nothing left open today after now
    assert sum(used for _, _, used in cells) == 4  # the hour's four cells, still held by the visit
