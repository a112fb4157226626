"""Rate limits, counted in Redis so every API replica shares them, and overload shedding.

Litestar's `RateLimitMiddleware` reads and writes its Redis counter under one process-wide lock (a GET then
a SET): under a rush every request queues behind that lock, and replicas can overwrite each other's
counts. This middleware, built on Litestar's `ASGIMiddleware`, counts with one atomic `INCR` per window
instead: no lock, correct across replicas, and all of a route's limits in one round trip.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from litestar import Request
from litestar.enums import ScopeType
from litestar.exceptions import TooManyRequestsException
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from api.auth import FETCHED_SESSION, SESSION_COOKIE, bearer_token
from api.roundtrip import ROUND_TRIPS, one_round_trip
from core.settings import Settings
from people.sessions import SESSION_TTL_SECONDS, Fetched, session_key


def client_address(request: Request[Any, Any, Any]) -> str:
    """The caller's address (`api.forwarded` has applied X-Forwarded-For, from trusted proxies only)."""
    return "ip:" + (request.client.host if request.client else "unknown")


def credential_of(request: Request[Any, Any, Any]) -> str:
    """Who is asking, for per-person limits: the session or token (hashed), else the address."""
    credential = bearer_token(request) or request.cookies.get(SESSION_COOKIE)
    if credential:
        return "c:" + hashlib.sha256(credential.encode()).hexdigest()[:32]
    return client_address(request)


@dataclass(frozen=True)
class Limit:
    """At most `limit` requests per `window` seconds for each identity `identify(request)` (a fixed window)."""

    name: str  # part of the Redis key
    limit: int
    window: int
    identify: Callable[[Request[Any, Any, Any]], str]


class RateLimit(ASGIMiddleware):
    """Counts a request against each of its limits with one `INCR` a limit, all in one Redis round trip.

    That round trip also reads the caller's sign-in session (GETEX, as `people.sessions.load_session` does), so
    a signed-in request through a rate limit costs one Redis round trip, not two. With an `admission`, a request
    is first admitted by it (`Admission`), in the same layer: one middleware a request, not two.
    """

    scopes = (ScopeType.HTTP,)

    def __init__(self, *limits: Limit, admission: Admission | None = None) -> None:
        """The limits every request through this middleware counts against (each counted, even when one refuses)."""
        self.limits = limits
        self.admission = admission

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        """Admit this request (with an admission), count it; refuse with 429 and Retry-After when over any limit."""
        if self.admission is None:
            await self._count(scope, receive, send, next_app)
            return
        admission = self.admission
        admission.admit(scope["litestar_app"].state.settings)
        try:
            await self._count(scope, receive, send, next_app)
        finally:
            admission.leave()

    async def _count(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        request: Request[Any, Any, Any] = Request(scope)
        if request.method in {"OPTIONS", "HEAD"}:
            await next_app(scope, receive, send)
            return
        app = scope["litestar_app"]
        now = time.time()
        windows = [int(now // limit.window) for limit in self.limits]
        prefix = app.state.settings.redis_prefix
        cookie = None if bearer_token(request) else request.cookies.get(SESSION_COOKIE)
        commands: list[tuple[str | int, ...]] = []
        for limit, window_index in zip(self.limits, windows, strict=True):
            key = f"{prefix}rl:{limit.name}:{limit.identify(request)}:{window_index}"
            commands += [("INCR", key), ("EXPIRE", key, limit.window + 1)]
        if cookie:  # the sign-in session too, in the same round trip (`api.auth` reads it from the state)
            commands.append(("GETEX", session_key(prefix, cookie), "EX", SESSION_TTL_SECONDS))
        replies = await one_round_trip(app.state[ROUND_TRIPS], commands)
        counts = replies[: 2 * len(self.limits) : 2]
        if cookie:
            scope.setdefault("state", {})[FETCHED_SESSION] = Fetched(replies[-1])
        over = [
            (window_index + 1) * limit.window - now
            for limit, window_index, count in zip(self.limits, windows, counts, strict=True)
            if int(count) > limit.limit
        ]
        if over:
            raise TooManyRequestsException(headers={"Retry-After": str(max(1, int(max(over))))})
        await next_app(scope, receive, send)


def per_ip(name: str, per_minute: int) -> Limit:
    """At most `per_minute` requests a minute from one address."""
    return Limit(f"{name}:ip", per_minute, 60, client_address)


def per_person(name: str, per_minute: int) -> Limit:
    """At most `per_minute` requests a minute from one signed-in person or token."""
    return Limit(f"{name}:person", per_minute, 60, credential_of)


class Admission:
    """Bounds the work in progress: past a few requests a database connection in flight in this process, 429 at once.

    Hot ledger rows serialise bookings; letting hundreds wait on them only makes every answer late
    (DESIGN.md: answer overload with 429/503 and Retry-After, do not queue without bound). The bound follows
    the process's pool (`db_pool_size + db_max_overflow` connections, `per_connection` requests each), so
    a request admitted waits behind at most a few others for a connection. It is checked by a `RateLimit` made
    with it, before that counts: a request turned away costs no Redis round trip and counts against no one.
    """

    def __init__(self, per_connection: int) -> None:
        """Admit at most `per_connection` requests a database connection at a time."""
        self.per_connection = per_connection
        self.in_flight = 0

    def limit(self, settings: Settings) -> int:
        """How many requests this process admits at once."""
        return self.per_connection * (settings.db_pool_size + settings.db_max_overflow)

    def admit(self, settings: Settings) -> None:
        """Count one more request in flight if there is room (`leave` when it is answered); otherwise 429."""
        if self.in_flight >= self.limit(settings):
            raise TooManyRequestsException(headers={"Retry-After": "1"})
        self.in_flight += 1

    def leave(self) -> None:
        """An admitted request is answered."""
        self.in_flight -= 1


SIGN_IN_PER_IP = RateLimit(per_ip("sign-in", 30))
