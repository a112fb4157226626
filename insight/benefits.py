"""Benefit realisation per department and local month over the last twelve months: one set of SQL queries.

The bookings are read in one pass (index `ix_booking_department_time`: department, start) grouped by local
month, every figure a `FILTER` aggregate; no query per month and no Python loop over bookings. The
decisions' minutes come from a second, small query (decisions x months), the "Min stemme teller" answers from
`insight.feedback` (months under five answers suppressed) and the baseline from its own row.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Date, DateTime, Float, and_, case, cast, func, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from booking.tables import Allocation, Booking
from departments.service import administered_department, local_today
from departments.tables import Department
from insight import benefit_rules as rules
from insight.feedback import MonthFigures, department_months
from insight.tables import BenefitBaseline
from people.access import Principal
from people.audit import Origin, record
from people.errors import ForbiddenError

SELF = ("recipient", "proxy")
HELD = ("booked", "delivered", "no_show")  # visits that held the recipient's time


@dataclass(frozen=True)
class Benefits:
    """One department's twelve months, its answers, and its baseline (if recorded)."""

    department: Department
    months: list[rules.MonthCounts]
    complete: int  # how many of the months are over (the last one is this month, still running)
    feedback: list[MonthFigures]
    baseline: BenefitBaseline | None
    change: rules.Change | None


def local_month(department: Department, column: Any) -> ColumnElement[date]:  # noqa: ANN401 - a column
    """The first day of the department's local month of a timestamptz column."""
    return cast(func.date_trunc("month", func.timezone(department.timezone, column)), Date)


def _bands(value: ColumnElement[Any], limits: tuple[int, ...]) -> list[ColumnElement[bool]]:
    edges = [None, *limits, None]
    return [
        and_(*([value >= low] if low is not None else []), *([value < high] if high is not None else []))
        for low, high in itertools.pairwise(edges)
    ]


def lead_hours() -> ColumnElement[Any]:
    """Hours between making a booking and its start."""
    return func.extract("epoch", Booking.starts_at - Booking.created_at) / 3600.0


def local_hour(department: Department) -> ColumnElement[Any]:
    """The local hour (0-23) a visit starts."""
    return func.extract("hour", func.timezone(department.timezone, Booking.starts_at))


def window_instants(department: Department, months: list[date]) -> tuple[datetime, datetime]:
    """The UTC instants where the first month starts and the month after the last starts (local midnight)."""
    zone = ZoneInfo(department.timezone)
    end_month = rules.next_month(months[-1])
    return datetime.combine(months[0], time(0), tzinfo=zone), datetime.combine(end_month, time(0), tzinfo=zone)


async def _booking_months(
    session: AsyncSession, department: Department, months: list[date], now: datetime
) -> dict[date, tuple[Any, ...]]:
    start, end = window_instants(department, months)
    status, acted = Booking.status, Booking.acted_by
    count = func.count()
    minutes = Booking.minutes
    span_minutes = func.extract("epoch", Booking.span_end - Booking.span_start) / 60 * Booking.staff_units
    lead = lead_hours()
    columns = [
        count.filter(or_(status.in_(("delivered", "no_show")), and_(status == "booked", Booking.starts_at < now))),
        count.filter(status == "no_show"),
        count.filter(status == "late_cancelled"),
        count.filter(status == "cancelled"),
        count,
        count.filter(acted == "recipient"),
        count.filter(acted == "proxy"),
        count.filter(acted.notin_(SELF)),
        func.coalesce(func.sum(minutes).filter(status.in_(HELD)), 0),
        func.coalesce(func.sum(minutes).filter(status == "delivered"), 0),
        func.coalesce(func.sum(span_minutes).filter(status == "no_show"), 0),
        *(count.filter(band) for band in _bands(lead, rules.LEAD_LIMITS_HOURS)),
        func.coalesce(func.sum(func.greatest(lead, 0)), 0),
        *(count.filter(band) for band in _bands(local_hour(department), rules.TIME_LIMITS_HOURS)),
    ]
    month = local_month(department, Booking.starts_at)
    query = (
        select(month, *columns)
        .where(Booking.department_id == department.id, Booking.municipality_id == department.municipality_id,
               Booking.starts_at >= start, Booking.starts_at < end)
        .group_by(month)
    )  # fmt: skip
    return {row[0]: tuple(row[1:]) for row in (await session.execute(query)).tuples()}


