"""Visit feedback, the shared plan and trial evaluation reminders, over HTTP and through the job, with exact figures.

The scene: the world's recipient has an ordinary decision in d1 (Hjelp, 600 min/week), a trial decision in d1
(Avlastning, 180 min/week, evaluated in 10 days, with a case worker) and an ordinary one in d2 (Samtale, 120
min/week). Past visits are booked "back then" (the ledger materialised and the booking made with an earlier
clock), so they keep the ledger consistent: 40 days ago (delivered), 20 (delivered), 12 (delivered, trial),
5 and 3 (not met, in d2: a repeated no-show follow-up) and 2 (late-cancelled). Ahead: d1 and d2 visits, and a
cancelled trial visit. The other recipient has 5 delivered d1 visits two months ago and 4 the month before.
"""

from __future__ import annotations

import email
import email.policy
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from litestar import Litestar
from redis.asyncio import Redis
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from booking.service import BookRequest, book, cancel, record_outcome
from booking.tables import Allocation, Booking, FollowUp
from core.clock import utcnow
from core.settings import Settings
from departments.ledger import rematerialize
from departments.rules import norwegian_holidays
from departments.tables import Department, Service
from insight import feedback
from notifications.channels import channels_from_settings
from notifications.queue import evaluation_due_job
from people.access import Principal
from people.audit import Origin
from people.tables import AuditEntry, Person, RoleAssignment
from tests.booking_world import OSLO, at, bookable_day, open_department, service_of
from tests.world import World, build_world, sign_in

TODAY = utcnow().astimezone(OSLO).date()
LONG_AGO = TODAY - timedelta(days=150)


def _workday_back(days: int) -> date:
    """`days` ago, or the nearest earlier day that is not a public holiday (the departments close then)."""
    day = TODAY - timedelta(days=days)
    holidays = norwegian_holidays(day - timedelta(days=10), day)
    while day in holidays:
        day -= timedelta(days=1)
    return day


def _month_start(months_back: int) -> date:
    index = TODAY.year * 12 + TODAY.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1)


def _workdays_in(month: date, count: int) -> list[date]:
    holidays = norwegian_holidays(month, month + timedelta(days=31))
    days = [month + timedelta(days=n) for n in range(1, 28) if month + timedelta(days=n) not in holidays]
    return days[:count]


def _week_of(day: date) -> tuple[date, date]:
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


@dataclass
class Scene:
    """The world, and the visits by handle."""

    world: World
    visits: dict[str, uuid.UUID] = field(default_factory=dict)
    starts: dict[str, datetime] = field(default_factory=dict)
    services: dict[str, uuid.UUID] = field(default_factory=dict)
    allocations: dict[str, uuid.UUID] = field(default_factory=dict)
    other_visits: list[uuid.UUID] = field(default_factory=list)

    def admin(self) -> Principal:
        return Principal(municipality_id=self.world.municipality, person_id=self.world.people["muni_admin"],
                         roles=frozenset({("municipality_admin", None)}))  # fmt: skip

    def person(self, handle: str) -> Principal:
        return Principal(municipality_id=self.world.municipality, person_id=self.world.people[handle])


async def _past_visit(session: AsyncSession, scene: Scene, recipient: str, service: str, start: datetime,
                      outcome: str) -> uuid.UUID:  # fmt: skip
    """A visit booked a day before `start` (the ledger opened back then), then delivered, not met or cancelled."""
    booked_at = start - timedelta(hours=26)
    service_row = await session.get(Service, scene.services[service])
    assert service_row is not None
    department = await session.get(Department, service_row.department_id)
    assert department is not None
    await rematerialize(session, department, now=booked_at)
    request = BookRequest(scene.world.people[recipient], service_row.id, start, 60)
    booking = await book(session, scene.admin(), Origin(), request, key=uuid.uuid4().hex, now=booked_at)
    if outcome == "late_cancelled":
        await cancel(session, scene.admin(), Origin(), booking.id, now=start - timedelta(hours=2))
    else:
        await record_outcome(session, scene.admin(), Origin(), booking.id, outcome=outcome,
                             now=start + timedelta(minutes=30))  # fmt: skip
    return booking.id


