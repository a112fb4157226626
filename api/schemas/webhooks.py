"""Webhook subscriptions and dead letters on the wire."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

from webhooks.tables import WebhookDelivery, WebhookSubscription

EventType = Literal[
    "booking.booked",
    "booking.moved",
    "booking.cancelled",
    "booking.late_cancelled",
    "visit.delivered",
    "visit.no_show",
    "decision.created",
    "decision.changed",
]
EventTypes = Annotated[list[EventType], msgspec.Meta(min_length=1, max_length=8)]
Url = Annotated[str, msgspec.Meta(min_length=8, max_length=2048, examples=["https://journal.example.no/hooks"])]
Description = Annotated[str, msgspec.Meta(max_length=200)]


class WebhookCreate(msgspec.Struct, forbid_unknown_fields=True):
    """Subscribe an endpoint. `department_id` null: the whole municipality (municipality administrators only)."""

    url: Url
    event_types: EventTypes
    department_id: uuid.UUID | None = None
    personal_data: bool = False
    description: Description = ""


class WebhookChange(msgspec.Struct, forbid_unknown_fields=True):
    """Change a subscription; fields left out stay as they are. `active` false pauses it."""

    url: Url | None = None
    event_types: EventTypes | None = None
    personal_data: bool | None = None
    active: bool | None = None
    description: Description | None = None


class WebhookRead(msgspec.Struct):
    """A subscription, without its secret. `rotating_until`: the previous secret signs too until then."""

    id: uuid.UUID
    url: str
    event_types: list[str]
    department_id: uuid.UUID | None
    personal_data: bool
    active: bool
    description: str
    created_at: datetime
    rotating_until: datetime | None

    @classmethod
    def of(cls, row: WebhookSubscription, now: datetime) -> WebhookRead:
        """From the table row."""
        until = row.previous_secret_until
        return cls(
            id=row.id, url=row.url, event_types=list(row.event_types), department_id=row.department_id,
            personal_data=row.personal_data, active=row.active, description=row.description,
            created_at=row.created_at, rotating_until=until if until is not None and until > now else None,
        )  # fmt: skip


class WebhookCreated(msgspec.Struct):
    """The new subscription and its signing secret (`whsec_...`), shown only in this response."""

    webhook: WebhookRead
    secret: str


class WebhookDeadLetter(msgspec.Struct):
    """A delivery given up on after its last try: the same `message_id` (webhook-id) and body if redelivered."""

    id: int
    subscription_id: uuid.UUID
    url: str
    message_id: str
    event_type: str
    department_id: uuid.UUID | None
    attempts: int
    last_status: int | None
    last_error: str | None
    created_at: datetime
    finished_at: datetime | None

    @classmethod
    def of(cls, delivery: WebhookDelivery, subscription: WebhookSubscription) -> WebhookDeadLetter:
        """From the table rows."""
        return cls(
            id=delivery.id, subscription_id=subscription.id, url=subscription.url, message_id=delivery.message_id,
            event_type=delivery.event_type, department_id=delivery.department_id, attempts=delivery.attempts,
            last_status=delivery.last_status, last_error=delivery.last_error, created_at=delivery.created_at,
            finished_at=delivery.finished_at,
        )  # fmt: skip


class WebhookRedelivered(msgspec.Struct):
    """The delivery is being tried again."""

    id: int
    status: str
