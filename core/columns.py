"""Column helpers every table uses: UUID keys, UTC timestamps, the municipality each row belongs to."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Uuid, func
from sqlalchemy.orm import Mapped, declared_attr, mapped_column


class IdMixin:
    """A random UUID key: ids in URLs say nothing about how many rows there are."""

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)


class CreatedMixin:
    """When the row was made, in UTC (PostgreSQL's clock, so every replica agrees)."""

    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class MunicipalityMixin:
    """Every row belongs to one municipality (DESIGN.md, invariant 8): the future shard key."""

    @declared_attr
    def municipality_id(cls) -> Mapped[uuid.UUID]:  # noqa: N805 - SQLAlchemy's declared_attr takes the class
        """The owning municipality."""
        return mapped_column(Uuid, ForeignKey("municipality.id", ondelete="RESTRICT"), index=True)
