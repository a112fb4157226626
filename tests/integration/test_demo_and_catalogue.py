from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from booking.consistency import ledger_differences
from booking.tables import Allocation, Booking, FollowUp
from core.clock import utcnow
from core.settings import Settings
from departments.tables import Department, OpeningRule, Service
from insight.tables import VisitFeedback
from people.tables import Coordinator, Person, ProxyLink, RoleAssignment
from tjenesteshop.demo import _load
from tjenesteshop.demo_today import book_near_visits, candidate_starts, choose_start

OSLO = ZoneInfo("Europe/Oslo")


@pytest.fixture
async def demo(db_session: AsyncSession, settings: Settings) -> str:
    summary = await _load(db_session, settings)
    await db_session.commit()  # a savepoint of the test's rolled-back transaction
    return summary


async def test_demo_has_what_the_quick_start_promises(demo: str, db_session: AsyncSession) -> None:
    assert demo.startswith("demo data loaded")
    rows = await db_session.execute(select(RoleAssignment.role, func.count()).group_by(RoleAssignment.role))
    roles: dict[str, int] = dict(rows.tuples().all())
    assert roles == {"recipient": 3, "proxy": 1, "staff": 2, "department_admin": 1, "municipality_admin": 1}
    assert await db_session.scalar(select(func.count()).select_from(Allocation)) == 4
    assert await db_session.scalar(select(func.count()).select_from(ProxyLink)) == 1
    weekdays = set((await db_session.scalars(select(OpeningRule.weekday))).all())
    assert weekdays == set(range(7))  # a whole week of opening hours
    masked = (await db_session.scalars(select(Person.national_id_masked))).all()
    assert all(value.endswith(" *****") for value in masked)


@pytest.mark.usefixtures("demo")
async def test_demo_history_is_consistent_and_has_something_to_evaluate(db_session: AsyncSession) -> None:
    statuses = await db_session.execute(select(Booking.status, func.count()).group_by(Booking.status))
    assert dict(statuses.tuples().all()) == {"delivered": 7, "no_show": 3, "late_cancelled": 1, "cancelled": 1}
    assert await ledger_differences(db_session) == []  # charged exactly as the booking service would have
    answers = await db_session.execute(select(VisitFeedback.answer, func.count()).group_by(VisitFeedback.answer))
    assert dict(answers.tuples().all()) == {"yes": 4, "mixed": 1, "no": 1}
    trial = await db_session.scalar(select(Allocation).where(Allocation.kind == "trial"))
    assert trial is not None
    assert trial.case_worker_id is not None
    assert trial.review_date is not None
    assert await db_session.scalar(select(func.count()).select_from(Coordinator)) == 3
    assert await db_session.scalar(select(func.count()).select_from(FollowUp)) == 1


@pytest.mark.usefixtures("demo")
async def test_loading_twice_changes_nothing(db_session: AsyncSession, settings: Settings) -> None:
    people = await db_session.scalar(select(func.count()).select_from(Person))
    again = await _load(db_session, settings)
    assert again == "demo data already loaded (Demo kommune)"
    assert await db_session.scalar(select(func.count()).select_from(Person)) == people


@pytest.mark.usefixtures("demo")
async def test_catalogue_lists_departments_hours_and_services(client: httpx.AsyncClient) -> None:
    departments = (await client.get("/api/v1/departments", params={"municipality": "9999"})).json()
    assert [d["name"] for d in departments] == ["Avlastning og oppfølging", "Hjemmetjenesten, praktisk bistand"]
    home = departments[1]
    assert home["timezone"] == "Europe/Oslo"
    assert home["grid_minutes"] == 15

    hours = (await client.get(f"/api/v1/departments/{home['id']}/opening-hours")).json()
    monday = [(r["start"], r["end"], r["staff"]) for r in hours if r["weekday"] == 0]
    assert monday == [("08:00", "12:00", 3), ("12:00", "16:00", 2)]

    services = (await client.get(f"/api/v1/departments/{home['id']}/services")).json()
    assert [s["name"] for s in services] == ["Bistand med to ansatte", "Praktisk bistand i hjemmet"]
    english = (await client.get(f"/api/v1/departments/{home['id']}/services", headers={"Accept-Language": "en"})).json()
    assert english[1]["name"] == "Practical help at home"
    assert {s["staff_units"] for s in services} == {1, 2}


async def test_unknown_department_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get(f"/api/v1/departments/{uuid.uuid4()}/services")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


async def test_municipality_number_is_validated(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/departments", params={"municipality": "larvik"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "municipality"
    missing = await client.get("/api/v1/departments")
    assert missing.status_code == 422


@pytest.mark.usefixtures("demo")
async def test_demo_has_visits_today_and_tomorrow_for_the_staff(db_session: AsyncSession, settings: Settings) -> None:
    now = utcnow()  # the tests' clock: a Wednesday at 10:00 in Oslo, both departments open
    booked = await book_near_visits(db_session, settings, now)
    assert len(booked) == 4, booked
    today = now.astimezone(OSLO).date()
    visits = (await db_session.scalars(select(Booking).where(Booking.status == "booked"))).all()
    days = sorted((b.starts_at.astimezone(OSLO).date() - today).days for b in visits)
    assert days == [0, 0, 1, 1]
    departments = {b.department_id for b in visits}
    assert len(departments) == 2  # Per's and Aisha's
    for booking in visits:
        if booking.starts_at.astimezone(OSLO).date() == today:
            assert booking.starts_at <= now  # started: "Utført" and "Ikke møtt" can be tried at once
    assert await ledger_differences(db_session) == []  # booked through the booking service
    # Started again the same day (or the next): nothing twice.
    assert len(await book_near_visits(db_session, settings, now + timedelta(minutes=5))) == 4
    assert await db_session.scalar(select(func.count()).select_from(Booking).where(Booking.status == "booked")) == 4


def test_near_visits_fit_the_opening_hours_and_prefer_one_already_started() -> None:
    service = Service(buffer_before=15, buffer_after=15)
    monday = date(2026, 9, 7)
    rules = [OpeningRule(weekday=0, start_minute=8 * 60, end_minute=12 * 60, staff=1)]
    department = Department(grid_minutes=15, timezone="Europe/Oslo")
    starts = candidate_starts(rules, service, department, 60, monday)
    assert (starts[0].time(), starts[-1].time()) == (time(8, 15), time(10, 45))
    assert candidate_starts(rules, service, department, 60, monday + timedelta(days=1)) == []
    at = datetime.combine(monday, time(9, 50), tzinfo=OSLO)
    assert choose_start(starts, 0, at, OSLO) == datetime.combine(monday, time(9, 45), tzinfo=OSLO)
    assert choose_start(starts, 0, at - timedelta(hours=3), OSLO) == starts[0]  # before opening: the first
    assert choose_start(starts, 1, at, OSLO) == datetime.combine(monday, time(10), tzinfo=OSLO)
    assert choose_start([], 0, at, OSLO) is None
