"""SMS delivery receipts and the e-mail fallback: what the gateway said of a reminder's SMS, and its stand-in.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04

`receipt` is the first final delivery receipt of a reminder's SMS (delivered or failed), `receipt_at` when it
came. `fallback` follows the e-mail that replaces a failed SMS (due, sending, sent, failed, unwanted): the
worker claims only `due` rows, so the e-mail goes at most once however often the gateway repeats itself.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("reminder", sa.Column("receipt", sa.String(16), nullable=True))
    op.add_column("reminder", sa.Column("receipt_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("reminder", sa.Column("fallback", sa.String(16), nullable=True))
    op.create_check_constraint(op.f("ck_reminder_receipt_known"), "reminder", "receipt IN ('delivered', 'failed')")
    op.create_check_constraint(
        op.f("ck_reminder_fallback_known"), "reminder", "fallback IN ('due', 'sending', 'sent', 'failed', 'unwanted')"
    )
    op.create_index("ix_reminder_fallback_due", "reminder", ["id"], postgresql_where=sa.text("fallback = 'due'"))


def downgrade() -> None:
    op.drop_index("ix_reminder_fallback_due", table_name="reminder", postgresql_where=sa.text("fallback = 'due'"))
    op.drop_constraint(op.f("ck_reminder_fallback_known"), "reminder", type_="check")
    op.drop_constraint(op.f("ck_reminder_receipt_known"), "reminder", type_="check")
    op.drop_column("reminder", "fallback")
    op.drop_column("reminder", "receipt_at")
    op.drop_column("reminder", "receipt")
