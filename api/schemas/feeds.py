"""Schemas of calendar feeds."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

import msgspec

from notifications.tables import CalendarFeed


class FeedCreate(msgspec.Struct, forbid_unknown_fields=True):
    """A feed of my bookings (`recipient`), of those I act for (`proxy`) or of my visits as staff (`staff`)."""

    kind: Literal["recipient", "proxy", "staff"]
    language: Literal["nb", "nn", "en"] | None = None  # default: my language


class FeedRead(msgspec.Struct):
    """A feed; `prefix` is the start of its secret, to tell feeds apart (the secret itself is never shown again)."""

    id: uuid.UUID
    kind: str
    language: str
    prefix: str
    created_at: datetime
    rendered_at: datetime | None

    @classmethod
    def of(cls, row: CalendarFeed) -> FeedRead:
        """From a row."""
        return cls(row.id, row.kind, row.language, row.prefix, row.created_at, row.rendered_at)


class FeedCreated(msgspec.Struct):
    """The new feed and its secret address: shown only in this answer. Anyone with the address can read it."""

    feed: FeedRead
    url: str
    webcal_url: str  # the same address for calendar apps that subscribe on a click (webcal://)
