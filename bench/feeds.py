"""Calendar feed rendering: how long one feed of N visits takes to render (pure; no database).

A recipient's feed holds a handful of visits; a staff member's up to ~30 days back and 60 ahead. The worker
renders every affected feed on each booking change, so this is the work a change costs per feed.

    python3 -m uv run python -m bench.feeds [--runs 7]
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta

from notifications.ical import FeedEvent, render_feed

SIZES = (10, 60, 300, 720)
START = datetime(2027, 3, 1, 8, tzinfo=UTC)


def _events(count: int) -> list[FeedEvent]:
    return [
        FeedEvent(
            booking_id=uuid.uuid4(), starts_at=START + timedelta(hours=3 * i),
            ends_at=START + timedelta(hours=3 * i + 1), zone="Europe/Oslo", service="Praktisk bistand",
            department="Hjemmetjenesten sone nord", department_phone="22 33 44 55", department_address=None,
            status="cancelled" if i % 10 == 0 else "booked", sequence=i % 3, created_at=START - timedelta(days=3),
            changed_at=None, person=f"Person {i}",
        )
        for i in range(count)
    ]  # fmt: skip


def main() -> None:
    """Print the median milliseconds per render and per event for each feed size."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    for size in SIZES:
        events = _events(size)
        timings = []
        for _ in range(runs):
            started = time.perf_counter()
            body = render_feed(events, name="Mine besøk", language="nb", now=START)
            timings.append(time.perf_counter() - started)
        median = statistics.median(timings) * 1000
        print(f"events={size} render_ms={median:.1f} per_event_ms={median / size:.3f} bytes={len(body.encode())}")


if __name__ == "__main__":
    main()
