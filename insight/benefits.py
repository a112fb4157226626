"""Benefit realisation per department and local month over the last twelve months: one set of SQL queries.

The bookings are read in one pass (index `ix_booking_department_time`: department, start) grouped by local
month, every figure a `FILTER` aggregate; no query per month and no Python loop over bookings. The
decisions' minutes come from a second, small query (decisions x months), the "Min stemme teller" answers from
`insight.feedback` (months under five answers suppressed) and the baseline from its own row.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ARRAY,
    Date,
    DateTime,
    Float,
    and_,
    bindparam,
    case,
    cast,
    func,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement, Grouping

from booking.tables import Allocation, Booking
from departments.service import administered_department, local_today
from departments.tables import Department
from insight import benefit_rules as rules
from insight.feedback import MonthFigures, month_figures
from insight.tables import BenefitBaseline, VisitFeedback
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


def band(value: ColumnElement[Any], limits: tuple[Any, ...]) -> ColumnElement[int]:
    """Which band (0, 1, ...) `value` falls in: below the first limit 0, below the second 1, ..., else the last."""
    return case(*((value < limit, index) for index, limit in enumerate(limits)), else_=len(limits))


def lead_band(lead: ColumnElement[Any]) -> ColumnElement[int]:
    """The `LEAD_BANDS` index of a booking's lead time (an interval: interval comparisons are cheap)."""
    return band(lead, tuple(timedelta(hours=h) for h in rules.LEAD_LIMITS_HOURS))


def time_band(since_midnight: ColumnElement[Any]) -> ColumnElement[int]:
    """The `TIME_BANDS` index of a local start, given as the interval since local midnight."""
    return band(since_midnight, tuple(timedelta(hours=h) for h in rules.TIME_LIMITS_HOURS))


def window_instants(department: Department, months: list[date]) -> tuple[datetime, datetime]:
    """The UTC instants where the first month starts and the month after the last starts (local midnight)."""
    zone = ZoneInfo(department.timezone)
    end_month = rules.next_month(months[-1])
    return datetime.combine(months[0], time(0), tzinfo=zone), datetime.combine(end_month, time(0), tzinfo=zone)


def visits_in(department: Department, months: list[date]) -> tuple[ColumnElement[bool], ...]:
    """The department's bookings starting in the months (the index's department and start range)."""
    start, end = window_instants(department, months)
    return (Booking.department_id == department.id, Booking.municipality_id == department.municipality_id,
            Booking.starts_at >= start, Booking.starts_at < end)  # fmt: skip


def _segment_sql(found: list[rules.Segment]) -> tuple[ColumnElement[int], ColumnElement[Any]]:
    """The visit's segment (1-based, by binary search over the cuts) and, given it, that segment's local midnight."""
    cuts = bindparam("cuts", [s.start for s in found], type_=ARRAY(DateTime(timezone=True)))
    origins = bindparam("origins", [s.local_midnight for s in found], type_=ARRAY(DateTime(timezone=True)))
    return func.width_bucket(Booking.starts_at, cuts), type_coerce(Grouping(origins), ARRAY(DateTime(timezone=True)))


def since_local_midnight(starts_at: ColumnElement[Any], origins: ColumnElement[Any], segment: Any) -> Any:  # noqa: ANN401
    """The time since local midnight (an interval): `date_bin` on the segment's midnight, integer arithmetic only."""
    return starts_at - func.date_bin(timedelta(days=1), starts_at, origins[segment])


async def _booking_months(
    session: AsyncSession, department: Department, months: list[date], now: datetime
) -> dict[date, list[Any]]:
    """One pass over the months' bookings, grouped by segment, status and booker; folded into months here.

    Each row's derived values are computed once, in subqueries kept apart by OFFSET 0 (otherwise PostgreSQL
    folds them in and evaluates the expressions again in every aggregate that uses them). Grouping by status
    and booker replaces a comparison per row and aggregate with one hash lookup a row.
    """
    found, _ = rules.segments(ZoneInfo(department.timezone), months)
    segment, origins = _segment_sql(found)
    raw = (
        select(segment.label("segment"), Booking.starts_at, Booking.status, Booking.acted_by, Booking.minutes,
               (Booking.starts_at - Booking.created_at).label("lead"),
               ((Booking.span_end - Booking.span_start) * Booking.staff_units).label("staff_span"))
        .where(*visits_in(department, months))
        .offset(0)
        .subquery()
    )  # fmt: skip
    r = raw.c
    derived = (
        select(r.segment, r.status, r.acted_by, r.minutes, r.staff_span, (r.starts_at < now).label("past"),
               func.greatest(r.lead, timedelta(0)).label("lead"), lead_band(r.lead).label("lead_band"),
               time_band(since_local_midnight(r.starts_at, origins, r.segment)).label("time_band"))
        .offset(0)
        .subquery()
    )  # fmt: skip
    c, count = derived.c, func.count()
    query = select(
        c.segment, c.status, c.acted_by, count, count.filter(c.past), func.sum(c.minutes),
        func.extract("epoch", func.sum(c.staff_span)) / 60, func.extract("epoch", func.sum(c.lead)) / 3600,
        *(count.filter(c.lead_band == i) for i in range(len(rules.LEAD_BANDS))),
        *(count.filter(c.time_band == i) for i in range(len(rules.TIME_BANDS))),
    ).group_by(c.segment, c.status, c.acted_by)  # fmt: skip
    return _fold(found, (await session.execute(query)).tuples())


