"""Rate limits, counted in Redis so every API replica shares them, and overload shedding.

Litestar's `RateLimitMiddleware` reads and writes its Redis counter under one process-wide lock (a GET then
a SET): under a rush every request queues behind that lock, and replicas can overwrite each other's
counts. This middleware, built on Litestar's `ASGIMiddleware`, counts with one atomic `INCR` per window
instead: no lock, correct across replicas.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import Any

from litestar import Request
from litestar.enums import ScopeType
from litestar.exceptions import TooManyRequestsException
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send
from redis.asyncio import Redis

from api.auth import SESSION_COOKIE, bearer_token
from core.settings import Settings


def client_address(request: Request[Any, Any, Any]) -> str:
    """The caller's address (uvicorn has already applied trusted proxy headers)."""
    return "ip:" + (request.client.host if request.client else "unknown")


def credential_of(request: Request[Any, Any, Any]) -> str:
    """Who is asking, for per-person limits: the session or token (hashed), else the address."""
    credential = bearer_token(request) or request.cookies.get(SESSION_COOKIE)
    if credential:
        return "c:" + hashlib.sha256(credential.encode()).hexdigest()[:32]
    return client_address(request)


class RateLimit(ASGIMiddleware):
    """At most `limit` requests per `window` seconds for each identity (fixed windows, one INCR each)."""

    scopes = (ScopeType.HTTP,)

    def __init__(self, name: str, limit: int, window: int, identify: Callable[[Request[Any, Any, Any]], str]) -> None:
        """A limit called `name` (part of the Redis key), counted per `identify(request)`."""
        self.name, self.limit, self.window, self.identify = name, limit, window, identify

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        """Count this request; refuse with 429 and Retry-After when over the limit."""
        request: Request[Any, Any, Any] = Request(scope)
        if request.method in {"OPTIONS", "HEAD"}:
            await next_app(scope, receive, send)
            return
        app = scope["litestar_app"]
        redis: Redis = app.state.redis
        now = time.time()
        window_index = int(now // self.window)
        key = f"{app.state.settings.redis_prefix}rl:{self.name}:{self.identify(request)}:{window_index}"
        async with redis.pipeline(transaction=False) as pipe:
            pipe.incr(key)
            pipe.expire(key, self.window + 1)
            count, _ = await pipe.execute()
        if int(count) > self.limit:
            retry_after = max(1, int((window_index + 1) * self.window - now))
            raise TooManyRequestsException(headers={"Retry-After": str(retry_after)})
        await next_app(scope, receive, send)


def per_ip(name: str, per_minute: int) -> RateLimit:
    """At most `per_minute` requests a minute from one address."""
    return RateLimit(f"{name}:ip", per_minute, 60, client_address)


def per_person(name: str, per_minute: int) -> RateLimit:
    """At most `per_minute` requests a minute from one signed-in person or token."""
    return RateLimit(f"{name}:person", per_minute, 60, credential_of)


class Admission(ASGIMiddleware):
    """Bounds the work in progress: past a few requests a database connection in flight in this process, 429 at once.

    Hot ledger rows serialise bookings; letting hundreds wait on them only makes every answer late
    (DESIGN.md: answer overload with 429/503 and Retry-After, do not queue without bound). The bound follows
    the process's pool (`db_pool_size + db_max_overflow` connections, `per_connection` requests each), so
    a request admitted waits behind at most a few others for a connection.
    """

    scopes = (ScopeType.HTTP,)

    def __init__(self, per_connection: int) -> None:
        """Admit at most `per_connection` requests a database connection at a time."""
        self.per_connection = per_connection
        self.in_flight = 0

    def limit(self, settings: Settings) -> int:
        """How many requests this process admits at once."""
        return self.per_connection * (settings.db_pool_size + settings.db_max_overflow)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        """Run the request if there is room; otherwise refuse it before it touches the database."""
        if self.in_flight >= self.limit(scope["litestar_app"].state.settings):
            raise TooManyRequestsException(headers={"Retry-After": "1"})
        self.in_flight += 1
        try:
            await next_app(scope, receive, send)
        finally:
            self.in_flight -= 1


SIGN_IN_PER_IP = per_ip("sign-in", 30)
