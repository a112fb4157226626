"""Tables of the booking domain: allocations (vedtak), the allocation ledger, bookings."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    SmallInteger,
    String,
    Time,
    UniqueConstraint,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, ExcludeConstraint
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import Mapped, mapped_column

from booking.rules import default_review_date
from core.columns import CreatedMixin, IdMixin, MunicipalityMixin
from core.db import Base

PERIODS = ("week", "month", "four_weeks")
ALLOCATION_KINDS = ("ordinary", "trial")


def _review_date(context: DefaultExecutionContext) -> date | None:
    """Every new decision gets a review date, whoever inserts it (API, demo data, tests)."""
    valid_from = context.get_current_parameters().get("valid_from")  # type: ignore[no-untyped-call]
    return default_review_date(valid_from) if isinstance(valid_from, date) else None


class Allocation(IdMixin, CreatedMixin, MunicipalityMixin, Base):
    """A decision (vedtak): a recipient may book `minutes` of a service per period, between two dates."""

    __tablename__ = "allocation"

    recipient_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("person.id", ondelete="RESTRICT"), index=True)
    department_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("department.id", ondelete="RESTRICT"))
    service_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("service.id", ondelete="RESTRICT"))
    minutes: Mapped[int] = mapped_column(Integer)
    period: Mapped[str] = mapped_column(String(16))  # ISO week in local time, calendar month, or 4 weeks
    period_anchor: Mapped[date | None] = mapped_column(Date)  # first day of a 4-week period
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(16), default="ordinary", server_default="ordinary")
    evaluation_date: Mapped[date | None] = mapped_column(Date)  # for trial decisions (utprøvingsvedtak)
    external_ref: Mapped[str | None] = mapped_column(String(100))  # the case system's reference
    # The yearly review (default: Monday of ISO week 47, as in the seed's yearly cycle).
    review_date: Mapped[date | None] = mapped_column(Date, default=_review_date)
    # The case worker (saksbehandler) reminded before a trial decision's evaluation date.
    case_worker_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("person.id", ondelete="SET NULL"))

    __table_args__ = (
        UniqueConstraint("municipality_id", "external_ref", name="uq_allocation_external_ref"),
        CheckConstraint("minutes > 0", name="minutes_positive"),
        CheckConstraint("period IN ('week', 'month', 'four_weeks')", name="period_known"),
        CheckConstraint("(period = 'four_weeks') = (period_anchor IS NOT NULL)", name="anchor_for_four_weeks"),
        CheckConstraint("kind IN ('ordinary', 'trial')", name="kind_known"),
        CheckConstraint("(kind = 'trial') = (evaluation_date IS NOT NULL)", name="trial_evaluated"),
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="valid_period"),
    )


BOOKING_STATUSES = ("booked", "cancelled", "late_cancelled", "delivered", "no_show")
ACTIVE_STATUSES = ("booked", "delivered", "no_show")  # hold the recipient's time: never overlap


class AllocationPeriod(MunicipalityMixin, Base):
    """The allocation ledger: minutes granted and used in one period of one decision (DESIGN.md, invariant 2)."""

    __tablename__ = "allocation_period"

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    allocation_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("allocation.id", ondelete="CASCADE"))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)  # inclusive
    granted: Mapped[int] = mapped_column(Integer)
    used: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    __table_args__ = (
        UniqueConstraint("municipality_id", "allocation_id", "period_start", name="uq_allocation_period_start"),
        CheckConstraint("used >= 0 AND used <= granted", name="used_within_granted"),
        CheckConstraint("period_end >= period_start", name="period_forward"),
    )


class Booking(IdMixin, CreatedMixin, MunicipalityMixin, Base):
    """A booked visit: [starts_at, ends_at) in UTC; `span` adds the service's buffers (travel) around it."""

    __tablename__ = "booking"

    recipient_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("person.id", ondelete="RESTRICT"))
    department_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("department.id", ondelete="RESTRICT"))
    service_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("service.id", ondelete="RESTRICT"))
    allocation_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("allocation.id", ondelete="RESTRICT"))
    period_start: Mapped[date] = mapped_column(Date)  # the allocation period charged
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    span_start: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # starts_at - buffer before
    span_end: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # ends_at + buffer after
    minutes: Mapped[int] = mapped_column(Integer)  # charged to the allocation
    staff_units: Mapped[int] = mapped_column(SmallInteger)
    status: Mapped[str] = mapped_column(String(16), default="booked", server_default="booked")
    acted_by: Mapped[str] = mapped_column(String(16))  # recipient, proxy, staff, admin, integration
    actor_person_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    actor_token_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    assigned_staff_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("person.id", ondelete="SET NULL"))
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    idempotency_scope: Mapped[str | None] = mapped_column(String(64))  # who sent the key (person or token id)
    minutes_returned: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Bumped on every change the recipient or staff would see (time, status, staff): the iCal SEQUENCE.
    sequence: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The recurring visit (fast avtale) the worker booked this occurrence for; a moved or cancelled one keeps it.
    series_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("booking_series.id", ondelete="SET NULL"))

    __table_args__ = (
        UniqueConstraint("municipality_id", "idempotency_scope", "idempotency_key", name="uq_booking_idempotency"),
        CheckConstraint(f"status IN {BOOKING_STATUSES}", name="status_known"),
        CheckConstraint("acted_by IN ('recipient', 'proxy', 'staff', 'admin', 'integration')", name="acted_by_known"),
        CheckConstraint("ends_at > starts_at AND span_start <= starts_at AND span_end >= ends_at", name="times"),
        CheckConstraint("staff_units IN (1, 2)", name="staff_units_known"),
        # A recipient never holds two overlapping active bookings (DESIGN.md, invariant 3).
        ExcludeConstraint(
            ("municipality_id", "="),
            ("recipient_id", "="),
            (func.tstzrange(text("starts_at"), text("ends_at")), "&&"),
            name="no_overlap_per_recipient",
            using="gist",
            where=text(f"status IN {ACTIVE_STATUSES}"),
        ),
        # A staff member is never assigned two overlapping visits (travel buffers included).
        ExcludeConstraint(
            ("municipality_id", "="),
            ("assigned_staff_id", "="),
            (func.tstzrange(text("span_start"), text("span_end")), "&&"),
            name="no_overlap_per_staff",
            using="gist",
            where=text("status = 'booked' AND assigned_staff_id IS NOT NULL"),
        ),
        Index("ix_booking_department_time", "department_id", "starts_at"),
        Index("ix_booking_assigned_staff", "assigned_staff_id", "starts_at"),
        # A recipient's bookings over a span (lists, feeds, the plan): the span only, however long the history.
        Index("ix_booking_recipient_time", "recipient_id", "starts_at"),
        # The series share: the units series hold in a department's cells (book_series_visits).
        Index(
            "ix_booking_series_held",
            "department_id",
            "starts_at",
            postgresql_where=text("series_id IS NOT NULL AND status = 'booked'"),
        ),
    )