async def _allocated(session: AsyncSession, department: Department, months: list[date]) -> dict[date, int]:
    """The decisions' minutes in each month: a period's minutes x the month's days it is valid / the period's days."""
    one_month = func.make_interval(0, 1)  # years, months
    series = (
        func.generate_series(
            cast(months[0], DateTime(timezone=False)), cast(months[-1], DateTime(timezone=False)), one_month
        )
        .table_valued("value")
        .render_derived(name="month")
    )
    month_start = cast(series.c.value, Date)
    month_end = cast(series.c.value + one_month, Date) - 1
    first = func.greatest(month_start, Allocation.valid_from)
    last = func.least(month_end, func.coalesce(Allocation.valid_to, month_end))
    days = func.greatest(last - first + 1, 0)
    period_days = case(
        (Allocation.period == "week", 7), (Allocation.period == "four_weeks", 28), else_=month_end - month_start + 1
    )
    share = cast(Allocation.minutes, Float) * days / period_days
    query = (
        select(month_start, func.round(func.sum(share)))
        .select_from(series)
        .join(Allocation, and_(Allocation.valid_from <= month_end,
                               or_(Allocation.valid_to.is_(None), Allocation.valid_to >= month_start)))
        .where(Allocation.department_id == department.id, Allocation.municipality_id == department.municipality_id)
        .group_by(month_start)
    )  # fmt: skip
    return {month: int(total or 0) for month, total in (await session.execute(query)).tuples()}


def _month_counts(month: date, row: tuple[Any, ...] | None, allocated: int) -> rules.MonthCounts:
    v = row or (0,) * (12 + len(rules.LEAD_BANDS) + len(rules.TIME_BANDS))
    leads = 11 + len(rules.LEAD_BANDS)
    return rules.MonthCounts(
        month, due=int(v[0]), no_show=int(v[1]), late_cancelled=int(v[2]), cancelled=int(v[3]), made=int(v[4]),
        by_recipient=int(v[5]), by_proxy=int(v[6]), by_staff=int(v[7]), allocated_minutes=allocated,
        booked_minutes=int(v[8]), delivered_minutes=int(v[9]), lost_staff_minutes=round(float(v[10])),
        lead=tuple(int(n) for n in v[11:leads]), lead_hours_total=float(v[leads]),
        times=tuple(int(n) for n in v[leads + 1:]),
    )  # fmt: skip


async def department_benefits(
    session: AsyncSession, principal: Principal, department: Department, *, now: datetime
) -> Benefits:
    """The department's last twelve local months (this one included, to `now`), answers and baseline."""
    today = local_today(department, now)
    months = rules.window(today)
    rows = await _booking_months(session, department, months, now)
    allocated = await _allocated(session, department, months)
    counts = [_month_counts(m, rows.get(m), allocated.get(m, 0)) for m in months]
    _, feedback = await department_months(session, principal, department.id, months[0], months[-1])
    baseline = await session.get(BenefitBaseline, department.id)
    change = None
    if baseline is not None:
        before = rules.Baseline(baseline.self_booking_from, float(baseline.no_show_percent),
                                baseline.visits_per_month, baseline.minutes_per_month)  # fmt: skip
        change = rules.change_since(before, counts[:-1])
    return Benefits(department, counts, len(months) - 1, feedback, baseline, change)


async def departments_for(
    session: AsyncSession, principal: Principal, department_id: uuid.UUID | None
) -> list[Department]:
    """The one department asked for, or every one the principal administers.

    One: 404 outside the municipality, 403 if not administered. All: a municipality administrator's are the
    municipality's, a department administrator's their own; anyone else 403.
    """
    if department_id is not None:
        return [await administered_department(session, principal, department_id)]
    query = select(Department).where(Department.municipality_id == principal.municipality_id)
    if not principal.is_municipality_admin:
        own = principal.departments("department_admin")
        if not own:
            raise ForbiddenError
        query = query.where(Department.id.in_(own))
    return list((await session.scalars(query.order_by(Department.name, Department.id))).all())


async def set_baseline(  # noqa: PLR0913 - keyword-only figures, one value each
    session: AsyncSession, principal: Principal, origin: Origin, department_id: uuid.UUID, *,
    self_booking_from: date, no_show_percent: float, visits_per_month: int, minutes_per_month: int, source: str,
    now: datetime,
) -> BenefitBaseline:  # fmt: skip
    """Record (or replace) the department's baseline; its administrators and the municipality's. Audited."""
    department = await administered_department(session, principal, department_id, lock=True)
    values = {
        "self_booking_from": self_booking_from, "no_show_percent": Decimal(str(round(no_show_percent, 2))),
        "visits_per_month": visits_per_month, "minutes_per_month": minutes_per_month, "source": source,
        "updated_at": now, "updated_by_id": principal.person_id,
    }  # fmt: skip
    await session.execute(
        insert(BenefitBaseline)
        .values(department_id=department.id, municipality_id=department.municipality_id, **values)
        .on_conflict_do_update(index_elements=["department_id"], set_=values)
    )
    await record(session, principal, origin, action="benefit_baseline.update", object_type="department",
                 object_id=department.id)  # fmt: skip
    baseline = await session.get(BenefitBaseline, department.id, populate_existing=True)
    assert baseline is not None  # noqa: S101 - written a moment ago
    return baseline
