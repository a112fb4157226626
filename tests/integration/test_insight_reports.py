"""The report views over HTTP, with exact figures from a seeded scenario, and who may see them."""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta

import httpx
import pytest
from litestar import Litestar
from redis.asyncio import Redis
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from booking.service import BookRequest, book
from booking.tables import Allocation, AllocationPeriod, Booking
from core.clock import utcnow
from core.settings import Settings
from departments.tables import CapacityCell, OpeningException, Service
from insight.rules import monday_of
from insight.tables import VisitFeedback
from people.access import Principal
from people.audit import Origin
from people.rules import national_id_hash, national_id_masked
from people.tables import AuditEntry, Municipality, Person
from tests.booking_world import OSLO, at, bookable_day, open_department, service_of
from tests.world import World, build_world, national_id_of, sign_in

PROBLEM = "application/problem+json"


@dataclass
class Scenario:
    """The world, plus the report scenario's ids and dates."""

    world: World
    today: date
    trial_start: date  # a Monday four weeks before this week's
    allocations: dict[str, uuid.UUID] = field(default_factory=dict)
    bookings: dict[str, uuid.UUID] = field(default_factory=dict)
    people: dict[str, uuid.UUID] = field(default_factory=dict)


# The trial's visits: (week 0-3, weekday 0 = Monday, local hour, status). 60 minutes each.
TRIAL_VISITS = (
    (0, 0, 10, "delivered"),
    (0, 2, 10, "delivered"),
    (0, 4, 14, "no_show"),
    (1, 1, 10, "delivered"),
    (1, 3, 10, "late_cancelled"),  # within the deadline: the department's policy charges it
    (1, 3, 12, "cancelled"),  # in time: the minutes went back
    (2, 0, 10, "delivered"),
    (2, 2, 15, "no_show"),
    (3, 1, 10, "delivered"),
    (3, 3, 10, "booked"),  # past, but no outcome recorded yet
)


def _service(world: World, department: str, name: str, *, category: str = "ordinary", units: int = 1) -> Service:
    return Service(id=uuid.uuid4(), municipality_id=world.municipality, department_id=world.departments[department],
                   name={"nb": name, "en": f"{name} (en)"}, description={"nb": name}, durations=[60],
                   staff_units=units, category=category)  # fmt: skip


def _allocation(world: World, who: uuid.UUID, service: Service, minutes: int, period: str = "week",
                **terms: object) -> Allocation:  # fmt: skip
    # Not due for review unless the test says so (new decisions get week 47 by default).
    values: dict[str, object] = {"valid_from": date(2020, 1, 1), "review_date": date(2099, 11, 16)} | terms
    if period == "four_weeks":
        values.setdefault("period_anchor", values["valid_from"])
    return Allocation(id=uuid.uuid4(), municipality_id=world.municipality, recipient_id=who,
                      department_id=service.department_id, service_id=service.id, minutes=minutes, period=period,
                      **values)  # fmt: skip


def _past_visits(world: World, trial: Allocation, service: Service, start: date) -> list[Booking]:
    visits = []
    for week, weekday, hour, status in TRIAL_VISITS:
        begins = at(start + timedelta(weeks=week, days=weekday), hour)
        visits.append(
            Booking(id=uuid.uuid4(), municipality_id=world.municipality, recipient_id=trial.recipient_id,
                    department_id=service.department_id, service_id=service.id, allocation_id=trial.id,
                    period_start=start + timedelta(weeks=week), starts_at=begins, ends_at=begins + timedelta(hours=1),
                    span_start=begins, span_end=begins + timedelta(hours=1), minutes=60, staff_units=1, status=status,
                    acted_by="recipient", actor_person_id=trial.recipient_id, minutes_returned=status == "cancelled")
        )  # fmt: skip
    return visits


