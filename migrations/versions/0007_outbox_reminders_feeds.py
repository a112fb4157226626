"""The booking outbox, reminders, contact problems, Web Push subscriptions and calendar feeds.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 12:16:17.782607
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "calendar_feed",
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("etag", sa.String(length=64), nullable=True),
        sa.Column("rendered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("municipality_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("kind IN ('recipient', 'proxy', 'staff')", name=op.f("ck_calendar_feed_kind_known")),
        sa.CheckConstraint("language IN ('nb', 'nn', 'en')", name=op.f("ck_calendar_feed_language_known")),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipality.id"],
            name=op.f("fk_calendar_feed_municipality_id_municipality"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_calendar_feed_person_id_person"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_feed")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_calendar_feed_token_hash")),
    )
    op.create_index(op.f("ix_calendar_feed_municipality_id"), "calendar_feed", ["municipality_id"], unique=False)
    op.create_index(op.f("ix_calendar_feed_person_id"), "calendar_feed", ["person_id"], unique=False)
    op.create_table(
        "contact_problem",
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("address", sa.String(length=2048), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("municipality_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("channel IN ('email', 'sms', 'push', 'log')", name=op.f("ck_contact_problem_channel_known")),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipality.id"],
            name=op.f("fk_contact_problem_municipality_id_municipality"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_contact_problem_person_id_person"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_problem")),
        sa.UniqueConstraint("municipality_id", "person_id", "channel", "address", name="uq_contact_problem"),
    )
    op.create_index(op.f("ix_contact_problem_municipality_id"), "contact_problem", ["municipality_id"], unique=False)
    op.create_index(op.f("ix_contact_problem_person_id"), "contact_problem", ["person_id"], unique=False)
    op.create_table(
        "push_subscription",
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("endpoint", sa.String(length=2048), nullable=False),
        sa.Column("p256dh", sa.String(length=200), nullable=False),
        sa.Column("auth", sa.String(length=100), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("municipality_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipality.id"],
            name=op.f("fk_push_subscription_municipality_id_municipality"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_push_subscription_person_id_person"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_push_subscription")),
        sa.UniqueConstraint("municipality_id", "endpoint", name="uq_push_subscription_endpoint"),
    )
    op.create_index(
        op.f("ix_push_subscription_municipality_id"), "push_subscription", ["municipality_id"], unique=False
    )
    op.create_index(op.f("ix_push_subscription_person_id"), "push_subscription", ["person_id"], unique=False)
    op.create_table(
        "booking_event",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("booking_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("details", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column("municipality_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('created', 'moved', 'cancelled', 'outcome', 'assigned')", name=op.f("ck_booking_event_kind_known")
        ),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["booking.id"], name=op.f("fk_booking_event_booking_id_booking"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipality.id"],
            name=op.f("fk_booking_event_municipality_id_municipality"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking_event")),
    )
    op.create_index(op.f("ix_booking_event_booking_id"), "booking_event", ["booking_id"], unique=False)
    op.create_index(op.f("ix_booking_event_municipality_id"), "booking_event", ["municipality_id"], unique=False)
    op.create_index(
        "ix_booking_event_pending",
        "booking_event",
        ["id"],
        unique=False,
        postgresql_where=sa.text("processed_at IS NULL"),
    )
    op.create_table(
        "reminder",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("booking_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("lead_minutes", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="scheduled", nullable=False),
        sa.Column("attempts", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("municipality_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("channel IN ('email', 'sms', 'push', 'log')", name=op.f("ck_reminder_channel_known")),
        sa.CheckConstraint(
            "status IN ('scheduled', 'sending', 'sent', 'skipped', 'dead')", name=op.f("ck_reminder_status_known")
        ),
        sa.CheckConstraint("lead_minutes > 0", name=op.f("ck_reminder_lead_positive")),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["booking.id"], name=op.f("fk_reminder_booking_id_booking"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipality.id"],
            name=op.f("fk_reminder_municipality_id_municipality"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_reminder_person_id_person"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder")),
        sa.UniqueConstraint(
            "municipality_id", "booking_id", "person_id", "lead_minutes", "starts_at", name="uq_reminder_once"
        ),
    )
    op.create_index(op.f("ix_reminder_booking_id"), "reminder", ["booking_id"], unique=False)
    op.create_index(op.f("ix_reminder_municipality_id"), "reminder", ["municipality_id"], unique=False)
    op.create_index(op.f("ix_reminder_person_id"), "reminder", ["person_id"], unique=False)
    op.create_index(
        "ix_reminder_scheduled",
        "reminder",
        ["next_attempt_at"],
        unique=False,
        postgresql_where=sa.text("status = 'scheduled'"),
    )
    op.add_column("booking", sa.Column("sequence", sa.Integer(), server_default="0", nullable=False))
    op.add_column("person", sa.Column("reminder_channel", sa.String(length=8), nullable=True))
    op.create_check_constraint(
        op.f("ck_person_reminder_channel_known"), "person", "reminder_channel IN ('email', 'sms', 'push', 'none')"
    )
    op.add_column("proxy_link", sa.Column("reminders", sa.Boolean(), server_default="false", nullable=False))


def downgrade() -> None:
    op.drop_column("proxy_link", "reminders")
    op.drop_constraint(op.f("ck_person_reminder_channel_known"), "person", type_="check")
    op.drop_column("person", "reminder_channel")
    op.drop_column("booking", "sequence")
    op.drop_index("ix_reminder_scheduled", table_name="reminder", postgresql_where=sa.text("status = 'scheduled'"))
    op.drop_index(op.f("ix_reminder_person_id"), table_name="reminder")
    op.drop_index(op.f("ix_reminder_municipality_id"), table_name="reminder")
    op.drop_index(op.f("ix_reminder_booking_id"), table_name="reminder")
    op.drop_table("reminder")
    op.drop_index(
        "ix_booking_event_pending", table_name="booking_event", postgresql_where=sa.text("processed_at IS NULL")
    )
    op.drop_index(op.f("ix_booking_event_municipality_id"), table_name="booking_event")
    op.drop_index(op.f("ix_booking_event_booking_id"), table_name="booking_event")
    op.drop_table("booking_event")
    op.drop_index(op.f("ix_push_subscription_person_id"), table_name="push_subscription")
    op.drop_index(op.f("ix_push_subscription_municipality_id"), table_name="push_subscription")
    op.drop_table("push_subscription")
    op.drop_index(op.f("ix_contact_problem_person_id"), table_name="contact_problem")
    op.drop_index(op.f("ix_contact_problem_municipality_id"), table_name="contact_problem")
    op.drop_table("contact_problem")
    op.drop_index(op.f("ix_calendar_feed_person_id"), table_name="calendar_feed")
    op.drop_index(op.f("ix_calendar_feed_municipality_id"), table_name="calendar_feed")
    op.drop_table("calendar_feed")
