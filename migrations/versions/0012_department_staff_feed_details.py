"""Staff calendar feeds show initials and the service unless the department turns on the full text.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03

A staff member's calendar is read on a phone's lock screen: by default an event names the recipient by
initials and the service only. `staff_feed_details` turns on the full name and, for home visits, the address.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("department", sa.Column("staff_feed_details", sa.Boolean(), server_default="false", nullable=False))


def downgrade() -> None:
    op.drop_column("department", "staff_feed_details")
