"""No-show follow-up: a policy per department and follow-up items for coordinators.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "department", sa.Column("no_show_follow_up_count", sa.SmallInteger(), server_default="2", nullable=False)
    )
    op.add_column(
        "department", sa.Column("no_show_follow_up_weeks", sa.SmallInteger(), server_default="4", nullable=False)
    )
    op.create_table(
        "follow_up",
        sa.Column("recipient_id", sa.Uuid(), nullable=False),
        sa.Column("department_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("details", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by_id", sa.Uuid(), nullable=True),
        sa.Column("note", sa.String(length=1000), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("municipality_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("kind IN ('repeated_no_show')", name=op.f("ck_follow_up_kind_known")),
        sa.ForeignKeyConstraint(
            ["department_id"], ["department.id"], name=op.f("fk_follow_up_department_id_department"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["municipality_id"], ["municipality.id"], name=op.f("fk_follow_up_municipality_id_municipality"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"], ["person.id"], name=op.f("fk_follow_up_recipient_id_person"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_up")),
    )  # fmt: skip
    op.create_index(op.f("ix_follow_up_municipality_id"), "follow_up", ["municipality_id"], unique=False)
    op.create_index(op.f("ix_follow_up_recipient_id"), "follow_up", ["recipient_id"], unique=False)
    op.create_index(
        "uq_follow_up_open",
        "follow_up",
        ["municipality_id", "recipient_id", "department_id", "kind"],
        unique=True,
        postgresql_where=sa.text("resolved_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("uq_follow_up_open", table_name="follow_up", postgresql_where=sa.text("resolved_at IS NULL"))
    op.drop_index(op.f("ix_follow_up_recipient_id"), table_name="follow_up")
    op.drop_index(op.f("ix_follow_up_municipality_id"), table_name="follow_up")
    op.drop_table("follow_up")
    op.drop_column("department", "no_show_follow_up_weeks")
    op.drop_column("department", "no_show_follow_up_count")