def _periods(world: World, trial: Allocation, visits: list[Booking]) -> list[AllocationPeriod]:
    """The ledger rows the past visits would have left, so the consistency check holds."""
    used: dict[date, int] = {}
    for visit in visits:
        used[visit.period_start] = used.get(visit.period_start, 0) + (0 if visit.minutes_returned else visit.minutes)
    return [AllocationPeriod(municipality_id=world.municipality, allocation_id=trial.id, period_start=start,
                             period_end=start + timedelta(days=6), granted=trial.minutes, used=minutes)
            for start, minutes in used.items()]  # fmt: skip


def _feedback(
    world: World, visit: Booking, answer: str, comment: str | None, *, by_proxy: bool = False
) -> VisitFeedback:
    answered_by = world.people["proxy"] if by_proxy else visit.recipient_id
    return VisitFeedback(municipality_id=world.municipality, booking_id=visit.id, recipient_id=visit.recipient_id,
                         department_id=visit.department_id, answer=answer, comment=comment,
                         answered_by_id=answered_by, by_proxy=by_proxy)  # fmt: skip


async def _person(session: AsyncSession, world: World, key: bytes, index: int, given: str) -> Person:
    national_id = national_id_of(index)
    person = Person(id=uuid.uuid4(), municipality_id=world.municipality, given_name=given, family_name="Testesen",
                    national_id_hash=national_id_hash(national_id, key),
                    national_id_masked=national_id_masked(national_id))  # fmt: skip
    session.add(person)
    await session.flush()
    return person


@pytest.fixture
async def scenario(db_session: AsyncSession, settings: Settings) -> Scenario:
    world = await build_world(db_session, settings)
    await open_department(db_session, world.departments["d1"], staff=2)  # 08-16 daily: 960 staff-minutes a day
    today = utcnow().astimezone(OSLO).date()
    start = monday_of(today) - timedelta(weeks=4)
    s = Scenario(world, today, start)
    people = world.people
    # The trial decision: 180 minutes a week, evaluated on the Sunday before this week (four whole weeks).
    trial_service = _service(world, "d1", "Praktisk bistand")
    talk = await service_of(db_session, world.departments["d2"])
    respite = _service(world, "d2", "Avlastning", category="respite")
    bpa = _service(world, "d2", "BPA", category="bpa")
    double = _service(world, "d1", "Dobbeltbemanning", units=2)
    db_session.add_all([trial_service, respite, bpa, double])
    await db_session.flush()
    trial = _allocation(world, people["recipient"], trial_service, 180, valid_from=start, kind="trial",
                        evaluation_date=start + timedelta(days=27), valid_to=today + timedelta(days=60),
                        case_worker_id=people["other_staff"])  # fmt: skip
    small = await _person(db_session, world, settings.national_id_key, 40, "Liten")
    ends = today + timedelta(days=90)  # the committee's decisions are over before the coverage weeks in 2030
    made = {
        "trial": trial,
        "recipient_talk": _allocation(world, people["recipient"], talk, 800, valid_to=ends),
        "respite": _allocation(world, people["other_recipient"], respite, 5100, valid_to=ends,
                               review_date=today + timedelta(days=5)),
        "bpa": _allocation(world, people["new_person"], bpa, 600, "month", valid_to=ends),
        "small": _allocation(world, small.id, trial_service, 300, valid_to=ends),
        "ended": _allocation(world, small.id, talk, 60, valid_to=today - timedelta(days=1),
                             review_date=today - timedelta(days=3)),
        "double": _allocation(world, small.id, double, 2600, valid_from=date(2030, 9, 1), valid_to=date(2030, 9, 30)),
        "late": _allocation(world, small.id, trial_service, 2800, "four_weeks", valid_from=date(2030, 9, 16)),
    }  # fmt: skip
    db_session.add_all(made.values())
    s.allocations = {name: allocation.id for name, allocation in made.items()}
    await db_session.flush()
    world_allocations = (await db_session.scalars(select(Allocation).where(Allocation.minutes == 120))).all()
    for allocation in world_allocations:  # the world's two 120-minute decisions
        key = "recipient_d1" if allocation.recipient_id == people["recipient"] else "other_d2"
        s.allocations[key] = allocation.id
        allocation.review_date = today + timedelta(days=10 if key == "recipient_d1" else 45)
    visits = _past_visits(world, trial, trial_service, start)
    db_session.add_all(visits)
    db_session.add_all(_periods(world, trial, visits))
    await db_session.flush()
    db_session.add_all([
        _feedback(world, visits[0], "yes", "Hyggelig"),
        _feedback(world, visits[1], "mixed", None, by_proxy=True),
        _feedback(world, visits[3], "no", "Kom for sent"),
    ])  # fmt: skip
    # A visit booked ahead: in a period after the evaluation date, so not in the evaluation.
    admin = Principal(municipality_id=world.municipality, person_id=people["muni_admin"],
                      roles=frozenset({("municipality_admin", None)}))  # fmt: skip
    ahead = await book(db_session, admin, Origin(), BookRequest(people["recipient"], trial_service.id,
                       at(bookable_day(), 9), 60), key="ahead", now=utcnow())  # fmt: skip
    s.bookings = {"ahead": ahead.id, "first": visits[0].id, "fourth": visits[3].id}
    s.people = {"small": small.id}
    await db_session.commit()
    return s