async def _allocations(session: AsyncSession, scene: Scene, world: World) -> None:
    d1, d2 = world.departments["d1"], world.departments["d2"]
    # The world's services, read before d1 gets a second one (service_of takes a department's only service).
    help_service, talk_service = (await service_of(session, d1)).id, (await service_of(session, d2)).id
    respite = Service(id=uuid.uuid4(), municipality_id=world.municipality, department_id=d1,
                      name={"nb": "Avlastning"}, description={"nb": "Avlastning"}, durations=[60])  # fmt: skip
    session.add(respite)
    scene.services = {"help": help_service, "respite": respite.id, "talk": talk_service}
    await session.execute(  # the world's decision, from long ago and larger
        update(Allocation).where(Allocation.recipient_id == world.people["recipient"])
        .values(valid_from=LONG_AGO, minutes=600)
    )  # fmt: skip
    help_id = await session.scalar(select(Allocation.id).where(Allocation.recipient_id == world.people["recipient"]))
    assert help_id is not None
    trial = Allocation(
        id=uuid.uuid4(), municipality_id=world.municipality, recipient_id=world.people["recipient"], department_id=d1,
        service_id=respite.id, minutes=180, period="week", valid_from=TODAY - timedelta(days=14),
        valid_to=TODAY + timedelta(days=60), kind="trial", evaluation_date=TODAY + timedelta(days=10),
        case_worker_id=world.people["case_worker"],
    )  # fmt: skip
    talk = Allocation(
        id=uuid.uuid4(), municipality_id=world.municipality, recipient_id=world.people["recipient"], department_id=d2,
        service_id=scene.services["talk"], minutes=120, period="week", valid_from=LONG_AGO,
    )  # fmt: skip
    other = Allocation(
        id=uuid.uuid4(), municipality_id=world.municipality, recipient_id=world.people["other_recipient"],
        department_id=d1, service_id=scene.services["help"], minutes=600, period="week", valid_from=LONG_AGO,
    )  # fmt: skip
    session.add_all([trial, talk, other])
    scene.allocations = {"help": help_id, "trial": trial.id, "talk": talk.id}
    await session.flush()


async def _case_worker(session: AsyncSession, world: World) -> None:
    """A case worker (saksbehandler) with an e-mail address, on the staff of d2 (no role in d1)."""
    person = Person(id=uuid.uuid4(), municipality_id=world.municipality, national_id_hash="case-worker-hash",
                    national_id_masked="010180*****", given_name="Sara", family_name="Saksbehandler",
                    email="sara@kommune.example")  # fmt: skip
    session.add(person)
    await session.flush()
    session.add(RoleAssignment(municipality_id=world.municipality, person_id=person.id, role="staff",
                               department_id=world.departments["d2"]))  # fmt: skip
    world.people["case_worker"] = person.id


PAST = {  # handle: (days back, hour, service, outcome)
    "p0": (40, 8, "help", "delivered"),
    "p1": (20, 9, "help", "delivered"),
    "p2": (12, 10, "respite", "delivered"),
    "p3": (5, 11, "talk", "no_show"),
    "p4": (3, 13, "talk", "no_show"),
    "p5": (2, 14, "help", "late_cancelled"),
}
OTHER_MONTHS = {2: ["yes", "yes", "yes", "mixed", "no"], 3: ["yes", "no", "no", "mixed"]}  # months back: answers


