"""What a reminder channel is: a message, the `send` it offers, and the two ways a send can fail."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class Message:
    """One message to one address.

    `to` is an e-mail address, a phone number, or for Web Push the subscription as JSON
    (`{"endpoint": ..., "keys": {"p256dh": ..., "auth": ...}}`). `expires_at` is when the message stops
    being worth delivering (the visit's start): Web Push sets its time to live from it. `reference` is our id
    of the message (`reminder-<id>`), which an SMS gateway hands back in its delivery receipt.
    """

    to: str
    subject: str
    text: str
    html: str | None = None
    language: str = "nb"
    url: str | None = None
    expires_at: datetime | None = None
    reference: str | None = None  # ours, for the gateway to name in its delivery receipt (SMS)


class ChannelError(Exception):
    """A send that did not go through; `reason` is short, safe to store, and names no secret."""

    def __init__(self, reason: str) -> None:
        """Keep the reason (also the exception's text)."""
        super().__init__(reason)
        self.reason = reason


class PermanentFailure(ChannelError):  # noqa: N818 - the name the jobs import
    """The address, number or subscription is bad: record it against the person and do not retry."""


class TransientFailure(ChannelError):  # noqa: N818 - the name the jobs import
    """The channel could not deliver now (connection, timeout, 4xx/5xx of the server): retry with backoff."""


class Channel(Protocol):
    """Sends messages of one kind (e-mail, SMS, Web Push, the log)."""

    name: str

    async def send(self, message: Message) -> None:
        """Deliver `message` or raise `PermanentFailure` or `TransientFailure`."""
        ...


async def send_all(
    channel: Channel, messages: Sequence[Message], results: list[ChannelError | None] | None = None
) -> list[ChannelError | None]:
    """Send `messages` through `channel`, over one connection where the channel offers `send_many`.

    Per message, in order: None when it went, or the `PermanentFailure` or `TransientFailure` it met. Each
    is appended to `results` (when given) as soon as it is known, so a caller stopped midway knows which
    messages were done, which one was on its way, and which were never tried.
    """
    results = [] if results is None else results
    many = getattr(channel, "send_many", None)
    if many is not None:
        return list(await many(messages, results))
    for message in messages:
        try:
            await channel.send(message)
        except ChannelError as exc:
            results.append(exc)
        else:
            results.append(None)
    return results
