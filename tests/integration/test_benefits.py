"""Benefit realisation over HTTP: known figures from a seeded history, the baseline, the pseudonymised export."""

from __future__ import annotations

import calendar
import csv
import io
import re
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import httpx
import pytest
from litestar import Litestar
from redis.asyncio import Redis
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from booking.tables import Allocation, Booking
from core.settings import Settings
from insight.benefit_rules import window
from insight.tables import VisitFeedback
from people.rules import national_id_hash, national_id_masked
from people.tables import AuditEntry, Person
from tests.booking_world import at, oslo_today, service_of
from tests.world import World, build_world, national_id_of, sign_in

PROBLEM = "application/problem+json"
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass
class History:
    """The world plus the seeded history's months and people."""

    world: World
    month_a: date  # three months back: the busy month
    month_b: date  # two months back
    people: list[Person] = field(default_factory=list)
    national_ids: list[str] = field(default_factory=list)
    booking_ids: list[uuid.UUID] = field(default_factory=list)


def _first_monday(month: date) -> date:
    return month + timedelta(days=(7 - month.weekday()) % 7)


def _visit(
    world: World,
    who: Person,
    allocation: Allocation,
    service_id: uuid.UUID,
    starts: datetime,
    status: str,
    acted_by: str,
    lead: timedelta,
    *,
    units: int = 1,
    buffer: int = 0,
) -> Booking:
    pad = timedelta(minutes=buffer)
    return Booking(
        id=uuid.uuid4(),
        municipality_id=world.municipality,
        recipient_id=who.id,
        department_id=world.departments["d1"],
        service_id=service_id,
        allocation_id=allocation.id,
        period_start=starts.date(),
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
        span_start=starts - pad,
        span_end=starts + timedelta(hours=1) + pad,
        minutes=60,
        staff_units=units,
        status=status,
        acted_by=acted_by,
        created_at=starts - lead,
        minutes_returned=status == "cancelled",
    )


@pytest.fixture
async def history(db_session: AsyncSession, settings: Settings) -> History:
    world = await build_world(db_session, settings)
    months = window(oslo_today())
    h = History(world, months[-4], months[-3])
    for index in range(7):
        national_id = national_id_of(60 + index)
        person = Person(
            id=uuid.uuid4(),
            municipality_id=world.municipality,
            given_name=f"Forskning{index}",
            family_name="Personsen",
            national_id_hash=national_id_hash(national_id, settings.national_id_key),
            national_id_masked=national_id_masked(national_id),
            address=f"Storgata {index + 1}",
        )
        h.people.append(person)
        h.national_ids.append(national_id)
    db_session.add_all(h.people)
    await db_session.flush()
    service = await service_of(db_session, world.departments["d1"])
    p = h.people
    a_end = h.month_b - timedelta(days=1)
    b_end = months[-2] - timedelta(days=1)
    weekly = Allocation(
        id=uuid.uuid4(),
        municipality_id=world.municipality,
        recipient_id=p[0].id,
        department_id=world.departments["d1"],
        service_id=service.id,
        minutes=70,
        period="week",
        valid_from=h.month_a,
        valid_to=a_end,
    )
    monthly = Allocation(
        id=uuid.uuid4(),
        municipality_id=world.municipality,
        recipient_id=p[1].id,
        department_id=world.departments["d1"],
        service_id=service.id,
        minutes=600,
        period="month",
        valid_from=h.month_b,
        valid_to=b_end,
    )
    db_session.add_all([weekly, monthly])
    await db_session.flush()
    monday_a, monday_b = _first_monday(h.month_a), _first_monday(h.month_b)
    two_days, day = timedelta(days=2), timedelta(days=1)
    visits = [_visit(world, who, weekly, service.id, at(monday_a, 9), "delivered", "recipient", two_days) for who in p]
    visits += [
        _visit(
            world,
            p[0],
            weekly,
            service.id,
            at(monday_a + day, 14),
            "no_show",
            "staff",
            timedelta(days=10),
            units=2,
            buffer=15,
        ),
        _visit(
            world,
            p[1],
            weekly,
            service.id,
            at(monday_a + day, 14),
            "no_show",
            "staff",
            timedelta(days=10),
            units=2,
            buffer=15,
        ),
        _visit(
            world, p[2], weekly, service.id, at(monday_a + 2 * day, 11), "late_cancelled", "proxy", timedelta(days=20)
        ),
        _visit(world, p[3], weekly, service.id, at(monday_a + 2 * day, 19), "cancelled", "proxy", timedelta(hours=5)),
    ]
    in_b = [_visit(world, who, monthly, service.id, at(monday_b, 10), "delivered", "recipient", day) for who in p[:5]]
    in_b.append(_visit(world, p[5], monthly, service.id, at(monday_b + day, 10), "booked", "staff", two_days))
    db_session.add_all(visits + in_b)
    await db_session.flush()
    h.booking_ids = [v.id for v in visits + in_b]

    def answer(visit: Booking, value: str) -> VisitFeedback:
        return VisitFeedback(
            municipality_id=world.municipality,
            booking_id=visit.id,
            recipient_id=visit.recipient_id,
            department_id=visit.department_id,
            answer=value,
            answered_at=visit.starts_at + timedelta(hours=2),
            answered_by_id=visit.recipient_id,
        )

    db_session.add_all([answer(visits[0], "yes"), answer(visits[1], "yes")])  # month A: 2 answers, hidden
    db_session.add_all(answer(v, a) for v, a in zip(in_b, ("yes", "yes", "yes", "mixed", "no"), strict=False))
    await db_session.commit()
    return h


