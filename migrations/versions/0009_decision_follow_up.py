"""Around the decision: review dates, case workers, service categories, committee thresholds, visit feedback.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30

Existing decisions get the Monday of ISO week 47 on or after their start as their review date (the
seed's yearly cycle). Trial decisions' evaluation reminders become a follow-up kind (`evaluation_due`).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WEEK_47 = "to_date(to_char({year}, 'FM0000') || '-47-1', 'IYYY-IW-ID')"


def upgrade() -> None:
    op.add_column(
        "municipality", sa.Column("committee_weekly_minutes", sa.Integer(), server_default="900", nullable=False)
    )
    op.add_column(
        "municipality", sa.Column("committee_respite_percent", sa.SmallInteger(), server_default="50", nullable=False)
    )
    op.add_column("municipality", sa.Column("committee_bpa", sa.Boolean(), server_default="true", nullable=False))
    op.add_column(
        "municipality", sa.Column("evaluation_reminder_days", sa.SmallInteger(), server_default="14", nullable=False)
    )
    op.create_check_constraint(
        op.f("ck_municipality_committee_weekly_positive"), "municipality", "committee_weekly_minutes > 0"
    )
    op.create_check_constraint(
        op.f("ck_municipality_committee_respite_percent_range"),
        "municipality",
        "committee_respite_percent BETWEEN 1 AND 100",
    )
    op.create_check_constraint(
        op.f("ck_municipality_evaluation_reminder_days_range"),
        "municipality",
        "evaluation_reminder_days BETWEEN 0 AND 365",
    )
    op.add_column("service", sa.Column("category", sa.String(length=16), server_default="ordinary", nullable=False))
    op.create_check_constraint(
        op.f("ck_service_category_known"), "service", "category IN ('ordinary', 'respite', 'bpa')"
    )
    op.add_column("allocation", sa.Column("review_date", sa.Date(), nullable=True))
    op.add_column("allocation", sa.Column("case_worker_id", sa.Uuid(), nullable=True))
    op.create_foreign_key(
        op.f("fk_allocation_case_worker_id_person"),
        "allocation",
        "person",
        ["case_worker_id"],
        ["id"],
        ondelete="SET NULL",
    )
    this_year = _WEEK_47.format(year="extract(isoyear FROM valid_from)::int")
    next_year = _WEEK_47.format(year="extract(isoyear FROM valid_from)::int + 1")
    review = f"CASE WHEN {this_year} >= valid_from THEN {this_year} ELSE {next_year} END"
    op.execute(f"UPDATE allocation SET review_date = {review}")  # noqa: S608 - no input, only fixed SQL
    op.drop_constraint(op.f("ck_follow_up_kind_known"), "follow_up", type_="check")
    op.create_check_constraint(
        op.f("ck_follow_up_kind_known"), "follow_up", "kind IN ('repeated_no_show', 'evaluation_due')"
    )
    op.create_table(
        "visit_feedback",
        sa.Column("booking_id", sa.Uuid(), nullable=False),
        sa.Column("recipient_id", sa.Uuid(), nullable=False),
        sa.Column("department_id", sa.Uuid(), nullable=False),
        sa.Column("answer", sa.String(length=8), nullable=False),
        sa.Column("comment", sa.String(length=1000), nullable=True),
        sa.Column("answered_by_id", sa.Uuid(), nullable=False),
        sa.Column("by_proxy", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("municipality_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("answer IN ('yes', 'mixed', 'no')", name=op.f("ck_visit_feedback_answer_known")),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["booking.id"], name=op.f("fk_visit_feedback_booking_id_booking"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"], ["person.id"], name=op.f("fk_visit_feedback_recipient_id_person"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["department_id"], ["department.id"], name=op.f("fk_visit_feedback_department_id_department"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["answered_by_id"], ["person.id"], name=op.f("fk_visit_feedback_answered_by_id_person"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["municipality_id"], ["municipality.id"], name=op.f("fk_visit_feedback_municipality_id_municipality"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit_feedback")),
        sa.UniqueConstraint("municipality_id", "booking_id", name="uq_visit_feedback_booking"),
    )  # fmt: skip
    op.create_index(op.f("ix_visit_feedback_municipality_id"), "visit_feedback", ["municipality_id"], unique=False)
    op.create_index(op.f("ix_visit_feedback_recipient_id"), "visit_feedback", ["recipient_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_visit_feedback_recipient_id"), table_name="visit_feedback")
    op.drop_index(op.f("ix_visit_feedback_municipality_id"), table_name="visit_feedback")
    op.drop_table("visit_feedback")
    op.execute("DELETE FROM follow_up WHERE kind = 'evaluation_due'")
    op.drop_constraint(op.f("ck_follow_up_kind_known"), "follow_up", type_="check")
    op.create_check_constraint(op.f("ck_follow_up_kind_known"), "follow_up", "kind IN ('repeated_no_show')")
    op.drop_constraint(op.f("fk_allocation_case_worker_id_person"), "allocation", type_="foreignkey")
    op.drop_column("allocation", "case_worker_id")
    op.drop_column("allocation", "review_date")
    op.drop_constraint(op.f("ck_service_category_known"), "service", type_="check")
    op.drop_column("service", "category")
    for name in ("evaluation_reminder_days_range", "committee_respite_percent_range", "committee_weekly_positive"):
        op.drop_constraint(op.f(f"ck_municipality_{name}"), "municipality", type_="check")
    for column in (
        "evaluation_reminder_days",
        "committee_bpa",
        "committee_respite_percent",
        "committee_weekly_minutes",
    ):
        op.drop_column("municipality", column)
