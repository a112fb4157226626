"""Schemas of benefit realisation: per department and month, trends, the baseline and the researchers' export."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date, datetime
from typing import Annotated

import msgspec

from api.schemas.insight_people import MonthRead
from insight import benefit_rules as rules
from insight.benefit_export import DICTIONARY, FIELDS, Export
from insight.benefits import Benefits
from insight.feedback import MIN_GROUP
from insight.tables import BenefitBaseline

CSV_BOM = "\ufeff"


class BandRead(msgspec.Struct):
    """How many bookings fell in one band (lead time or time of day)."""

    band: str
    bookings: int


class BenefitMonthRead(msgspec.Struct):
    """One local month of a department. `complete` is false for this month (still running).

    Visits due: delivered, no-show, or still booked with a start in the past. `no_show_percent` = no-shows /
    visits due. Booked by: every booking starting in the month (`bookings`), whatever became of it. Minutes:
    `allocated` = the decisions' minutes falling in the month (a week's minutes x days valid / 7, a month's x days
    valid / days in the month, a 4-week period's x days valid / 28); `booked` = booked, delivered and no-show;
    `lost_staff_minutes` = no-shows' minutes with travel buffers x staff units.
    """

    month: str
    complete: bool
    visits_due: int
    no_shows: int
    no_show_percent: float | None
    late_cancellations: int
    cancellations: int
    bookings: int
    booked_by_recipient: int
    booked_by_proxy: int
    booked_by_staff: int
    self_booked_percent: float | None
    allocated_minutes: int
    booked_minutes: int
    delivered_minutes: int
    lost_staff_minutes: int
    lead_time: list[BandRead]
    average_lead_hours: float | None
    time_of_day: list[BandRead]

    @classmethod
    def of(cls, m: rules.MonthCounts, *, complete: bool) -> BenefitMonthRead:
        """From the month's counts."""
        average = rules.ratio(m.lead_hours_total, m.made)
        return cls(
            month=m.month.strftime("%Y-%m"), complete=complete, visits_due=m.due, no_shows=m.no_show,
            no_show_percent=rules.percent(m.no_show, m.due), late_cancellations=m.late_cancelled,
            cancellations=m.cancelled, bookings=m.made, booked_by_recipient=m.by_recipient, booked_by_proxy=m.by_proxy,
            booked_by_staff=m.by_staff, self_booked_percent=rules.percent(m.by_recipient + m.by_proxy, m.made),
            allocated_minutes=m.allocated_minutes, booked_minutes=m.booked_minutes,
            delivered_minutes=m.delivered_minutes, lost_staff_minutes=m.lost_staff_minutes,
            lead_time=[BandRead(b, n) for b, n in zip(rules.LEAD_BANDS, m.lead, strict=True)],
            average_lead_hours=None if average is None else round(average, 1),
            time_of_day=[BandRead(b, n) for b, n in zip(rules.TIME_BANDS, m.times, strict=True)],
        )  # fmt: skip


class TrendRead(msgspec.Struct):
    """The least-squares line through the complete months: change a month, `up`, `down`, `flat` or `unknown`."""

    per_month: float | None
    direction: str

    @classmethod
    def of(cls, values: list[float | None]) -> TrendRead:
        """The trend of the values."""
        found = rules.trend(values)
        return cls(found.per_month, found.direction)


class TrendsRead(msgspec.Struct):
    """Each figure's trend over the complete months."""

    no_show_percent: TrendRead
    late_cancellations: TrendRead
    self_booked_percent: TrendRead
    allocated_minutes: TrendRead
    booked_minutes: TrendRead
    delivered_minutes: TrendRead
    lost_staff_minutes: TrendRead
    average_lead_hours: TrendRead
    feedback_yes_percent: TrendRead


class BaselineRead(msgspec.Struct):
    """What the department recorded from before self-booking (a month's visits due and minutes delivered)."""

    self_booking_from: date
    no_show_percent: float
    visits_per_month: int
    minutes_per_month: int
    source: str
    updated_at: datetime

    @classmethod
    def of(cls, b: BenefitBaseline) -> BaselineRead:
        """From the row."""
        return cls(b.self_booking_from, float(b.no_show_percent), b.visits_per_month, b.minutes_per_month, b.source,
                   b.updated_at)  # fmt: skip


