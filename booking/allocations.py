"""Decisions (vedtak): create (idempotent on the case system's reference), change, end, list. Never commits.

A change never silently drops a booking: lowering the minutes below what a period has already used, or
ending a decision before bookings it pays for, is refused with those bookings listed, so the administrator
can move or cancel them first.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Date, cast, func, or_, select, text, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from booking import outbox, rules
from booking.access import visible_person
from booking.errors import BookingRefusedError
from booking.series import forget_refusals
from booking.series_rules import covered_until
from booking.tables import ACTIVE_STATUSES, Allocation, AllocationPeriod, Booking, BookingSeries
from core.errors import ConflictError, NotFoundError
from departments.service import administered_department
from departments.tables import Department, Service
from people.access import Principal, is_coordinator_for, is_proxy_for, represented
from people.audit import Origin, note_read, record
from people.errors import ForbiddenError
from people.tables import Person

CHANGEABLE = frozenset(
    {"minutes", "valid_from", "valid_to", "kind", "evaluation_date", "review_date", "case_worker_id"}
)


@dataclass(frozen=True)
class AllocationInput:
    """A new decision, as an administrator or the case system sends it."""

    recipient_id: uuid.UUID
    service_id: uuid.UUID
    minutes: int
    period: str
    valid_from: date
    period_anchor: date | None = None
    valid_to: date | None = None
    kind: str = "ordinary"
    evaluation_date: date | None = None
    external_ref: str | None = None
    review_date: date | None = None
    case_worker_id: uuid.UUID | None = None


@dataclass(frozen=True)
class AllocationView:
    """A decision with what its current period has used (none when it is not valid today)."""

    allocation: Allocation
    period_start: date | None
    period_end: date | None
    used_minutes: int | None


class AllocationReferenceTakenError(ConflictError):
    """The case system's reference names another decision than the one sent."""

    code = "allocation_reference_taken"


class AllocationOverlapError(ConflictError):
    """The recipient already has a decision for this service in (part of) that time."""

    code = "allocation_overlaps"


class AllocationBookingsInTheWayError(ConflictError):
    """The change would take away time that bookings already hold; they are listed."""

    code = "allocation_bookings_in_the_way"


def _check_shape(values: Mapping[str, Any]) -> None:
    problem = rules.allocation_problem(
        period=values["period"], period_anchor=values["period_anchor"], valid_from=values["valid_from"],
        valid_to=values["valid_to"], kind=values["kind"], evaluation_date=values["evaluation_date"],
    )  # fmt: skip
    if problem is not None:
        raise BookingRefusedError(problem)


async def _person_in(session: AsyncSession, principal: Principal, person_id: uuid.UUID, field: str) -> Person:
    person = await session.get(Person, person_id)
    if person is None or person.municipality_id != principal.municipality_id:
        raise NotFoundError(**{field: str(person_id)})
    return person


async def _administered_service(session: AsyncSession, principal: Principal, service_id: uuid.UUID) -> Service:
    service = await session.get(Service, service_id)
    if service is None or service.municipality_id != principal.municipality_id:
        raise NotFoundError(service_id=str(service_id))
    await administered_department(session, principal, service.department_id)
    return service