@pytest.fixture
async def scene(db_session: AsyncSession, settings: Settings) -> Scene:
    world = await build_world(db_session, settings)
    await _case_worker(db_session, world)
    for handle in ("d1", "d2"):
        await open_department(db_session, world.departments[handle], staff=2)
    scene = Scene(world)
    await _allocations(db_session, scene, world)
    for handle, (days, hour, service, outcome) in PAST.items():
        scene.starts[handle] = at(_workday_back(days), hour)
        scene.visits[handle] = await _past_visit(db_session, scene, "recipient", service, scene.starts[handle],
                                                 outcome)  # fmt: skip
    for months_back, answers in OTHER_MONTHS.items():
        for day in _workdays_in(_month_start(months_back), len(answers)):
            scene.other_visits.append(
                await _past_visit(db_session, scene, "other_recipient", "help", at(day, 10), "delivered")
            )
    for handle in ("d1", "d2"):
        department = await db_session.get(Department, world.departments[handle])
        assert department is not None
        await rematerialize(db_session, department, now=utcnow())
    for handle, day, hour, service in (("u1", bookable_day(2), 10, "help"), ("u2", bookable_day(3), 11, "talk"),
                                       ("u3", bookable_day(4), 9, "respite")):  # fmt: skip
        scene.starts[handle] = at(day, hour)
        request = BookRequest(world.people["recipient"], scene.services[service], scene.starts[handle], 60)
        booking = await book(db_session, scene.admin(), Origin(), request, key=handle + uuid.uuid4().hex,
                             now=utcnow())  # fmt: skip
        scene.visits[handle] = booking.id
    await cancel(db_session, scene.admin(), Origin(), scene.visits["u3"], now=utcnow())
    await db_session.commit()
    return scene


async def _as(client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, who: str) -> None:
    redis: Redis = app.state.redis
    await sign_in(client, redis, settings, world, who)


async def _answer_others(session: AsyncSession, scene: Scene, count: int) -> None:
    """The other recipient's own answers, in visit order, for the first `count` visits."""
    answers = OTHER_MONTHS[2] + OTHER_MONTHS[3]
    for booking_id, answer in list(zip(scene.other_visits, answers, strict=True))[:count]:
        await feedback.answer(session, scene.person("other_recipient"), Origin(), booking_id=booking_id,
                              answer=answer, comment=None, on_behalf=False, now=utcnow(), today=TODAY)  # fmt: skip
    await session.commit()


def _feedback_url(scene: Scene, handle: str) -> str:
    return f"/api/v1/bookings/{scene.visits[handle]}/feedback"


async def test_the_recipient_answers_once_after_delivery_and_a_proxy_only_on_behalf(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, scene: Scene, db_session: AsyncSession
) -> None:
    world = scene.world
    await _as(client, app, settings, world, "recipient")
    pending = (await client.get("/api/v1/feedback/pending")).json()
    assert [v["booking_id"] for v in pending] == [str(scene.visits["p2"]), str(scene.visits["p1"])]  # not p0: 40 days
    assert pending[0]["service_name"] == {"nb": "Avlastning"}
    assert pending[0]["department_name"] == "Avdeling d1"
    assert pending[0]["start"] == scene.starts["p2"].isoformat()
    for handle, visit_status in (("u1", "booked"), ("p5", "late_cancelled"), ("p3", "no_show")):
        refused = await client.post(_feedback_url(scene, handle), json={"answer": "yes"})
        assert refused.status_code == 409, refused.text
        assert refused.json()["type"] == "urn:tjenesteshop:problem:visit_not_delivered"
        assert refused.json()["visit_status"] == visit_status
    bad = await client.post(_feedback_url(scene, "p1"), json={"answer": "maybe"})
    assert bad.status_code == 422
    too_long = await client.post(_feedback_url(scene, "p1"), json={"answer": "yes", "comment": "x" * 1001})
    assert too_long.status_code == 422
    assert too_long.json()["errors"][0]["field"] == "comment"
    first = await client.post(_feedback_url(scene, "p1"), json={"answer": "yes", "comment": "Hyggelig"})
    assert first.status_code == 201, first.text
    assert {k: first.json()[k] for k in ("answer", "comment", "by_proxy", "answered_by_id")} == {
        "answer": "yes",
        "comment": "Hyggelig",
        "by_proxy": False,
        "answered_by_id": str(world.people["recipient"]),
    }
    again = await client.post(_feedback_url(scene, "p1"), json={"answer": "no"})
    assert again.status_code == 409
    assert again.json()["type"] == "urn:tjenesteshop:problem:feedback_exists"
    assert again.json()["title"] == "Det er allerede svart på dette besøket"
    # The proxy: only when stating that the recipient cannot answer.
    await _as(client, app, settings, world, "proxy")
    assert [v["booking_id"] for v in (await client.get(
        "/api/v1/feedback/pending", params={"recipient_id": str(world.people["recipient"])})).json()] == [
        str(scene.visits["p2"])]  # fmt: skip
    own_voice = await client.post(_feedback_url(scene, "p2"), json={"answer": "mixed"})
    assert own_voice.status_code == 403
    assert own_voice.json()["type"] == "urn:tjenesteshop:problem:feedback_own_voice"
    on_behalf = await client.post(_feedback_url(scene, "p2"), json={"answer": "mixed", "on_behalf": True})
    assert on_behalf.status_code == 201, on_behalf.text
    assert (on_behalf.json()["by_proxy"], on_behalf.json()["answered_by_id"]) == (True, str(world.people["proxy"]))
    # The visit's department's staff and administrators, coordinators and the municipality's administrators see the
    # visit but never answer; d2's staff get a 404 like strangers (d2 serves the recipient too; the visit is d1's).
    for who, status in (("staff", 403), ("coordinator", 403), ("dept_admin", 403), ("muni_admin", 403),
                        ("other_staff", 404), ("expired_proxy", 404), ("other_recipient", 404),
                        ("foreign_admin", 404)):  # fmt: skip
        await _as(client, app, settings, world, who)
        response = await client.post(_feedback_url(scene, "p0"), json={"answer": "yes", "on_behalf": True})
        assert response.status_code == status, (who, response.text)
    await _as(client, app, settings, world, "recipient")
    assert (await client.get("/api/v1/feedback/pending")).json() == []
    audited = (await db_session.scalars(
        select(AuditEntry.actor_person_id).where(AuditEntry.action == "feedback.create").order_by(AuditEntry.id)
    )).all()  # fmt: skip
    assert audited == [world.people["recipient"], world.people["proxy"]]


