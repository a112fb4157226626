"""Data-protection duties over HTTP and in the worker: the copy of a person's data, rectification, retention."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from arq.connections import RedisSettings, create_pool
from litestar import Litestar
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from booking.tables import Allocation, AllocationPeriod, Booking
from core.settings import Settings
from departments.tables import CapacityCell, Service
from insight.tables import VisitFeedback
from notifications.queue import create_worker, cron_name, queue_name, retention_job
from notifications.retention import run_retention
from notifications.tables import PushSubscription
from people.tables import AuditEntry, Municipality, Person
from privacy.retention import statistics_total
from privacy.tables import BookingStatistic
from tests.conftest import RunServers
from tests.world import World, build_world, sign_in

NOW = datetime(2026, 9, 9, 8, 0, tzinfo=UTC)  # the fixed clock of the retention job (TEST_NOW, in UTC)
PROBLEM = "urn:tjenesteshop:problem:"


@pytest.fixture
async def world(db_session: AsyncSession, settings: Settings) -> World:
    return await build_world(db_session, settings)


async def _as(client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, who: str) -> None:
    await sign_in(client, app.state.redis, settings, world, who)


async def _visit(
    session: AsyncSession, world: World, who: str, starts_at: datetime, *, status: str = "delivered", minutes: int = 60
) -> Booking:
    """A visit inserted as history (booking functions refuse the past), charged to the person's decision."""
    allocation = await session.scalar(select(Allocation).where(Allocation.recipient_id == world.people[who]))
    assert allocation is not None
    booking = Booking(
        id=uuid.uuid4(), municipality_id=world.municipality, recipient_id=world.people[who],
        department_id=allocation.department_id, service_id=allocation.service_id, allocation_id=allocation.id,
        period_start=starts_at.date(), starts_at=starts_at, ends_at=starts_at + timedelta(minutes=minutes),
        span_start=starts_at, span_end=starts_at + timedelta(minutes=minutes), minutes=minutes, staff_units=1,
        status=status, acted_by="recipient",
    )  # fmt: skip
    session.add(booking)
    await session.flush()
    return booking


async def _feedback(session: AsyncSession, world: World, booking: Booking, answered_at: datetime, comment: str) -> None:
    session.add(
        VisitFeedback(
            municipality_id=world.municipality, booking_id=booking.id, recipient_id=booking.recipient_id,
            department_id=booking.department_id, answer="yes", comment=comment, answered_by_id=booking.recipient_id,
            answered_at=answered_at,
        )
    )  # fmt: skip
    await session.flush()


async def _push(session: AsyncSession, world: World, who: str, created_at: datetime, host: str) -> PushSubscription:
    subscription = PushSubscription(
        municipality_id=world.municipality, person_id=world.people[who], endpoint=f"https://{host}/send/{uuid.uuid4()}",
        p256dh="B" * 87, auth="secret-auth-key", created_at=created_at,
    )  # fmt: skip
    session.add(subscription)
    await session.flush()
    return subscription


# ---- the copy (Art. 15) -----------------------------------------------------------------------------------------


async def test_the_copy_holds_the_persons_data_and_nothing_of_anyone_else(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, db_session: AsyncSession
) -> None:
    mine = await _visit(db_session, world, "recipient", NOW - timedelta(days=20))
    theirs = await _visit(db_session, world, "other_recipient", NOW - timedelta(days=20))
    await _feedback(db_session, world, mine, NOW - timedelta(days=19), "Hyggelig besøk")
    await _feedback(db_session, world, theirs, NOW - timedelta(days=19), "NABOENS HEMMELIGHET")
    push = await _push(db_session, world, "recipient", NOW - timedelta(days=3), "push.example.org")
    await _push(db_session, world, "other_recipient", NOW - timedelta(days=3), "other-push.example.org")
    await db_session.commit()
    await _as(client, app, settings, world, "staff")  # staff read the recipient: it is in their access log
    assert (await client.get(f"/api/v1/persons/{world.people['recipient']}")).status_code == 200

    await _as(client, app, settings, world, "recipient")
    response = await client.get("/api/v1/me/data-export")
    assert response.status_code == 200, response.text
    copy = response.json()
    assert copy["by_proxy"] is False
    assert copy["person"]["id"] == str(world.people["recipient"])
    assert copy["person"]["national_id_masked"].endswith("*****")
    assert {(link["role"], link["other_name"]) for link in copy["proxy_links"]} == {
        ("recipient", "Proxy Testesen"), ("recipient", "Expired Proxy Testesen"),
    }  # fmt: skip
    assert [d["department_id"] for d in copy["decisions"]] == [str(world.departments["d1"])]
    assert [b["id"] for b in copy["bookings"]] == [str(mine.id)]
    assert copy["bookings"][0]["service_name"] == {"nb": "Hjelp"}
    assert [f["comment"] for f in copy["feedback"]] == ["Hyggelig besøk"]
    assert copy["push_subscriptions"] == [
        {
            "id": str(push.id),
            "push_service": "push.example.org",
            "created_at": copy["push_subscriptions"][0]["created_at"],
        }
    ]
    assert copy["notification_preferences"]["language"] == "nb"
    assert len(copy["sessions"]) >= 1
    assert all(set(s) == {"signed_in_at", "provider"} for s in copy["sessions"])
    assert "person.read" in {e["action"] for e in copy["access_log"]}
    assert "Staff Testesen" in {e["actor_name"] for e in copy["access_log"]}
    text = response.text
    for secret in ("secret-auth-key", "B" * 87, "/send/", str(world.people["other_recipient"]), "NABOENS",
                   str(theirs.id), "Other Recipient", client.headers["x-csrf-token"],
                   client.cookies.get("tjenesteshop_session") or "no-cookie"):  # fmt: skip
        assert secret not in text, secret
    exported = await db_session.scalar(
        select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "person.export", AuditEntry.subject_person_id == world.people["recipient"],
            AuditEntry.actor_person_id == world.people["recipient"],
        )
    )  # fmt: skip
    assert exported == 1