async def _serialise(session: AsyncSession, recipient_id: uuid.UUID, service_id: uuid.UUID) -> None:
    """Two changes to one recipient's decisions for one service run one after the other (overlap check)."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
        {"key": f"allocation:{recipient_id}:{service_id}"},
    )


async def _refuse_overlap(session: AsyncSession, values: Mapping[str, Any], ignore: uuid.UUID | None = None) -> None:
    far = date.max
    query = select(Allocation.id).where(
        Allocation.recipient_id == values["recipient_id"],
        Allocation.service_id == values["service_id"],
        Allocation.valid_from <= (values["valid_to"] or far),
        func.coalesce(Allocation.valid_to, far) >= values["valid_from"],
    )
    if ignore is not None:
        query = query.where(Allocation.id != ignore)
    other = await session.scalar(query.limit(1))
    if other is not None:
        raise AllocationOverlapError(allocation_id=str(other))


def _same(existing: Allocation, values: Mapping[str, Any]) -> bool:
    return all(getattr(existing, name) == value for name, value in values.items() if name != "review_date")


async def create_allocation(
    session: AsyncSession, principal: Principal, origin: Origin, data: AllocationInput
) -> tuple[Allocation, bool]:
    """A new decision, or the one already made under the same external reference (a retry).

    Returns:
        The decision, and whether it was created now (False: an earlier request with the same reference made it).

    Raises:
        AllocationReferenceTakenError: the reference names a decision with other values.
        AllocationOverlapError: the recipient already has a decision for the service in that time.

    """
    service = await _administered_service(session, principal, data.service_id)
    await _person_in(session, principal, data.recipient_id, "recipient_id")
    if data.case_worker_id is not None:
        await _person_in(session, principal, data.case_worker_id, "case_worker_id")
    values = {f.name: getattr(data, f.name) for f in fields(data)}
    _check_shape(values)
    values["review_date"] = data.review_date or rules.default_review_date(data.valid_from)
    await _serialise(session, data.recipient_id, data.service_id)
    if data.external_ref is not None:
        existing = await session.scalar(
            select(Allocation).where(Allocation.municipality_id == principal.municipality_id,
                                     Allocation.external_ref == data.external_ref)
        )  # fmt: skip
        if existing is not None:
            if not _same(existing, values):
                raise AllocationReferenceTakenError(allocation_id=str(existing.id), external_ref=data.external_ref)
            return existing, False
    await _refuse_overlap(session, values)
    inserted = await session.scalar(
        insert(Allocation)
        .values(id=uuid.uuid4(), municipality_id=principal.municipality_id, department_id=service.department_id,
                **values)
        .on_conflict_do_nothing(constraint="uq_allocation_external_ref")
        .returning(Allocation.id)
    )  # fmt: skip
    if inserted is None:  # the same reference, committed by a request for another service in the meantime
        raise AllocationReferenceTakenError(external_ref=data.external_ref)
    allocation = await session.get_one(Allocation, inserted)
    outbox.emit_decision(session, allocation, "created")
    await record(session, principal, origin, action="allocation.create", object_type="allocation",
                 object_id=allocation.id, subject_person_id=allocation.recipient_id)  # fmt: skip
    return allocation, True


async def _administered_allocation(
    session: AsyncSession, principal: Principal, allocation_id: uuid.UUID, *, lock: bool = False
) -> Allocation:
    query = select(Allocation).where(
        Allocation.id == allocation_id, Allocation.municipality_id == principal.municipality_id
    )
    if lock:  # FOR NO KEY UPDATE: a booking's foreign-key check (KEY SHARE) on the decision does not wait
        query = query.with_for_update(key_share=True).execution_options(populate_existing=True)
    allocation = await session.scalar(query)
    if allocation is None:
        raise NotFoundError
    await administered_department(session, principal, allocation.department_id)
    return allocation


def _local_day(zone: str) -> ColumnElement[date]:
    return cast(func.timezone(zone, Booking.starts_at), Date)


async def _bookings_where(
    session: AsyncSession, allocation: Allocation, zone: str, *conditions: ColumnElement[bool]
) -> list[dict[str, str]]:
    rows = await session.execute(
        select(Booking.id, Booking.starts_at, Booking.ends_at, Booking.status)
        .where(Booking.allocation_id == allocation.id, Booking.status.in_(ACTIVE_STATUSES), *conditions)
        .order_by(Booking.starts_at)
    )
    local = ZoneInfo(zone)
    return [
        {"id": str(i), "starts_at": s.astimezone(local).isoformat(), "ends_at": e.astimezone(local).isoformat(),
         "status": status}
        for i, s, e, status in rows.tuples()
    ]  # fmt: skip


async def update_allocation(  # noqa: PLR0913 - keyword-only after the principal
    session: AsyncSession,
    principal: Principal,
    origin: Origin,
    *,
    allocation_id: uuid.UUID,
    changes: Mapping[str, Any],
    today: date,
) -> Allocation:
    """Change a decision: its minutes, dates, kind, review or case worker.

    Minutes apply to the current and later periods (past periods keep what they granted). A period that
    has used more than the new minutes, and bookings outside new dates, refuse the change with the
    bookings listed.
    """
    unknown = set(changes) - CHANGEABLE
    if unknown:
        raise ValueError(f"not a changeable field: {sorted(unknown)}")
    allocation = await _administered_allocation(session, principal, allocation_id, lock=True)
    if changes.get("case_worker_id") is not None:
        await _person_in(session, principal, changes["case_worker_id"], "case_worker_id")
    values = {name: getattr(allocation, name) for name in
              ("recipient_id", "service_id", "period", "period_anchor", "valid_from", "valid_to", "kind",
               "evaluation_date")} | dict(changes)  # fmt: skip
    _check_shape(values)
    department = await session.get_one(Department, allocation.department_id)
    await _serialise(session, allocation.recipient_id, allocation.service_id)
    await _refuse_overlap(session, values, ignore=allocation.id)
    # Before any allocation period: the daily series run locks a series, then the periods its occurrences charge.
    series = await _series_of(session, allocation) if values["valid_to"] != allocation.valid_to else []
    day = _local_day(department.timezone)
    in_the_way: list[dict[str, str]] = []
    if values["valid_from"] > allocation.valid_from:
        in_the_way += await _bookings_where(session, allocation, department.timezone, day < values["valid_from"])
    if values["valid_to"] is not None and (allocation.valid_to is None or values["valid_to"] < allocation.valid_to):
        in_the_way += await _bookings_where(session, allocation, department.timezone, day > values["valid_to"],
                                            Booking.status == "booked")  # fmt: skip
    minutes = values.get("minutes", allocation.minutes)
    if minutes != allocation.minutes:
        in_the_way += await _regrant(session, allocation, department, minutes, today)
    if in_the_way:
        raise AllocationBookingsInTheWayError(bookings=in_the_way)
    for name, value in changes.items():
        setattr(allocation, name, value)
    outbox.emit_decision(session, allocation, "changed")
    await session.flush()
    await record(session, principal, origin, action="allocation.update", object_type="allocation",
                 object_id=allocation.id, subject_person_id=allocation.recipient_id)  # fmt: skip
    await _fit_series(session, principal, origin, allocation, department, series=series, today=today)
    return allocation


async def _series_of(session: AsyncSession, allocation: Allocation) -> list[BookingSeries]:
    """The recipient's running series of the decision's service, locked (in id order, as the daily run locks them)."""
    found = await session.scalars(
        select(BookingSeries)
        .where(BookingSeries.municipality_id == allocation.municipality_id,
               BookingSeries.recipient_id == allocation.recipient_id,
               BookingSeries.service_id == allocation.service_id, BookingSeries.ended_at.is_(None))
        .order_by(BookingSeries.id)
        .with_for_update()
    )  # fmt: skip
    return list(found.all())


async def _fit_series(  # noqa: PLR0913 - the change's parts; each is needed
    session: AsyncSession, principal: Principal, origin: Origin, allocation: Allocation, department: Department, *,
    series: Sequence[BookingSeries], today: date,
) -> None:  # fmt: skip
    """A decision that ends (or ends sooner) ends or trims its recipient's series of that service.

    Each is trimmed to the last day any decision covers, or ended if it would have no day left. Its booked
    occurrences after that day were listed by the 409 above, so none is left to cancel; a renewal (a later or
    open-ended decision) keeps the series going.
    """
    if not series:
        return
    spans = (
        await session.execute(
            select(Allocation.valid_from, Allocation.valid_to)
            .where(Allocation.municipality_id == allocation.municipality_id,
                   Allocation.recipient_id == allocation.recipient_id, Allocation.service_id == allocation.service_id)
        )
    ).tuples()  # fmt: skip
    last = covered_until(list(spans))
    for s in series:
        if last is None or (s.valid_until is not None and s.valid_until <= last):
            continue
        if last < max(s.valid_from, today):
            s.ended_at = s.changed_at = func.now()
            action = "series.end"
        else:
            s.valid_until, s.changed_at = last, func.now()
            action = "series.update"
        after = datetime.combine(last + timedelta(days=1), time(0), tzinfo=ZoneInfo(department.timezone))
        await forget_refusals(session, s, after=after - timedelta(microseconds=1))
        await record(session, principal, origin, action=action, object_type="booking_series", object_id=s.id,
                     subject_person_id=s.recipient_id)  # fmt: skip
    await session.flush()


def _bookable_periods(allocation: Allocation, today: date, horizon_days: int) -> list[rules.Period]:
    """The periods a booking may charge from today to the horizon's last day."""
    periods = [rules.period_of(allocation.period, allocation.period_anchor, today)]
    last = today + timedelta(days=horizon_days)
    while periods[-1].end < last:
        periods.append(
            rules.period_of(allocation.period, allocation.period_anchor, periods[-1].end + timedelta(days=1))
        )
    return periods