async def test_individual_answers_are_for_the_recipient_and_their_coordinator_only(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, scene: Scene, db_session: AsyncSession
) -> None:
    world = scene.world
    await _as(client, app, settings, world, "recipient")
    await client.post(_feedback_url(scene, "p1"), json={"answer": "yes", "comment": "Hyggelig"})
    await _as(client, app, settings, world, "proxy")
    await client.post(_feedback_url(scene, "p2"), json={"answer": "no", "on_behalf": True})
    for who in ("recipient", "coordinator"):
        await _as(client, app, settings, world, who)
        one = (await client.get(_feedback_url(scene, "p1"))).json()
        assert (one["status"], one["feedback"]["answer"], one["feedback"]["comment"]) == (
            "delivered",
            "yes",
            "Hyggelig",
        )
        unanswered = (await client.get(_feedback_url(scene, "p0"))).json()
        assert (unanswered["status"], unanswered["feedback"]) == ("delivered", None)
        listed = (await client.get("/api/v1/feedback", params={"recipient_id": str(world.people["recipient"])})).json()
        assert [(a["visit"]["booking_id"], a["feedback"]["answer"], a["feedback"]["by_proxy"]) for a in listed] == [
            (str(scene.visits["p2"]), "no", True), (str(scene.visits["p1"]), "yes", False)]  # fmt: skip
    for who in ("proxy", "dept_admin", "staff", "other_staff", "muni_admin", "foreign_admin", "other_recipient"):
        await _as(client, app, settings, world, who)
        assert (await client.get(_feedback_url(scene, "p1"))).status_code == 404, who
        listed = await client.get("/api/v1/feedback", params={"recipient_id": str(world.people["recipient"])})
        assert listed.status_code == 404, who
    reads = await db_session.scalar(
        select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "feedback.read", AuditEntry.actor_person_id == world.people["coordinator"])
    )  # fmt: skip
    assert reads == 3


