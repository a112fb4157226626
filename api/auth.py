"""Who is calling: a session cookie (people) or a bearer token (integrations); CSRF for cookies."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import asyncpg
from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from api.middleware import request_id_of
from api.problems import Problem
from api.roundtrip import ROUND_TRIPS, one_round_trip
from core.clock import utcnow
from core.settings import Settings
from people.access import Caller, Principal, SignedInPerson, person_principal
from people.audit import Origin
from people.sessions import SESSION_TTL_SECONDS, Fetched, SignInSession, load_session, session_key
from people.tokens import token_principal, token_principal_on

SESSION_COOKIE = "tjenesteshop_session"
CSRF_COOKIE = "tjenesteshop_csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SIGNED_IN = "signed_in"
"""A route's `opt` key: True when the route finds its caller itself (`caller`, on the driver) rather than through the
`current` dependency; its answers are documented as those of a route for the signed-in (401, 403)."""
FETCHED_SESSION = "tjenesteshop_fetched_session"
"""Key in the request's state: the session cookie's stored value, read already (`api.ratelimit.RateLimit`)."""


def bearer_token(request: Request[Any, Any, Any]) -> str | None:
    """The credentials of an `Authorization: Bearer` header, if any."""
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" and credentials.strip() else None


async def _sign_in(request: Request[Any, Any, Any], state: State) -> SignInSession | None:
    """The session the cookie names (read in the rate limit's round trip when it ran); CSRF checked for writes.

    Kept in the request's state as `sign_in` (signing out reads it), in the scope's dict itself: `request.state`
    makes a `State` each time it is read.
    """
    session_id = request.cookies.get(SESSION_COOKIE)
    if not session_id:
        return None
    settings: Settings = state.settings
    fetched = request.scope.get("state", {}).get(FETCHED_SESSION)
    if not isinstance(fetched, Fetched) and ROUND_TRIPS in state:  # not read with the rate limits: read it here
        key = session_key(settings.redis_prefix, session_id)
        [raw] = await one_round_trip(state[ROUND_TRIPS], [("GETEX", key, "EX", SESSION_TTL_SECONDS)])
        fetched = Fetched(raw)
    sign_in = await load_session(
        state.redis, settings.redis_prefix, session_id, max_age_seconds=settings.session_max_seconds,
        fetched=fetched if isinstance(fetched, Fetched) else None,
    )  # fmt: skip
    request.scope.setdefault("state", {})["sign_in"] = sign_in
    if sign_in is None:
        return None
    if request.method not in SAFE_METHODS and request.headers.get(CSRF_HEADER) != sign_in.csrf_token:
        # The cookie rides along with any cross-site form; only our own pages know this token.
        raise Problem("csrf_failed")
    return sign_in


def _invalid_token() -> Problem:
    return Problem("unauthorized", headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


def _unauthorized() -> Problem:
    return Problem("unauthorized", headers={"WWW-Authenticate": 'Bearer realm="tjenesteshop"'})


async def provide_principal(
    request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession], state: State
) -> Principal | None:
    """Dependency `principal`: the caller, or None when anonymous. A bad token is a 401, not anonymous."""
    secret = bearer_token(request)
    if secret is not None:
        principal = await token_principal(db_session, secret, now=utcnow())
        if principal is None:
            raise _invalid_token()
        return principal
    sign_in = await _sign_in(request, state)
    return None if sign_in is None else await person_principal(db_session, uuid.UUID(sign_in.person_id))


async def provide_current(principal: NamedDependency[Principal | None]) -> Principal:
    """Dependency `current`: the caller, who must be signed in (401 otherwise)."""
    if principal is None:
        raise _unauthorized()
    return principal


async def caller(request: Request[Any, Any, Any], conn: asyncpg.Connection) -> Caller:
    """`current` for the hot routes (`api.driver`): the same checks and 401s, the person's roles read later.

    A bearer token is looked up here; a signed-in person is taken from the session as it is (`SignedInPerson`),
    and the route's first statement reads their roles with its context (`people.access.CALLER`).
    """
    secret = bearer_token(request)
    if secret is not None:
        principal = await token_principal_on(conn, secret, now=utcnow())
        if principal is None:
            raise _invalid_token()
        return principal
    sign_in = await _sign_in(request, request.app.state)
    if sign_in is None:
        raise _unauthorized()
    return SignedInPerson(uuid.UUID(sign_in.municipality_id), uuid.UUID(sign_in.person_id))


def provide_origin(request: Request[Any, Any, Any]) -> Origin:
    """Dependency `origin`: where the request came from, for the audit log."""
    client = request.client.host if request.client else None
    return Origin(ip=client, user_agent=request.headers.get("user-agent"), request_id=request_id_of(request.scope))


def provide_today(state: State) -> date:
    """Dependency `today`: the local date in the installation's time zone."""
    settings: Settings = state.settings
    return utcnow().astimezone(settings.zone).date()