async def _as(client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, who: str) -> None:
    redis: Redis = app.state.redis
    await sign_in(client, redis, settings, world, who)


async def _audits(session: AsyncSession, action: str) -> int:
    return int(await session.scalar(select(func.count()).where(AuditEntry.action == action)) or 0)


# --- Evaluation ---


def _minutes(**figures: int) -> dict[str, int]:
    values = dict.fromkeys(("granted", "booked", "delivered", "cancelled", "late_cancelled", "no_show", "charged"), 0)
    values |= figures
    return values | {"left": values["granted"] - values["charged"]}


async def test_trial_evaluation_has_exact_minutes_per_week_times_chosen_and_feedback(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, scenario: Scenario, db_session: AsyncSession
) -> None:
    s = scenario
    await _as(client, app, settings, s.world, "dept_admin")
    before = await _audits(db_session, "allocation.evaluation.read")
    response = await client.get(f"/api/v1/allocations/{s.allocations['trial']}/evaluation")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["kind"] == "trial"
    assert body["service_name"] == "Praktisk bistand"
    assert body["recipient_name"] == "Recipient Testesen"
    assert body["evaluated_until"] == (s.trial_start + timedelta(days=27)).isoformat()
    assert [(p["start"], p["end"]) for p in body["periods"]] == [
        ((s.trial_start + timedelta(weeks=w)).isoformat(), (s.trial_start + timedelta(weeks=w, days=6)).isoformat())
        for w in range(4)
    ]
    # 180 minutes a week over 4 weeks, 2 no-shows and 1 late cancellation (both charged by the policy),
    # 1 cancellation in time (given back), 5 delivered, 1 still booked.
    assert [p["minutes"] for p in body["periods"]] == [
        _minutes(granted=180, delivered=120, no_show=60, charged=180),
        _minutes(granted=180, delivered=60, late_cancelled=60, cancelled=60, charged=120),
        _minutes(granted=180, delivered=60, no_show=60, charged=120),
        _minutes(granted=180, delivered=60, booked=60, charged=120),
    ]
    assert body["total"] == _minutes(granted=720, delivered=300, no_show=120, late_cancelled=60, cancelled=60,
                                     booked=60, charged=540)  # fmt: skip
    assert body["total"]["left"] == 180
    # Chosen times (visits that held the recipient's time), local: 6 at 10:00, one at 14:00, one at 15:00.
    assert body["hours"] == [{"hour": 10, "visits": 6, "minutes": 360}, {"hour": 14, "visits": 1, "minutes": 60},
                             {"hour": 15, "visits": 1, "minutes": 60}]  # fmt: skip
    assert body["weekdays"] == [{"weekday": d, "visits": n, "minutes": 60 * n} for d, n in
                                ((1, 2), (2, 2), (3, 2), (4, 1), (5, 1))]  # fmt: skip
    # "Min stemme teller": an administrator gets no individual answers, and no counts of fewer than 5.
    assert (body["feedback"], body["answers_visible"], body["answers"]) == (None, False, [])
    await _as(client, app, settings, s.world, "coordinator")
    seen = (await client.get(f"/api/v1/allocations/{s.allocations['trial']}/evaluation")).json()
    assert {k: v for k, v in seen.items() if k not in {"feedback", "answers_visible", "answers"}} == {
        k: v for k, v in body.items() if k not in {"feedback", "answers_visible", "answers"}
    }
    assert (seen["feedback"], seen["answers_visible"]) == ({"yes": 1, "mixed": 1, "no": 1}, True)
    assert [(a["booking_id"], a["answer"], a["comment"], a["by_proxy"]) for a in seen["answers"]] == [
        (str(s.bookings["first"]), "yes", "Hyggelig", False),
        (str(seen["answers"][1]["booking_id"]), "mixed", None, True),
        (str(s.bookings["fourth"]), "no", "Kom for sent", False),
    ]
    assert seen["answers"][0]["visit_start"] == at(s.trial_start, 10).isoformat()
    assert await _audits(db_session, "allocation.evaluation.read") == before + 2


