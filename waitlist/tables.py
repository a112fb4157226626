"""Tables of the waitlist: entries (who waits for what) and offers (a freed time held for one of them)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    SmallInteger,
    String,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from core.columns import CreatedMixin, IdMixin, MunicipalityMixin
from core.db import Base

# waiting: in line; booked: took an offer; withdrawn: asked to leave the line; ended: its last date passed.
ENTRY_STATUSES = ("waiting", "booked", "withdrawn", "ended")
# held: the time is taken in the capacity ledger for this entry until `expires_at`; booked: confirmed;
# declined, lapsed (not answered in time) and released (the entry left the line): the hold was given back.
OFFER_STATUSES = ("held", "booked", "declined", "lapsed", "released")
# The offer's message, sent as reminders are: scheduled, sending (claimed), sent, skipped, dead.
NOTICE_STATUSES = ("scheduled", "sending", "sent", "skipped", "dead")
# A freed time waits to be offered (pending), is held by someone (offered), or is no one's to hand on (done).
FREED_STATUSES = ("pending", "offered", "done")


class WaitlistEntry(IdMixin, CreatedMixin, MunicipalityMixin, Base):
    """A recipient waits for `minutes` of a service between two local dates, perhaps only some weekdays or hours.

    The line is kept by `created_at` (then id): the first to ask is the first offered a matching freed time.
    """

    __tablename__ = "waitlist_entry"

    recipient_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("person.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("department.id", ondelete="CASCADE"))
    service_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("service.id", ondelete="CASCADE"))
    minutes: Mapped[int] = mapped_column(SmallInteger)
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    weekdays: Mapped[list[int] | None] = mapped_column(ARRAY(SmallInteger))  # 0 = Monday; None: every day
    from_minute: Mapped[int | None] = mapped_column(SmallInteger)  # local minute of the day; None: from opening
    to_minute: Mapped[int | None] = mapped_column(SmallInteger)  # the visit ends by then; None: until closing
    status: Mapped[str] = mapped_column(String(16), default="waiting", server_default="waiting")
    acted_by: Mapped[str] = mapped_column(String(16))
    actor_person_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("person.id", ondelete="SET NULL"))
    changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint(f"status IN {ENTRY_STATUSES}", name="status_known"),
        CheckConstraint("last_day >= first_day", name="days_in_order"),
        CheckConstraint("minutes > 0", name="minutes_positive"),
        CheckConstraint("from_minute IS NULL OR to_minute IS NULL OR from_minute < to_minute", name="hours_in_order"),
        Index("ix_waitlist_entry_line", "department_id", "created_at", postgresql_where=text("status = 'waiting'")),
    )


class WaitlistFreed(MunicipalityMixin, Base):
    """A time a cancellation or move freed (one per outbox event), to be offered down the line."""

    __tablename__ = "waitlist_freed"

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    event_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("booking_event.id", ondelete="CASCADE"))
    department_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("department.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16), default="pending", server_default="pending")
    attempts: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        UniqueConstraint("municipality_id", "event_id", name="uq_waitlist_freed_event"),
        CheckConstraint(f"status IN {FREED_STATUSES}", name="status_known"),
        Index("ix_waitlist_freed_pending", "id", postgresql_where=text("status = 'pending'")),
    )


class WaitlistOffer(IdMixin, MunicipalityMixin, Base):
    """A freed time held for one entry: its staff units count in the capacity cells while `held`.

    An entry is offered a start once, and holds at most one offer at a time.
    """

    __tablename__ = "waitlist_offer"

    entry_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("waitlist_entry.id", ondelete="CASCADE"))
    freed_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("waitlist_freed.id", ondelete="CASCADE"), index=True)
    recipient_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("person.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("department.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    span_start: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    span_end: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    staff_units: Mapped[int] = mapped_column(SmallInteger)
    status: Mapped[str] = mapped_column(String(16), default="held", server_default="held")
    offered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    booking_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("booking.id", ondelete="SET NULL"))
    notice_status: Mapped[str] = mapped_column(String(16), default="scheduled", server_default="scheduled")
    notice_attempts: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    notice_next_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    notice_error: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (
        UniqueConstraint("municipality_id", "entry_id", "starts_at", name="uq_waitlist_offer_once"),
        CheckConstraint(f"status IN {OFFER_STATUSES}", name="status_known"),
        CheckConstraint(f"notice_status IN {NOTICE_STATUSES}", name="notice_status_known"),
        CheckConstraint("staff_units > 0", name="units_positive"),
        Index("uq_waitlist_offer_held", "entry_id", unique=True, postgresql_where=text("status = 'held'")),
        Index("ix_waitlist_offer_expiry", "expires_at", postgresql_where=text("status = 'held'")),
        Index("ix_waitlist_offer_notice", "notice_next_at", postgresql_where=text("notice_status = 'scheduled'")),
    )
