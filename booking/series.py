"""Recurring visits (faste avtaler): each occurrence booked as its day enters the horizon, through `book_visit`.

The worker calls `book_series_days` in the transaction that opens a department's new day (notifications/daily.py),
so a day's occurrences are booked before its cells are visible to anyone else. Creating a series calls it for the
days already inside the horizon. Every occurrence goes through the SQL function `book_series_visits`
(`booking/sql/`), which books each with `book_visit` (the same checks, lock order and outbox event as a single
booking) and then holds the department's series share under the cells' locks, a chunk of occurrences a round
trip. A refused occurrence is kept as a `series_failure` with the nearest free times; the worker tells the
recipient (notifications/series_failures.py).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, or_, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from booking import rules
from booking.availability import FREE, load_free_times
from booking.series_rules import Pattern, dates_between, local_start, nearest
from booking.service import policy_of
from booking.tables import Allocation, BookingSeries, SeriesFailure
from departments.ledger import horizon
from departments.tables import Department, Service

CHUNK = 500  # occurrences a round trip: one JSON parameter, each booked in its own subtransaction
NEAREST_DAYS = 3  # free times offered from this many days either side of a refused occurrence

BOOK_SERIES_VISITS = text(
    "SELECT visit_id, booking_id, refusal "
    "FROM book_series_visits(:municipality, :department, :share, :reach, CAST(:visits AS jsonb))"
)


@dataclass(frozen=True)
class Outcome:
    """One occurrence the run handled: booked (`booking_id`) or refused (`refusal`, a booking refusal's code)."""

    series_id: uuid.UUID
    day: date
    starts_at: datetime
    booking_id: uuid.UUID | None
    refusal: str | None


def pattern_of(series: BookingSeries) -> Pattern:
    """The series' pattern for the pure rules."""
    return Pattern(tuple(series.weekdays), series.local_time, series.every_weeks, series.valid_from,
                   series.valid_until)  # fmt: skip


def occurrence_key(series: BookingSeries, starts_at: datetime) -> str:
    """The idempotency key of an occurrence: a rerun finds it; a new pattern (revision) books anew."""
    return f"{series.id}:{series.revision}:{starts_at.astimezone(UTC).isoformat()}"


async def _active(session: AsyncSession, department: Department, today: date, last: date) -> list[BookingSeries]:
    found = await session.scalars(
        select(BookingSeries)
        .where(BookingSeries.municipality_id == department.municipality_id,
               BookingSeries.department_id == department.id, BookingSeries.ended_at.is_(None),
               BookingSeries.valid_from <= last,
               or_(BookingSeries.valid_until.is_(None), BookingSeries.valid_until >= today),
               or_(BookingSeries.booked_through.is_(None), BookingSeries.booked_through < last))
        .order_by(BookingSeries.id)
        .with_for_update()
    )  # fmt: skip
    return list(found.all())


async def _grants(
    session: AsyncSession, department: Department, series: Sequence[BookingSeries], today: date
) -> dict[tuple[uuid.UUID, uuid.UUID], list[tuple[rules.Grant, int]]]:
    """Each (recipient, service)'s decisions still valid from today, with the minutes each grants a period."""
    recipients = {s.recipient_id for s in series}
    rows = await session.scalars(
        select(Allocation)
        .where(Allocation.municipality_id == department.municipality_id,
               Allocation.department_id == department.id, Allocation.recipient_id.in_(recipients),
               or_(Allocation.valid_to.is_(None), Allocation.valid_to >= today))
    )  # fmt: skip
    grants: dict[tuple[uuid.UUID, uuid.UUID], list[tuple[rules.Grant, int]]] = {}
    for a in rows.all():
        grant = rules.Grant(a.id, a.period, a.period_anchor, a.valid_from, a.valid_to)
        grants.setdefault((a.recipient_id, a.service_id), []).append((grant, a.minutes))
    return grants


def _visit(  # noqa: PLR0913 - the occurrence's parts, keyword-only
    *, series: BookingSeries, service: Service, department: Department, starts_at: datetime, grant: rules.Grant,
    period: rules.Period, granted: int,
) -> dict[str, object]:  # fmt: skip
    span_start, span_end = rules.occupied(starts_at, series.minutes, service.buffer_before, service.buffer_after)
    return {
        "id": str(uuid.uuid4()), "series": str(series.id), "recipient": str(series.recipient_id),
        "service": str(service.id), "allocation": str(grant.id), "period_start": period.start.isoformat(),
        "period_end": period.end.isoformat(), "granted": granted, "starts": starts_at.isoformat(),
        "ends": (starts_at + timedelta(minutes=series.minutes)).isoformat(), "span_start": span_start.isoformat(),
        "span_end": span_end.isoformat(), "minutes": series.minutes, "units": service.staff_units,
        "cells": rules.cells_covering(span_start, span_end, department.grid_minutes), "acted_by": series.acted_by,
        "actor": str(series.created_by_id) if series.created_by_id else None, "key": occurrence_key(series, starts_at),
    }  # fmt: skip


@dataclass
class _Run:
    """One run's work for one department: the occurrences to book, and those refused before booking."""

    visits: list[tuple[BookingSeries, date, datetime, dict[str, object]]]
    refused: list[Outcome]


def _plan(  # noqa: PLR0913 - the run's inputs, keyword-only
    *, department: Department, series: Sequence[BookingSeries], services: dict[uuid.UUID, Service],
    grants: dict[tuple[uuid.UUID, uuid.UUID], list[tuple[rules.Grant, int]]], first: date, last: date, now: datetime,
) -> _Run:  # fmt: skip
    """What needs no lock: the dates, the pure rules of a booking, the decision counted on each date."""
    policy = policy_of(department)
    run = _Run([], [])
    for s in series:
        service = services[s.service_id]
        start_day = max(first, s.booked_through + timedelta(days=1)) if s.booked_through else first
        decisions = grants.get((s.recipient_id, s.service_id), [])
        for day in dates_between(pattern_of(s), start_day, last):
            starts_at = local_start(day, s.local_time, policy.zone)
            if starts_at is None:  # the spring-forward night has no such time
                wall = datetime.combine(day, s.local_time, tzinfo=policy.zone).astimezone(UTC)
                run.refused.append(Outcome(s.id, day, wall, None, "no_such_time"))
                continue
            if starts_at < now:
                continue  # already gone (a series made today after its time): not an occurrence to book
            problem = _problem(department, service, s, starts_at, now)
            counting = rules.counting_on([g for g, _ in decisions], day)
            if problem is None and counting is None:
                problem = "no_valid_allocation"
            if problem is not None or counting is None:
                run.refused.append(Outcome(s.id, day, starts_at, None, problem))
                continue
            grant, period = counting
            granted = next(m for g, m in decisions if g.id == grant.id)
            visit = _visit(series=s, service=service, department=department, starts_at=starts_at, grant=grant,
                           period=period, granted=granted)  # fmt: skip
            run.visits.append((s, day, starts_at, visit))
    return run


def _problem(
    department: Department, service: Service, series: BookingSeries, starts_at: datetime, now: datetime
) -> str | None:
    if not department.series_allowed:
        return "series_not_allowed"
    if not service.active:
        return "service_retired"
    return rules.start_problem(starts_at, series.minutes, list(service.durations), policy_of(department), now)


async def book_series_days(
    session: AsyncSession, department: Department, *, now: datetime, series: Sequence[BookingSeries] | None = None
) -> list[Outcome]:
    """Book the occurrences not yet handled of the department's active series (or of `series`) through the horizon.

    Caller's transaction; never commits. Each series' `booked_through` moves to the horizon's last day, so a
    rerun books nothing twice (and an occurrence's idempotency key would find it if it did). Refusals are kept
    as `series_failure` rows with the nearest free times, to be told to the recipient.
    """
    today, last = horizon(department, now)
    if series is None:
        series = await _active(session, department, today, last)
    if not series:
        return []
    services = {
        s.id: s for s in (await session.scalars(select(Service).where(Service.department_id == department.id))).all()
    }
    grants = await _grants(session, department, series, today)
    run = _plan(department=department, series=series, services=services, grants=grants, first=today, last=last,
                now=now)  # fmt: skip
    outcomes = list(run.refused)
    # The longest time any visit of the department takes, buffers included: how far back a cell's holders can start.
    reach = max((max(s.durations, default=0) + s.buffer_before + s.buffer_after for s in services.values()), default=0)
    for at in range(0, len(run.visits), CHUNK):
        chunk = run.visits[at : at + CHUNK]
        params = {"municipality": department.municipality_id, "department": department.id,
                  "share": department.series_share_percent, "reach": reach,
                  "visits": json.dumps([v for *_, v in chunk])}  # fmt: skip
        answers = {row[0]: (row[1], row[2]) for row in (await session.execute(BOOK_SERIES_VISITS, params)).tuples()}
        for s, day, starts_at, visit in chunk:
            booked, refusal = answers[uuid.UUID(str(visit["id"]))]
            outcomes.append(Outcome(s.id, day, starts_at, booked, refusal))
    for s in series:
        s.booked_through = max(last, s.booked_through or last)
    await _record_failures(session, department, series, services, [o for o in outcomes if o.refusal], now=now)
    return outcomes


async def _record_failures(  # noqa: PLR0913 - the run's parts; each is needed
    session: AsyncSession, department: Department, series: Sequence[BookingSeries], services: dict[uuid.UUID, Service],
    refused: Sequence[Outcome], *, now: datetime,
) -> None:  # fmt: skip
    """A `series_failure` row for each refused occurrence (once), with up to three nearest free times."""
    if not refused:
        return
    by_id = {s.id: s for s in series}
    policy = policy_of(department)
    today, last = horizon(department, now)
    rows = []
    for outcome in refused:
        s = by_id[outcome.series_id]
        free = await load_free_times(
            session, recipient_id=s.recipient_id, service=services[s.service_id], department=department,
            first=max(today, outcome.day - timedelta(days=NEAREST_DAYS)),
            last=min(last, outcome.day + timedelta(days=NEAREST_DAYS)), policy=policy, now=now,
        )  # fmt: skip
        starts = [slot.start for day in free for slot in day.slots if slot.durations.get(s.minutes) == FREE]
        offered = [t.astimezone(ZoneInfo(department.timezone)).isoformat() for t in nearest(outcome.starts_at, starts)]
        rows.append({"municipality_id": department.municipality_id, "series_id": s.id, "day": outcome.day,
                     "starts_at": outcome.starts_at, "reason": outcome.refusal, "nearest": offered})  # fmt: skip
    await session.execute(
        insert(SeriesFailure).values(rows).on_conflict_do_nothing(constraint="uq_series_failure_occurrence")
    )


async def forget_refusals(session: AsyncSession, series: BookingSeries, *, after: datetime) -> None:
    """Drop the series' refused occurrences starting after `after`, neither to be listed nor told.

    They are no longer the series': it has a new pattern, has ended, or its decision has.
    """
    await session.execute(
        delete(SeriesFailure).where(SeriesFailure.municipality_id == series.municipality_id,
                                    SeriesFailure.series_id == series.id, SeriesFailure.starts_at > after)
    )  # fmt: skip
