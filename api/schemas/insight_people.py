"""Schemas of visit feedback ("Min stemme teller") and the shared plan."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

import msgspec

from insight.feedback import Answer, MonthFigures, Visit
from insight.plan import AllocationLine, Plan, Summary, VisitLine
from insight.tables import VisitFeedback


class FeedbackCreate(msgspec.Struct, forbid_unknown_fields=True):
    """Answer "Var du fornøyd med besøket?": Ja, Både ja og nei, Nei, and optional free text.

    A proxy answers only with `on_behalf: true`, stating that the recipient cannot answer themself.
    """

    answer: Literal["yes", "mixed", "no"]
    comment: Annotated[str, msgspec.Meta(max_length=1000)] | None = None
    on_behalf: bool = False


class VisitRead(msgspec.Struct):
    """A visit, in its department's zone."""

    booking_id: uuid.UUID
    department_id: uuid.UUID
    department_name: str
    service_name: dict[str, str]
    start: datetime
    end: datetime

    @classmethod
    def of(cls, visit: Visit) -> VisitRead:
        """From a visit."""
        zone = ZoneInfo(visit.timezone)
        return cls(visit.booking_id, visit.department_id, visit.department_name, visit.service_name,
                   visit.starts_at.astimezone(zone), visit.ends_at.astimezone(zone))  # fmt: skip


class FeedbackRead(msgspec.Struct):
    """One answer about one visit."""

    id: uuid.UUID
    booking_id: uuid.UUID
    recipient_id: uuid.UUID
    answer: str
    comment: str | None
    by_proxy: bool
    answered_by_id: uuid.UUID
    answered_at: datetime

    @classmethod
    def of(cls, row: VisitFeedback) -> FeedbackRead:
        """From a row."""
        return cls(row.id, row.booking_id, row.recipient_id, row.answer, row.comment, row.by_proxy,
                   row.answered_by_id, row.answered_at)  # fmt: skip


class AnswerRead(msgspec.Struct):
    """An answer with its visit."""

    feedback: FeedbackRead
    visit: VisitRead

    @classmethod
    def of(cls, found: Answer) -> AnswerRead:
        """From an answer."""
        return cls(FeedbackRead.of(found.feedback), VisitRead.of(found.visit))


class BookingFeedbackRead(msgspec.Struct):
    """A visit's status and its answer, if any."""

    booking_id: uuid.UUID
    status: str
    feedback: FeedbackRead | None


class MonthRead(msgspec.Struct):
    """A month's answers; with fewer than `minimum_group` answers only `suppressed: true` is told."""

    month: str
    suppressed: bool
    yes: int | None
    mixed: int | None
    no: int | None
    total: int | None

    @classmethod
    def of(cls, figures: MonthFigures) -> MonthRead:
        """From figures."""
        return cls(figures.month.strftime("%Y-%m"), figures.suppressed, figures.yes, figures.mixed, figures.no,
                   figures.total)  # fmt: skip


class DepartmentFeedbackRead(msgspec.Struct):
    """A department's answers per calendar month of the visit (the department's local time)."""

    department_id: uuid.UUID
    minimum_group: int
    months: list[MonthRead]


class AllocationLineRead(msgspec.Struct):
    """A decision in the plan, with the minutes used in the period containing today."""

    id: uuid.UUID
    department_id: uuid.UUID
    department_name: str
    service_id: uuid.UUID
    service_name: dict[str, str]
    minutes: int
    period: str
    kind: str
    valid_from: date
    valid_to: date | None
    evaluation_date: date | None
    review_date: date | None
    period_start: date
    period_end: date
    used: int

    @classmethod
    def of(cls, line: AllocationLine) -> AllocationLineRead:
        """From a plan line."""
        a = line.allocation
        return cls(a.id, a.department_id, line.department_name, a.service_id, line.service_name, a.minutes, a.period,
                   a.kind, a.valid_from, a.valid_to, a.evaluation_date, a.review_date, line.period.start,
                   line.period.end, line.used)  # fmt: skip


class PlanVisitRead(msgspec.Struct):
    """A visit in the plan, in its department's zone."""

    booking_id: uuid.UUID
    department_id: uuid.UUID
    department_name: str
    service_name: dict[str, str]
    start: datetime
    end: datetime
    minutes: int
    status: str

    @classmethod
    def of(cls, line: VisitLine) -> PlanVisitRead:
        """From a plan line."""
        b, zone = line.booking, ZoneInfo(line.timezone)
        return cls(b.id, b.department_id, line.department_name, line.service_name, b.starts_at.astimezone(zone),
                   b.ends_at.astimezone(zone), b.minutes, b.status)  # fmt: skip


class PlanFollowUpRead(msgspec.Struct):
    """An open follow-up item (repeated no-shows, an evaluation due)."""

    id: uuid.UUID
    department_id: uuid.UUID
    kind: str
    details: dict[str, object]
    created_at: datetime


class PlanRead(msgspec.Struct, omit_defaults=True):
    """One recipient's plan across departments. `feedback` is left out for proxies and administrators."""

    recipient_id: uuid.UUID
    given_name: str
    family_name: str
    allocations: list[AllocationLineRead]
    upcoming: list[PlanVisitRead]
    past: list[PlanVisitRead]
    follow_ups: list[PlanFollowUpRead]
    feedback: list[AnswerRead] | None = None

    @classmethod
    def of(cls, plan: Plan) -> PlanRead:
        """From a plan."""
        person = plan.recipient
        return cls(
            recipient_id=person.id, given_name=person.given_name, family_name=person.family_name,
            allocations=[AllocationLineRead.of(a) for a in plan.allocations],
            upcoming=[PlanVisitRead.of(v) for v in plan.upcoming], past=[PlanVisitRead.of(v) for v in plan.past],
            follow_ups=[PlanFollowUpRead(f.id, f.department_id, f.kind, f.details, f.created_at)
                        for f in plan.follow_ups],
            feedback=None if plan.feedback is None else [AnswerRead.of(a) for a in plan.feedback],
        )  # fmt: skip


class LatestFeedbackRead(msgspec.Struct):
    """The latest answer: what and when."""

    answer: str
    by_proxy: bool
    answered_at: datetime


class CoordinatedRead(msgspec.Struct):
    """One line of the coordinator's list."""

    recipient_id: uuid.UUID
    given_name: str
    family_name: str
    upcoming_visits: int
    next_visit: datetime | None
    open_follow_ups: int
    latest_feedback: LatestFeedbackRead | None

    @classmethod
    def of(cls, line: Summary) -> CoordinatedRead:
        """From a summary."""
        p, f = line.recipient, line.latest_feedback
        latest = None if f is None else LatestFeedbackRead(f.answer, f.by_proxy, f.answered_at)
        return cls(p.id, p.given_name, p.family_name, line.upcoming_visits, line.next_visit, line.open_follow_ups,
                   latest)  # fmt: skip
