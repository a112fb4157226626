"""A real HTTP endpoint that receives webhooks and checks them as an integrator would (Standard Webhooks).

Reusable by any test that needs to see what the worker sends (bookings, visits, decisions, FHIR flows):

    async with WebhookReceiver([secret]) as receiver:
        ...subscribe receiver.url with the secret the API showed, make something happen, run the worker...
        events = await receiver.wait_for_ids({"msg_booking_1"})
        assert receiver.invalid == []

It listens on 127.0.0.1 (a free port), verifies `webhook-signature` against its secrets (any one valid signature
of any secret is enough, as during a rotation), refuses a timestamp too far from its clock, answers 204 to a
valid delivery and 401 to an invalid one, and keeps everything it got. `fail_next(n)` answers the next n valid
deliveries with 500 (or any status) and `delay` holds every answer back, to exercise retries and time-outs.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Any, Self

from aiohttp import web

from core.clock import utcnow

TOLERANCE_SECONDS = 300  # Standard Webhooks: refuse a timestamp more than five minutes away


def signature_valid(secret: str, message_id: str, timestamp: str, body: bytes, header: str) -> bool:
    """Whether one of the space-separated `v1,<base64>` signatures in `header` is `secret`'s over id.timestamp.body."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    expected = hmac.new(key, f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    for part in header.split():
        version, _, signature = part.partition(",")
        if version != "v1":
            continue
        try:
            given = base64.b64decode(signature, validate=True)
        except ValueError:
            continue
        if hmac.compare_digest(given, expected):
            return True
    return False


@dataclass(frozen=True)
class Received:
    """One request as it arrived, and what the receiver made of it."""

    message_id: str
    timestamp: str
    signature: str
    body: bytes
    valid: bool
    reason: str  # "" when valid; else missing_headers, bad_timestamp, stale, bad_signature
    answered: int  # the HTTP status the receiver answered

    @property
    def payload(self) -> dict[str, Any]:
        """The JSON body."""
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed

    @property
    def signatures(self) -> list[str]:
        """The signatures the sender sent (two during a rotation)."""
        return self.signature.split()


@dataclass
class WebhookReceiver:
    """A webhook endpoint on 127.0.0.1 that verifies and records what it gets."""

    secrets: list[str] = field(default_factory=list)
    clock: Callable[[], datetime] = utcnow
    delay: float = 0.0  # seconds before answering
    received: list[Received] = field(default_factory=list)
    _failures: list[int] = field(default_factory=list)  # statuses to answer the next valid deliveries with
    _runner: web.AppRunner | None = None
    _port: int = 0
    _arrived: asyncio.Condition = field(default_factory=asyncio.Condition)

    @property
    def url(self) -> str:
        """Where to subscribe (plain http to loopback: allowed outside production)."""
        return f"http://127.0.0.1:{self._port}/hooks"

    def fail_next(self, count: int, status: int = 500) -> None:
        """Answer the next `count` valid deliveries with `status` instead of 204."""
        self._failures.extend([status] * count)

    @property
    def valid(self) -> list[Received]:
        """Every valid delivery, duplicates (retries) included, in arrival order."""
        return [r for r in self.received if r.valid]

    @property
    def invalid(self) -> list[Received]:
        """Every request the receiver refused."""
        return [r for r in self.received if not r.valid]

    def unique(self) -> dict[str, Received]:
        """The valid deliveries after deduplication by webhook-id (the first of each), as an integrator keeps them."""
        found: dict[str, Received] = {}
        for item in self.valid:
            if item.answered < 300:  # a 2xx answer is what made it delivered
                found.setdefault(item.message_id, item)
        return found

    def by_type(self) -> Mapping[str, list[dict[str, Any]]]:
        """The unique deliveries' payloads, grouped by event type."""
        grouped: dict[str, list[dict[str, Any]]] = {}
        for item in self.unique().values():
            grouped.setdefault(item.payload["type"], []).append(item.payload)
        return grouped

    async def wait_until(self, done: Callable[[WebhookReceiver], bool], seconds: float = 30.0) -> None:
        """Wait until `done(self)` holds; TimeoutError after `seconds`."""
        async with asyncio.timeout(seconds), self._arrived:
            await self._arrived.wait_for(lambda: done(self))

    async def wait_for_ids(self, ids: Iterable[str], seconds: float = 30.0) -> dict[str, Received]:
        """Wait until every webhook-id in `ids` was delivered (2xx); return the unique deliveries."""
        wanted = set(ids)
        await self.wait_until(lambda r: wanted <= set(r.unique()), seconds)
        return self.unique()

    def _check(self, message_id: str, timestamp: str, signature: str, body: bytes) -> str:
        if not (message_id and timestamp and signature):
            return "missing_headers"
        try:
            sent = int(timestamp)
        except ValueError:
            return "bad_timestamp"
        if abs(self.clock().timestamp() - sent) > TOLERANCE_SECONDS:
            return "stale"
        if not any(signature_valid(s, message_id, timestamp, body, signature) for s in self.secrets):
            return "bad_signature"
        return ""

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        headers = request.headers
        message_id, timestamp = headers.get("webhook-id", ""), headers.get("webhook-timestamp", "")
        signature = headers.get("webhook-signature", "")
        reason = self._check(message_id, timestamp, signature, body)
        if self.delay:
            await asyncio.sleep(self.delay)
        status = 401 if reason else (self._failures.pop(0) if self._failures else 204)
        async with self._arrived:
            self.received.append(Received(message_id, timestamp, signature, body, not reason, reason, status))
            self._arrived.notify_all()
        return web.Response(status=status)

    async def start(self) -> str:
        """Listen on a free port of 127.0.0.1; return the URL."""
        app = web.Application()
        app.router.add_post("/hooks", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server  # aiohttp keeps the bound port only there
        assert server is not None
        self._port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        return self.url

    async def stop(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        """Start."""
        await self.start()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        """Stop."""
        await self.stop()