def _fold(found: list[rules.Segment], groups: Iterable[Sequence[Any]]) -> dict[date, list[Any]]:
    """Group rows (segment, status, booker, ...) summed into each month's figures, in `_month_counts`' order."""
    leads, times = len(rules.LEAD_BANDS), len(rules.TIME_BANDS)
    months: dict[date, list[Any]] = {}
    for segment, status, acted_by, n, past, minutes, staff_minutes, lead_hours, *bands in groups:
        row = months.setdefault(found[int(segment) - 1].month, [0] * (12 + leads + times))
        held, delivered, no_show = status in HELD, status == "delivered", status == "no_show"
        booker = 5 if acted_by == "recipient" else 6 if acted_by == "proxy" else 7
        adds = {0: past if status == "booked" else n if delivered or no_show else 0, 1: n if no_show else 0,
                2: n if status == "late_cancelled" else 0, 3: n if status == "cancelled" else 0, 4: n, booker: n,
                8: minutes if held else 0, 9: minutes if delivered else 0, 10: staff_minutes if no_show else 0,
                11 + leads: lead_hours}  # fmt: skip
        for index, value in adds.items():
            row[index] += value or 0
        for index, value in enumerate(bands[:leads]):
            row[11 + index] += value
        for index, value in enumerate(bands[leads:]):
            row[12 + leads + index] += value
    return months


async def _feedback(session: AsyncSession, department: Department, months: list[date]) -> list[MonthFigures]:
    """The answers given in each local month about the department's visits; months under `MIN_GROUP` suppressed.

    Counted by the month the answer was given (within 30 days of the visit), from the answers alone: joining
    each answer to its visit would cost more than the whole pass over the bookings.
    """
    start, end = window_instants(department, months)
    month = cast(func.date_trunc("month", func.timezone(department.timezone, VisitFeedback.answered_at)), Date)
    query = (
        select(month, VisitFeedback.answer, func.count())
        .where(VisitFeedback.department_id == department.id,
               VisitFeedback.municipality_id == department.municipality_id,
               VisitFeedback.answered_at >= start, VisitFeedback.answered_at < end)
        .group_by(month, VisitFeedback.answer)
    )  # fmt: skip
    counts = {(m, answer): int(n) for m, answer, n in (await session.execute(query)).tuples()}
    return month_figures(months, counts)


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


def _month_counts(month: date, row: Sequence[Any] | None, allocated: int) -> rules.MonthCounts:
    v = row or (0,) * (12 + len(rules.LEAD_BANDS) + len(rules.TIME_BANDS))
    leads = 11 + len(rules.LEAD_BANDS)
    return rules.MonthCounts(
        month, due=int(v[0]), no_show=int(v[1]), late_cancelled=int(v[2]), cancelled=int(v[3]), made=int(v[4]),
        by_recipient=int(v[5]), by_proxy=int(v[6]), by_staff=int(v[7]), allocated_minutes=allocated,
        booked_minutes=int(v[8]), delivered_minutes=int(v[9]), lost_staff_minutes=round(float(v[10])),
        lead=tuple(int(n) for n in v[11:leads]), lead_hours_total=float(v[leads]),
        times=tuple(int(n) for n in v[leads + 1:]),
    )  # fmt: skip


async def department_benefits(session: AsyncSession, department: Department, *, now: datetime) -> Benefits:
    """The department's last twelve local months (this one included, to `now`), answers and baseline."""
    today = local_today(department, now)
    months = rules.window(today)
    rows = await _booking_months(session, department, months, now)
    allocated = await _allocated(session, department, months)
    counts = [_month_counts(m, rows.get(m), allocated.get(m, 0)) for m in months]
    feedback = await _feedback(session, department, months)
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
