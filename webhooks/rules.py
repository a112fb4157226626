"""Pure webhook rules: event types, endpoint addresses, signatures (Standard Webhooks), retries, payload scope."""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

BOOKING_EVENT_TYPES = (
    "booking.booked",
    "booking.moved",
    "booking.cancelled",
    "booking.late_cancelled",
    "visit.delivered",
    "visit.no_show",
)
DECISION_EVENT_TYPES = ("decision.created", "decision.changed")
EVENT_TYPES = BOOKING_EVENT_TYPES + DECISION_EVENT_TYPES
SECRET_PREFIX = "whsec_"  # noqa: S105 - Standard Webhooks' marker, not a secret
SECRET_BYTES = 32
HTTPS_PORT = 443
# Names that never reach a public endpoint: this machine, the local network, private zones.
_PRIVATE_SUFFIXES = (
    ".localhost", ".local", ".internal", ".intranet", ".lan", ".home", ".corp", ".private", ".home.arpa",
    ".localdomain", ".test", ".invalid", ".onion", ".arpa",
)  # fmt: skip


def event_type(kind: str, details: Mapping[str, Any], booking_status: str) -> str | None:
    """The webhook event type of a booking outbox event, or None when subscribers are not told of it.

    `cancelled` events become `booking.late_cancelled` when the booking ended late-cancelled (a cancellation is
    final, so the booking's status tells which it was); staff assignments are internal.
    """
    if kind == "created":
        return "booking.booked"
    if kind == "moved":
        return "booking.moved"
    if kind == "cancelled":
        return "booking.late_cancelled" if booking_status == "late_cancelled" else "booking.cancelled"
    if kind == "outcome":
        outcome = details.get("outcome")
        return {"delivered": "visit.delivered", "no_show": "visit.no_show"}.get(str(outcome))
    return None


def endpoint_refusal(url: str, *, production: bool) -> str | None:  # noqa: PLR0911 - a decision table
    """Why `url` may not receive webhooks, or None.

    Always: http(s), a host, no user name or password in the URL. In production also: https only, port 443, a
    public DNS name or a globally routable address (no loopback, private, link-local: no SSRF into the network).
    Elsewhere plain http is allowed to loopback addresses only, so tests and developers can run a local receiver.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "malformed"
    host = (parts.hostname or "").rstrip(".").lower()
    if parts.scheme not in {"https", "http"} or not host:
        return "malformed"
    if parts.username is not None or parts.password is not None:
        return "credentials"
    address = _address(host)
    if not production:
        if parts.scheme == "http" and (address is None or not address.is_loopback):
            return "not_https"
        return None
    if parts.scheme != "https":
        return "not_https"
    if port not in (None, HTTPS_PORT):
        return "port"
    if address is None:
        return name_refusal(host)
    return None if is_public(address) else "private_address"


def _address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """A globally routable unicast address (what a resolved endpoint name must be in production)."""
    return address.is_global and not address.is_multicast


def name_refusal(host: str) -> str | None:
    """Why a host name is not a public DNS name, or None."""
    if "." not in host or host == "localhost" or f".{host}".endswith(_PRIVATE_SUFFIXES):
        return "private_name"
    labels = host.split(".")
    if labels[-1].isdigit() or any(label.startswith("0x") for label in labels):
        return "private_address"  # a numeric form ipaddress does not read (`127.1`, `0x7f.1`)
    return None


def new_secret() -> str:
    """A signing secret in Standard Webhooks' form: `whsec_` and base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """One signature: `v1,` and base64 of HMAC-SHA256 over `id.timestamp.body` with the secret's key."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signature_header(secrets_: Sequence[str], message_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` value: one signature a secret, space-separated (during a rotation, two)."""
    return " ".join(sign(secret, message_id, timestamp, body) for secret in secrets_)


def signing_secrets(current: str, previous: str | None, previous_until: datetime | None, now: datetime) -> list[str]:
    """The secrets that sign at `now`: the current one, and the previous one until its overlap ends."""
    if previous is not None and previous_until is not None and now < previous_until:
        return [current, previous]
    return [current]


def next_attempt(attempts: int, schedule: Sequence[float], now: datetime) -> datetime | None:
    """When to try again after `attempts` failed tries, or None: the last try failed, it is a dead letter."""
    if attempts > len(schedule):
        return None
    return now + timedelta(seconds=schedule[attempts - 1])


def payload(
    event: str, at: datetime, data: Mapping[str, Any], personal: Mapping[str, Any], *, personal_data: bool
) -> dict[str, Any]:
    """The body (Standard Webhooks' `type`, `timestamp`, `data`), with personal data only for a personal scope.

    `data` is what any subscriber in the department's scope may see (ids of the booking, department, service,
    times and status); `personal` (the recipient's id and name, the decision's case reference) is added only
    when the subscription has `personal_data`.
    """
    body = dict(data)
    if personal_data:
        body.update(personal)
    return {"type": event, "timestamp": at.isoformat(), "data": body}