async def test_evaluation_csv_is_semicolon_separated_with_a_bom_and_headers_in_the_language(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, scenario: Scenario
) -> None:
    s = scenario
    await _as(client, app, settings, s.world, "muni_admin")
    path = f"/api/v1/allocations/{s.allocations['trial']}/evaluation.csv"
    response = await client.get(path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == f'attachment; filename="evaluering-{s.allocations["trial"]}.csv"'
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Periode fra", "Periode til", "Tildelt (min)", "Bestilt (min)", "Levert (min)",
                       "Avbestilt (min)", "Avbestilt for sent (min)", "Ikke møtt (min)", "Belastet vedtaket (min)",
                       "Igjen (min)"]  # fmt: skip
    assert rows[1:] == [
        [(s.trial_start + timedelta(weeks=w)).isoformat(), (s.trial_start + timedelta(weeks=w, days=6)).isoformat(),
         *figures]
        for w, figures in enumerate([
            ["180", "0", "120", "0", "0", "60", "180", "0"],
            ["180", "0", "60", "60", "60", "0", "120", "60"],
            ["180", "0", "60", "0", "0", "60", "120", "60"],
            ["180", "60", "60", "0", "0", "0", "120", "60"],
        ])
    ]  # fmt: skip
    english = await client.get(path, headers={"Accept-Language": "en"})
    assert english.content.decode("utf-8-sig").splitlines()[0].startswith("Period from;Period to;Granted (min)")
    nynorsk = await client.get(path, headers={"Accept-Language": "nn"})
    assert "Ikkje møtt (min)" in nynorsk.content.decode("utf-8-sig").splitlines()[0]


async def test_administrators_get_the_counts_from_five_answers_but_never_the_answers(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, scenario: Scenario, db_session: AsyncSession
) -> None:
    s = scenario
    delivered = (await db_session.scalars(
        select(Booking).where(Booking.allocation_id == s.allocations["trial"], Booking.status == "delivered",
                              Booking.id.not_in([s.bookings["first"], s.bookings["fourth"]]))
        .order_by(Booking.starts_at)
    )).all()  # fmt: skip
    assert len(delivered) == 3  # one of them already answered (mixed, by the proxy)
    answered = set(await db_session.scalars(select(VisitFeedback.booking_id)))
    db_session.add_all([_feedback(s.world, v, "no", "Ingen kom") for v in delivered if v.id not in answered])
    await db_session.commit()
    await _as(client, app, settings, s.world, "token_admin")
    body = (await client.get(f"/api/v1/allocations/{s.allocations['trial']}/evaluation")).json()
    assert (body["feedback"], body["answers_visible"], body["answers"]) == ({"yes": 1, "mixed": 1, "no": 3}, False, [])