async def _as(client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, who: str) -> None:
    redis: Redis = app.state.redis
    await sign_in(client, redis, settings, world, who)


def _month(body: dict[str, Any], month: date) -> dict[str, Any]:
    months: list[dict[str, Any]] = body["months"]
    return next(m for m in months if m["month"] == month.strftime("%Y-%m"))


async def test_the_seeded_history_gives_the_known_figures(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, history: History
) -> None:
    h = history
    await _as(client, app, settings, h.world, "dept_admin")
    response = await client.get("/api/v1/benefits")
    assert response.status_code == 200, response.text
    (d1,) = response.json()["departments"]  # a department administrator sees their own department only
    assert d1["department_id"] == str(h.world.departments["d1"])
    assert len(d1["months"]) == 12
    assert [m["complete"] for m in d1["months"]] == [True] * 11 + [False]
    a = _month(d1, h.month_a)
    # 7 delivered, 2 no-shows, 1 late and 1 in-time cancellation: 9 visits due, 2 of them missed.
    assert (a["visits_due"], a["no_shows"], a["no_show_percent"]) == (9, 2, 22.2)
    assert (a["late_cancellations"], a["cancellations"], a["bookings"]) == (1, 1, 11)
    assert (a["booked_by_recipient"], a["booked_by_proxy"], a["booked_by_staff"], a["self_booked_percent"]) == (
        7,
        2,
        2,
        81.8,
    )
    days_a = calendar.monthrange(h.month_a.year, h.month_a.month)[1]
    assert (a["allocated_minutes"], a["booked_minutes"], a["delivered_minutes"]) == (10 * days_a, 540, 420)
    assert a["lost_staff_minutes"] == 2 * (60 + 30) * 2  # two no-shows: visit and buffers, double staffed
    assert [b["bookings"] for b in a["lead_time"]] == [1, 7, 0, 2, 1]
    assert a["average_lead_hours"] == round((7 * 48 + 2 * 240 + 480 + 5) / 11, 1)
    assert [(b["band"], b["bookings"]) for b in a["time_of_day"]] == [
        ("night", 0),
        ("morning", 7),
        ("midday", 1),
        ("afternoon", 2),
        ("evening", 1),
    ]
    b = _month(d1, h.month_b)
    assert (b["visits_due"], b["no_shows"], b["no_show_percent"], b["self_booked_percent"]) == (6, 0, 0.0, 83.3)
    assert (b["allocated_minutes"], b["booked_minutes"], b["delivered_minutes"]) == (600, 360, 300)
    assert [x["bookings"] for x in b["lead_time"]] == [0, 6, 0, 0, 0]  # exactly 24 h ahead is "1-2 days"
    # "Min stemme teller": month A's two answers are hidden, month B's five are shown.
    feedback = {f["month"]: f for f in d1["feedback"]}
    assert feedback[h.month_a.strftime("%Y-%m")] == {
        "month": h.month_a.strftime("%Y-%m"),
        "suppressed": True,
        "yes": None,
        "mixed": None,
        "no": None,
        "total": None,
    }
    assert (feedback[h.month_b.strftime("%Y-%m")]["yes"], feedback[h.month_b.strftime("%Y-%m")]["total"]) == (3, 5)
    assert d1["trends"]["no_show_percent"] == {"per_month": None, "direction": "unknown"}  # two months with visits
    assert d1["trends"]["allocated_minutes"]["direction"] in {"up", "down", "flat"}
    assert d1["baseline"] is None
    assert d1["change"] is None