async def test_department_months_show_only_groups_of_five(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, scene: Scene, db_session: AsyncSession
) -> None:
    world = scene.world
    older, newer = _month_start(3), _month_start(2)
    url = f"/api/v1/departments/{world.departments['d1']}/feedback"
    window = {"from_month": older.strftime("%Y-%m"), "to_month": newer.strftime("%Y-%m")}
    await _answer_others(db_session, scene, 4)  # four of the newer month's five
    await _as(client, app, settings, world, "dept_admin")
    hidden = {"yes": None, "mixed": None, "no": None, "total": None, "suppressed": True}
    body = (await client.get(url, params=window)).json()
    assert body["minimum_group"] == 5
    assert body["months"] == [
        {"month": older.strftime("%Y-%m"), **hidden},
        {"month": newer.strftime("%Y-%m"), **hidden},
    ]
    await _as(client, app, settings, world, "other_recipient")  # the fifth answer, over HTTP
    fifth = await client.post(f"/api/v1/bookings/{scene.other_visits[4]}/feedback", json={"answer": "no"})
    assert fifth.status_code == 201, fifth.text
    for booking_id, answer in zip(scene.other_visits[5:], OTHER_MONTHS[3], strict=True):  # the older month: 4
        await feedback.answer(db_session, scene.person("other_recipient"), Origin(), booking_id=booking_id,
                              answer=answer, comment=None, on_behalf=False, now=utcnow(), today=TODAY)  # fmt: skip
    await db_session.commit()
    for who in ("dept_admin", "muni_admin", "token_admin", "token_dept"):
        await _as(client, app, settings, world, who)
        body = (await client.get(url, params=window)).json()
        assert body["months"] == [
            {"month": older.strftime("%Y-%m"), **hidden},  # 4 answers: not shown
            {"month": newer.strftime("%Y-%m"), "yes": 3, "mixed": 1, "no": 1, "total": 5, "suppressed": False},
        ], who
    await _as(client, app, settings, world, "dept_admin")
    default = (await client.get(url)).json()["months"]
    assert len(default) == 12
    assert default[-1]["month"] == TODAY.strftime("%Y-%m")
    assert {m["month"]: m["total"] for m in default}.get(newer.strftime("%Y-%m")) == 5
    backwards = await client.get(url, params={"from_month": "2026-05", "to_month": "2026-04"})
    assert backwards.status_code == 422
    assert backwards.json()["type"] == "urn:tjenesteshop:problem:invalid_month_range"
    assert (await client.get(url, params={"from_month": "2026-13"})).status_code == 422
    assert (await client.get(url, params={"from_month": "2020-01", "to_month": "2026-01"})).status_code == 422
    assert (await client.get(f"/api/v1/departments/{world.departments['d2']}/feedback")).status_code == 403
    for who, status in (("staff", 403), ("coordinator", 403), ("recipient", 403), ("foreign_admin", 404)):
        await _as(client, app, settings, world, who)
        assert (await client.get(url, params=window)).status_code == status, who


def _expected_used(scene: Scene) -> dict[str, int]:
    """Minutes charged in the week containing today: delivered, not met and late-cancelled visits, and booked ones."""
    first, last = _week_of(TODAY)
    charged = {"p0": "help", "p1": "help", "p2": "trial", "p3": "talk", "p4": "talk", "p5": "help", "u1": "help",
               "u2": "talk"}  # u3 was cancelled in time: its minutes came back  # fmt: skip
    used = {"help": 0, "trial": 0, "talk": 0}
    for handle, allocation in charged.items():
        if first <= scene.starts[handle].date() <= last:
            used[allocation] += 60
    return used