class FollowUp(IdMixin, CreatedMixin, MunicipalityMixin, Base):
    """Something the recipient's coordinator should look into, e.g. repeated no-shows.

    In care, a missed visit can mean that something is wrong.
    """

    __tablename__ = "follow_up"

    recipient_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("person.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("department.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    details: Mapped[dict[str, object]] = mapped_column(JSONB, default=dict, server_default="{}")
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    note: Mapped[str | None] = mapped_column(String(1000))

    __table_args__ = (
        CheckConstraint("kind IN ('repeated_no_show', 'evaluation_due')", name="kind_known"),
        # One open follow-up of a kind per recipient and department.
        Index(
            "uq_follow_up_open",
            "municipality_id",
            "recipient_id",
            "department_id",
            "kind",
            unique=True,
            postgresql_where=text("resolved_at IS NULL"),
        ),
    )


EVENT_KINDS = ("created", "moved", "cancelled", "outcome", "assigned")


class BookingEvent(MunicipalityMixin, Base):
    """The transactional outbox: what a booking transaction caused, written in that same transaction.

    The worker dispatches unprocessed events (reminders, calendar feeds) and marks them processed; an event
    of a transaction that rolled back never exists, and a committed one waits here until it is handled.
    """

    __tablename__ = "booking_event"

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    booking_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("booking.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # What the change replaced (e.g. the previous start or staff member), so every affected feed is refreshed.
    details: Mapped[dict[str, object]] = mapped_column(JSONB, default=dict, server_default="{}")
    processed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")

    __table_args__ = (
        CheckConstraint(f"kind IN {EVENT_KINDS}", name="kind_known"),
        Index("ix_booking_event_pending", "id", postgresql_where=text("processed_at IS NULL")),
    )


DECISION_EVENT_KINDS = ("created", "changed")


class AllocationEvent(MunicipalityMixin, Base):
    """The decisions' outbox: a decision made or changed, written in the transaction that did it.

    Webhook deliveries are derived from it (and marked `processed_at`) by the worker, so a decision event is
    never lost between the commit and the subscribers, whatever happens to the worker or Redis.
    """

    __tablename__ = "allocation_event"

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    allocation_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("allocation.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    processed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint(f"kind IN {DECISION_EVENT_KINDS}", name="kind_known"),
        Index("ix_allocation_event_pending", "id", postgresql_where=text("processed_at IS NULL")),
    )


SERIES_ACTORS = ("recipient", "proxy", "staff", "admin", "integration")


class BookingSeries(IdMixin, CreatedMixin, MunicipalityMixin, Base):
    """A recurring visit (fast avtale): the same service and length on some weekdays at one local time.

    The worker books each occurrence as its day enters the horizon (`booking.series`); `booked_through` is the
    last local date it has handled, and `revision` is bumped when the pattern changes, so the occurrences of a
    new pattern get new idempotency keys.
    """

    __tablename__ = "booking_series"

    recipient_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("person.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("department.id", ondelete="CASCADE"))
    service_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("service.id", ondelete="CASCADE"))
    minutes: Mapped[int] = mapped_column(SmallInteger)
    weekdays: Mapped[list[int]] = mapped_column(ARRAY(SmallInteger))  # 0 = Monday ... 6 = Sunday
    local_time: Mapped[time] = mapped_column(Time)  # wall-clock time in the department's zone
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    every_weeks: Mapped[int] = mapped_column(SmallInteger, default=1, server_default="1")
    acted_by: Mapped[str] = mapped_column(String(16))
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("person.id", ondelete="SET NULL"))
    revision: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    booked_through: Mapped[date | None] = mapped_column(Date)
    changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint("minutes > 0", name="minutes_positive"),
        CheckConstraint("every_weeks IN (1, 2)", name="every_weeks_known"),
        CheckConstraint("cardinality(weekdays) BETWEEN 1 AND 7 AND weekdays <@ ARRAY[0, 1, 2, 3, 4, 5, 6]::smallint[]",
                        name="weekdays_known"),
        CheckConstraint("valid_until IS NULL OR valid_until >= valid_from", name="valid_period"),
        CheckConstraint(f"acted_by IN {SERIES_ACTORS}", name="acted_by_known"),
        Index("ix_booking_series_active", "department_id", postgresql_where=text("ended_at IS NULL")),
    )  # fmt: skip


class SeriesFailure(MunicipalityMixin, Base):
    """An occurrence of a series the worker could not book: why, and the nearest free times offered instead."""

    __tablename__ = "series_failure"

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    series_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("booking_series.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)  # the occurrence's local date
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str] = mapped_column(String(40))  # the booking refusal's code (slot_full, allocation_used_up, ...)
    nearest: Mapped[list[str]] = mapped_column(JSONB, default=list, server_default="[]")  # RFC 3339 start times
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    notified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        UniqueConstraint("municipality_id", "series_id", "starts_at", name="uq_series_failure_occurrence"),
        Index("ix_series_failure_unsent", "id", postgresql_where=text("notified_at IS NULL")),
    )
