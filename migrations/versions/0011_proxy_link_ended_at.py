"""Ending a proxy link takes effect at once: the instant it was ended.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03

A link's `valid_to` is a date, so a link ended today stayed valid until midnight. `ended_at` records the
instant it was ended; a link with it set is no longer valid, whatever its dates say.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("proxy_link", sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("proxy_link", "ended_at")
