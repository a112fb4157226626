"""The client's address: the connection's peer, or what a trusted proxy says in X-Forwarded-For, nothing else.

Rate limits per address, the audit log and the `/metrics` allow-list all read `scope["client"]`; this middleware,
the app's outermost, sets it. Uvicorn's own proxy-header handling is off (`tjenesteshop serve`), so the rule
lives in one place and holds however the app is served.
"""

from __future__ import annotations

from ipaddress import ip_address
from typing import TYPE_CHECKING

from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware

from core.settings import Settings

if TYPE_CHECKING:
    from litestar.types import ASGIApp, Receive, Scope, Send

FORWARDED_FOR = "x-forwarded-for"
FORWARDED_PROTO = "x-forwarded-proto"
_MAX_HOPS = 20


def _valid(candidate: str) -> str | None:
    try:
        return str(ip_address(candidate))
    except ValueError:
        return None


def client_of(settings: Settings, peer: str | None, forwarded_for: list[str]) -> str | None:
    """The client's address: walk X-Forwarded-For from the right while each hop is a trusted proxy.

    Args:
        settings: Holds `trusted_proxies`.
        peer: The address of the connection's other end.
        forwarded_for: Every X-Forwarded-For header value, in order.

    Returns:
        `peer` unless it is a trusted proxy; otherwise the right-most address that is not a trusted proxy (a
        client may put anything at the left of the list, so only what trusted proxies appended counts). A
        malformed entry stops the walk at the last good one.

    """
    if not settings.is_trusted_proxy(peer):
        return peer
    hops = [hop.strip() for value in forwarded_for for hop in value.split(",") if hop.strip()][-_MAX_HOPS:]
    client = peer
    for hop in reversed(hops):
        address = _valid(hop)
        if address is None:
            break
        client = address
        if not settings.is_trusted_proxy(address):
            break
    return client


class TrustedProxyMiddleware(ASGIMiddleware):
    """Sets `scope["client"]` to the address `client_of` finds."""

    scopes = (ScopeType.HTTP, ScopeType.WEBSOCKET)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        """Replace the peer with the forwarded client when the peer is a trusted proxy."""
        settings: Settings = scope["litestar_app"].state.settings
        peer = scope.get("client")
        if peer is not None and settings.is_trusted_proxy(peer[0]):
            headers = MutableScopeHeaders(scope)
            client = client_of(settings, peer[0], list(headers.getall(FORWARDED_FOR, [])))
            if client is not None and client != peer[0]:
                scope["client"] = (client, 0)
            proto = (headers.get(FORWARDED_PROTO) or "").split(",")[-1].strip().lower()
            if proto in {"http", "https"}:  # the scheme the client used at the proxy
                scope["scheme"] = proto if scope["type"] == ScopeType.HTTP else {"http": "ws", "https": "wss"}[proto]
        await next_app(scope, receive, send)
