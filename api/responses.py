"""The hot routes' answer: JSON encoded once, sent as it is.

Litestar answers a handler's `Response` by rendering its content and building an `ASGIResponse`, whose headers
are a mutable mapping filled one `add` at a time, its cookies normalised and its status checked; a `Response`
checks its cookies and headers against `typing.Mapping` as it is made. For a booking that was 8 % of the API's
CPU in one process (py-spy), around a body msgspec encodes in a few microseconds. `Encoded` is a `Response`
(so the route's `Response[BookingRead]` still documents what it holds) that sends its bytes with their type and
length and nothing else to do; the app's own headers are added on the way out as for every answer
(`api.middleware.response_headers`, `ServerTiming`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from litestar import Response
from litestar.enums import MediaType
from litestar.response.base import ASGIResponse

if TYPE_CHECKING:
    from litestar.app import Litestar
    from litestar.background_tasks import BackgroundTask, BackgroundTasks
    from litestar.connection import Request
    from litestar.datastructures import Cookie
    from litestar.types import HTTPResponseStartEvent, Receive, Scope, Send, TypeEncodersMap

T = TypeVar("T")
_JSON = MediaType.JSON.value.encode()


class _Answer(ASGIResponse):
    """One answer as an ASGI app: its start message, then its whole body (no background task, no cookies)."""

    __slots__ = ("start",)

    def __init__(self, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        # Not `ASGIResponse.__init__`: its headers are built one `add` at a time; these are ready to send.
        self.start: HTTPResponseStartEvent = {"type": "http.response.start", "status": status, "headers": headers}
        self.status_code, self.body, self.background, self.is_head_response = status, body, None, False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:  # noqa: ARG002 - ASGI's signature
        """Send the start, then the body."""
        await send(self.start)
        await send({"type": "http.response.body", "body": self.body, "more_body": False})


class Encoded(Response[T]):
    """`T`, encoded as JSON already (`msgspec.json.encode`, or by PostgreSQL), with a status and a few headers."""

    def __init__(
        self, body: bytes, *, status_code: int | None = None, headers: Mapping[str, str] | None = None
    ) -> None:
        """Not `Response.__init__`: there are no cookies, background tasks or encoders to normalise."""
        self.content = cast("T", body)
        self.status_code = status_code
        self.headers = dict(headers) if headers else {}
        self.media_type = MediaType.JSON
        self.cookies = []
        self.background = None
        self.encoding = "utf-8"
        self.response_type_encoders = {}

    def to_asgi_response(  # noqa: PLR0913 - Litestar's signature
        self,
        app: Litestar | None,
        request: Request[Any, Any, Any],
        *,
        background: BackgroundTask | BackgroundTasks | None = None,
        cookies: Iterable[Cookie] | None = None,
        encoded_headers: Iterable[tuple[bytes, bytes]] | None = None,
        headers: dict[str, str] | None = None,
        is_head_response: bool = False,
        media_type: MediaType | str | None = None,
        status_code: int | None = None,
        type_encoders: TypeEncodersMap | None = None,
    ) -> ASGIResponse:
        """The answer as it is; a route that sets cookies, headers or a background task gets Litestar's own."""
        if background is not None or cookies or encoded_headers or headers:
            return super().to_asgi_response(
                app, request, background=background, cookies=cookies, encoded_headers=encoded_headers,
                headers=headers, is_head_response=is_head_response, media_type=media_type, status_code=status_code,
                type_encoders=type_encoders,
            )  # fmt: skip
        body = cast("bytes", self.content)
        sent = [(b"content-type", _JSON), (b"content-length", str(len(body)).encode())]
        sent += [(name.encode("latin-1"), value.encode("latin-1")) for name, value in self.headers.items()]
        return _Answer(self.status_code or status_code or 200, sent, b"" if is_head_response else body)
