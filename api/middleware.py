"""What every request passes through: its client, its id, its URL checked, its metrics, and server-side timing.

`Edge` is the app's one middleware for all of that, and `response_headers` its one send hook (issue 18: four
layers and two hooks took 104 µs of CPU a request, these 51 µs, and a bare Litestar app 24 µs; measured on
`/health/live` called in-process). Request ids are taken from a well-formed `X-Request-ID`, or made; echoed and
logged.
"""

from __future__ import annotations

import itertools
import os
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware

from api.decoding import refuse_nul_in_url
from api.forwarded import forward
from api.headers import security_headers
from api.metrics import ROUTE_METRICS, UNCOUNTED
from core.logging import request_id_var

if TYPE_CHECKING:
    from litestar.types import ASGIApp, Message, Receive, Scope, Send

    from core.settings import Settings

REQUEST_ID_HEADER = "x-request-id"
_REQUEST_ID_NAME = REQUEST_ID_HEADER.encode()
SERVER_TIMING_HEADER = b"server-timing"
_WELL_FORMED = re.compile(r"^[A-Za-z0-9._-]{8,128}$")
_SCOPE_KEY = "tjenesteshop.request_id"


class _RequestIds:
    """Request ids made here: 16 random hex digits for this process, then a count (32 hex digits, as a UUID's).

    Two processes' ids meet only if they drew the same 64 random bits (about one chance in 10^19 a pair), so an id
    finds one request's log lines and audit entries as a random UUID does, without a read of the OS's random source
    and a UUID object a request. A process forked from this one draws a prefix of its own.
    """

    def __init__(self) -> None:
        """A new prefix, counting from 0."""
        self.renew()
        os.register_at_fork(after_in_child=self.renew)

    def renew(self) -> None:
        """A new random prefix, counting from 0 again."""
        self.prefix, self.count = secrets.token_hex(8), itertools.count()

    def next(self) -> str:
        """The next id."""
        return f"{self.prefix}{next(self.count):016x}"


_MADE_IDS = _RequestIds()


def request_id_of(scope: Scope) -> str:
    """The id of this request: kept in its scope, taken from the client's header when well formed."""
    state = scope.setdefault("state", {})
    if _SCOPE_KEY not in state:
        incoming = next((value for name, value in scope["headers"] if name == _REQUEST_ID_NAME), b"").decode("latin-1")
        state[_SCOPE_KEY] = incoming if _WELL_FORMED.match(incoming) else _MADE_IDS.next()
    return str(state[_SCOPE_KEY])


class Edge(ASGIMiddleware):
    """The app's middleware: four things every request needs, in one layer.

    In this order: the client's address (`api.forwarded.forward`, which everything after reads: metrics, rate
    limits, audit), NUL refused in the URL (`api.decoding.refuse_nul_in_url`), the request id in the logging
    context, and the route's metrics (`api.metrics.RouteMetrics`).
    """

    scopes = (ScopeType.HTTP, ScopeType.WEBSOCKET)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        """Run the request with all of the above; a websocket gets its client and scheme only."""
        settings: Settings = scope["litestar_app"].state.settings
        forward(settings, scope)
        if scope["type"] != ScopeType.HTTP:
            await next_app(scope, receive, send)
            return
        refuse_nul_in_url(scope)
        token = request_id_var.set(request_id_of(scope))
        path = scope.get("path_template", scope["path"])
        if path in UNCOUNTED:
            try:
                await next_app(scope, receive, send)
            finally:
                request_id_var.reset(token)
            return
        method, status, started = scope["method"], 0, time.perf_counter()

        async def status_of(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        running = ROUTE_METRICS.running(method, path)
        running.inc()
        try:
            await next_app(scope, receive, status_of)
        except Exception as exc:  # answered by the app's exception handlers, outside this layer
            status = status or int(getattr(exc, "status_code", 500))
            raise
        finally:
            running.dec()
            ROUTE_METRICS.answered(method, path, status, time.perf_counter() - started)
            request_id_var.reset(token)


def response_headers(settings: Settings) -> Callable[[Message, Scope], Awaitable[None]]:
    """The app's `before_send` hook: the request id and the security headers (`api.headers`) on every response.

    Unknown routes and problems included; a header of the same name the response set already is replaced.
    """
    fixed = [(name.encode(), value.encode()) for name, value in security_headers(settings).items()]
    names = frozenset({REQUEST_ID_HEADER.encode(), *(name for name, _ in fixed)})

    async def add(message: Message, scope: Scope) -> None:
        if message["type"] == "http.response.start":
            kept = [(name, value) for name, value in message.get("headers", ()) if name.lower() not in names]
            message["headers"] = [*kept, *fixed, (REQUEST_ID_HEADER.encode(), request_id_of(scope).encode())]

    return add


class ServerTiming:
    """Plain ASGI around the whole app: `Server-Timing: app;dur=<ms>` on every HTTP response.

    The duration runs from the request entering the app to its response headers, so it covers routing,
    middleware, the handler, serialisation and the commit (advanced-alchemy commits before the headers
    go out), and leaves out the network and the client: what a benchmark needs to tell them apart.
    """

    def __init__(self, app: ASGIApp) -> None:
        """Wrap `app`; lifespan and websocket scopes pass through untouched."""
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Time the request and add the header to its `http.response.start` message."""
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()

        async def timed_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                duration = f"app;dur={(time.perf_counter() - started) * 1000:.2f}".encode()
                message = {**message, "headers": [*message.get("headers", ()), (SERVER_TIMING_HEADER, duration)]}
            await send(message)

        await self.app(scope, receive, timed_send)
