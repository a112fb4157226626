"""Tables of the data-protection domain: what is left of visits once the retention period has passed."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from booking.tables import BOOKING_STATUSES
from core.db import Base


class BookingStatistic(Base):
    """How many visits a department gave of a service in a local month, by status, and their minutes.

    The retention job folds each booking past its period into this row and deletes the booking, so nothing
    here leads back to a person while reports keep their counts.
    """

    __tablename__ = "booking_statistic"

    # Declared here rather than by MunicipalityMixin: it leads the key (DESIGN.md, invariant 8: the shard key).
    municipality_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("municipality.id", ondelete="RESTRICT"), primary_key=True
    )
    department_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("department.id", ondelete="CASCADE"), primary_key=True
    )
    service_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("service.id", ondelete="CASCADE"), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)  # the first day of the department's local month
    status: Mapped[str] = mapped_column(String(16), primary_key=True)
    visits: Mapped[int] = mapped_column(Integer)
    minutes: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        CheckConstraint(f"status IN {BOOKING_STATUSES}", name="status_known"),
        CheckConstraint("visits > 0 AND minutes >= 0", name="counts"),
        CheckConstraint("extract(day FROM month) = 1", name="month_first_day"),
    )