async def _regrant(
    session: AsyncSession, allocation: Allocation, department: Department, minutes: int, today: date
) -> list[dict[str, str]]:
    """Grant `minutes` in the current and later periods, or list the bookings that used more (nothing changed).

    A booking reads the decision's minutes before it charges a period, and creates the period's row if there
    is none. So that one which read the old minutes cannot create a row with them after this commits, every
    period a booking may charge now gets its row first; then all of them are locked (in id order, after the
    decision: the order bookings use) and checked before any is changed.
    """
    periods = _bookable_periods(allocation, today, department.horizon_days)
    await session.execute(
        insert(AllocationPeriod)
        .values([{"municipality_id": allocation.municipality_id, "allocation_id": allocation.id,
                  "period_start": p.start, "period_end": p.end, "granted": allocation.minutes, "used": 0}
                 for p in periods])
        .on_conflict_do_nothing(constraint="uq_allocation_period_start")
    )  # fmt: skip
    rows = (
        await session.execute(
            select(AllocationPeriod.id, AllocationPeriod.period_start, AllocationPeriod.used)
            .where(AllocationPeriod.municipality_id == allocation.municipality_id,
                   AllocationPeriod.allocation_id == allocation.id, AllocationPeriod.period_start >= periods[0].start)
            .order_by(AllocationPeriod.id)
            .with_for_update()
        )
    ).tuples().all()  # fmt: skip
    over = [start for _, start, used in rows if used > minutes]
    if over:
        return await _bookings_where(session, allocation, department.timezone, Booking.period_start.in_(over),
                                     Booking.minutes_returned.is_(False))  # fmt: skip
    await session.execute(
        update(AllocationPeriod).where(AllocationPeriod.id.in_([i for i, _, _ in rows])).values(granted=minutes)
    )
    return []


