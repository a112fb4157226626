"""A minimal HTTP/1.1 client for benchmarks: one keep-alive connection a simulated phone, nothing shared.

httpx keeps one connection pool a client and scans it on every request and answer: with 500 connections
that is quadratic, and a rush of 500 trivial requests took 5 s of the benchmark's own CPU (0.6 s with one
httpx client a phone, 0.04 s with this), so bench.rush measured itself more than the API. This speaks just
enough HTTP/1.1 for the API: keep-alive, Content-Length bodies, JSON.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit


@dataclass(frozen=True)
class Reply:
    """A response: status, headers (names in lower case) and body."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:  # noqa: ANN401 - whatever the API sent
        """The body as JSON (None when empty)."""
        return json.loads(self.body) if self.body else None


class Phone:
    """One keep-alive connection to `base` (http://host:port), opened on first use and again when closed."""

    def __init__(self, base: str, timeout: float = 60) -> None:
        """A phone talking to `base`; each request gives up after `timeout` seconds."""
        parts = urlsplit(base)
        self.host, self.port, self.timeout = parts.hostname or "127.0.0.1", parts.port or 80, timeout
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def request(
        self, method: str, target: str, headers: dict[str, str], *, body: object = None,
        params: dict[str, str] | None = None,
    ) -> Reply:  # fmt: skip
        """Send one request (`body` as JSON) and read its answer; once more on a fresh connection if it was closed."""
        data = b"" if body is None else json.dumps(body).encode()
        head = [f"{method} {target}{'?' + urlencode(params) if params else ''} HTTP/1.1", f"host: {self.host}",
                f"content-length: {len(data)}", *(f"{k}: {v}" for k, v in headers.items())]  # fmt: skip
        if body is not None:
            head.append("content-type: application/json")
        message = ("\r\n".join(head) + "\r\n\r\n").encode() + data
        fresh = self.streams is None
        try:
            # A timeout in this task, not `wait_for`: that made a task of its own a request, the client's largest cost.
            async with asyncio.timeout(self.timeout):
                return await self._exchange(message)
        except (asyncio.IncompleteReadError, ConnectionError):
            await self.close()
            if fresh:
                raise
            async with asyncio.timeout(self.timeout):
                return await self._exchange(message)  # the server closed an idle one

    async def _exchange(self, message: bytes) -> Reply:
        if self.streams is None:
            self.streams = await asyncio.open_connection(self.host, self.port)
        reader, writer = self.streams
        writer.write(message)
        # The status line and the headers in one read: a read a line cost the client as much as a small API's route.
        status_line, *lines = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")[:-2]
        headers = {}
        for line in lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        reply = Reply(int(status_line.split(" ", 2)[1]), headers, await reader.readexactly(length) if length else b"")
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return reply

    async def close(self) -> None:
        """Close the connection (a later request opens a new one)."""
        if self.streams is not None:
            _, writer = self.streams
            self.streams = None
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
