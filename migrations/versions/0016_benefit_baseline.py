"""Benefit realisation: a department's baseline figures from before self-booking.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04

The benefits page (issue 22) compares each department's months since it started self-booking with the
no-show rate, visits and minutes an administrator recorded from before, with their source.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "benefit_baseline",
        sa.Column("department_id", sa.Uuid(), nullable=False),
        sa.Column("self_booking_from", sa.Date(), nullable=False),
        sa.Column("no_show_percent", sa.Numeric(5, 2), nullable=False),
        sa.Column("visits_per_month", sa.Integer(), nullable=False),
        sa.Column("minutes_per_month", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=1000), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_by_id", sa.Uuid(), nullable=True),
        sa.Column("municipality_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "no_show_percent BETWEEN 0 AND 100", name=op.f("ck_benefit_baseline_no_show_percent_range")
        ),
        sa.CheckConstraint(
            "visits_per_month >= 0 AND minutes_per_month >= 0", name=op.f("ck_benefit_baseline_figures_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["department_id"], ["department.id"], name=op.f("fk_benefit_baseline_department_id_department"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["municipality_id"], ["municipality.id"], name=op.f("fk_benefit_baseline_municipality_id_municipality"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("department_id", name=op.f("pk_benefit_baseline")),
    )  # fmt: skip
    op.create_index(op.f("ix_benefit_baseline_municipality_id"), "benefit_baseline", ["municipality_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_benefit_baseline_municipality_id"), table_name="benefit_baseline")
    op.drop_table("benefit_baseline")
