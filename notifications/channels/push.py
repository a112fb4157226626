"""Web Push (pywebpush's async API): the payload encrypted for the subscription, signed with our VAPID key."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Self

import aiohttp
from cryptography.hazmat.primitives import serialization
from py_vapid import Vapid
from pywebpush import WebPushException, webpush_async

from core.clock import utcnow
from core.settings import Settings
from notifications import push_endpoint
from notifications.channels.base import Message, PermanentFailure, TransientFailure

TIMEOUT_SECONDS = 10.0
DEFAULT_TTL = timedelta(hours=2)  # without `expires_at`: the shorter of the two reminders' leads
MAX_TTL = timedelta(days=28)  # push services keep a message at most about four weeks
MAX_BODY_CHARS = 1000  # the encrypted payload must stay under 4 KiB
_GONE = frozenset({404, 410})  # the subscription has expired or was withdrawn (RFC 8030, section 7.3)


def load_vapid_key(private_key: str, public_key: str | None = None) -> Vapid:
    """The VAPID signing key from a PEM or a base64url raw/DER private key.

    Raises:
        ValueError: the key cannot be read, or `public_key` (what browsers subscribe with) is not its pair.

    """
    key = private_key.strip()
    vapid = Vapid.from_pem(key.encode()) if key.startswith("-----BEGIN") else Vapid.from_string(key)
    if public_key is not None:
        ours = vapid.public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        if base64.urlsafe_b64encode(ours).decode().rstrip("=") != public_key.strip().rstrip("="):
            raise ValueError("vapid_public_key is not the public half of vapid_private_key")
    return vapid


class PushChannel:
    """Sends a notification (`title`, `body`, `url`, `lang` as JSON) to one browser's subscription."""

    name = "push"

    def __init__(
        self,
        *,
        vapid: Vapid,
        subject: str,
        timeout: float = TIMEOUT_SECONDS,
        clock: Callable[[], datetime] = utcnow,
        allow_http: bool = False,
    ) -> None:
        """Keep the signing key and the contact (`mailto:` or https) push services see in the VAPID claims.

        `allow_http` lets endpoints be plain http (a test's local push service). Otherwise only https
        endpoints are posted to: the browser names the endpoint, and the worker must not be made to post
        to addresses inside the network.
        """
        self.vapid, self.subject, self.timeout, self.clock = vapid, subject, timeout, clock
        self.schemes = ("https://", "http://") if allow_http else ("https://",)

    @classmethod
    def from_settings(cls, settings: Settings) -> Self | None:
        """The channel the settings describe, or None when a VAPID key or the subject is missing."""
        if not settings.vapid_private_key or not settings.vapid_public_key or not settings.vapid_subject:
            return None
        vapid = load_vapid_key(settings.vapid_private_key.get_secret_value(), settings.vapid_public_key)
        return cls(vapid=vapid, subject=settings.vapid_subject)

    def ttl(self, message: Message) -> int:
        """Seconds the push service may hold the message: until it expires (the visit starts), at least 0."""
        left = DEFAULT_TTL if message.expires_at is None else message.expires_at - self.clock()
        return int(max(timedelta(0), min(left, MAX_TTL)).total_seconds())

    async def send(self, message: Message) -> None:
        """Encrypt and post the notification; a gone subscription is permanent, anything else transient."""
        subscription = _subscription(message.to, self.schemes)
        payload = {
            "title": message.subject,
            "body": message.text[:MAX_BODY_CHARS],
            "url": message.url,
            "lang": message.language,
        }
        try:
            await webpush_async(
                subscription,
                json.dumps(payload, ensure_ascii=False),
                vapid_private_key=self.vapid,
                vapid_claims={"sub": self.subject},  # a new dict each time: webpush adds `aud` and `exp` to it
                ttl=self.ttl(message),
                timeout=self.timeout,
            )
        except WebPushException as exc:
            status = exc.status_code
            if status is None:  # raised before any request: the subscription's keys are unusable
                raise PermanentFailure(f"bad push subscription: {exc.message}") from exc
            reason = f"push service {status}"
            raise (PermanentFailure(reason) if status in _GONE else TransientFailure(reason)) from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise TransientFailure(f"push service unreachable: {type(exc).__name__}") from exc
        except ValueError as exc:  # a p256dh that is no P-256 point
            raise PermanentFailure("bad push subscription: unusable keys") from exc


def _subscription(to: str, schemes: tuple[str, ...]) -> dict[str, Any]:
    """The subscription in `Message.to`: `{"endpoint": URL, "keys": {"p256dh", "auth"}}`."""
    try:
        subscription = json.loads(to)
        endpoint, keys = subscription["endpoint"], subscription["keys"]
        valid = isinstance(endpoint, str) and endpoint.startswith(schemes)
        valid = valid and isinstance(keys.get("p256dh"), str) and isinstance(keys.get("auth"), str)
    except (ValueError, TypeError, KeyError, AttributeError):
        valid = False
    if not valid:
        raise PermanentFailure("bad push subscription: not a subscription")
    # Registered before the endpoint was checked, or stored some other way: still never posted to.
    if schemes == ("https://",) and push_endpoint.refusal(endpoint) is not None:
        raise PermanentFailure("bad push subscription: not a public push service")
    return {"endpoint": endpoint, "keys": {"p256dh": keys["p256dh"], "auth": keys["auth"]}}