async def test_the_plan_for_coordinator_recipient_and_proxy(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, scene: Scene, db_session: AsyncSession
) -> None:
    world = scene.world
    await _as(client, app, settings, world, "recipient")
    await client.post(_feedback_url(scene, "p1"), json={"answer": "yes"})
    await _as(client, app, settings, world, "proxy")
    await client.post(_feedback_url(scene, "p2"), json={"answer": "mixed", "on_behalf": True})
    url = f"/api/v1/recipients/{world.people['recipient']}/plan"
    used = _expected_used(scene)
    week = [d.isoformat() for d in _week_of(TODAY)]
    expected_allocations = [
        ("Avdeling d1", {"nb": "Hjelp"}, "ordinary", 600, "week", LONG_AGO.isoformat(), None, None, used["help"]),
        ("Avdeling d1", {"nb": "Avlastning"}, "trial", 180, "week", (TODAY - timedelta(days=14)).isoformat(),
         (TODAY + timedelta(days=60)).isoformat(), (TODAY + timedelta(days=10)).isoformat(), used["trial"]),
        ("Avdeling d2", {"nb": "Samtale"}, "ordinary", 120, "week", LONG_AGO.isoformat(), None, None, used["talk"]),
    ]  # fmt: skip
    for who in ("coordinator", "recipient", "proxy", "muni_admin"):
        await _as(client, app, settings, world, who)
        response = await client.get(url)
        assert response.status_code == 200, (who, response.text)
        plan = response.json()
        assert (plan["given_name"], plan["family_name"]) == ("Recipient", "Testesen")
        assert [
            (
                a["department_name"],
                a["service_name"],
                a["kind"],
                a["minutes"],
                a["period"],
                a["valid_from"],
                a["valid_to"],
                a["evaluation_date"],
                a["used"],
            )
            for a in plan["allocations"]
        ] == expected_allocations
        assert {(a["period_start"], a["period_end"]) for a in plan["allocations"]} == {(week[0], week[1])}
        assert [(v["booking_id"], v["status"], v["department_name"]) for v in plan["upcoming"]] == [
            (str(scene.visits["u1"]), "booked", "Avdeling d1"),
            (str(scene.visits["u2"]), "booked", "Avdeling d2"),
        ]
        assert plan["upcoming"][0]["start"] == scene.starts["u1"].isoformat()
        assert [(v["booking_id"], v["status"]) for v in plan["past"]] == [
            (str(scene.visits["p5"]), "late_cancelled"),
            (str(scene.visits["p4"]), "no_show"),
            (str(scene.visits["p3"]), "no_show"),
            (str(scene.visits["p2"]), "delivered"),
            (str(scene.visits["p1"]), "delivered"),
        ]  # p0 is 40 days back: outside the plan's 30 days
        assert [(f["kind"], f["department_id"], f["details"]["no_shows"]) for f in plan["follow_ups"]] == [
            ("repeated_no_show", str(world.departments["d2"]), 2)
        ]
        if who in {"coordinator", "recipient"}:
            assert [
                (a["visit"]["booking_id"], a["feedback"]["answer"], a["feedback"]["by_proxy"]) for a in plan["feedback"]
            ] == [(str(scene.visits["p2"]), "mixed", True), (str(scene.visits["p1"]), "yes", False)]
        else:
            assert "feedback" not in plan, who  # proxies and administrators do not see the individual answers
    for who in ("staff", "dept_admin", "other_staff", "other_recipient", "expired_proxy", "foreign_admin",
                "token_dept", "case_worker"):  # fmt: skip
        await _as(client, app, settings, world, who)
        assert (await client.get(url)).status_code == 404, who
    readers = (await db_session.scalars(
        select(AuditEntry.actor_person_id).where(AuditEntry.action == "plan.read").order_by(AuditEntry.id)
    )).all()  # fmt: skip
    assert readers == [world.people["coordinator"], world.people["proxy"], world.people["muni_admin"]]


async def test_the_coordinator_sees_everyone_in_one_list(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, scene: Scene
) -> None:
    world = scene.world
    await _as(client, app, settings, world, "proxy")
    await client.post(_feedback_url(scene, "p2"), json={"answer": "mixed", "on_behalf": True})
    await _as(client, app, settings, world, "coordinator")
    lines = (await client.get("/api/v1/coordinators/me/recipients")).json()
    assert lines == [{
        "recipient_id": str(world.people["recipient"]), "given_name": "Recipient", "family_name": "Testesen",
        "upcoming_visits": 2, "next_visit": lines[0]["next_visit"], "open_follow_ups": 1,
        "latest_feedback": {"answer": "mixed", "by_proxy": True,
                            "answered_at": lines[0]["latest_feedback"]["answered_at"]},
    }]  # fmt: skip
    assert datetime.fromisoformat(lines[0]["next_visit"]) == scene.starts["u1"]
    await _as(client, app, settings, world, "staff")
    assert (await client.get("/api/v1/coordinators/me/recipients")).json() == []
    for who in ("recipient", "proxy", "muni_admin", "token_admin"):
        await _as(client, app, settings, world, who)
        assert (await client.get("/api/v1/coordinators/me/recipients")).status_code == 403, who


