"""Department queries, the administrator's guard, and changes to opening hours. Takes a session; never commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TypeVar

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import NotFoundError
from departments.errors import (
    DayPassedError,
    ExceptionExistsError,
    InvalidExceptionError,
    InvalidOpeningHoursError,
    NotAHolidayError,
)
from departments.ledger import horizon, rematerialize
from departments.rules import DateException, RuleProblem, WeeklyRule, Window, norwegian_holidays, validate_rules
from departments.tables import MINUTES_PER_DAY, Department, HolidayOpening, OpeningException, OpeningRule, Service
from people.access import Principal
from people.audit import Origin, record
from people.errors import ForbiddenError
from people.tables import Municipality

Row = TypeVar("Row", OpeningException, HolidayOpening, Service)


async def list_departments(session: AsyncSession, municipality_number: str) -> Sequence[Department]:
    """The departments of one municipality, by name."""
    query = (
        select(Department)
        .join(Municipality, Municipality.id == Department.municipality_id)
        .where(Municipality.number == municipality_number)
        .order_by(Department.name)
    )
    return (await session.scalars(query)).all()


async def get_department(session: AsyncSession, department_id: uuid.UUID) -> Department:
    """One department, or `NotFoundError`."""
    department = await session.get(Department, department_id)
    if department is None:
        raise NotFoundError(department_id=str(department_id))
    return department


async def list_opening_rules(session: AsyncSession, department_id: uuid.UUID) -> Sequence[OpeningRule]:
    """A department's weekly opening rules, by weekday and time."""
    department = await get_department(session, department_id)
    query = (
        select(OpeningRule)
        .where(OpeningRule.department_id == department.id, OpeningRule.municipality_id == department.municipality_id)
        .order_by(OpeningRule.weekday, OpeningRule.start_minute)
    )
    return (await session.scalars(query)).all()


async def list_services(session: AsyncSession, department_id: uuid.UUID) -> Sequence[Service]:
    """A department's active services."""
    department = await get_department(session, department_id)
    query = (
        select(Service)
        .where(
            Service.department_id == department.id,
            Service.municipality_id == department.municipality_id,
            Service.active.is_(True),
        )
        .order_by(Service.name["nb"].astext, Service.id)
    )
    return (await session.scalars(query)).all()


async def administered_department(
    session: AsyncSession, principal: Principal, department_id: uuid.UUID, *, lock: bool = False
) -> Department:
    """The department if the principal administers it: 404 outside the municipality, 403 inside it.

    With `lock`, the row is locked (FOR NO KEY UPDATE: bookings' foreign-key checks pass) so that two
    administrators' changes to one department run one after the other.
    """
    query = select(Department).where(
        Department.id == department_id, Department.municipality_id == principal.municipality_id
    )
    if lock:
        query = query.with_for_update(key_share=True).execution_options(populate_existing=True)
    department = await session.scalar(query)
    if department is None:
        raise NotFoundError
    if not (principal.is_municipality_admin or department.id in principal.departments("department_admin")):
        raise ForbiddenError
    return department


def of_department(row: Row | None, department: Department) -> Row:
    """The row if it belongs to the department, else `NotFoundError`."""
    if row is None or row.department_id != department.id or row.municipality_id != department.municipality_id:
        raise NotFoundError
    return row


def local_today(department: Department, now: datetime) -> date:
    """The department's local date at `now`."""
    return horizon(department, now)[0]


def minute_of(moment: time, *, end: bool = False) -> int:
    """Minutes after local midnight; an end of 00:00 is 24:00 (1440), as in the pure rules."""
    minute = moment.hour * 60 + moment.minute
    return MINUTES_PER_DAY if end and minute == 0 else minute


