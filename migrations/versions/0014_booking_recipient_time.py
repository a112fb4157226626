"""A recipient's bookings are read by recipient and start: the lists stay as quick however long the history.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04

The booking list, the calendar feed, the no-show follow-up and the person's plan all read one recipient's
bookings over a span of time. Through the index on `recipient_id` alone PostgreSQL read every booking the
recipient ever had and filtered them by time; (recipient_id, starts_at) reads the span only, and still serves
every lookup by recipient (its leading column), so it replaces the old index.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_booking_recipient_time", "booking", ["recipient_id", "starts_at"])
    op.drop_index("ix_booking_recipient_id", table_name="booking")


def downgrade() -> None:
    op.create_index("ix_booking_recipient_id", "booking", ["recipient_id"])
    op.drop_index("ix_booking_recipient_time", table_name="booking")
