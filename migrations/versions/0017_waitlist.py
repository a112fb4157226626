"""The waitlist (venteliste): entries in line, the times cancellations and moves freed, and held offers.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04

A held offer takes its staff units in the capacity cells (see waitlist/holds.py); the department sets how long
a hold lasts (`waitlist_hold_minutes`, default 30).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "waitlist_entry",
        sa.Column("recipient_id", sa.Uuid(), nullable=False),
        sa.Column("department_id", sa.Uuid(), nullable=False),
        sa.Column("service_id", sa.Uuid(), nullable=False),
        sa.Column("minutes", sa.SmallInteger(), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("weekdays", postgresql.ARRAY(sa.SmallInteger()), nullable=True),
        sa.Column("from_minute", sa.SmallInteger(), nullable=True),
        sa.Column("to_minute", sa.SmallInteger(), nullable=True),
        sa.Column("status", sa.String(length=16), server_default="waiting", nullable=False),
        sa.Column("acted_by", sa.String(length=16), nullable=False),
        sa.Column("actor_person_id", sa.Uuid(), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("municipality_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "status IN ('waiting', 'booked', 'withdrawn', 'ended')", name=op.f("ck_waitlist_entry_status_known")
        ),
        sa.CheckConstraint(
            "from_minute IS NULL OR to_minute IS NULL OR from_minute < to_minute",
            name=op.f("ck_waitlist_entry_hours_in_order"),
        ),
        sa.CheckConstraint("last_day >= first_day", name=op.f("ck_waitlist_entry_days_in_order")),
        sa.CheckConstraint("minutes > 0", name=op.f("ck_waitlist_entry_minutes_positive")),
        sa.ForeignKeyConstraint(
            ["actor_person_id"],
            ["person.id"],
            name=op.f("fk_waitlist_entry_actor_person_id_person"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["department.id"],
            name=op.f("fk_waitlist_entry_department_id_department"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipality.id"],
            name=op.f("fk_waitlist_entry_municipality_id_municipality"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"], ["person.id"], name=op.f("fk_waitlist_entry_recipient_id_person"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["service_id"], ["service.id"], name=op.f("fk_waitlist_entry_service_id_service"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waitlist_entry")),
    )
    op.create_index(
        "ix_waitlist_entry_line",
        "waitlist_entry",
        ["department_id", "created_at"],
        unique=False,
        postgresql_where=sa.text("status = 'waiting'"),
    )
    op.create_index(op.f("ix_waitlist_entry_municipality_id"), "waitlist_entry", ["municipality_id"], unique=False)
    op.create_index(op.f("ix_waitlist_entry_recipient_id"), "waitlist_entry", ["recipient_id"], unique=False)
    op.create_table(
        "waitlist_freed",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("event_id", sa.BigInteger(), nullable=False),
        sa.Column("department_id", sa.Uuid(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("attempts", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("municipality_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("status IN ('pending', 'offered', 'done')", name=op.f("ck_waitlist_freed_status_known")),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["department.id"],
            name=op.f("fk_waitlist_freed_department_id_department"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["booking_event.id"],
            name=op.f("fk_waitlist_freed_event_id_booking_event"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipality.id"],
            name=op.f("fk_waitlist_freed_municipality_id_municipality"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waitlist_freed")),
        sa.UniqueConstraint("municipality_id", "event_id", name="uq_waitlist_freed_event"),
    )
    op.create_index(op.f("ix_waitlist_freed_municipality_id"), "waitlist_freed", ["municipality_id"], unique=False)
    op.create_index(
        "ix_waitlist_freed_pending",
        "waitlist_freed",
        ["id"],
        unique=False,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_table(
        "waitlist_offer",
        sa.Column("entry_id", sa.Uuid(), nullable=False),
        sa.Column("freed_id", sa.BigInteger(), nullable=False),
        sa.Column("recipient_id", sa.Uuid(), nullable=False),
        sa.Column("department_id", sa.Uuid(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("span_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("span_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("staff_units", sa.SmallInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="held", nullable=False),
        sa.Column("offered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("booking_id", sa.Uuid(), nullable=True),
        sa.Column("notice_status", sa.String(length=16), server_default="scheduled", nullable=False),
        sa.Column("notice_attempts", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column("notice_next_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("notice_error", sa.String(length=500), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("municipality_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "notice_status IN ('scheduled', 'sending', 'sent', 'skipped', 'dead')",
            name=op.f("ck_waitlist_offer_notice_status_known"),
        ),
        sa.CheckConstraint(
            "status IN ('held', 'booked', 'declined', 'lapsed', 'released')",
            name=op.f("ck_waitlist_offer_status_known"),
        ),
        sa.CheckConstraint("staff_units > 0", name=op.f("ck_waitlist_offer_units_positive")),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["booking.id"], name=op.f("fk_waitlist_offer_booking_id_booking"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["department.id"],
            name=op.f("fk_waitlist_offer_department_id_department"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["waitlist_entry.id"],
            name=op.f("fk_waitlist_offer_entry_id_waitlist_entry"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["freed_id"],
            ["waitlist_freed.id"],
            name=op.f("fk_waitlist_offer_freed_id_waitlist_freed"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipality.id"],
            name=op.f("fk_waitlist_offer_municipality_id_municipality"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"], ["person.id"], name=op.f("fk_waitlist_offer_recipient_id_person"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waitlist_offer")),
        sa.UniqueConstraint("municipality_id", "entry_id", "starts_at", name="uq_waitlist_offer_once"),
    )
    op.create_index(
        "ix_waitlist_offer_expiry",
        "waitlist_offer",
        ["expires_at"],
        unique=False,
        postgresql_where=sa.text("status = 'held'"),
    )
    op.create_index(op.f("ix_waitlist_offer_freed_id"), "waitlist_offer", ["freed_id"], unique=False)
    op.create_index(op.f("ix_waitlist_offer_municipality_id"), "waitlist_offer", ["municipality_id"], unique=False)
    op.create_index(
        "ix_waitlist_offer_notice",
        "waitlist_offer",
        ["notice_next_at"],
        unique=False,
        postgresql_where=sa.text("notice_status = 'scheduled'"),
    )
    op.create_index(op.f("ix_waitlist_offer_recipient_id"), "waitlist_offer", ["recipient_id"], unique=False)
    op.create_index(
        "uq_waitlist_offer_held",
        "waitlist_offer",
        ["entry_id"],
        unique=True,
        postgresql_where=sa.text("status = 'held'"),
    )
    op.add_column(
        "department", sa.Column("waitlist_hold_minutes", sa.SmallInteger(), server_default="30", nullable=False)
    )
    op.create_check_constraint(
        op.f("ck_department_waitlist_hold_range"), "department", "waitlist_hold_minutes BETWEEN 5 AND 1440"
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_department_waitlist_hold_range"), "department", type_="check")
    op.drop_column("department", "waitlist_hold_minutes")
    op.drop_index("uq_waitlist_offer_held", table_name="waitlist_offer", postgresql_where=sa.text("status = 'held'"))
    op.drop_index(op.f("ix_waitlist_offer_recipient_id"), table_name="waitlist_offer")
    op.drop_index(
        "ix_waitlist_offer_notice", table_name="waitlist_offer", postgresql_where=sa.text("notice_status = 'scheduled'")
    )
    op.drop_index(op.f("ix_waitlist_offer_municipality_id"), table_name="waitlist_offer")
    op.drop_index(op.f("ix_waitlist_offer_freed_id"), table_name="waitlist_offer")
    op.drop_index("ix_waitlist_offer_expiry", table_name="waitlist_offer", postgresql_where=sa.text("status = 'held'"))
    op.drop_table("waitlist_offer")
    op.drop_index(
        "ix_waitlist_freed_pending", table_name="waitlist_freed", postgresql_where=sa.text("status = 'pending'")
    )
    op.drop_index(op.f("ix_waitlist_freed_municipality_id"), table_name="waitlist_freed")
    op.drop_table("waitlist_freed")
    op.drop_index(op.f("ix_waitlist_entry_recipient_id"), table_name="waitlist_entry")
    op.drop_index(op.f("ix_waitlist_entry_municipality_id"), table_name="waitlist_entry")
    op.drop_index("ix_waitlist_entry_line", table_name="waitlist_entry", postgresql_where=sa.text("status = 'waiting'"))
    op.drop_table("waitlist_entry")
