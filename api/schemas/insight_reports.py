"""Schemas of the report views: a decision's evaluation, reviews due, capacity coverage, the committee list."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date, datetime
from fractions import Fraction
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

import msgspec

from departments.tables import service_text
from insight import rules
from insight.committee import Case, Decision
from insight.coverage import Coverage
from insight.evaluation import Answer, Report
from insight.reviews import Review
from people.tables import Person

CSV_BOM = "\ufeff"  # Excel (Norwegian locale) reads UTF-8 with it, and splits on semicolons


def minutes(value: Fraction) -> float:
    """A minute figure that may have a fraction (a month's weekly share), to two decimals."""
    return round(float(value), 2)


def _name(person: Person) -> str:
    return f"{person.given_name} {person.family_name}"


# --- Evaluation -------------------------------------------------------------------------------------------------


class MinutesRead(msgspec.Struct):
    """Minutes granted, by booking status, charged to the decision, and left (granted - charged)."""

    granted: int
    booked: int
    delivered: int
    cancelled: int
    late_cancelled: int
    no_show: int
    charged: int
    left: int

    @classmethod
    def of(cls, figures: rules.Minutes) -> MinutesRead:
        """From the rules' figures."""
        return cls(figures.granted, figures.booked, figures.delivered, figures.cancelled, figures.late_cancelled,
                   figures.no_show, figures.charged, figures.left)  # fmt: skip


class PeriodRead(msgspec.Struct):
    """One allocation period (local dates, both inclusive) and its minutes."""

    start: date
    end: date
    minutes: MinutesRead


class HourRead(msgspec.Struct):
    """Visits the recipient chose starting in one local hour (0-23)."""

    hour: int
    visits: int
    minutes: int


class WeekdayRead(msgspec.Struct):
    """Visits the recipient chose on one ISO weekday (1 = Monday ... 7 = Sunday)."""

    weekday: int
    visits: int
    minutes: int


class FeedbackCounts(msgspec.Struct):
    """How many answered Ja, Både ja og nei, Nei."""

    yes: int
    mixed: int
    no: int


class AnswerRead(msgspec.Struct):
    """One answer about one visit (for the recipient's coordinator only)."""

    booking_id: uuid.UUID
    visit_start: datetime
    answer: str
    comment: str | None
    by_proxy: bool
    answered_at: datetime

    @classmethod
    def of(cls, answer: Answer, zone: ZoneInfo) -> AnswerRead:
        """From an answer; times in `zone`."""
        return cls(answer.booking_id, answer.visit_start.astimezone(zone), answer.answer, answer.comment,
                   answer.by_proxy, answer.answered_at.astimezone(zone))  # fmt: skip


class EvaluationRead(msgspec.Struct):
    """A decision's use per period from its start to `evaluated_until`, the times chosen, and the feedback.

    `answers` (with comments) only for the recipient's coordinator (`answers_visible`); `feedback` counts for
    everyone who may see the evaluation, but null for others than the coordinator below 5 answers (privacy).
    """

    allocation_id: uuid.UUID
    recipient_id: uuid.UUID
    recipient_name: str
    department_id: uuid.UUID
    department_name: str
    service_id: uuid.UUID
    service_name: str
    timezone: str
    kind: str
    minutes_per_period: int
    period: str
    valid_from: date
    valid_to: date | None
    evaluation_date: date | None
    review_date: date | None
    evaluated_until: date | None
    periods: list[PeriodRead]
    total: MinutesRead
    hours: list[HourRead]
    weekdays: list[WeekdayRead]
    feedback: FeedbackCounts | None
    answers_visible: bool
    answers: list[AnswerRead]

    @classmethod
    def of(cls, report: Report, language: str) -> EvaluationRead:
        """From the service's report, names in `language`."""
        allocation, evaluation = report.allocation, report.evaluation
        zone = ZoneInfo(report.department.timezone)
        return cls(
            allocation_id=allocation.id,
            recipient_id=report.recipient.id,
            recipient_name=_name(report.recipient),
            department_id=report.department.id,
            department_name=report.department.name,
            service_id=report.service.id,
            service_name=service_text(report.service.name, language),
            timezone=report.department.timezone,
            kind=allocation.kind,
            minutes_per_period=allocation.minutes,
            period=allocation.period,
            valid_from=allocation.valid_from,
            valid_to=allocation.valid_to,
            evaluation_date=allocation.evaluation_date,
            review_date=allocation.review_date,
            evaluated_until=evaluation.last,
            periods=[PeriodRead(p.period.start, p.period.end, MinutesRead.of(p.minutes)) for p in evaluation.periods],
            total=MinutesRead.of(evaluation.total),
            hours=[HourRead(c.key, c.visits, c.minutes) for c in evaluation.hours],
            weekdays=[WeekdayRead(c.key, c.visits, c.minutes) for c in evaluation.weekdays],
            feedback=None if report.feedback is None else FeedbackCounts(**report.feedback),
            answers_visible=report.answers_visible,
            answers=[AnswerRead.of(a, zone) for a in report.answers],
        )


CSV_HEADERS = {
    "nb": ("Periode fra", "Periode til", "Tildelt (min)", "Bestilt (min)", "Levert (min)", "Avbestilt (min)",
           "Avbestilt for sent (min)", "Ikke møtt (min)", "Belastet vedtaket (min)", "Igjen (min)"),
    "nn": ("Periode frå", "Periode til", "Tildelt (min)", "Bestilt (min)", "Levert (min)", "Avbestilt (min)",
           "Avbestilt for seint (min)", "Ikkje møtt (min)", "Belasta vedtaket (min)", "Att (min)"),
    "en": ("Period from", "Period to", "Granted (min)", "Booked (min)", "Delivered (min)", "Cancelled (min)",
           "Cancelled late (min)", "No-show (min)", "Charged to the decision (min)", "Left (min)"),
}  # fmt: skip


def evaluation_csv(report: Report, language: str) -> str:
    """One row per period, semicolon-separated, headers in `language`, led by a byte order mark for Excel."""
    out = io.StringIO()
    out.write(CSV_BOM)
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_HEADERS.get(language, CSV_HEADERS["nb"]))
    for row in report.evaluation.periods:
        m = row.minutes
        writer.writerow([row.period.start.isoformat(), row.period.end.isoformat(), m.granted, m.booked, m.delivered,
                         m.cancelled, m.late_cancelled, m.no_show, m.charged, m.left])  # fmt: skip
    return out.getvalue()