@pytest.mark.parametrize(
    ("who", "allocation", "expected"),
    [
        ("coordinator", "trial", 200),  # the recipient's coordinator (staff in another department)
        ("other_staff", "trial", 200),  # the trial's case worker
        ("staff", "trial", 404),  # serves the recipient in d1, but is neither
        ("recipient", "trial", 404),
        ("proxy", "trial", 404),
        ("foreign_admin", "trial", 404),
        ("token_dept", "trial", 200),
        ("dept_admin", "other_d2", 404),  # administers d1, not d2
        ("token_dept", "other_d2", 404),
        ("muni_admin", "other_d2", 200),
        ("coordinator", "other_d2", 404),  # not the other recipient's coordinator
    ],
)
async def test_who_may_see_an_evaluation(
    who: str, allocation: str, expected: int,
    client: httpx.AsyncClient, app: Litestar, settings: Settings, scenario: Scenario, db_session: AsyncSession,
) -> None:  # fmt: skip
    await _as(client, app, settings, scenario.world, who)
    before = await _audits(db_session, "allocation.evaluation.read")
    for suffix in ("", ".csv"):
        response = await client.get(f"/api/v1/allocations/{scenario.allocations[allocation]}/evaluation{suffix}")
        assert response.status_code == expected, response.text
        if expected == 404:
            assert response.headers["content-type"] == PROBLEM
            assert response.json()["title"] == "Fant ikke det du ba om"
    assert await _audits(db_session, "allocation.evaluation.read") == before + (2 if expected == 200 else 0)
    unknown = await client.get(f"/api/v1/allocations/{uuid.uuid4()}/evaluation")
    assert unknown.status_code == 404


async def test_an_ordinary_decision_is_evaluated_up_to_today(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, scenario: Scenario
) -> None:
    await _as(client, app, settings, scenario.world, "muni_admin")
    body = (await client.get(f"/api/v1/allocations/{scenario.allocations['bpa']}/evaluation")).json()
    assert body["evaluated_until"] == scenario.today.isoformat()
    assert body["periods"][-1]["start"] == scenario.today.replace(day=1).isoformat()
    assert body["periods"][-1]["minutes"] == _minutes(granted=600)
    assert (body["feedback"], body["answers"]) == (None, [])
    future = (await client.get(f"/api/v1/allocations/{scenario.allocations['double']}/evaluation")).json()
    assert (future["evaluated_until"], future["periods"], future["total"]) == (None, [], _minutes())


# --- Reviews ---


def _due(rows: list[dict[str, object]]) -> list[tuple[object, ...]]:
    return [(r["allocation_id"], r["due"], r["reason"], r["overdue"]) for r in rows]