def clock_of(minute: int) -> time:
    """The wall-clock time of a stored minute; 1440 (24:00) is 00:00, as the pure rules take it."""
    return time(0, 0) if minute >= MINUTES_PER_DAY else time(minute // 60, minute % 60)


def problem_list(problems: Sequence[RuleProblem]) -> list[dict[str, object]]:
    """Rule findings as the problem response lists them: `{code, weekday, index}` or `{code, day, index}`."""
    found: list[dict[str, object]] = []
    for problem in problems:
        item: dict[str, object] = {"code": problem.code, "index": problem.index}
        if problem.weekday is not None:
            item["weekday"] = problem.weekday
        if problem.day is not None:
            item["day"] = problem.day.isoformat()
        found.append(item)
    return found


def stored_rules(rows: Sequence[OpeningRule]) -> list[WeeklyRule]:
    """Stored rules as the pure rules take them."""
    return [
        WeeklyRule(r.weekday, clock_of(r.start_minute), clock_of(r.end_minute), r.staff, r.valid_from, r.valid_to)
        for r in rows
    ]


def stored_exception(row: OpeningException) -> DateException:
    """A stored exception as the pure rules take it."""
    windows = tuple(Window(clock_of(w["start_minute"]), clock_of(w["end_minute"]), w["staff"]) for w in row.windows)
    return DateException(row.day, row.closed, windows)


async def replace_opening_hours(  # noqa: PLR0913 - keyword-only after the principal
    session: AsyncSession,
    principal: Principal,
    origin: Origin,
    *,
    department_id: uuid.UUID,
    rules: Sequence[WeeklyRule],
    now: datetime,
) -> Sequence[OpeningRule]:
    """Replace the department's weekly rules by `rules`, all at once, and bring the ledger in line."""
    department = await administered_department(session, principal, department_id, lock=True)
    problems = validate_rules(rules, [], department.grid_minutes)
    if problems:
        raise InvalidOpeningHoursError(problems=problem_list(problems))
    where = (OpeningRule.department_id == department.id, OpeningRule.municipality_id == department.municipality_id)
    await session.execute(delete(OpeningRule).where(*where))
    session.add_all(
        OpeningRule(
            municipality_id=department.municipality_id, department_id=department.id, weekday=rule.weekday,
            start_minute=minute_of(rule.start), end_minute=minute_of(rule.end, end=True), staff=rule.staff,
            valid_from=rule.valid_from, valid_to=rule.valid_to,
        )
        for rule in rules
    )  # fmt: skip
    await session.flush()
    await rematerialize(session, department, now=now)
    await record(session, principal, origin, action="opening_hours.replace", object_type="department",
                 object_id=department.id)  # fmt: skip
    return await list_opening_rules(session, department.id)


async def list_exceptions(
    session: AsyncSession, principal: Principal, department_id: uuid.UUID, *, now: datetime
) -> Sequence[OpeningException]:
    """The department's exceptions from its local today on, by day."""
    department = await administered_department(session, principal, department_id)
    query = select(OpeningException).where(
        OpeningException.department_id == department.id,
        OpeningException.municipality_id == department.municipality_id,
        OpeningException.day >= local_today(department, now),
    )
    return (await session.scalars(query.order_by(OpeningException.day))).all()


def _check_exception(exception: DateException, grid_minutes: int, today: date) -> None:
    if exception.day < today:
        raise DayPassedError(day=exception.day.isoformat())
    if exception.closed == bool(exception.windows):
        raise InvalidExceptionError(closed=exception.closed, windows=len(exception.windows))
    problems = validate_rules([], [exception], grid_minutes)
    if problems:
        raise InvalidOpeningHoursError(problems=problem_list(problems))


async def create_exception(  # noqa: PLR0913 - keyword-only after the principal
    session: AsyncSession,
    principal: Principal,
    origin: Origin,
    *,
    department_id: uuid.UUID,
    exception: DateException,
    note: str | None,
    now: datetime,
) -> OpeningException:
    """Close the department on a day, or give it other hours that day (one exception a day)."""
    department = await administered_department(session, principal, department_id, lock=True)
    _check_exception(exception, department.grid_minutes, local_today(department, now))
    row = OpeningException(
        municipality_id=department.municipality_id, department_id=department.id, day=exception.day,
        closed=exception.closed, note=note,
        windows=[
            {"start_minute": minute_of(w.start), "end_minute": minute_of(w.end, end=True), "staff": w.staff}
            for w in exception.windows
        ],
    )  # fmt: skip
    try:
        async with session.begin_nested():
            session.add(row)
    except IntegrityError as exc:
        raise ExceptionExistsError(day=exception.day.isoformat()) from exc
    await rematerialize(session, department, now=now)
    await record(session, principal, origin, action="exception.create", object_type="opening_exception",
                 object_id=row.id)  # fmt: skip
    return row


async def delete_exception(  # noqa: PLR0913 - keyword-only after the principal
    session: AsyncSession,
    principal: Principal,
    origin: Origin,
    *,
    department_id: uuid.UUID,
    exception_id: uuid.UUID,
    now: datetime,
) -> None:
    """Remove an exception: the weekly rules (and holidays) decide that day again."""
    department = await administered_department(session, principal, department_id, lock=True)
    row = of_department(await session.get(OpeningException, exception_id), department)
    await session.delete(row)
    await session.flush()
    await rematerialize(session, department, now=now)
    await record(session, principal, origin, action="exception.delete", object_type="opening_exception",
                 object_id=exception_id)  # fmt: skip


@dataclass(frozen=True)
class Holiday:
    """A public holiday and whether the department opens on it (`opening_id` when it does)."""

    day: date
    name: str
    opening_id: uuid.UUID | None


def _year_after(day: date) -> date:
    """The day before the same date next year (29 February counts to 28 February)."""
    try:
        return day.replace(year=day.year + 1) - timedelta(days=1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)


async def list_holidays(
    session: AsyncSession, principal: Principal, department_id: uuid.UUID, *, now: datetime
) -> list[Holiday]:
    """The public holidays of the coming twelve months, each open or closed for this department."""
    department = await administered_department(session, principal, department_id)
    first = local_today(department, now)
    last = _year_after(first)
    openings = await session.execute(
        select(HolidayOpening.day, HolidayOpening.id).where(
            HolidayOpening.department_id == department.id,
            HolidayOpening.municipality_id == department.municipality_id,
            HolidayOpening.day.between(first, last),
        )
    )
    opened = dict(openings.tuples().all())
    return [Holiday(day, name, opened.get(day)) for day, name in norwegian_holidays(first, last).items()]


async def open_on_holiday(  # noqa: PLR0913 - keyword-only after the principal
    session: AsyncSession,
    principal: Principal,
    origin: Origin,
    *,
    department_id: uuid.UUID,
    day: date,
    now: datetime,
) -> HolidayOpening:
    """Open with the ordinary weekly hours on a public holiday; opening twice is the same opening."""
    department = await administered_department(session, principal, department_id, lock=True)
    if day < local_today(department, now):
        raise DayPassedError(day=day.isoformat())
    if day not in norwegian_holidays(day, day):
        raise NotAHolidayError(day=day.isoformat())
    existing = await session.scalar(
        select(HolidayOpening).where(
            HolidayOpening.department_id == department.id,
            HolidayOpening.municipality_id == department.municipality_id,
            HolidayOpening.day == day,
        )
    )
    if existing is not None:
        return existing
    row = HolidayOpening(municipality_id=department.municipality_id, department_id=department.id, day=day)
    session.add(row)
    await session.flush()
    await rematerialize(session, department, now=now)
    await record(session, principal, origin, action="holiday_opening.create", object_type="holiday_opening",
                 object_id=row.id)  # fmt: skip
    return row


async def close_on_holiday(  # noqa: PLR0913 - keyword-only after the principal
    session: AsyncSession,
    principal: Principal,
    origin: Origin,
    *,
    department_id: uuid.UUID,
    opening_id: uuid.UUID,
    now: datetime,
) -> None:
    """Withdraw a holiday opening: the department is closed that day again."""
    department = await administered_department(session, principal, department_id, lock=True)
    row = of_department(await session.get(HolidayOpening, opening_id), department)
    await session.delete(row)
    await session.flush()
    await rematerialize(session, department, now=now)
    await record(session, principal, origin, action="holiday_opening.delete", object_type="holiday_opening",
                 object_id=opening_id)  # fmt: skip
