"""Request ids (taken from a well-formed `X-Request-ID`, or made; echoed and logged) and server-side timing."""

from __future__ import annotations

import re
import time
import uuid
from typing import TYPE_CHECKING

from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware

from core.logging import request_id_var

if TYPE_CHECKING:
    from litestar.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = "x-request-id"
SERVER_TIMING_HEADER = b"server-timing"
_WELL_FORMED = re.compile(r"^[A-Za-z0-9._-]{8,128}$")
_SCOPE_KEY = "tjenesteshop.request_id"


def request_id_of(scope: Scope) -> str:
    """The id of this request: kept in its scope, taken from the client's header when well formed."""
    state = scope.setdefault("state", {})
    if _SCOPE_KEY not in state:
        incoming = MutableScopeHeaders(scope).get(REQUEST_ID_HEADER)
        state[_SCOPE_KEY] = incoming if incoming and _WELL_FORMED.match(incoming) else uuid.uuid4().hex
    return str(state[_SCOPE_KEY])


class RequestIdMiddleware(ASGIMiddleware):
    """Puts the request id in the logging context while a route handles the request."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        """Set the id for the handler's logs."""
        token = request_id_var.set(request_id_of(scope))
        try:
            await next_app(scope, receive, send)
        finally:
            request_id_var.reset(token)


async def add_request_id_header(message: Message, scope: Scope) -> None:
    """App-level `before_send` hook: runs for every response, unknown routes included."""
    if message["type"] == "http.response.start":
        MutableScopeHeaders.from_message(message)[REQUEST_ID_HEADER] = request_id_of(scope)


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
