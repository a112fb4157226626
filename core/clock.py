"""The clock: the one place that reads the current time, so rules can take it as a value."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

# How far this process's clock is set from the machine's: zero except in tests, which start the clock at a
# fixed instant (see `start_at`) so that no test depends on the hour or day it runs.
_OFFSET = [timedelta(0)]


def utcnow() -> datetime:
    """The current instant, timezone-aware in UTC."""
    return datetime.now(UTC) + _OFFSET[0]


def start_at(instant: datetime) -> None:
    """Set the clock to read `instant` now; it runs on from there at the machine's pace (tests only)."""
    _OFFSET[0] = instant - datetime.now(UTC)
