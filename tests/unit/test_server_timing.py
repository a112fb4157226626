"""`ServerTiming` adds how long the app took to every HTTP response, and leaves other scopes alone."""

from __future__ import annotations

import asyncio
from typing import Any

from api.middleware import ServerTiming

Event = dict[str, Any]


async def _slow_app(scope: Event, _receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        await send({"type": "lifespan.startup.complete"})
        return
    await asyncio.sleep(0.02)
    await send({"type": "http.response.start", "status": 200, "headers": [(b"x-a", b"1")]})
    await send({"type": "http.response.body", "body": b"ok"})


async def _run(scope: Event) -> list[Event]:
    sent: list[Event] = []

    async def receive() -> Event:
        return {"type": "http.request", "body": b""}

    async def send(message: Event) -> None:
        sent.append(dict(message))

    app: Any = ServerTiming(_slow_app)  # type: ignore[arg-type]  # a bare ASGI app, not a Litestar one
    await app(scope, receive, send)
    return sent


async def test_http_response_says_how_long_the_app_took() -> None:
    start, body = await _run({"type": "http", "method": "GET", "path": "/"})
    headers = dict(start["headers"])
    assert headers[b"x-a"] == b"1"  # the app's own headers stay
    name, _, duration = headers[b"server-timing"].decode().partition(";dur=")
    assert name == "app"
    assert 20 <= float(duration) < 2000  # the app slept 20 ms
    assert body == {"type": "http.response.body", "body": b"ok"}


async def test_lifespan_passes_through_untouched() -> None:
    assert await _run({"type": "lifespan"}) == [{"type": "lifespan.startup.complete"}]