class Inbox:
    """An aiosmtpd handler that keeps every message."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802, ARG002
        message = email.message_from_bytes(bytes(envelope.original_content or b""), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 OK"


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    handler = Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


async def _open_evaluations(session: AsyncSession) -> list[tuple[str, dict[str, Any]]]:
    rows = await session.execute(
        select(FollowUp.kind, FollowUp.details).where(FollowUp.kind == "evaluation_due").order_by(FollowUp.created_at)
    )
    return [(kind, details) for kind, details in rows.tuples()]


async def test_evaluation_due_is_raised_once_and_mails_the_case_worker_once(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, scene: Scene, db_session: AsyncSession,
    connection: AsyncConnection, inbox: tuple[Inbox, int],
) -> None:  # fmt: skip
    world = scene.world
    handler, port = inbox
    own = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_security": "none",
                                      "mail_from": "Tjenesteshop <ikke-svar@kommune.example>"})  # fmt: skip
    maker = async_sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    evaluation = TODAY + timedelta(days=10)
    clock = {"now": at(evaluation - timedelta(days=15), 12)}  # a day before the reminder (14 days ahead)
    ctx: dict[str, Any] = {"sessionmaker": maker, "clock": lambda: clock["now"], "settings": own,
                           "channels": channels_from_settings(own)}  # fmt: skip
    assert await evaluation_due_job(ctx) == {"raised": 0, "mailed": 0, "mail_failed": 0}
    clock["now"] = at(evaluation - timedelta(days=14), 0, 30)
    assert await evaluation_due_job(ctx) == {"raised": 1, "mailed": 1, "mail_failed": 0}
    assert await evaluation_due_job(ctx) == {"raised": 0, "mailed": 0, "mail_failed": 0}  # at least once: twice
    clock["now"] += timedelta(hours=1)
    assert await evaluation_due_job(ctx) == {"raised": 0, "mailed": 0, "mail_failed": 0}
    raised = await _open_evaluations(db_session)
    assert [(kind, d["allocation_id"], d["evaluation_date"], d["case_worker_id"]) for kind, d in raised] == [
        ("evaluation_due", str(scene.allocations["trial"]), evaluation.isoformat(), str(world.people["case_worker"]))
    ]
    assert "mailed_at" in raised[0][1]
    assert [(m["To"], m["Subject"]) for m in handler.messages] == [
        ("sara@kommune.example", f"Utprøvingsvedtak skal evalueres {evaluation.strftime('%d.%m.%Y')}")
    ]
    body = handler.messages[0].get_body(("plain",))
    assert body is not None
    assert "Avlastning, Avdeling d1" in body.get_content()
    assert "Recipient" not in body.get_content()  # no names in e-mail
    # In the follow-up list: the coordinator, d1's administrators and the case worker; not d1's or d2's staff.
    both = ["repeated_no_show", "evaluation_due"]
    for who, kinds in (("coordinator", both), ("dept_admin", ["evaluation_due"]), ("case_worker", both),
                       ("staff", []), ("other_staff", ["repeated_no_show"]), ("muni_admin", both)):  # fmt: skip
        await _as(client, app, settings, world, who)
        items = (await client.get("/api/v1/follow-ups")).json()
        assert sorted(i["kind"] for i in items) == sorted(kinds), who
    # The case worker handles it; the job does not raise it again for the same evaluation date.
    await _as(client, app, settings, world, "case_worker")
    evaluation_item = next(i for i in (await client.get("/api/v1/follow-ups")).json() if i["kind"] == "evaluation_due")
    done = await client.post(f"/api/v1/follow-ups/{evaluation_item['id']}/resolve", json={"note": "Evaluert"})
    assert done.status_code == 201
    assert await evaluation_due_job(ctx) == {"raised": 0, "mailed": 0, "mail_failed": 0}
    # A new evaluation date is a new reminder, and a new e-mail.
    later = evaluation + timedelta(days=7)
    await db_session.execute(update(Allocation).where(Allocation.id == scene.allocations["trial"])
                             .values(evaluation_date=later))  # fmt: skip
    await db_session.commit()
    clock["now"] = at(later - timedelta(days=3), 9)
    assert await evaluation_due_job(ctx) == {"raised": 1, "mailed": 1, "mail_failed": 0}
    assert len(handler.messages) == 2
    delivered = await db_session.scalar(select(func.count()).select_from(Booking).where(Booking.status == "delivered"))
    assert delivered == 3 + 9  # the scene: p0, p1, p2 and the other recipient's nine