def _current_periods(allocations: Sequence[Allocation], today: date) -> dict[uuid.UUID, rules.Period]:
    return {
        a.id: rules.period_of(a.period, a.period_anchor, today)
        for a in allocations
        if a.valid_from <= today and (a.valid_to is None or a.valid_to >= today)
    }


async def used_in_periods(
    session: AsyncSession, municipality_id: uuid.UUID, keys: Sequence[tuple[uuid.UUID, date]]
) -> dict[tuple[uuid.UUID, date], int]:
    """The minutes used of each (allocation, period start) of the municipality's with a ledger row.

    A period without one used none. The municipality comes first: the periods' only index on their decision does.
    """
    if not keys:
        return {}
    rows = await session.execute(
        select(AllocationPeriod.allocation_id, AllocationPeriod.period_start, AllocationPeriod.used).where(
            AllocationPeriod.municipality_id == municipality_id,
            tuple_(AllocationPeriod.allocation_id, AllocationPeriod.period_start).in_(keys),
        )
    )
    return {(allocation_id, start): used for allocation_id, start, used in rows.tuples()}


async def with_use(session: AsyncSession, allocations: Sequence[Allocation], today: date) -> list[AllocationView]:
    """Each decision with what its current period has used."""
    periods = _current_periods(allocations, today)
    keys: dict[uuid.UUID, list[tuple[uuid.UUID, date]]] = {}  # by municipality: each asks for its own decisions
    for a in allocations:
        if a.id in periods:
            keys.setdefault(a.municipality_id, []).append((a.id, periods[a.id].start))
    used: dict[tuple[uuid.UUID, date], int] = {}
    for municipality_id, own in keys.items():
        used |= await used_in_periods(session, municipality_id, own)
    views = []
    for a in allocations:
        period = periods.get(a.id)
        if period is None:
            views.append(AllocationView(a, None, None, None))
        else:
            views.append(AllocationView(a, period.start, period.end, used.get((a.id, period.start), 0)))
    return views


