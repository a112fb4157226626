"""Tables of notifications: planned reminders, contact problems, Web Push subscriptions, calendar feeds."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.columns import CreatedMixin, IdMixin, MunicipalityMixin
from core.db import Base

CHANNELS = ("email", "sms", "push", "log")
# scheduled: waits for its time; sending: claimed, the send is under way (never retried blindly: it may
# have gone out); sent; skipped: no longer wanted (moved, cancelled, too late, nobody to reach); dead: gave up.
REMINDER_STATUSES = ("scheduled", "sending", "sent", "skipped", "dead")
# What the SMS gateway's delivery receipt said of a sent SMS (the first final receipt counts).
RECEIPTS = ("delivered", "failed")
# The e-mail that stands in for a failed SMS: due (the SMS failed), sending (claimed: never sent again), sent,
# failed (the e-mail could not go either), unwanted (no e-mail address, or e-mail not allowed: nothing to send).
FALLBACKS = ("due", "sending", "sent", "failed", "unwanted")


class Reminder(MunicipalityMixin, Base):
    """One reminder of one booking to one person, `lead_minutes` before the start it was planned for.

    The row is the delivery record: it is unique per booking, person, lead and start, and it is claimed
    (status `sending`, committed) before the message is handed to the channel, so a job that runs twice
    cannot send twice. A moved booking gets new rows for its new start; the old ones are skipped.
    """

    __tablename__ = "reminder"

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    booking_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("booking.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("person.id", ondelete="CASCADE"), index=True)
    lead_minutes: Mapped[int] = mapped_column(Integer)
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # the booking's start when planned
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    channel: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16), default="scheduled", server_default="scheduled")
    attempts: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(String(500))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=text("now()"))
    changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    receipt: Mapped[str | None] = mapped_column(String(16))  # an SMS's delivery receipt: delivered or failed
    receipt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    fallback: Mapped[str | None] = mapped_column(String(16))  # the e-mail in place of a failed SMS, at most once

    __table_args__ = (
        UniqueConstraint(
            "municipality_id", "booking_id", "person_id", "lead_minutes", "starts_at", name="uq_reminder_once"
        ),
        CheckConstraint(f"status IN {REMINDER_STATUSES}", name="status_known"),
        CheckConstraint(f"receipt IN {RECEIPTS}", name="receipt_known"),
        CheckConstraint(f"fallback IN {FALLBACKS}", name="fallback_known"),
        Index("ix_reminder_fallback_due", "id", postgresql_where=text("fallback = 'due'")),
        CheckConstraint(f"channel IN {CHANNELS}", name="channel_known"),
        CheckConstraint("lead_minutes > 0", name="lead_positive"),
        Index("ix_reminder_scheduled", "next_attempt_at", postgresql_where=text("status = 'scheduled'")),
    )


class ContactProblem(IdMixin, CreatedMixin, MunicipalityMixin, Base):
    """An address or number that a channel refused for good: recorded against the person, not retried."""

    __tablename__ = "contact_problem"

    person_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("person.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(8))
    address: Mapped[str] = mapped_column(String(2048))
    reason: Mapped[str] = mapped_column(String(500))

    __table_args__ = (
        UniqueConstraint("municipality_id", "person_id", "channel", "address", name="uq_contact_problem"),
        CheckConstraint(f"channel IN {CHANNELS}", name="channel_known"),
    )


class PushSubscription(IdMixin, CreatedMixin, MunicipalityMixin, Base):
    """A browser's Web Push subscription for the installed app (the endpoint and its keys)."""

    __tablename__ = "push_subscription"

    person_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("person.id", ondelete="CASCADE"), index=True)
    endpoint: Mapped[str] = mapped_column(String(2048))
    p256dh: Mapped[str] = mapped_column(String(200))
    auth: Mapped[str] = mapped_column(String(100))

    __table_args__ = (UniqueConstraint("municipality_id", "endpoint", name="uq_push_subscription_endpoint"),)


FEED_KINDS = ("recipient", "proxy", "staff")


class CalendarFeed(IdMixin, CreatedMixin, MunicipalityMixin, Base):
    """A secret iCal URL: its token is stored hashed; the worker keeps the rendered body and ETag current."""

    __tablename__ = "calendar_feed"

    person_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("person.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256 of the secret
    prefix: Mapped[str] = mapped_column(String(16))  # shown in lists, to tell feeds apart
    language: Mapped[str] = mapped_column(String(2))
    body: Mapped[str | None] = mapped_column(Text)
    etag: Mapped[str | None] = mapped_column(String(64))
    rendered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint(f"kind IN {FEED_KINDS}", name="kind_known"),
        CheckConstraint("language IN ('nb', 'nn', 'en')", name="language_known"),
    )
