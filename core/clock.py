"""The clock: the one place that reads the current time, so rules can take it as a value."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """The current instant, timezone-aware in UTC."""
    return datetime.now(UTC)