async def test_reviews_due_for_each_kind_of_administrator(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, scenario: Scenario
) -> None:
    s, ids = scenario, {k: str(v) for k, v in scenario.allocations.items()}
    evaluation = (s.trial_start + timedelta(days=27)).isoformat()
    await _as(client, app, settings, s.world, "muni_admin")
    response = await client.get("/api/v1/reviews")  # default: due within 30 days
    assert response.status_code == 200, response.text
    rows = response.json()
    assert _due(rows) == [
        (ids["trial"], evaluation, "evaluation", True),  # the trial's evaluation date has passed
        (ids["respite"], (s.today + timedelta(days=5)).isoformat(), "review", False),
        (ids["recipient_d1"], (s.today + timedelta(days=10)).isoformat(), "review", False),
    ]  # the ended decision's old review date is not listed
    assert rows[1]["recipient_name"] == "Other Recipient Testesen"
    assert rows[1]["service_name"] == "Avlastning"
    assert (rows[1]["minutes"], rows[1]["period"], rows[1]["weekly_minutes"]) == (5100, "week", 5100.0)
    assert rows[0]["evaluation_url"] == f"/api/v1/allocations/{ids['trial']}/evaluation"
    later = (await client.get(f"/api/v1/reviews?before={(s.today + timedelta(days=60)).isoformat()}")).json()
    assert [r["allocation_id"] for r in later][-1] == ids["other_d2"]
    await _as(client, app, settings, s.world, "dept_admin")  # d1 only
    assert [r["allocation_id"] for r in (await client.get("/api/v1/reviews")).json()] == [
        ids["trial"], ids["recipient_d1"],
    ]  # fmt: skip
    for who, status in (("recipient", 403), ("staff", 403), ("proxy", 403), ("anonymous", 401)):
        await _as(client, app, settings, s.world, who)
        refused = await client.get("/api/v1/reviews")
        assert refused.status_code == status
        assert refused.headers["content-type"] == PROBLEM
    await _as(client, app, settings, s.world, "foreign_admin")
    assert (await client.get("/api/v1/reviews?before=2100-01-01")).json() == []
    bad = await client.get("/api/v1/reviews?before=neste-uke")
    assert bad.status_code in {400, 422}
    assert bad.headers["content-type"] == PROBLEM


# --- Coverage ---


async def test_coverage_weeks_with_exceptions_and_warnings(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, scenario: Scenario, db_session: AsyncSession
) -> None:
    world = scenario.world
    d1 = world.departments["d1"]
    db_session.add_all([
        OpeningException(municipality_id=world.municipality, department_id=d1, day=date(2030, 9, 10), closed=True),
        OpeningException(municipality_id=world.municipality, department_id=d1, day=date(2030, 9, 17), closed=False,
                         windows=[{"start_minute": 480, "end_minute": 720, "staff": 1}]),
    ])  # fmt: skip
    await db_session.commit()
    await _as(client, app, settings, world, "dept_admin")
    response = await client.get(f"/api/v1/departments/{d1}/coverage?from=2030-09-04&weeks=3")
    assert response.status_code == 200, response.text
    weeks = response.json()["weeks"]
    assert [(w["week_start"], w["iso_week"]) for w in weeks] == [("2030-09-02", 36), ("2030-09-09", 37),
                                                                 ("2030-09-16", 38)]  # fmt: skip
    # Staffed: 960 staff-minutes a day (08-16, 2 on duty); 10 Sept closed; 17 Sept 08-12 with 1 (240).
    assert [w["staffed_minutes"] for w in weeks] == [6720, 5760, 6000]
    # Allocated: the world's 120 a week x 1, 2600 a week of a double-staffed service (x 2 = 5200) all September,
    # and from 16 Sept 2800 per 4 weeks (700 a week).
    assert [w["allocated_minutes"] for w in weeks] == [5320.0, 5320.0, 6020.0]
    assert [w["allocated_percent"] for w in weeks] == [79.2, 92.4, 100.3]
    assert [w["warning"] for w in weeks] == [None, "near", "over"]
    assert [(w["booked_minutes"], w["delivered_minutes"]) for w in weeks] == [(0, 0)] * 3


