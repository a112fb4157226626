"""Tables of the booking domain: allocations (vedtak)."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from core.columns import CreatedMixin, IdMixin, MunicipalityMixin
from core.db import Base

PERIODS = ("week", "month", "four_weeks")
ALLOCATION_KINDS = ("ordinary", "trial")


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

    __table_args__ = (
        UniqueConstraint("municipality_id", "external_ref", name="uq_allocation_external_ref"),
        CheckConstraint("minutes > 0", name="minutes_positive"),
        CheckConstraint("period IN ('week', 'month', 'four_weeks')", name="period_known"),
        CheckConstraint("(period = 'four_weeks') = (period_anchor IS NOT NULL)", name="anchor_for_four_weeks"),
        CheckConstraint("kind IN ('ordinary', 'trial')", name="kind_known"),
        CheckConstraint("(kind = 'trial') = (evaluation_date IS NOT NULL)", name="trial_evaluated"),
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="valid_period"),
    )