async def test_a_proxy_gets_the_recipients_copy_without_sessions_or_other_proxies(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, db_session: AsyncSession
) -> None:
    recipient = world.people["recipient"]
    await _as(client, app, settings, world, "proxy")
    response = await client.get("/api/v1/me/data-export", params={"recipient_id": str(recipient)})
    assert response.status_code == 200, response.text
    copy = response.json()
    assert copy["by_proxy"] is True
    assert copy["person"]["id"] == str(recipient)
    assert copy["sessions"] == []
    assert [link["other_name"] for link in copy["proxy_links"]] == ["Proxy Testesen"]  # not the other proxy
    assert "Expired Proxy" not in response.text
    entry = await db_session.scalar(
        select(AuditEntry).where(AuditEntry.action == "person.export", AuditEntry.subject_person_id == recipient)
    )
    assert entry is not None
    assert entry.actor_person_id == world.people["proxy"]
    # The recipient sees in their access log that the proxy fetched their copy.
    await _as(client, app, settings, world, "recipient")
    log = (await client.get("/api/v1/me/access-log")).json()
    assert ("person.export", "Proxy Testesen") in {(e["action"], e["actor_name"]) for e in log}


@pytest.mark.parametrize("who", ["expired_proxy", "other_recipient", "staff", "coordinator", "muni_admin"])
async def test_nobody_else_gets_the_recipients_copy(
    who: str, client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, db_session: AsyncSession
) -> None:
    await _as(client, app, settings, world, who)
    response = await client.get("/api/v1/me/data-export", params={"recipient_id": str(world.people["recipient"])})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    exports = select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "person.export")
    assert await db_session.scalar(exports) == 0


# ---- rectification (Art. 16) ------------------------------------------------------------------------------------


async def test_a_person_corrects_their_phone_and_e_mail_and_it_is_audited(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, db_session: AsyncSession
) -> None:
    await _as(client, app, settings, world, "recipient")
    response = await client.patch("/api/v1/me/contact", json={"phone": "912 34 567", "email": " kari@example.no "})
    assert response.status_code == 200, response.text
    assert response.json() == {"phone": "+4791234567", "email": "kari@example.no"}
    response = await client.patch("/api/v1/me/contact", json={"phone": "+46 70 123 45 67"})
    assert response.json() == {"phone": "+46701234567", "email": "kari@example.no"}  # e-mail untouched
    response = await client.patch("/api/v1/me/contact", json={"email": None})
    assert response.json() == {"phone": "+46701234567", "email": None}
    person = await db_session.get(Person, world.people["recipient"])
    assert person is not None
    await db_session.refresh(person)
    assert (person.phone, person.email) == ("+46701234567", None)
    updates = (
        select(func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.action == "person.contact_update", AuditEntry.subject_person_id == person.id)
    )
    assert await db_session.scalar(updates) == 3


