"""Retention: per-municipality periods, visit statistics that outlive the visits, audit entries of jobs.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04

The retention job (privacy/retention.py) deletes what is past the municipality's period; a deleted visit is
first counted in `booking_statistic`. The job is no person and no token, so an audit entry may now name a
system actor (`actor_system`), and carry what the job counted (`details`). The entries stay append-only.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PERIODS = (("retention_booking_months", "36"), ("retention_feedback_months", "24"), ("retention_push_months", "12"))
_CHECKS = (
    ("retention_booking_months_range", "retention_booking_months BETWEEN 12 AND 120"),
    ("retention_feedback_months_range", "retention_feedback_months BETWEEN 1 AND retention_booking_months"),
    ("retention_push_months_range", "retention_push_months BETWEEN 1 AND 120"),
)


def upgrade() -> None:
    for name, default in _PERIODS:
        op.add_column("municipality", sa.Column(name, sa.SmallInteger(), server_default=default, nullable=False))
    for name, condition in _CHECKS:
        op.create_check_constraint(op.f(f"ck_municipality_{name}"), "municipality", condition)
    op.add_column("audit_entry", sa.Column("actor_system", sa.String(32), nullable=True))
    op.add_column("audit_entry", sa.Column("details", postgresql.JSONB(), nullable=True))
    op.drop_constraint(op.f("ck_audit_entry_has_actor"), "audit_entry", type_="check")
    op.create_check_constraint(
        op.f("ck_audit_entry_has_actor"),
        "audit_entry",
        "num_nonnulls(actor_person_id, actor_token_id, actor_system) >= 1",
    )
    op.create_check_constraint(
        op.f("ck_audit_entry_actor_system_known"),
        "audit_entry",
        "actor_system IS NULL OR actor_system IN ('retention')",
    )
    op.create_table(
        "booking_statistic",
        sa.Column("municipality_id", sa.Uuid(), nullable=False),
        sa.Column("department_id", sa.Uuid(), nullable=False),
        sa.Column("service_id", sa.Uuid(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("visits", sa.Integer(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "status IN ('booked', 'cancelled', 'late_cancelled', 'delivered', 'no_show')",
            name=op.f("ck_booking_statistic_status_known"),
        ),
        sa.CheckConstraint("visits > 0 AND minutes >= 0", name=op.f("ck_booking_statistic_counts")),
        sa.CheckConstraint("extract(day FROM month) = 1", name=op.f("ck_booking_statistic_month_first_day")),
        sa.ForeignKeyConstraint(
            ["municipality_id"], ["municipality.id"], name=op.f("fk_booking_statistic_municipality_id_municipality"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["department_id"], ["department.id"], name=op.f("fk_booking_statistic_department_id_department"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["service_id"], ["service.id"], name=op.f("fk_booking_statistic_service_id_service"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint(
            "municipality_id", "department_id", "service_id", "month", "status", name=op.f("pk_booking_statistic")
        ),
    )  # fmt: skip


def downgrade() -> None:
    op.drop_table("booking_statistic")
    op.drop_constraint(op.f("ck_audit_entry_actor_system_known"), "audit_entry", type_="check")
    op.drop_constraint(op.f("ck_audit_entry_has_actor"), "audit_entry", type_="check")
    # Entries of jobs have neither a person nor a token and cannot be deleted: the old check holds for new rows.
    op.execute(
        "ALTER TABLE audit_entry ADD CONSTRAINT ck_audit_entry_has_actor"
        " CHECK (num_nonnulls(actor_person_id, actor_token_id) >= 1) NOT VALID"
    )
    op.drop_column("audit_entry", "details")
    op.drop_column("audit_entry", "actor_system")
    for name, _ in reversed(_CHECKS):
        op.drop_constraint(op.f(f"ck_municipality_{name}"), "municipality", type_="check")
    for name, _ in reversed(_PERIODS):
        op.drop_column("municipality", name)
