"""Which Web Push endpoints a browser may register: public https push services only (no internal addresses)."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from core.errors import DomainError

# Names that never reach a public push service: this machine, the local network, private zones.
_PRIVATE_SUFFIXES = (
    ".localhost", ".local", ".internal", ".intranet", ".lan", ".home", ".corp", ".private", ".home.arpa",
    ".localdomain", ".test", ".invalid", ".onion", ".arpa",
)  # fmt: skip
HTTPS_PORT = 443


class PushEndpointNotAllowedError(DomainError):
    """The endpoint is not a public https push service (the worker would post to it)."""

    code = "push_endpoint_not_allowed"


def refusal(endpoint: str) -> str | None:
    """Why the endpoint may not be registered, or None when it names a public https push service.

    Only `https` on port 443 to a public DNS name (at least two labels, no local or private zone) or to a
    globally routable IP address; no user name or password in the URL.
    """
    try:
        parts = urlsplit(endpoint)
        port = parts.port
    except ValueError:
        return "malformed"
    host = (parts.hostname or "").rstrip(".").lower()
    if parts.scheme != "https" or not host:
        return "not_https"
    if parts.username is not None or parts.password is not None:
        return "credentials"
    if port not in (None, HTTPS_PORT):
        return "port"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return _name_refusal(host)
    return None if address.is_global and not address.is_multicast else "private_address"


def _name_refusal(host: str) -> str | None:
    if "." not in host or host == "localhost" or f".{host}".endswith(_PRIVATE_SUFFIXES):
        return "private_name"
    labels = host.split(".")
    if all(label.isdigit() for label in labels) or labels[-1].isdigit():
        return "private_address"  # a numeric form ipaddress does not read (`127.1`, `0x7f.1`) is refused too
    if host.startswith("0x") or any(label.startswith("0x") for label in labels):
        return "private_address"
    return None


def check(endpoint: str) -> None:
    """Refuse an endpoint that is not a public https push service.

    Raises:
        PushEndpointNotAllowedError: with `reason` (not_https, credentials, port, private_address, private_name).

    """
    reason = refusal(endpoint)
    if reason is not None:
        raise PushEndpointNotAllowedError(reason=reason)