@pytest.mark.parametrize(
    ("body", "problem", "fields"),
    [
        ({"phone": "12345", "email": "ikke-en-adresse"}, "invalid_contact", {"phone", "email"}),
        ({"phone": "01234567"}, "invalid_contact", {"phone"}),  # Norwegian numbers never start with 0
        ({"phone": "+47 912 34 567 890 123 4"}, "invalid_contact", {"phone"}),  # longer than E.164 allows
        ({"email": "kari@example"}, "invalid_contact", {"email"}),
        ({"phone": 91234567}, "validation_failed", {"phone"}),
        ({"national_id": "01010750160"}, "validation_failed", set()),
    ],
)
async def test_bad_contact_data_is_a_problem_and_writes_nothing(
    body: dict[str, object], problem: str, fields: set[str],
    client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, db_session: AsyncSession,
) -> None:  # fmt: skip
    await _as(client, app, settings, world, "recipient")
    audit = await db_session.scalar(select(func.count()).select_from(AuditEntry))
    response = await client.patch("/api/v1/me/contact", json=body, headers={"accept-language": "nb"})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    answer = response.json()
    assert answer["type"] == PROBLEM + problem
    if problem == "invalid_contact":
        assert answer["title"] == "Telefonnummeret eller e-postadressen kan ikke brukes"
        assert {error["field"] for error in answer["errors"]} == fields
    elif fields:
        assert fields <= {error["field"] for error in answer["errors"]}
    person = await db_session.get(Person, world.people["recipient"])
    assert person is not None
    await db_session.refresh(person)
    assert (person.phone, person.email) == (None, None)
    assert await db_session.scalar(select(func.count()).select_from(AuditEntry)) == audit


# ---- retention periods --------------------------------------------------------------------------------------------


async def test_a_municipality_administrator_sets_the_periods_within_the_limits(
    client: httpx.AsyncClient, app: Litestar, settings: Settings, world: World, db_session: AsyncSession
) -> None:
    await _as(client, app, settings, world, "muni_admin")
    read = (await client.get("/api/v1/retention")).json()
    assert read == {
        "booking_months": 36, "feedback_months": 24, "push_months": 12, "minimum_booking_months": 12,
        "maximum_months": 120, "session_max_hours": int(settings.session_max_hours), "audit_entries_erased": False,
    }  # fmt: skip
    bad = await client.put("/api/v1/retention", json={"booking_months": 6, "feedback_months": 0, "push_months": 121})
    assert bad.status_code == 422
    assert bad.json()["type"] == PROBLEM + "invalid_retention"
    assert {(e["field"], e["reason"]) for e in bad.json()["errors"]} == {
        ("booking_months", "below_minimum"), ("feedback_months", "below_minimum"), ("push_months", "above_maximum"),
    }  # fmt: skip
    longer = await client.put("/api/v1/retention", json={"booking_months": 12, "feedback_months": 13, "push_months": 1})
    assert [(e["field"], e["reason"]) for e in longer.json()["errors"]] == [("feedback_months", "longer_than_bookings")]
    good = await client.put("/api/v1/retention", json={"booking_months": 24, "feedback_months": 12, "push_months": 6})
    assert good.status_code == 200, good.text
    municipality = await db_session.get(Municipality, world.municipality)
    assert municipality is not None
    await db_session.refresh(municipality)
    assert (municipality.retention_booking_months, municipality.retention_feedback_months) == (24, 12)
    assert municipality.retention_push_months == 6
    changes = select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "retention.update")
    assert await db_session.scalar(changes) == 1


# ---- the retention job --------------------------------------------------------------------------------------------


