"""The log channel: writes each message to the log instead of sending it (the demo, and unset channels)."""

from __future__ import annotations

import json
import logging
from urllib.parse import urlsplit

from notifications.channels.base import Message

log = logging.getLogger(__name__)


class LogChannel:
    """Logs the message at INFO; never fails. `name` says which channel it stands in for."""

    def __init__(self, name: str = "log") -> None:
        """Name the channel (`log`, or the channel whose settings are missing)."""
        self.name = name

    async def send(self, message: Message) -> None:
        """Write the message to the log (address, subject and plain text; not the HTML)."""
        log.info("%s message to %s: %s\n%s", self.name, _shown(message.to), message.subject, message.text)


def _shown(to: str) -> str:
    """The address as it may appear in a log: a push subscription's keys are secrets, its endpoint's host is not."""
    if not to.startswith("{"):
        return to
    try:
        endpoint = json.loads(to).get("endpoint", "")
    except (ValueError, AttributeError):
        return "a push subscription"
    return f"a push subscription at {urlsplit(str(endpoint)).hostname or '?'}"
