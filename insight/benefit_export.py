"""The researchers' export: the benefit figures plus pseudonymised visit-level rows, audited.

A row has no name, national identity number, address, booking or person id: the recipient is a key drawn at
random for this export and never stored (so two exports cannot be linked),
dates are coarsened to the ISO week, and times to bands. A row whose combination of published values (every
column but the key) occurs fewer than `MIN_GROUP` times in the export is left out (k-anonymity, k = 5).
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import case, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from booking.tables import Booking
from departments.service import local_today
from departments.tables import Department, Service
from insight import benefit_rules as rules
from insight.benefits import SELF, Benefits, department_benefits, lead_band, time_band, visits_in
from insight.feedback import MIN_GROUP
from insight.tables import VisitFeedback
from people.access import Principal
from people.audit import Origin, record

KEY_HEX = 16  # characters of the per-export recipient key

# field, type, description: the data dictionary shipped in the JSON export (the CSV's columns, in this order).
DICTIONARY: tuple[tuple[str, str, str], ...] = (
    ("recipient_key", "string", ("A key drawn at random for the recipient, the same in every row of this export only; "
     "a new export draws new keys. Not derived from any identifier.")),
    ("department", "string", "The department's name."),
    ("service_category", "string", "ordinary, respite (avlastning) or bpa (brukerstyrt personlig assistanse)."),
    ("iso_week", "string", "The ISO week of the visit's local start date, e.g. 2026-W14 (dates coarsened)."),
    ("status", "string", "booked (no outcome yet), delivered, no_show, cancelled (in time), late_cancelled."),
    ("booked_by", "string", ("recipient, proxy (a relative or guardian) or staff (staff, administrator or an "
     "integration).")),
    ("minutes", "integer", "Minutes of the visit charged to the decision."),
    ("staff_units", "integer", "Staff per visit (1, or 2 for double staffing)."),
    ("time_of_day", "string", ("Local start: night 00-06, morning 06-10, midday 10-14, afternoon 14-18, "
     "evening 18-24.")),
    ("lead_time", "string", ("How far ahead it was booked (start minus when booked): under_1_day, 1_2_days, "
     "3_6_days, 7_13_days, 14_days_or_more.")),
    ("feedback", "string or null", "The 'Min stemme teller' answer about the visit: yes, mixed, no; null if none."),
)  # fmt: skip
FIELDS = tuple(name for name, _, _ in DICTIONARY)


@dataclass(frozen=True)
class Export:
    """What one export holds: each department's figures, the rows kept, and how many were suppressed."""

    generated_at: datetime
    departments: list[Benefits]
    rows: list[dict[str, Any]]
    suppressed_rows: int


def _named(index: ColumnElement[int], names: tuple[str, ...]) -> ColumnElement[str]:
    return case({i: literal(name) for i, name in enumerate(names)}, value=index)


GROUPED = FIELDS[2:]  # the published values but the key and the department (one a query)


def rows_query(department: Department, months: list[date]) -> Any:  # noqa: ANN401 - a select
    """The department's visits in the months grouped by their published values: each group's size and recipients.

    One pass with a hash aggregate; each row's local time is converted once (in a subquery kept apart by
    OFFSET 0). The recipients' keys are drawn in Python, one per distinct recipient.
    """
    local = func.timezone(department.timezone, Booking.starts_at)
    inner = (
        select(Booking.recipient_id, Service.category.label("service_category"), local.label("local"),
               Booking.status, case((Booking.acted_by.in_(SELF), Booking.acted_by), else_=literal("staff"))
               .label("booked_by"), Booking.minutes, Booking.staff_units,
               lead_band(Booking.starts_at - Booking.created_at).label("lead_band"),
               VisitFeedback.answer.label("feedback"))
        .join(Service, Service.id == Booking.service_id)
        .outerjoin(VisitFeedback, (VisitFeedback.municipality_id == Booking.municipality_id)
                   & (VisitFeedback.booking_id == Booking.id))
        .where(*visits_in(department, months))
        .offset(0)
        .subquery()
    )  # fmt: skip
    c = inner.c
    published = {
        "service_category": c.service_category,
        "iso_week": func.to_char(c.local, 'IYYY-"W"IW'),
        "status": c.status,
        "booked_by": c.booked_by,
        "minutes": c.minutes,
        "staff_units": c.staff_units,
        "time_of_day": _named(time_band(c.local - func.date_trunc("day", c.local)), rules.TIME_BANDS),
        "lead_time": _named(c.lead_band, rules.LEAD_BANDS),
        "feedback": c.feedback,
    }
    assert tuple(published) == GROUPED  # noqa: S101 - the dictionary's order
    columns = [value.label(name) for name, value in published.items()]
    return (
        select(*columns, func.count().label("size"), func.array_agg(c.recipient_id).label("recipients"))
        .group_by(*columns)
        .order_by(columns[1], *columns[2:], columns[0])
    )


async def export(
    session: AsyncSession, principal: Principal, origin: Origin, departments: list[Department], *, now: datetime
) -> Export:
    """The departments' figures and their pseudonymised rows; one audit entry per department exported."""
    keys: dict[uuid.UUID, str] = {}  # this export's keys: drawn at random now, never stored
    figures, rows, suppressed = [], [], 0
    for department in departments:
        figures.append(await department_benefits(session, department, now=now))
        months = rules.window(local_today(department, now))
        for group in (await session.execute(rows_query(department, months))).mappings():
            if group["size"] < MIN_GROUP:
                suppressed += group["size"]
                continue
            values = {"department": department.name} | {name: group[name] for name in GROUPED}
            for recipient in group["recipients"]:
                key = keys.setdefault(recipient, secrets.token_hex(KEY_HEX // 2))
                rows.append({"recipient_key": key} | values)
        await record(session, principal, origin, action="benefits.export", object_type="department",
                     object_id=department.id)  # fmt: skip
    return Export(now, figures, rows, suppressed)
