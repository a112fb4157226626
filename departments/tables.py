"""Tables of departments: settings, weekly opening rules, dated exceptions, the service catalogue."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Integer,
    SmallInteger,
    String,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from core.columns import CreatedMixin, IdMixin, MunicipalityMixin
from core.db import Base

GRID_MINUTES = (5, 10, 15, 30, 60)
MINUTES_PER_DAY = 1440
# A window is [start_minute, end_minute) of local wall-clock time; 1440 is midnight at the day's end.
_WINDOW_CHECKS = (
    "start_minute >= 0 AND start_minute < end_minute AND end_minute <= 1440",
    "staff BETWEEN 1 AND 50",
)


class Department(IdMixin, CreatedMixin, MunicipalityMixin, Base):
    """A department (avdeling) and the booking policy its administrator sets."""

    __tablename__ = "department"

    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Oslo", server_default="Europe/Oslo")
    grid_minutes: Mapped[int] = mapped_column(SmallInteger, default=15, server_default="15")
    horizon_days: Mapped[int] = mapped_column(SmallInteger, default=14, server_default="14")
    notice_hours: Mapped[int] = mapped_column(SmallInteger, default=2, server_default="2")
    cancel_deadline_hours: Mapped[int] = mapped_column(SmallInteger, default=24, server_default="24")
    no_show_uses_allocation: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    late_cancel_uses_allocation: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    # Repeated no-shows (this many within this many weeks) raise a follow-up for the coordinator.
    no_show_follow_up_count: Mapped[int] = mapped_column(SmallInteger, default=2, server_default="2")
    no_show_follow_up_weeks: Mapped[int] = mapped_column(SmallInteger, default=4, server_default="4")
    reminder_lead_minutes: Mapped[list[int]] = mapped_column(
        ARRAY(Integer), default=lambda: [1440, 120], server_default="{1440,120}"
    )
    phone: Mapped[str | None] = mapped_column(String(32))
    address: Mapped[str | None] = mapped_column(String(500))
    # Staff calendar feeds show the recipient's initials and the service only (a phone's lock screen shows
    # them); true shows the full name and a home visit's address.
    staff_feed_details: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    # How long a freed time is held for the first on the waitlist before it passes to the next.
    waitlist_hold_minutes: Mapped[int] = mapped_column(SmallInteger, default=30, server_default="30")
    # Recurring visits (faste avtaler): allowed at all, and the share of each cell's capacity they may hold.
    series_allowed: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    series_share_percent: Mapped[int] = mapped_column(SmallInteger, default=50, server_default="50")

    __table_args__ = (
        CheckConstraint(f"grid_minutes IN {GRID_MINUTES}", name="grid_known"),
        CheckConstraint("horizon_days BETWEEN 1 AND 60", name="horizon_range"),
        CheckConstraint("notice_hours BETWEEN 0 AND 168", name="notice_range"),
        CheckConstraint("cancel_deadline_hours BETWEEN 0 AND 168", name="cancel_deadline_range"),
        CheckConstraint("waitlist_hold_minutes BETWEEN 5 AND 1440", name="waitlist_hold_range"),
        CheckConstraint("series_share_percent BETWEEN 0 AND 100", name="series_share_range"),
    )


class OpeningRule(IdMixin, MunicipalityMixin, Base):
    """Weekly opening hours: on `weekday` (0 = Monday), `staff` units on duty in a local window."""

    __tablename__ = "opening_rule"

    department_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("department.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int] = mapped_column(SmallInteger)
    start_minute: Mapped[int] = mapped_column(SmallInteger)
    end_minute: Mapped[int] = mapped_column(SmallInteger)
    staff: Mapped[int] = mapped_column(SmallInteger)
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)

    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        CheckConstraint(_WINDOW_CHECKS[0], name="window"),
        CheckConstraint(_WINDOW_CHECKS[1], name="staff_range"),
        CheckConstraint("valid_to IS NULL OR valid_from IS NULL OR valid_to >= valid_from", name="valid_period"),
    )


class OpeningException(IdMixin, MunicipalityMixin, Base):
    """A dated exception: closed all day, or `windows` replacing the weekly rules (also opens a holiday)."""

    __tablename__ = "opening_exception"

    department_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("department.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date)
    closed: Mapped[bool] = mapped_column(Boolean)
    # [{"start_minute": 480, "end_minute": 720, "staff": 2}, ...]; empty when closed.
    windows: Mapped[list[dict[str, int]]] = mapped_column(JSONB, default=list, server_default="[]")
    note: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (
        CheckConstraint("closed = (jsonb_array_length(windows) = 0)", name="closed_or_windows"),
        UniqueConstraint("municipality_id", "department_id", "day", name="uq_opening_exception_day"),
    )


SERVICE_CATEGORIES = ("ordinary", "respite", "bpa")


class Service(IdMixin, CreatedMixin, MunicipalityMixin, Base):
    """A service (tjeneste) in a department's catalogue, described in plain language in nb, nn and en."""

    __tablename__ = "service"

    department_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("department.id", ondelete="CASCADE"), index=True)
    name: Mapped[dict[str, str]] = mapped_column(JSONB)  # {"nb": ..., "nn": ..., "en": ...}
    description: Mapped[dict[str, str]] = mapped_column(JSONB)  # the tjenestebeskrivelse
    durations: Mapped[list[int]] = mapped_column(ARRAY(Integer))  # allowed visit lengths, minutes
    staff_units: Mapped[int] = mapped_column(SmallInteger, default=1, server_default="1")
    buffer_before: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    buffer_after: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    home_visit: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    # What kind of help it is, for the coordinating committee's thresholds: ordinary, respite (avlastning), BPA.
    category: Mapped[str] = mapped_column(String(16), default="ordinary", server_default="ordinary")

    __table_args__ = (
        CheckConstraint("staff_units IN (1, 2)", name="staff_units_known"),
        CheckConstraint(f"category IN {SERVICE_CATEGORIES}", name="category_known"),
        CheckConstraint("cardinality(durations) > 0 AND 0 < ALL(durations)", name="durations_positive"),
        CheckConstraint("buffer_before BETWEEN 0 AND 240 AND buffer_after BETWEEN 0 AND 240", name="buffers_range"),
        CheckConstraint("name ? 'nb'", name="name_in_bokmal"),
    )