async def test_the_baseline_gives_the_change_since_self_booking_began(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, history: History, db_session: AsyncSession
) -> None:
    h = history
    d1 = h.world.departments["d1"]
    await _as(client, app, settings, h.world, "dept_admin")
    body = {
        "self_booking_from": h.month_b.isoformat(),
        "no_show_percent": 30,
        "visits_per_month": 4,
        "minutes_per_month": 200,
        "source": "  Fagsystemet, snitt 2025  ",
    }
    response = await client.put(f"/api/v1/departments/{d1}/benefit-baseline", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["source"] == "Fagsystemet, snitt 2025"
    bad = await client.put(f"/api/v1/departments/{d1}/benefit-baseline", json=body | {"no_show_percent": 101})
    assert (bad.status_code, bad.headers["content-type"]) == (422, PROBLEM)
    page = (await client.get(f"/api/v1/benefits?department={d1}")).json()["departments"][0]
    assert page["baseline"]["no_show_percent"] == 30.0
    # Since month B (B and the empty month after it): 6 visits due, none missed, 300 minutes delivered.
    assert page["change"] == {
        "months": 2,
        "no_show_percent": 0.0,
        "no_show_points": -30.0,
        "visits_per_month": 3.0,
        "visits_percent": -25.0,
        "minutes_per_month": 150.0,
        "minutes_percent": -25.0,
    }
    audited = select(func.count()).where(AuditEntry.action == "benefit_baseline.update")
    assert await db_session.scalar(audited) == 1
    await _as(client, app, settings, h.world, "other_dept_admin")
    refused = await client.put(f"/api/v1/departments/{d1}/benefit-baseline", json=body)
    assert refused.status_code == 403


async def test_department_b_never_sees_department_a(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, history: History
) -> None:
    h = history
    d1, d2 = h.world.departments["d1"], h.world.departments["d2"]
    await _as(client, app, settings, h.world, "other_dept_admin")
    own = (await client.get("/api/v1/benefits")).json()["departments"]
    assert [d["department_id"] for d in own] == [str(d2)]
    assert all(m["bookings"] == 0 for m in own[0]["months"])
    for path in ("/api/v1/benefits", "/api/v1/benefits/export.json", "/api/v1/benefits/export.csv"):
        response = await client.get(f"{path}?department={d1}")
        assert (response.status_code, response.headers["content-type"]) == (403, PROBLEM), path
    await _as(client, app, settings, h.world, "muni_admin")
    every = (await client.get("/api/v1/benefits")).json()["departments"]
    assert {d["department_id"] for d in every} == {str(d1), str(d2)}
    await _as(client, app, settings, h.world, "foreign_admin")
    assert (await client.get(f"/api/v1/benefits?department={d1}")).status_code == 404
    assert (await client.get("/api/v1/benefits")).json() == {"departments": []}


async def test_the_export_has_no_direct_identifier_and_no_group_under_five(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, history: History, db_session: AsyncSession
) -> None:
    h = history
    d1 = h.world.departments["d1"]
    await _as(client, app, settings, h.world, "muni_admin")
    before = await db_session.scalar(select(func.count()).where(AuditEntry.action == "benefits.export"))
    response = await client.get(f"/api/v1/benefits/export.json?department={d1}")
    assert response.status_code == 200, response.text
    export = response.json()
    rows = export["rows"]
    # Only the five delivered, unanswered 09:00 visits of month A's first Monday form a group of five or more.
    assert len(rows) == 5
    assert export["suppressed_rows"] == 17 - 5
    assert {(r["status"], r["booked_by"], r["time_of_day"], r["lead_time"], r["feedback"]) for r in rows} == {
        ("delivered", "recipient", "morning", "1_2_days", None)
    }
    monday = _first_monday(h.month_a).isocalendar()
    assert {r["iso_week"] for r in rows} == {f"{monday.year}-W{monday.week:02d}"}
    assert len({r["recipient_key"] for r in rows}) == 5
    assert [e["field"] for e in export["dictionary"]] == list(rows[0])
    assert export["departments"][0]["months"][-4]["visits_due"] == 9
    text = response.text
    secrets = [p.given_name for p in h.people] + ["Personsen", "Storgata"] + h.national_ids
    secrets += [str(p.id) for p in h.people] + [str(i) for i in h.booking_ids]
    secrets += [p.national_id_hash for p in h.people] + [p.national_id_masked for p in h.people]
    assert [s for s in secrets if s in text] == []
    assert not any(ISO_DATE.search(str(value)) for row in rows for value in row.values())
    again = (await client.get(f"/api/v1/benefits/export.json?department={d1}")).json()
    assert {r["recipient_key"] for r in again["rows"]}.isdisjoint({r["recipient_key"] for r in rows})
    as_csv = await client.get(f"/api/v1/benefits/export.csv?department={d1}")
    assert as_csv.status_code == 200, as_csv.text
    assert as_csv.headers["content-type"] == "text/csv; charset=utf-8"
    table = list(csv.reader(io.StringIO(as_csv.text.removeprefix("\ufeff")), delimiter=";"))
    assert table[0] == [e["field"] for e in export["dictionary"]]
    assert len(table) == 1 + 5
    assert [s for s in secrets if s in as_csv.text] == []
    after = await db_session.scalar(select(func.count()).where(AuditEntry.action == "benefits.export"))
    assert after == (before or 0) + 3
