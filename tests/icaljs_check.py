"""Parse feeds with Mozilla's ical.js (Thunderbird's parser) in Node, and check it reads them as icalendar does.

ical.js knows no time zones of its own: it converts local times with the feed's VTIMEZONE components, so
agreeing on every instant means the VTIMEZONEs are right, not only the TZIDs.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from icalendar import Calendar

ICALJS = Path(__file__).parent / "icaljs"


def install() -> None:
    """Install the pinned ical.js from the committed lock file when `node_modules` is missing."""
    if (ICALJS / "node_modules" / "ical.js").is_dir():
        return
    npm = shutil.which("npm")
    assert npm is not None, "npm is needed to check feeds with ical.js (Node 20 is on every machine and on CI)"
    subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=ICALJS, check=True, capture_output=True)  # noqa: S603


async def parse(body: str) -> dict[str, Any]:
    """What ical.js makes of a feed: `{"calendar": {...}, "events": [...]}` (see `parse.mjs`)."""
    node = shutil.which("node")
    assert node is not None
    process = await asyncio.create_subprocess_exec(
        node, "parse.mjs", cwd=ICALJS, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await process.communicate(body.encode())
    assert process.returncode == 0, err.decode()
    parsed: dict[str, Any] = json.loads(out)
    return parsed


def _instant(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(UTC)


async def agrees(body: str) -> dict[str, dict[str, Any]]:
    """Parse with both; assert they agree on every event's instants, local times, status and sequence.

    Returns:
        ical.js's events by UID.

    """
    ours = {event.uid: event for event in Calendar.from_ical(body).events}
    theirs = {event["uid"]: event for event in (await parse(body))["events"]}
    assert set(theirs) == set(ours)
    for uid, event in theirs.items():
        mine = ours[uid]
        for key, value in (("start", mine.start), ("end", mine.end)):
            assert isinstance(value, datetime)
            assert _instant(event[key]["utc"]) == value.astimezone(UTC), (uid, key, event[key])
            if event[key]["zone"] != "UTC":
                assert event[key]["local"] == value.replace(tzinfo=None).isoformat(), (uid, key, event[key])
        assert event["status"] == mine.status
        assert event["sequence"] == mine.sequence
    return theirs
