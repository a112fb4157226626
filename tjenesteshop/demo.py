"""Demo data: departments, services, opening hours, recipients with allocations, staff."""

from __future__ import annotations

from core.settings import Settings


async def load_demo(settings: Settings) -> str:
    """Load the demo data idempotently; return a one-line summary."""
    del settings
    return "demo data: nothing to load yet"
