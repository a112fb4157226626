"""The client's address: the connection's peer, or what a trusted proxy says in X-Forwarded-For, nothing else.

Rate limits per address, the audit log and the `/metrics` allow-list all read `scope["client"]`; `forward` sets
it, first thing in the app's middleware (`api.middleware.Edge`). Uvicorn's own proxy-header handling is off
(`tjenesteshop serve`), so the rule lives in one place and holds however the app is served.
"""

from __future__ import annotations

from functools import lru_cache
from ipaddress import ip_address
from typing import TYPE_CHECKING

from litestar.enums import ScopeType

from core.settings import Settings

if TYPE_CHECKING:
    from litestar.types import Scope

FORWARDED_FOR = b"x-forwarded-for"
FORWARDED_PROTO = b"x-forwarded-proto"
_MAX_HOPS = 20


@lru_cache(maxsize=4096)
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


def forward(settings: Settings, scope: Scope) -> None:
    """Behind a trusted proxy, the client `client_of` finds and the scheme it used at the proxy, in the scope.

    From any other peer the scope is left as it is.
    """
    peer = scope.get("client")
    if peer is None or not settings.is_trusted_proxy(peer[0]):
        return
    forwarded_for: list[str] = []
    proto: str | None = None
    for name, value in scope["headers"]:  # ASGI servers give the names in lower case
        if name == FORWARDED_FOR:
            forwarded_for.append(value.decode("latin-1"))
        elif name == FORWARDED_PROTO and proto is None:
            proto = value.decode("latin-1")
    client = client_of(settings, peer[0], forwarded_for)
    if client is not None and client != peer[0]:
        scope["client"] = (client, 0)
    scheme = (proto or "").split(",")[-1].strip().lower()
    if scheme in {"http", "https"}:
        scope["scheme"] = scheme if scope["type"] == ScopeType.HTTP else {"http": "ws", "https": "wss"}[scheme]
