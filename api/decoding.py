"""Reading a request's input: what a client may send in a body, a path and a query, checked once for every route.

Each class of bad input is refused here, before any handler runs, so a new route cannot forget one:
- a body to a JSON route must say `application/json` (or `+json`): 415 otherwise, not a guess;
- a body that is not UTF-8 or not JSON, or nested past the decoder's limit: 400 `malformed_body`;
- text containing NUL (U+0000), in a body (keys too), a path or a query: 422 `text_contains_nul`. PostgreSQL's
  text cannot hold it, and nothing a person types contains it.
The size limit (413) is Litestar's `request_max_body_size` (`api.app.REQUEST_MAX_BODY_SIZE`).
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.exceptions import SerializationException
from litestar.serialization import decode_json
from litestar.types import Empty, Scope

from api.problems import Problem

NUL = "\x00"


def is_json_media_type(content_type: str) -> bool:
    """`application/json`, or a `+json` type such as `application/merge-patch+json` (parameters ignored)."""
    media_type = content_type.partition(";")[0].strip().lower()
    return media_type == "application/json" or (media_type.startswith("application/") and media_type.endswith("+json"))


def contains_nul(value: object) -> bool:
    """Whether any string in a decoded JSON value (object keys included) contains NUL. Iterative: no depth limit."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if NUL in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


class ApiRequest(Request[Any, Any, Any]):
    """The app's request class: its JSON body is checked as the module docstring says before a handler sees it."""

    async def json(self) -> Any:  # noqa: ANN401 - any JSON value, as Litestar's own
        """The decoded JSON body, or a problem: 415 for another media type, 400 unreadable, 422 with NUL."""
        if self._json is not Empty:
            return self._json
        body = await self.body()
        if body and not is_json_media_type(self.headers.get("content-type", "")):
            raise Problem("unsupported_media_type")
        try:
            value = decode_json(body or b"null", type_decoders=self.route_handler.resolve_type_decoders())
        except (SerializationException, RecursionError, UnicodeDecodeError, ValueError) as exc:
            # msgspec raises RecursionError past its nesting limit and UnicodeDecodeError on bytes that are not UTF-8.
            raise Problem("malformed_body") from exc
        if contains_nul(value):
            raise Problem("text_contains_nul")
        self._json = self._connection_state.json = value
        return value


def refuse_nul_in_url(scope: Scope) -> None:
    """422 `text_contains_nul` for a NUL in the path or the query string (raw, or percent-encoded as %00).

    `api.middleware.Edge` calls it before the request reaches a route's own middleware or handler.
    """
    query: bytes = scope.get("query_string", b"")
    if NUL in scope["path"] or b"%00" in query or b"\x00" in query:
        raise Problem("text_contains_nul")
