"""Rate limits (Litestar's middleware, counted in Redis so every API replica shares them)."""

from __future__ import annotations

import hashlib
from typing import Any

from litestar import Request
from litestar.middleware.rate_limit import RateLimitConfig, get_remote_address

from api.auth import SESSION_COOKIE, bearer_token

STORE = "rate_limit"


def credential_of(request: Request[Any, Any, Any]) -> str:
    """Who is asking, for per-person limits: the session or token (hashed), else the address."""
    credential = bearer_token(request) or request.cookies.get(SESSION_COOKIE)
    if credential:
        return "c:" + hashlib.sha256(credential.encode()).hexdigest()[:32]
    return "ip:" + get_remote_address(request)


def per_ip(per_minute: int) -> RateLimitConfig:
    """At most `per_minute` requests a minute from one address."""
    return RateLimitConfig(rate_limit=("minute", per_minute), store=STORE)


def per_person(per_minute: int) -> RateLimitConfig:
    """At most `per_minute` requests a minute from one signed-in person or token."""
    return RateLimitConfig(rate_limit=("minute", per_minute), store=STORE, identifier_for_request=credential_of)


SIGN_IN_PER_IP = per_ip(30)
