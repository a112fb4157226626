"""Who is calling: a session cookie (people) or a bearer token (integrations); CSRF for cookies."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from api.middleware import request_id_of
from api.problems import Problem
from core.clock import utcnow
from core.settings import Settings
from people.access import Principal, person_principal
from people.audit import Origin
from people.sessions import Fetched, SignInSession, load_session
from people.tokens import token_principal

SESSION_COOKIE = "tjenesteshop_session"
CSRF_COOKIE = "tjenesteshop_csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FETCHED_SESSION = "tjenesteshop_fetched_session"
"""Key in the request's state: the session cookie's stored value, read already (`api.ratelimit.RateLimit`)."""


def bearer_token(request: Request[Any, Any, Any]) -> str | None:
    """The credentials of an `Authorization: Bearer` header, if any."""
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" and credentials.strip() else None


async def _from_session(
    request: Request[Any, Any, Any], db_session: AsyncSession, state: State
) -> tuple[Principal | None, SignInSession | None]:
    session_id = request.cookies.get(SESSION_COOKIE)
    if not session_id:
        return None, None
    settings: Settings = state.settings
    fetched = request.scope.get("state", {}).get(FETCHED_SESSION)
    sign_in = await load_session(
        state.redis, settings.redis_prefix, session_id, max_age_seconds=settings.session_max_seconds,
        fetched=fetched if isinstance(fetched, Fetched) else None,
    )  # fmt: skip
    if sign_in is None:
        return None, None
    if request.method not in SAFE_METHODS and request.headers.get(CSRF_HEADER) != sign_in.csrf_token:
        # The cookie rides along with any cross-site form; only our own pages know this token.
        raise Problem("csrf_failed")
    return await person_principal(db_session, uuid.UUID(sign_in.person_id)), sign_in


async def provide_principal(
    request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession], state: State
) -> Principal | None:
    """Dependency `principal`: the caller, or None when anonymous. A bad token is a 401, not anonymous."""
    secret = bearer_token(request)
    if secret is not None:
        principal = await token_principal(db_session, secret, now=utcnow())
        if principal is None:
            raise Problem("unauthorized", headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
        return principal
    principal, sign_in = await _from_session(request, db_session, state)
    request.state.sign_in = sign_in
    return principal


async def provide_current(principal: NamedDependency[Principal | None]) -> Principal:
    """Dependency `current`: the caller, who must be signed in (401 otherwise)."""
    if principal is None:
        raise Problem("unauthorized", headers={"WWW-Authenticate": 'Bearer realm="tjenesteshop"'})
    return principal


def provide_origin(request: Request[Any, Any, Any]) -> Origin:
    """Dependency `origin`: where the request came from, for the audit log."""
    client = request.client.host if request.client else None
    return Origin(ip=client, user_agent=request.headers.get("user-agent"), request_id=request_id_of(request.scope))


def provide_today(state: State) -> date:
    """Dependency `today`: the local date in the installation's time zone."""
    settings: Settings = state.settings
    return utcnow().astimezone(settings.zone).date()
