"""Webhook subscriptions and their dead letters (administrators and their integration tokens)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from litestar import Controller, delete, get, patch, post
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_204_NO_CONTENT

from api.dependencies import Current, DbSession, Where
from api.schemas.webhooks import (
    WebhookChange,
    WebhookCreate,
    WebhookCreated,
    WebhookDeadLetter,
    WebhookRead,
    WebhookRedelivered,
)
from core.clock import utcnow
from core.settings import Settings
from webhooks import service

SIGNING = """Each delivery is an HTTP POST of JSON, signed after Standard Webhooks (https://www.standardwebhooks.com/):
`webhook-id` (the event's id: the same on every retry, so deduplicate by it), `webhook-timestamp` (Unix seconds)
and `webhook-signature` (`v1,` and the base64 HMAC-SHA256 of `{webhook-id}.{webhook-timestamp}.{body}` keyed with the
base64-decoded part of the secret after `whsec_`; during a rotation two signatures, space-separated, and either may
match). Answer 2xx within 10 seconds; anything else is tried again after 5 s, 5 min, 30 min, 2 h, 5 h and 10 h, and
then becomes a dead letter that administrators can list and redeliver. Delivery is at least once, in no promised
order: compare `timestamp` or fetch the booking when order matters."""

SCOPE = """What a subscriber receives is limited by its scope:

- A department administrator (or a department's integration token) subscribes for that department only, and
  receives only that department's events; a municipality administrator may subscribe for one department or,
  with `department_id` null, the whole municipality.
- Without `personal_data`, `data` holds no information about the person: ids of the booking or decision,
  department and service, times, minutes and status (`previous_starts_at` for a move).
- With `personal_data` (municipality administrators only, as the ones who answer for handing personal data to
  the receiving system) `data` adds `recipient_id`, `recipient` (given and family name, masked national identity
  number), `decision_id` and `decision_external_ref` (the case system's reference). The full national identity
  number is never sent: Tjenesteshop keeps it only as a keyed hash.

Endpoints: in production only `https` on port 443 to a public name or address (no loopback, private or
link-local address, also checked when the name is resolved at delivery; redirects are not followed). Outside
production `http` to a loopback address is allowed too, for a local receiver."""


def _policy(settings: Settings) -> service.Policy:
    return service.Policy(
        production=settings.is_production, secret_key=settings.national_id_key,
        rotation=timedelta(hours=settings.webhook_rotation_hours),
    )  # fmt: skip


class WebhookController(Controller):
    """Endpoints told of booking, visit and decision events, signed; and what could not be delivered."""

    path = "/api/v1/webhooks"
    tags = ["webhooks"]  # noqa: RUF012 - Litestar's declared attribute type

    @get("/", summary="The webhook subscriptions I manage", description=SCOPE)
    async def list_webhooks(self, db_session: DbSession, current: Current) -> list[WebhookRead]:
        """Oldest first, without secrets."""
        now = utcnow()
        return [WebhookRead.of(row, now) for row in await service.list_subscriptions(db_session, current)]

    @post("/", summary="Subscribe an endpoint; its signing secret is shown only in this response",
          description=f"{SIGNING}\n\n{SCOPE}")  # fmt: skip
    async def create(
        self, db_session: DbSession, current: Current, origin: Where, state: State, data: JSONBody[WebhookCreate]
    ) -> WebhookCreated:
        """Store the secret in the receiver's secret store at once."""
        subscription, secret = await service.create_subscription(
            db_session, current, origin, _policy(state.settings), url=data.url, event_types=data.event_types,
            department_id=data.department_id, personal_data=data.personal_data, description=data.description,
        )  # fmt: skip
        return WebhookCreated(webhook=WebhookRead.of(subscription, utcnow()), secret=secret)

    @patch("/{webhook_id:uuid}", summary="Change or pause a subscription", description=SCOPE)
    async def change(
        self, db_session: DbSession, current: Current, origin: Where, state: State, webhook_id: FromPath[uuid.UUID],
        data: JSONBody[WebhookChange],
    ) -> WebhookRead:  # fmt: skip
        """A paused subscription gets no deliveries for the events that happen while it is paused."""
        subscription = await service.update_subscription(
            db_session, current, origin, _policy(state.settings), webhook_id, url=data.url,
            event_types=data.event_types, personal_data=data.personal_data, active=data.active,
            description=data.description,
        )  # fmt: skip
        return WebhookRead.of(subscription, utcnow())

    @delete("/{webhook_id:uuid}", summary="Remove a subscription", status_code=HTTP_204_NO_CONTENT)
    async def remove(
        self, db_session: DbSession, current: Current, origin: Where, webhook_id: FromPath[uuid.UUID]
    ) -> None:
        """Its pending deliveries and dead letters go with it."""
        await service.delete_subscription(db_session, current, origin, webhook_id)

    @post("/{webhook_id:uuid}/rotate-secret", summary="A new signing secret, shown only in this response",
          description=SIGNING)  # fmt: skip
    async def rotate(
        self, db_session: DbSession, current: Current, origin: Where, state: State, webhook_id: FromPath[uuid.UUID]
    ) -> WebhookCreated:
        """The previous secret keeps signing beside the new one for the overlap (24 hours unless configured)."""
        subscription, secret = await service.rotate_secret(
            db_session, current, origin, _policy(state.settings), webhook_id, now=utcnow()
        )
        return WebhookCreated(webhook=WebhookRead.of(subscription, utcnow()), secret=secret)

    @get("/dead-letters", summary="Deliveries given up on after the last try")
    async def dead_letters(self, db_session: DbSession, current: Current) -> list[WebhookDeadLetter]:
        """Newest first, of the subscriptions I manage."""
        return [WebhookDeadLetter.of(d, s) for d, s in await service.dead_letters(db_session, current)]

    @post("/dead-letters/{delivery_id:int}/redeliver", summary="Try a dead letter again")
    async def redeliver(
        self, db_session: DbSession, current: Current, origin: Where, delivery_id: FromPath[int]
    ) -> WebhookRedelivered:
        """From the start of the retry schedule, with the same webhook-id and body; 409 unless it is dead."""
        delivery = await service.redeliver(db_session, current, origin, delivery_id, utcnow())
        return WebhookRedelivered(id=delivery.id, status=delivery.status)