# --- Reviews ----------------------------------------------------------------------------------------------------


class ReviewRead(msgspec.Struct):
    """A decision due for its yearly review (`review`) or its trial evaluation (`evaluation`)."""

    allocation_id: uuid.UUID
    recipient_id: uuid.UUID
    recipient_name: str
    department_id: uuid.UUID
    department_name: str
    service_id: uuid.UUID
    service_name: str
    kind: str
    minutes: int
    period: str
    weekly_minutes: float
    valid_from: date
    valid_to: date | None
    review_date: date | None
    evaluation_date: date | None
    due: date
    reason: Literal["review", "evaluation"]
    overdue: bool
    evaluation_url: str

    @classmethod
    def of(cls, review: Review, language: str, today: date) -> ReviewRead:
        """From a review line."""
        allocation = review.allocation
        return cls(
            allocation_id=allocation.id,
            recipient_id=review.recipient.id,
            recipient_name=_name(review.recipient),
            department_id=review.department.id,
            department_name=review.department.name,
            service_id=review.service.id,
            service_name=service_text(review.service.name, language),
            kind=allocation.kind,
            minutes=allocation.minutes,
            period=allocation.period,
            weekly_minutes=minutes(rules.weekly_share(allocation.minutes, allocation.period)),
            valid_from=allocation.valid_from,
            valid_to=allocation.valid_to,
            review_date=allocation.review_date,
            evaluation_date=allocation.evaluation_date,
            due=review.due,
            reason="evaluation" if review.reason == rules.EVALUATION else "review",
            overdue=review.due < today,
            evaluation_url=f"/api/v1/allocations/{allocation.id}/evaluation",
        )


# --- Coverage ---------------------------------------------------------------------------------------------------