async def test_coverage_counts_booked_and_delivered_staff_minutes_and_trends_twelve_weeks(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, scenario: Scenario, db_session: AsyncSession
) -> None:
    s = scenario
    d1 = s.world.departments["d1"]
    await _as(client, app, settings, s.world, "muni_admin")
    past = (await client.get(f"/api/v1/departments/{d1}/coverage?from={s.trial_start.isoformat()}&weeks=4")).json()
    # Visits that held staff time (delivered, no-show, booked) and the delivered ones, 60 minutes x 1 each.
    assert [(w["booked_minutes"], w["delivered_minutes"]) for w in past["weeks"]] == [
        (180, 120), (60, 60), (120, 60), (120, 60),
    ]  # fmt: skip
    world_from = await db_session.scalar(select(Allocation.valid_from).where(
        Allocation.id == s.allocations["recipient_d1"]))  # fmt: skip
    assert world_from is not None
    # The trial (180), the small decision (300, open since 2020) and the world's (120, from a week ago).
    assert [w["allocated_minutes"] for w in past["weeks"]] == [
        480.0 + (120 if world_from <= s.trial_start + timedelta(weeks=w, days=6) else 0) for w in range(4)
    ]
    trend = (await client.get(f"/api/v1/departments/{d1}/coverage")).json()
    mondays = [date.fromisoformat(w["week_start"]) for w in trend["weeks"]]
    assert mondays == [monday_of(s.today) + timedelta(weeks=n) for n in range(12)]
    # Within the booking horizon the capacity ledger is the source: one more staff unit in one cell shows.
    cell = await db_session.scalar(
        select(CapacityCell).where(CapacityCell.department_id == d1).order_by(CapacityCell.starts_at.desc()).limit(1)
    )
    assert cell is not None
    path = f"/api/v1/departments/{d1}/coverage?from={cell.local_date.isoformat()}&weeks=1"
    staffed = (await client.get(path)).json()["weeks"][0]["staffed_minutes"]
    cell.capacity += 1
    await db_session.commit()
    assert (await client.get(path)).json()["weeks"][0]["staffed_minutes"] == staffed + 15


@pytest.mark.parametrize(
    ("who", "expected"),
    [("staff", 403), ("other_staff", 403), ("recipient", 403), ("proxy", 403), ("foreign_admin", 404),
     ("token_dept", 200), ("token_admin", 200)],
)  # fmt: skip
async def test_who_may_see_coverage(
    who: str, expected: int, client: httpx.AsyncClient, app: Litestar, settings: Settings, scenario: Scenario
) -> None:
    await _as(client, app, settings, scenario.world, who)
    response = await client.get(f"/api/v1/departments/{scenario.world.departments['d1']}/coverage")
    assert response.status_code == expected


@pytest.mark.parametrize("query", ["weeks=0", "weeks=53", "weeks=tolv", "from=2030-02-30"])
async def test_coverage_refuses_bad_input_with_a_problem(
    query: str, client: httpx.AsyncClient, app: Litestar, settings: Settings, scenario: Scenario
) -> None:
    await _as(client, app, settings, scenario.world, "muni_admin")
    response = await client.get(f"/api/v1/departments/{scenario.world.departments['d1']}/coverage?{query}")
    assert response.status_code in {400, 422}
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["title"] in {"Noen av feltene er ikke fylt ut riktig", "Forespørselen er ugyldig"}


# --- Coordinating committee ---


def _cases(body: dict[str, object]) -> list[tuple[object, ...]]:
    rows = body["recipients"]
    assert isinstance(rows, list)
    return [(r["recipient_name"], r["reasons"], r["weekly_minutes_total"]) for r in rows]