async def get_allocation(
    session: AsyncSession, principal: Principal, allocation_id: uuid.UUID, today: date
) -> AllocationView:
    """One decision, for whoever may see its recipient's decisions in its department (404 otherwise)."""
    allocation = await session.get(Allocation, allocation_id)
    if allocation is None or allocation.municipality_id != principal.municipality_id:
        raise NotFoundError
    if not await _sees_all(session, principal, allocation.recipient_id, today) and (
        allocation.department_id not in principal.departments("staff", "department_admin")
    ):
        raise NotFoundError
    note_read(session, principal, (allocation.recipient_id,))
    return (await with_use(session, [allocation], today))[0]


async def _sees_all(session: AsyncSession, principal: Principal, recipient_id: uuid.UUID, today: date) -> bool:
    """The recipient, their proxy or coordinator, and municipality administrators see every department's."""
    return (
        principal.person_id == recipient_id
        or principal.is_municipality_admin
        or await is_proxy_for(session, principal, recipient_id, today)
        or await is_coordinator_for(session, principal, recipient_id, today)
    )


@dataclass(frozen=True)
class AllocationFilter:
    """Which decisions to list."""

    recipient_id: uuid.UUID | None = None
    department_id: uuid.UUID | None = None
    active_on: date | None = None
    kind: str | None = None


async def list_allocations(
    session: AsyncSession, principal: Principal, wanted: AllocationFilter, today: date
) -> list[AllocationView]:
    """Decisions the principal may see: one recipient's (theirs, or someone they may see), or a department's.

    Without a recipient, administrators get their departments' decisions (all, for the municipality's),
    and a recipient or proxy their own and the represented people's.
    """
    query = select(Allocation).where(Allocation.municipality_id == principal.municipality_id)
    if wanted.recipient_id is not None:
        await visible_person(session, principal, wanted.recipient_id, today)
        query = query.where(Allocation.recipient_id == wanted.recipient_id)
        if not await _sees_all(session, principal, wanted.recipient_id, today):
            query = query.where(Allocation.department_id.in_(principal.departments("staff", "department_admin")))
    elif not principal.is_municipality_admin:
        mine = principal.departments("department_admin")
        own = [p.id for p in await represented(session, principal, today)]
        if principal.person_id is not None:
            own.append(principal.person_id)
        if not mine and not own:
            raise ForbiddenError
        query = query.where(or_(Allocation.department_id.in_(mine), Allocation.recipient_id.in_(own)))
    if wanted.department_id is not None:
        query = query.where(Allocation.department_id == wanted.department_id)
    if wanted.active_on is not None:
        query = query.where(
            Allocation.valid_from <= wanted.active_on,
            or_(Allocation.valid_to.is_(None), Allocation.valid_to >= wanted.active_on),
        )
    if wanted.kind is not None:
        query = query.where(Allocation.kind == wanted.kind)
    rows = (await session.scalars(query.order_by(Allocation.valid_from, Allocation.id).limit(1000))).all()
    note_read(session, principal, {row.recipient_id for row in rows})
    return await with_use(session, rows, today)