class CoverageWeekRead(msgspec.Struct):
    """One ISO week; every figure in staff-unit minutes (minutes x staff units), so they compare."""

    week_start: date
    iso_year: int
    iso_week: int
    staffed_minutes: int
    allocated_minutes: float
    booked_minutes: int
    delivered_minutes: int
    allocated_percent: float | None
    warning: Literal["over", "near"] | None

    @classmethod
    def of(cls, week: rules.CoverageWeek) -> CoverageWeekRead:
        """From the rules' week."""
        iso = week.monday.isocalendar()
        percent = week.percent
        return cls(
            week_start=week.monday,
            iso_year=iso.year,
            iso_week=iso.week,
            staffed_minutes=week.staffed,
            allocated_minutes=minutes(week.allocated),
            booked_minutes=week.booked,
            delivered_minutes=week.delivered,
            allocated_percent=None if percent is None else round(float(percent), 1),
            warning="over" if week.level == rules.OVER else "near" if week.level == rules.NEAR else None,
        )


class CoverageRead(msgspec.Struct):
    """A department's coverage, week by week."""

    department_id: uuid.UUID
    department_name: str
    timezone: str
    weeks: list[CoverageWeekRead]

    @classmethod
    def of(cls, coverage: Coverage) -> CoverageRead:
        """From the service's coverage."""
        department = coverage.department
        return cls(
            department.id, department.name, department.timezone, [CoverageWeekRead.of(w) for w in coverage.weeks]
        )


# --- Coordinating committee -------------------------------------------------------------------------------------

WeeklyMinutes = Annotated[
    int, msgspec.Meta(ge=1, le=rules.WEEK_MINUTES, description="More than this many minutes a week in total")
]
RespitePercent = Annotated[
    int, msgspec.Meta(ge=1, le=100, description="A respite decision above this percent of the week's 10080 minutes")
]


class Thresholds(msgspec.Struct, forbid_unknown_fields=True):
    """The municipality's thresholds for the coordinating committee (default 900 minutes, 50 %, BPA)."""

    weekly_minutes: WeeklyMinutes
    respite_percent: RespitePercent
    bpa: bool

    @classmethod
    def of(cls, thresholds: rules.Thresholds) -> Thresholds:
        """From the rules' thresholds."""
        return cls(thresholds.weekly_minutes, thresholds.respite_percent, thresholds.bpa)

    def as_rules(self) -> rules.Thresholds:
        """As the rules take them."""
        return rules.Thresholds(self.weekly_minutes, self.respite_percent, self.bpa)


class CommitteeAllocationRead(msgspec.Struct):
    """One of the recipient's active decisions."""

    allocation_id: uuid.UUID
    department_id: uuid.UUID
    department_name: str
    service_id: uuid.UUID
    service_name: str
    category: str
    kind: str
    minutes: int
    period: str
    weekly_minutes: float
    valid_from: date
    valid_to: date | None

    @classmethod
    def of(cls, decision: Decision, language: str) -> CommitteeAllocationRead:
        """From a decision of a case."""
        allocation, service, department = decision.allocation, decision.service, decision.department
        return cls(allocation.id, department.id, department.name, service.id, service_text(service.name, language),
                   service.category, allocation.kind, allocation.minutes, allocation.period, minutes(decision.weekly),
                   allocation.valid_from, allocation.valid_to)  # fmt: skip


class CommitteeCaseRead(msgspec.Struct):
    """A recipient for the committee: the reasons (`weekly_hours`, `respite_share`, `bpa`) and their decisions."""

    recipient_id: uuid.UUID
    recipient_name: str
    reasons: list[Literal["weekly_hours", "respite_share", "bpa"]]
    weekly_minutes_total: float
    allocations: list[CommitteeAllocationRead]

    @classmethod
    def of(cls, case: Case, language: str) -> CommitteeCaseRead:
        """From a case."""
        reasons: list[Literal["weekly_hours", "respite_share", "bpa"]] = [
            r for r in ("weekly_hours", "respite_share", "bpa") if r in case.reasons
        ]
        return cls(case.recipient.id, _name(case.recipient), reasons, minutes(case.weekly_total),
                   [CommitteeAllocationRead.of(d, language) for d in case.decisions])  # fmt: skip


class CommitteeRead(msgspec.Struct):
    """The committee list under the municipality's current thresholds."""

    thresholds: Thresholds
    recipients: list[CommitteeCaseRead]