class ChangeRead(msgspec.Struct):
    """The complete months since self-booking started against the baseline (nulls: no such month yet)."""

    months: int
    no_show_percent: float | None
    no_show_points: float | None
    visits_per_month: float | None
    visits_percent: float | None
    minutes_per_month: float | None
    minutes_percent: float | None

    @classmethod
    def of(cls, c: rules.Change) -> ChangeRead:
        """From the rules' change."""
        return cls(c.months, c.no_show_percent, c.no_show_points, c.visits_per_month, c.visits_percent,
                   c.minutes_per_month, c.minutes_percent)  # fmt: skip


class DepartmentBenefitsRead(msgspec.Struct):
    """One department's last twelve months (oldest first), trends, answers, baseline and change since."""

    department_id: uuid.UUID
    department_name: str
    timezone: str
    months: list[BenefitMonthRead]
    trends: TrendsRead
    minimum_group: int
    feedback: list[MonthRead]
    baseline: BaselineRead | None
    change: ChangeRead | None

    @classmethod
    def of(cls, b: Benefits) -> DepartmentBenefitsRead:
        """From the service's figures."""
        months = [BenefitMonthRead.of(m, complete=i < b.complete) for i, m in enumerate(b.months)]
        done = months[: b.complete]
        answers = b.feedback[: b.complete]

        def of(name: str) -> TrendRead:
            return TrendRead.of([getattr(m, name) for m in done])

        yes = [None if f.suppressed else rules.percent(f.yes or 0, f.total or 0) for f in answers]
        trends = TrendsRead(
            of("no_show_percent"), of("late_cancellations"), of("self_booked_percent"), of("allocated_minutes"),
            of("booked_minutes"), of("delivered_minutes"), of("lost_staff_minutes"), of("average_lead_hours"),
            TrendRead.of(yes),
        )  # fmt: skip
        change = None if b.change is None else ChangeRead.of(b.change)
        return cls(
            b.department.id, b.department.name, b.department.timezone, months, trends, MIN_GROUP,
            [MonthRead.of(f) for f in b.feedback], None if b.baseline is None else BaselineRead.of(b.baseline), change,
        )  # fmt: skip


class BenefitsRead(msgspec.Struct):
    """The departments the caller administers (or the one asked for), by name."""

    departments: list[DepartmentBenefitsRead]


class BaselineWrite(msgspec.Struct, forbid_unknown_fields=True):
    """A department's figures from before self-booking, and where they come from."""

    self_booking_from: date
    no_show_percent: Annotated[float, msgspec.Meta(ge=0, le=100, description="No-shows / visits due, in percent")]
    visits_per_month: Annotated[int, msgspec.Meta(ge=0, le=10_000_000, description="A month's visits due")]
    minutes_per_month: Annotated[int, msgspec.Meta(ge=0, le=1_000_000_000, description="A month's delivered minutes")]
    source: Annotated[str, msgspec.Meta(min_length=1, max_length=1000, description="Where the figures come from")]


class DictionaryEntry(msgspec.Struct):
    """One column of the visit-level rows."""

    field: str
    type: str
    description: str


class ExportRow(msgspec.Struct):
    """One visit, pseudonymised (see the dictionary)."""

    recipient_key: str
    department: str
    service_category: str
    iso_week: str
    status: str
    booked_by: str
    minutes: int
    staff_units: int
    time_of_day: str
    lead_time: str
    feedback: str | None


class BenefitsExport(msgspec.Struct):
    """The figures, the pseudonymised visit rows (groups under `minimum_group` left out), and the dictionary."""

    generated_at: datetime
    minimum_group: int
    suppressed_rows: int
    dictionary: list[DictionaryEntry]
    departments: list[DepartmentBenefitsRead]
    rows: list[ExportRow]

    @classmethod
    def of(cls, found: Export) -> BenefitsExport:
        """From the service's export."""
        return cls(
            found.generated_at, MIN_GROUP, found.suppressed_rows, [DictionaryEntry(*entry) for entry in DICTIONARY],
            [DepartmentBenefitsRead.of(b) for b in found.departments], [ExportRow(**row) for row in found.rows],
        )  # fmt: skip


def export_csv(found: Export) -> str:
    """The visit rows, semicolon-separated UTF-8 with a byte order mark; the columns are the dictionary's fields."""
    out = io.StringIO()
    out.write(CSV_BOM)
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(FIELDS)
    for row in found.rows:
        writer.writerow(["" if row[name] is None else row[name] for name in FIELDS])
    return out.getvalue()
