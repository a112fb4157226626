"""Reminder settings and push devices (`/api/v1/me/...`), and the worker's dead letters (administrators)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec
from litestar import Controller, delete, get, post, put
from litestar.datastructures import State
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_204_NO_CONTENT

from api.dependencies import Current, DbSession, Today, Where
from core.clock import utcnow
from core.errors import NotFoundError
from notifications import dead_letters, preferences


class ReminderSettingsRead(msgspec.Struct):
    """How my reminders reach me; `effective_channel` null means they reach me nowhere."""

    channel: str | None
    effective_channel: str | None
    reminders_for: list[uuid.UUID]
    push_devices: int

    @classmethod
    def of(cls, found: preferences.ReminderSettings) -> ReminderSettingsRead:
        """From the service's answer."""
        return cls(found.channel, found.effective_channel, list(found.reminders_for), found.push_devices)


class ReminderSettingsChange(msgspec.Struct, forbid_unknown_fields=True):
    """`channel` null: e-mail when known, else SMS. `reminders_for`: people I act for whose reminders I want."""

    channel: Literal["email", "sms", "push", "none"] | None = None
    reminders_for: Annotated[list[uuid.UUID], msgspec.Meta(max_length=50)] = msgspec.field(default_factory=list)


class PushKeys(msgspec.Struct, forbid_unknown_fields=True):
    """The browser's keys, as `PushSubscription.toJSON()` gives them."""

    p256dh: Annotated[str, msgspec.Meta(min_length=20, max_length=200)]
    auth: Annotated[str, msgspec.Meta(min_length=8, max_length=100)]


class PushSubscriptionCreate(msgspec.Struct):
    """A Web Push subscription (`PushSubscription.toJSON()`; other fields such as expirationTime are ignored)."""

    endpoint: Annotated[str, msgspec.Meta(pattern=r"^https://", max_length=2048)]
    keys: PushKeys


class PushSubscriptionCreated(msgspec.Struct):
    """The subscription's id, to remove it later."""

    id: uuid.UUID


class PushPublicKey(msgspec.Struct):
    """The VAPID public key the browser subscribes with (`applicationServerKey`)."""

    public_key: str


class DeadLetterRead(msgspec.Struct):
    """Something the worker gave up on: a reminder that could not be sent, or a booking event that kept failing."""

    kind: Literal["reminder", "booking_event"]
    id: int
    booking_id: uuid.UUID
    department_id: uuid.UUID
    person_id: uuid.UUID | None
    channel: str | None
    attempts: int
    reason: str | None
    at: datetime | None


class ReminderRetried(msgspec.Struct):
    """The reminder is queued again."""

    id: int
    status: str


class MyRemindersController(Controller):
    """The signed-in person's reminder settings and Web Push devices."""

    path = "/api/v1/me"
    tags = ["me"]  # noqa: RUF012 - Litestar's declared attribute type

    @get("/reminder-settings", summary="How my reminders reach me")
    async def show(self, db_session: DbSession, current: Current, today: Today) -> ReminderSettingsRead:
        """Also whose reminders I get besides my own."""
        return ReminderSettingsRead.of(await preferences.reminder_settings(db_session, current, today))

    @put("/reminder-settings", summary="Choose how my reminders reach me")
    async def change(
        self, db_session: DbSession, current: Current, origin: Where, today: Today,
        data: JSONBody[ReminderSettingsChange],
    ) -> ReminderSettingsRead:  # fmt: skip
        """A channel with nowhere to send (no address, no device) is refused."""
        found = await preferences.change_reminder_settings(
            db_session, current, origin, channel=data.channel, reminders_for=data.reminders_for, today=today
        )
        return ReminderSettingsRead.of(found)

    @get(
        "/push-subscriptions/public-key",
        summary="The key to subscribe to Web Push with",
        responses={404: ResponseSpec(None, description="This installation has no Web Push keys")},
    )
    async def public_key(self, state: State, current: Current) -> PushPublicKey:  # noqa: ARG002 - signed in only
        """404 when this installation has no Web Push keys."""
        key = state.settings.vapid_public_key
        if not key:
            raise NotFoundError
        return PushPublicKey(public_key=key)

    @post("/push-subscriptions", summary="Get reminders on this device (Web Push)")
    async def subscribe(
        self, db_session: DbSession, current: Current, origin: Where, data: JSONBody[PushSubscriptionCreate]
    ) -> PushSubscriptionCreated:
        """The same browser subscribing again updates its keys."""
        subscription_id = await preferences.add_push_subscription(
            db_session, current, origin, endpoint=data.endpoint, p256dh=data.keys.p256dh, auth=data.keys.auth
        )
        return PushSubscriptionCreated(id=subscription_id)

    @delete(
        "/push-subscriptions/{subscription_id:uuid}", summary="Stop push on a device", status_code=HTTP_204_NO_CONTENT
    )
    async def unsubscribe(
        self, db_session: DbSession, current: Current, origin: Where, subscription_id: FromPath[uuid.UUID]
    ) -> None:
        """Only one's own devices."""
        await preferences.remove_push_subscription(db_session, current, origin, subscription_id)


class DeadLetterController(Controller):
    """What the worker gave up on, for administrators of the departments concerned."""

    path = "/api/v1/notifications/dead-letters"
    tags = ["admin"]  # noqa: RUF012 - Litestar's declared attribute type

    @get("/", summary="Reminders that could not be sent, and booking events that kept failing")
    async def list_letters(self, db_session: DbSession, current: Current) -> list[DeadLetterRead]:
        """Newest first; municipality administrators see all, department administrators their departments'."""
        return [DeadLetterRead(**vars(letter)) for letter in await dead_letters.dead_letters(db_session, current)]

    @post("/reminders/{reminder_id:int}/retry", summary="Send a dead reminder again")
    async def retry(
        self, db_session: DbSession, current: Current, origin: Where, reminder_id: FromPath[int]
    ) -> ReminderRetried:
        """After the person's address was corrected, say; refused once the visit has started or changed."""
        reminder = await dead_letters.retry_reminder(db_session, current, origin, reminder_id, utcnow())
        return ReminderRetried(id=reminder.id, status=reminder.status)