def service_text(texts: dict[str, Any], language: str) -> str:
    """A service text in `language`, falling back to bokmål."""
    return str(texts.get(language) or texts.get("nb") or "")


class HolidayOpening(IdMixin, MunicipalityMixin, Base):
    """A public holiday on which the department opts in to its ordinary weekly hours.

    Holidays are closed unless listed here; an exception on the same day still decides first.
    """

    __tablename__ = "holiday_opening"

    department_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("department.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date)

    __table_args__ = (UniqueConstraint("municipality_id", "department_id", "day", name="uq_holiday_opening_day"),)


class CapacityCell(MunicipalityMixin, Base):
    """The capacity ledger: staff units on duty and in use in one grid cell of one department.

    Kept for today through the horizon's last day. A booking locks the cells it covers and raises
    `used`; the CHECK is the last guard that capacity is never exceeded (DESIGN.md, invariant 1).
    """

    __tablename__ = "capacity_cell"

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    department_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("department.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    local_date: Mapped[date] = mapped_column(Date)
    capacity: Mapped[int] = mapped_column(SmallInteger)
    used: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")

    __table_args__ = (
        UniqueConstraint("municipality_id", "department_id", "starts_at", name="uq_capacity_cell_start"),
        CheckConstraint("used >= 0 AND used <= capacity", name="used_within_capacity"),
        CheckConstraint("capacity BETWEEN 0 AND 100", name="capacity_range"),
        CheckConstraint("ends_at > starts_at", name="cell_forward"),
    )