async def test_the_job_erases_what_is_past_its_period_keeps_the_rest_and_a_second_run_changes_nothing(
    connection: AsyncConnection, world: World, db_session: AsyncSession
) -> None:
    # Periods: visits 36 months, feedback 24, push subscriptions 12 (the defaults).
    old = await _visit(db_session, world, "recipient", datetime(2023, 8, 1, 8, 0, tzinfo=UTC))  # 37 months ago
    old_cancelled = await _visit(
        db_session, world, "recipient", datetime(2023, 8, 2, 8, 0, tzinfo=UTC), status="cancelled", minutes=30
    )
    kept = await _visit(db_session, world, "recipient", datetime(2024, 6, 3, 8, 0, tzinfo=UTC))  # 27 months ago
    recent = await _visit(db_session, world, "other_recipient", NOW - timedelta(days=40))
    await _feedback(db_session, world, old, datetime(2023, 8, 1, 12, 0, tzinfo=UTC), "gammel")
    await _feedback(db_session, world, kept, datetime(2024, 6, 3, 12, 0, tzinfo=UTC), "foreldet")  # 27 months: goes
    await _feedback(db_session, world, recent, NOW - timedelta(days=39), "fersk")
    stale_push = await _push(db_session, world, "recipient", NOW - timedelta(days=400), "push.example.org")
    fresh_push = await _push(db_session, world, "recipient", NOW - timedelta(days=300), "push.example.org")
    # The ledgers hold what the old visits used; the job gives it back, so they still agree (checked at teardown).
    session_period = AllocationPeriod(
        municipality_id=world.municipality, allocation_id=old.allocation_id, period_start=old.period_start,
        period_end=old.period_start + timedelta(days=6), granted=120, used=old.minutes + old_cancelled.minutes,
    )  # fmt: skip
    cell = CapacityCell(
        municipality_id=world.municipality, department_id=old.department_id, starts_at=old.starts_at,
        ends_at=old.ends_at, local_date=old.starts_at.date(), capacity=2, used=1,
    )  # fmt: skip
    old_cancelled.period_start = old.period_start
    db_session.add_all([session_period, cell])
    await db_session.commit()
    audit_before = await db_session.scalar(select(func.count()).select_from(AuditEntry))

    maker = async_sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    first = await run_retention(maker, NOW)
    assert first == {"bookings": 2, "feedback": 2, "push_subscriptions": 1, "municipalities": 1}

    remaining = set((await db_session.scalars(select(Booking.id))).all())
    assert {old.id, old_cancelled.id}.isdisjoint(remaining)
    assert {kept.id, recent.id} <= remaining
    comments = set((await db_session.scalars(select(VisitFeedback.comment))).all())
    assert comments == {"fersk"}
    pushes = set((await db_session.scalars(select(PushSubscription.id))).all())
    assert stale_push.id not in pushes
    assert fresh_push.id in pushes
    statistics = (await db_session.scalars(select(BookingStatistic))).all()
    assert {(s.month, s.status, s.visits, s.minutes) for s in statistics} == {
        (date(2023, 8, 1), "delivered", 1, 60), (date(2023, 8, 1), "cancelled", 1, 30),
    }  # fmt: skip
    await db_session.refresh(session_period)
    await db_session.refresh(cell)
    assert (session_period.used, cell.used) == (0, 0)
    service = await db_session.get(Service, old.service_id)
    assert service is not None  # what the statistics point at stays

    entries = (await db_session.scalars(select(AuditEntry).where(AuditEntry.action == "retention.run"))).all()
    assert len(entries) == 1
    assert entries[0].actor_system == "retention"
    assert (entries[0].actor_person_id, entries[0].actor_token_id, entries[0].subject_person_id) == (None, None, None)
    assert entries[0].details == {"bookings": 2, "feedback": 2, "push_subscriptions": 1}
    assert await db_session.scalar(select(func.count()).select_from(AuditEntry)) == (audit_before or 0) + 1

    second = await run_retention(maker, NOW)
    assert second == {"bookings": 0, "feedback": 0, "push_subscriptions": 0, "municipalities": 0}
    assert await db_session.scalar(select(func.count()).select_from(AuditEntry)) == (audit_before or 0) + 1
    assert await statistics_total(db_session, world.municipality) == 2
    assert json.dumps(entries[0].details)  # counts only: nothing that names a person


async def test_the_job_follows_each_municipalitys_own_periods(
    connection: AsyncConnection, world: World, db_session: AsyncSession
) -> None:
    municipality = await db_session.get(Municipality, world.municipality)
    assert municipality is not None
    municipality.retention_booking_months = 12
    municipality.retention_feedback_months = 12
    visit = await _visit(db_session, world, "recipient", datetime(2025, 8, 1, 8, 0, tzinfo=UTC))  # 13 months ago
    await db_session.commit()
    maker = async_sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    assert (await run_retention(maker, NOW))["bookings"] == 1
    assert await db_session.get(Booking, visit.id, populate_existing=True) is None
    # Exactly at the boundary nothing goes: a visit that ended 12 months ago to the minute is kept.
    boundary = await _visit(db_session, world, "recipient", datetime(2025, 9, 9, 7, 0, tzinfo=UTC))
    await db_session.commit()
    assert (await run_retention(maker, NOW))["bookings"] == 0
    assert await db_session.get(Booking, boundary.id, populate_existing=True) is not None


async def test_the_worker_has_the_job_nightly_and_runs_it_with_its_clock(
    connection: AsyncConnection, world: World, db_session: AsyncSession, settings: Settings, servers: RunServers
) -> None:
    own = settings.model_copy(update={"redis_prefix": f"{servers.key_prefix}retention:"})
    nightly = {job.name: job for job in create_worker(own, handle_signals=False).cron_jobs}[
        cron_name(own, retention_job)
    ]
    assert (nightly.hour, nightly.minute, nightly.unique) == (1, 40, True)
    visit = await _visit(db_session, world, "recipient", datetime(2023, 1, 2, 8, 0, tzinfo=UTC))
    await db_session.commit()
    maker = async_sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    pool = await create_pool(RedisSettings.from_dsn(servers.redis_url), default_queue_name=queue_name(own))
    try:
        assert await pool.enqueue_job("retention_job") is not None
        worker = create_worker(
            own, ctx={"sessionmaker": maker, "clock": lambda: NOW}, burst=True, cron_jobs=[], handle_signals=False,
            keep_result=0, poll_delay=0.05,
        )  # fmt: skip
        await worker.main()
        await worker.close()
        assert (worker.jobs_complete, worker.jobs_failed) == (1, 0)
    finally:
        await pool.aclose()
    assert await db_session.get(Booking, visit.id, populate_existing=True) is None