async def test_committee_lists_one_recipient_per_reason_and_not_the_one_below(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, scenario: Scenario, db_session: AsyncSession
) -> None:
    await _as(client, app, settings, scenario.world, "muni_admin")
    response = await client.get("/api/v1/committee")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["thresholds"] == {"weekly_minutes": 900, "respite_percent": 50, "bpa": True}
    assert _cases(body) == [
        ("New Person Testesen", ["bpa"], 138.46),  # 600 a month: 600 x 12 / 52
        ("Other Recipient Testesen", ["weekly_hours", "respite_share"], 5220.0),  # respite 5100 > 5040, + 120
        ("Recipient Testesen", ["weekly_hours"], 1100.0),  # 120 (d1) + 180 (trial, d1) + 800 (d2)
    ]  # Liten Testesen: 300 a week, below every threshold
    recipient = body["recipients"][2]
    assert sorted((a["department_name"], a["service_name"], a["weekly_minutes"]) for a in recipient["allocations"]) == [
        ("Avdeling d1", "Hjelp", 120.0), ("Avdeling d1", "Praktisk bistand", 180.0),
        ("Avdeling d2", "Samtale", 800.0),
    ]  # fmt: skip
    assert sorted(a["category"] for a in body["recipients"][1]["allocations"]) == ["ordinary", "respite"]
    assert await _audits(db_session, "committee.read") == 3
    # Raise the weekly threshold and leave BPA out: only the respite share is left.
    changed = await client.put("/api/v1/committee/thresholds",
                               json={"weekly_minutes": 6000, "respite_percent": 50, "bpa": False})  # fmt: skip
    assert changed.status_code == 200, changed.text
    assert await _audits(db_session, "committee_thresholds.update") == 1
    assert _cases((await client.get("/api/v1/committee")).json()) == [
        ("Other Recipient Testesen", ["respite_share"], 5220.0),
    ]
    assert (await client.get("/api/v1/committee/thresholds")).json() == {
        "weekly_minutes": 6000, "respite_percent": 50, "bpa": False,
    }  # fmt: skip
    municipality = await db_session.get(Municipality, scenario.world.municipality, populate_existing=True)
    assert municipality is not None
    assert (municipality.committee_weekly_minutes, municipality.committee_bpa) == (6000, False)


@pytest.mark.parametrize(
    "body",
    [
        {"weekly_minutes": 0, "respite_percent": 50, "bpa": True},
        {"weekly_minutes": 10081, "respite_percent": 50, "bpa": True},
        {"weekly_minutes": 900, "respite_percent": 101, "bpa": True},
        {"weekly_minutes": 900, "respite_percent": 50},
        {"weekly_minutes": "mye", "respite_percent": 50, "bpa": True},
        {"weekly_minutes": 900, "respite_percent": 50, "bpa": True, "extra": 1},
    ],
)
async def test_bad_thresholds_are_refused_in_norwegian_and_change_nothing(
    body: dict[str, object],
    client: httpx.AsyncClient, app: Litestar, settings: Settings, scenario: Scenario, db_session: AsyncSession,
) -> None:  # fmt: skip
    await _as(client, app, settings, scenario.world, "muni_admin")
    response = await client.put("/api/v1/committee/thresholds", json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["title"] == "Noen av feltene er ikke fylt ut riktig"
    assert response.json()["errors"]
    assert (await client.get("/api/v1/committee/thresholds")).json()["weekly_minutes"] == 900
    assert await _audits(db_session, "committee_thresholds.update") == 0


@pytest.mark.parametrize(
    ("who", "expected"),
    [("dept_admin", 403), ("token_dept", 403), ("staff", 403), ("coordinator", 403), ("recipient", 403),
     ("proxy", 403), ("token_admin", 200)],
)  # fmt: skip
async def test_who_may_see_the_committee_list(
    who: str, expected: int, client: httpx.AsyncClient, app: Litestar, settings: Settings, scenario: Scenario
) -> None:
    await _as(client, app, settings, scenario.world, who)
    for method, path in (("GET", "/api/v1/committee"), ("GET", "/api/v1/committee/thresholds"),
                         ("PUT", "/api/v1/committee/thresholds")):  # fmt: skip
        body = {"weekly_minutes": 900, "respite_percent": 50, "bpa": True}
        response = await client.request(method, path, json=body if method == "PUT" else None)
        assert response.status_code == expected, (method, path)


async def test_a_neighbour_municipality_sees_only_its_own_committee_list(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, scenario: Scenario
) -> None:
    await _as(client, app, settings, scenario.world, "foreign_admin")
    body = (await client.get("/api/v1/committee")).json()
    assert body["recipients"] == []
    changed = await client.put("/api/v1/committee/thresholds",
                               json={"weekly_minutes": 600, "respite_percent": 40, "bpa": True})  # fmt: skip
    assert changed.status_code == 200
    await _as(client, app, settings, scenario.world, "muni_admin")
    assert (await client.get("/api/v1/committee/thresholds")).json()["weekly_minutes"] == 900
