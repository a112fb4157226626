"""Tables of the seeds' views around the decision: visit feedback ("Min stemme teller"), benefit baselines."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.columns import IdMixin, MunicipalityMixin
from core.db import Base

FEEDBACK_ANSWERS = ("yes", "mixed", "no")  # Ja / Både ja og nei / Nei


class VisitFeedback(IdMixin, MunicipalityMixin, Base):
    """One answer to "Var du fornøyd med besøket?" about one delivered visit, at most one per visit.

    The individual answer is seen by the recipient and their coordinator only; departments see
    monthly aggregates of at least five answers.
    """

    __tablename__ = "visit_feedback"

    booking_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("booking.id", ondelete="CASCADE"))
    recipient_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("person.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("department.id", ondelete="CASCADE"))
    answer: Mapped[str] = mapped_column(String(8))
    comment: Mapped[str | None] = mapped_column(String(1000))
    answered_by_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("person.id", ondelete="CASCADE"))
    # True when a proxy answered because the recipient could not (the seed: the person's own voice first).
    by_proxy: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    answered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))

    __table_args__ = (
        UniqueConstraint("municipality_id", "booking_id", name="uq_visit_feedback_booking"),
        CheckConstraint(f"answer IN {FEEDBACK_ANSWERS}", name="answer_known"),
    )


class BenefitBaseline(MunicipalityMixin, Base):
    """A department's figures from before self-booking, entered by an administrator with their source.

    The benefits page compares the months from `self_booking_from` on with these (gevinstrealisering).
    `visits_per_month` and `minutes_per_month` are a month's visits due and minutes delivered before.
    """

    __tablename__ = "benefit_baseline"

    department_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("department.id", ondelete="CASCADE"), primary_key=True
    )
    self_booking_from: Mapped[date] = mapped_column(Date)
    no_show_percent: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    visits_per_month: Mapped[int] = mapped_column(Integer)
    minutes_per_month: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(1000))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))
    updated_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)  # a person, or none for an API token

    __table_args__ = (
        CheckConstraint("no_show_percent BETWEEN 0 AND 100", name="no_show_percent_range"),
        CheckConstraint("visits_per_month >= 0 AND minutes_per_month >= 0", name="figures_not_negative"),
    )
