"""The booking functions in PL/pgSQL (booking/sql/), called directly: each refusal, the replay, the lock timeout."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from booking import rules
from booking.tables import Allocation
from core.settings import Settings
from tests.booking_world import OSLO, at, bookable_day, open_department, oslo_today
from tests.conftest import Database, RunServers, committed_database
from tests.world import build_world

BOOK = text(
    "SELECT * FROM book_visit(:id, :municipality, :recipient, :department, :service, :allocation, :period_start, "
    ":period_end, :granted, :starts, :ends, :span_start, :span_end, :minutes, :units, :cells, 'recipient', "
    ":recipient, NULL, :key, :scope)"
)
CANCEL = text(
    "SELECT * FROM cancel_visit(:booking, :municipality, :status, :minutes_back, now(), :actor, NULL, NULL, NULL, "
    "NULL, :sequence)"
)
MOVE = text(
    "SELECT * FROM move_visit(:booking, :municipality, :allocation, :period_start, :period_end, :granted, :starts, "
    ":ends, :span_start, :span_end, :minutes, :units, :cells, now(), :actor, NULL, NULL, NULL, NULL, :sequence)"
)


@dataclass
class Place:
    """A department open 08-16 with staff 2, its service, two recipients with a decision of `granted` minutes a week."""

    municipality: uuid.UUID
    department: uuid.UUID
    service: uuid.UUID
    allocations: dict[uuid.UUID, uuid.UUID]  # recipient -> allocation
    granted: int
    day: date

    def visit(self, recipient: uuid.UUID, start: datetime, minutes: int = 60, **changes: Any) -> dict[str, Any]:
        """book_visit's parameters for a visit (a fresh id and key), with `changes` applied."""
        week = rules.period_of("week", None, start.date())
        params = {"id": uuid.uuid4(), "municipality": self.municipality, "recipient": recipient,
                  "department": self.department, "service": self.service, "allocation": self.allocations[recipient],
                  "period_start": week.start, "period_end": week.end, "granted": self.granted, "starts": start,
                  "ends": start + timedelta(minutes=minutes), "span_start": start,
                  "span_end": start + timedelta(minutes=minutes), "minutes": minutes, "units": 1,
                  "cells": minutes // 15, "key": uuid.uuid4().hex, "scope": str(recipient)}  # fmt: skip
        return params | changes


async def _place(session: AsyncSession, settings: Settings, *, granted: int = 120) -> Place:
    world = await build_world(session, settings)
    department = await open_department(session, world.departments["d1"], staff=2)
    service_id = (await session.execute(text("SELECT id FROM service WHERE department_id = :d"),
                                        {"d": department.id})).scalar_one()  # fmt: skip
    allocations = {}
    for handle in ("recipient", "other_recipient"):
        allocation = Allocation(municipality_id=world.municipality, recipient_id=world.people[handle],
                                department_id=department.id, service_id=service_id, minutes=granted, period="week",
                                valid_from=oslo_today() - timedelta(days=7))  # fmt: skip
        session.add(allocation)
        await session.flush()
        allocations[world.people[handle]] = allocation.id
    return Place(world.municipality, department.id, service_id, allocations, granted, bookable_day())


@pytest.fixture
async def place(db_session: AsyncSession, settings: Settings) -> Place:
    return await _place(db_session, settings)


def _people(place: Place) -> tuple[uuid.UUID, uuid.UUID]:
    first, second = place.allocations
    return first, second


async def _call(session: AsyncSession, statement: Any, params: dict[str, Any]) -> dict[str, Any]:
    """One call in a savepoint of its own; its one row, or ("refused", code, fields) as a dict."""
    try:
        async with session.begin_nested():
            return dict((await session.execute(statement, params)).mappings().one())
    except DBAPIError as exc:
        cause = exc.orig.__cause__ if exc.orig is not None else None
        if getattr(exc.orig, "sqlstate", None) != "TJ409":
            raise
        return {"refused": getattr(cause, "message", None), **json.loads(getattr(cause, "detail", None) or "{}")}


async def _used(session: AsyncSession, place: Place, start: datetime, end: datetime) -> list[int]:
    rows = await session.execute(
        text("SELECT used FROM capacity_cell WHERE department_id = :d AND starts_at >= :s AND starts_at < :e "
             "ORDER BY starts_at"),
        {"d": place.department, "s": start, "e": end},
    )  # fmt: skip
    return list(rows.scalars())


async def _period_used(session: AsyncSession, allocation: uuid.UUID) -> int | None:
    used: int | None = await session.scalar(
        text("SELECT sum(used) FROM allocation_period WHERE allocation_id = :a"), {"a": allocation}
    )
    return used


async def test_book_takes_minutes_and_cells_and_inserts(db_session: AsyncSession, place: Place) -> None:
    recipient, _ = _people(place)
    start = at(place.day, 10)
    row = await _call(db_session, BOOK, place.visit(recipient, start))
    assert row["status"] == "booked"
    assert row["starts_at"] == start
    assert await _used(db_session, place, start - timedelta(minutes=15), start + timedelta(minutes=75)) == [
        0, 1, 1, 1, 1, 0
    ]  # fmt: skip
    assert await _period_used(db_session, place.allocations[recipient]) == 60


async def test_book_refuses_an_overlap_with_the_recipients_own_visit(db_session: AsyncSession, place: Place) -> None:
    recipient, _ = _people(place)
    first = await _call(db_session, BOOK, place.visit(recipient, at(place.day, 10)))
    refused = await _call(db_session, BOOK, place.visit(recipient, at(place.day, 10, 30), 30))
    assert refused["refused"] == "overlaps_own_booking"
    assert datetime.fromisoformat(refused["starts_at"]) == first["starts_at"]


async def test_book_refuses_outside_opening_hours(db_session: AsyncSession, place: Place) -> None:
    recipient, _ = _people(place)
    late = await _call(db_session, BOOK, place.visit(recipient, at(place.day, 15, 30)))  # runs past 16:00
    assert late["refused"] == "outside_opening_hours"
    await db_session.execute(
        text("UPDATE capacity_cell SET capacity = 0 WHERE department_id = :d AND starts_at = :s"),
        {"d": place.department, "s": at(place.day, 11)},
    )
    closed = await _call(db_session, BOOK, place.visit(recipient, at(place.day, 11)))
    assert closed["refused"] == "outside_opening_hours"


async def test_book_refuses_a_full_slot(db_session: AsyncSession, place: Place) -> None:
    recipient, other = _people(place)
    assert "id" in await _call(db_session, BOOK, place.visit(other, at(place.day, 9), units=2))
    full = await _call(db_session, BOOK, place.visit(recipient, at(place.day, 9, 45)))
    assert full["refused"] == "slot_full"
    assert await _period_used(db_session, place.allocations[recipient]) is None  # nothing charged


async def test_book_refuses_when_the_allocation_is_used_up(db_session: AsyncSession, place: Place) -> None:
    recipient, other = _people(place)
    assert "id" in await _call(db_session, BOOK, place.visit(recipient, at(place.day, 9), 90))
    refused = await _call(db_session, BOOK, place.visit(recipient, at(place.day, 13)))
    week = rules.period_of("week", None, place.day)
    assert refused == {"refused": "allocation_used_up", "period_start": week.start.isoformat(), "minutes_left": 30}
    too_much = await _call(db_session, BOOK, place.visit(other, at(place.day, 13), 180))
    assert too_much["refused"] == "allocation_used_up"  # more than a fresh period grants


async def test_book_with_a_used_key_answers_the_first_booking(db_session: AsyncSession, place: Place) -> None:
    recipient, _ = _people(place)
    first = await _call(db_session, BOOK, place.visit(recipient, at(place.day, 10), key="same"))
    again = await _call(db_session, BOOK, place.visit(recipient, at(place.day, 10), key="same"))
    assert again["id"] == first["id"]
    assert await _period_used(db_session, place.allocations[recipient]) == 60  # charged once
    count = await db_session.scalar(text("SELECT count(*) FROM booking WHERE idempotency_key = 'same'"))
    assert count == 1


async def test_cancel_gives_back_cells_and_minutes_and_logs(db_session: AsyncSession, place: Place) -> None:
    recipient, other = _people(place)
    start = at(place.day, 10)
    kept = await _call(db_session, BOOK, place.visit(recipient, start))
    late = await _call(db_session, BOOK, place.visit(other, start))
    cancel = {"municipality": place.municipality, "status": "cancelled", "minutes_back": True, "sequence": 0}
    cancelled = await _call(db_session, CANCEL, cancel | {"booking": kept["id"], "actor": recipient})
    assert (cancelled["status"], cancelled["minutes_returned"], cancelled["sequence"]) == ("cancelled", True, 1)
    late_cancel = {"status": "late_cancelled", "minutes_back": False, "booking": late["id"], "actor": other}
    charged = await _call(db_session, CANCEL, cancel | late_cancel)
    assert charged["status"] == "late_cancelled"
    assert await _used(db_session, place, start, start + timedelta(hours=1)) == [0, 0, 0, 0]
    assert await _period_used(db_session, place.allocations[recipient]) == 0
    assert await _period_used(db_session, place.allocations[other]) == 60  # a late cancellation keeps its minutes
    events = await db_session.scalar(
        text("SELECT count(*) FROM booking_event WHERE booking_id IN (:a, :b) AND kind = 'cancelled'"),
        {"a": kept["id"], "b": late["id"]},
    )
    actions = await db_session.scalars(
        text("SELECT action FROM audit_entry WHERE object_id IN (:a, :b) ORDER BY action"),
        {"a": str(kept["id"]), "b": str(late["id"])},
    )
    assert (events, list(actions)) == (2, ["booking.cancelled", "booking.late_cancelled"])


async def test_a_change_of_a_booking_changed_since_it_was_read_does_nothing(
    db_session: AsyncSession, place: Place
) -> None:
    """Cancel and move take the sequence their caller read: another, and they return no row and change nothing."""
    recipient, _ = _people(place)
    start = at(place.day, 10)
    booking = await _call(db_session, BOOK, place.visit(recipient, start))
    stale = booking["sequence"] + 1
    cancel = {"booking": booking["id"], "municipality": place.municipality, "status": "cancelled",
              "minutes_back": True, "actor": recipient, "sequence": stale}  # fmt: skip
    assert (await db_session.execute(CANCEL, cancel)).all() == []
    assert (await db_session.execute(MOVE, _move(place, booking, at(place.day, 12), sequence=stale))).all() == []
    now = (await db_session.execute(text("SELECT status, starts_at, sequence FROM booking WHERE id = :b"),
                                    {"b": booking["id"]})).one()  # fmt: skip
    assert tuple(now) == ("booked", start, booking["sequence"])
    assert await _used(db_session, place, start, start + timedelta(hours=1)) == [1, 1, 1, 1]
    assert await _used(db_session, place, at(place.day, 12), at(place.day, 13)) == [0, 0, 0, 0]
    assert await _period_used(db_session, place.allocations[recipient]) == 60
    # With the sequence as it is, the same cancellation goes through.
    assert (await _call(db_session, CANCEL, cancel | {"sequence": booking["sequence"]}))["status"] == "cancelled"


def _move(place: Place, booking: dict[str, Any], start: datetime, minutes: int = 60, **changes: Any) -> dict[str, Any]:
    visit = place.visit(booking["recipient_id"], start, minutes)
    keep = ("municipality", "allocation", "period_start", "period_end", "granted", "starts", "ends", "span_start",
            "span_end", "minutes", "units", "cells")  # fmt: skip
    return {"booking": booking["id"], "actor": booking["recipient_id"], "sequence": booking["sequence"],
            **{k: visit[k] for k in keep}} | changes  # fmt: skip


async def test_move_takes_the_new_time_and_gives_back_the_old(db_session: AsyncSession, place: Place) -> None:
    recipient, _ = _people(place)
    old, new = at(place.day, 9), at(place.day, 11)
    booking = await _call(db_session, BOOK, place.visit(recipient, old))
    moved = await _call(db_session, MOVE, _move(place, booking, new, 90))
    assert (moved["id"], moved["starts_at"], moved["minutes"], moved["sequence"]) == (booking["id"], new, 90, 1)
    assert await _used(db_session, place, old, old + timedelta(hours=1)) == [0, 0, 0, 0]
    assert await _used(db_session, place, new, new + timedelta(minutes=90)) == [1] * 6
    assert await _period_used(db_session, place.allocations[recipient]) == 90
    details = await db_session.scalar(
        text("SELECT details FROM booking_event WHERE booking_id = :b AND kind = 'moved'"), {"b": booking["id"]}
    )
    assert datetime.fromisoformat(details["previous_start"]) == old


async def test_move_refusals(db_session: AsyncSession, place: Place) -> None:
    recipient, other = _people(place)
    booking = await _call(db_session, BOOK, place.visit(recipient, at(place.day, 9)))
    await _call(db_session, BOOK, place.visit(recipient, at(place.day, 13)))
    await _call(db_session, BOOK, place.visit(other, at(place.day, 11), units=2))
    assert (await _call(db_session, MOVE, _move(place, booking, at(place.day, 13, 30))))["refused"] == (
        "overlaps_own_booking"
    )
    assert (await _call(db_session, MOVE, _move(place, booking, at(place.day, 11))))["refused"] == "slot_full"
    assert (await _call(db_session, MOVE, _move(place, booking, at(place.day, 15, 30))))["refused"] == (
        "outside_opening_hours"
    )
    # 120 granted, 120 used: moving the 60 to 90 minutes would need 30 more; the 60 it gives back count as left.
    used_up = await _call(db_session, MOVE, _move(place, booking, at(place.day, 14, 15), 90))
    assert (used_up["refused"], used_up["minutes_left"]) == ("allocation_used_up", 60)
    # Every refusal was rolled back: the booking and the ledger stand as they were.
    assert await _used(db_session, place, at(place.day, 9), at(place.day, 10)) == [1, 1, 1, 1]
    assert await _period_used(db_session, place.allocations[recipient]) == 120


async def test_move_into_another_period_charges_it_and_gives_back_the_old(
    db_session: AsyncSession, place: Place
) -> None:
    recipient, _ = _people(place)
    booking = await _call(db_session, BOOK, place.visit(recipient, at(place.day, 9)))
    later = place.day + timedelta(days=7)
    cells = await db_session.scalar(
        text("SELECT count(*) FROM capacity_cell WHERE department_id = :d AND local_date = :day"),
        {"d": place.department, "day": later},
    )
    if not cells:
        pytest.skip("a holiday or past the horizon a week later")
    moved = await _call(db_session, MOVE, _move(place, booking, at(later, 9)))
    assert moved["period_start"] == rules.period_of("week", None, later).start
    periods = await db_session.execute(
        text("SELECT period_start, used FROM allocation_period WHERE allocation_id = :a ORDER BY period_start"),
        {"a": place.allocations[recipient]},
    )
    assert [used for _, used in periods.tuples()] == [0, 60]


@pytest.fixture(scope="module")
def committed_url(servers: RunServers) -> Iterator[str]:
    """A database of this module's own, where rows are committed (a lock is held across connections)."""
    with committed_database(servers, "functions") as url:
        yield url


@pytest.fixture
async def committed_engine(committed_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(committed_url)
    yield engine
    await engine.dispose()


async def test_book_waits_at_most_the_lock_timeout_for_a_held_cell(
    committed_engine: AsyncEngine, settings: Settings
) -> None:
    async with AsyncSession(committed_engine, expire_on_commit=False) as session:
        place = await _place(session, settings)
        await session.commit()
    recipient, _ = _people(place)
    start = at(place.day, 10)
    async with committed_engine.connect() as holder, committed_engine.connect() as booker, holder.begin():
        await holder.execute(
            text("SELECT 1 FROM capacity_cell WHERE department_id = :d AND starts_at = :s FOR UPDATE"),
            {"d": place.department, "s": start + timedelta(minutes=15)},
        )
        began = time.monotonic()
        with pytest.raises(DBAPIError) as raised:
            async with booker.begin():
                await booker.execute(BOOK, place.visit(recipient, start))
        waited = time.monotonic() - began
    assert getattr(raised.value.orig, "sqlstate", None) == "55P03"  # lock_not_available: the API answers 503
    assert 1.5 < waited < 10
    async with AsyncSession(committed_engine) as session:
        used = await session.scalar(
            text("SELECT sum(used) FROM capacity_cell WHERE department_id = :d"), {"d": place.department}
        )
        assert used == 0


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    kind=st.sampled_from([rules.WEEK, rules.MONTH, rules.FOUR_WEEKS]),
    anchor=st.dates(date(2000, 1, 1), date(2100, 12, 31)),
    day=st.dates(date(2000, 1, 1), date(2100, 12, 31)),
)
def test_visit_period_in_sql_is_period_of(database: Database, kind: str, anchor: date, day: date) -> None:
    # `book_own_visit` charges the period `visit_period` finds: it must be the one the rules find everywhere else,
    # for a four-week anchor before the day or after it, over month and year ends and leap days.
    anchor_or_none = anchor if kind == rules.FOUR_WEEKS else None
    (row,) = database.fetch("SELECT * FROM visit_period($1, $2, $3)", kind, anchor_or_none, day)
    period = rules.period_of(kind, anchor_or_none, day)
    assert (row["period_start"], row["period_end"]) == (period.start, period.end)


def test_visit_period_knows_no_other_kind_and_no_four_weeks_without_an_anchor(database: Database) -> None:
    for kind, anchor in (("fortnight", None), (rules.FOUR_WEEKS, None)):
        (row,) = database.fetch("SELECT * FROM visit_period($1, $2, $3)", kind, anchor, date(2026, 12, 5))
        assert (row["period_start"], row["period_end"]) == (None, None)


CANCEL_OWN = text("SELECT * FROM cancel_own_visit(:booking, :municipality, :person, :now, NULL, NULL, NULL)")


@pytest.mark.parametrize("after_deadline", [timedelta(0), timedelta(microseconds=1), timedelta(hours=3)])
async def test_cancel_own_visit_is_late_exactly_as_the_rule_says(
    db_session: AsyncSession, place: Place, after_deadline: timedelta
) -> None:
    # At the deadline itself a cancellation is in time; a microsecond past it, late (`rules.is_late_cancellation`),
    # and a late one keeps the minutes used (the department's default policy).
    recipient, _ = _people(place)
    start = at(place.day, 10)
    booked = await _call(db_session, BOOK, place.visit(recipient, start))
    deadline = await db_session.scalar(text("SELECT cancel_deadline_hours FROM department WHERE id = :d"),
                                       {"d": place.department})  # fmt: skip
    now = start - timedelta(hours=deadline) + after_deadline
    late = rules.is_late_cancellation(start, now, rules.Policy(OSLO, 15, 14, 2, deadline))
    row = await _call(db_session, CANCEL_OWN, {"booking": booked["id"], "municipality": place.municipality,
                                                "person": recipient, "now": now})  # fmt: skip
    assert row["status"] == ("late_cancelled" if late else "cancelled")
    assert late == (after_deadline > timedelta(0))
    assert await _period_used(db_session, place.allocations[recipient]) == (60 if late else 0)
    assert await _used(db_session, place, start, start + timedelta(hours=1)) == [0, 0, 0, 0]


async def test_cancel_own_visit_takes_only_the_persons_own_active_upcoming_booking(
    db_session: AsyncSession, place: Place
) -> None:
    recipient, other = _people(place)
    start = at(place.day, 10)
    booked = await _call(db_session, BOOK, place.visit(recipient, start))
    params = {"booking": booked["id"], "municipality": place.municipality, "person": recipient,
              "now": start - timedelta(days=1, hours=1)}  # fmt: skip
    for refused in ({"person": other}, {"now": start}, {"municipality": uuid.uuid4()}):
        rows = (await db_session.execute(CANCEL_OWN, params | refused)).all()
        assert rows == []  # not theirs, begun, another municipality: nothing written, the caller takes the long way
    assert await _period_used(db_session, place.allocations[recipient]) == 60
    assert (await _call(db_session, CANCEL_OWN, params))["status"] == "cancelled"
    assert (await db_session.execute(CANCEL_OWN, params)).all() == []  # cancelled already
