"""Server-side sign-in sessions in Redis: the browser holds only a random id in an HttpOnly cookie."""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from dataclasses import asdict, dataclass

from redis.asyncio import Redis

SESSION_TTL_SECONDS = 8 * 3600  # a working day; renewed while in use
SESSION_ID_BYTES = 32


@dataclass(frozen=True)
class SignInSession:
    """What the server remembers about a signed-in browser."""

    person_id: str
    municipality_id: str
    csrf_token: str
    provider: str
    id_token: str | None = None  # for logging out at the provider


def _key(prefix: str, session_id: str) -> str:
    # Only a hash of the id is stored, so a copy of Redis cannot be replayed as cookies.
    return f"{prefix}session:{hashlib.sha256(session_id.encode()).hexdigest()}"


def new_session(person_id: uuid.UUID, municipality_id: uuid.UUID, provider: str, id_token: str | None) -> SignInSession:
    """The contents of a fresh session, with its own CSRF token."""
    return SignInSession(
        person_id=str(person_id),
        municipality_id=str(municipality_id),
        csrf_token=secrets.token_urlsafe(32),
        provider=provider,
        id_token=id_token,
    )


async def create_session(redis: Redis, prefix: str, session: SignInSession) -> str:
    """Store a session under a new id (a new id every sign-in: no session fixation); return the id."""
    session_id = secrets.token_urlsafe(SESSION_ID_BYTES)
    await redis.set(_key(prefix, session_id), json.dumps(asdict(session)), ex=SESSION_TTL_SECONDS)
    return session_id


async def load_session(redis: Redis, prefix: str, session_id: str) -> SignInSession | None:
    """The session behind a cookie, renewing its expiry; None when unknown or expired."""
    key = _key(prefix, session_id)
    raw = await redis.getex(key, ex=SESSION_TTL_SECONDS)
    if raw is None:
        return None
    return SignInSession(**json.loads(raw))


async def delete_session(redis: Redis, prefix: str, session_id: str) -> None:
    """Sign out: the id is worthless from now on."""
    await redis.delete(_key(prefix, session_id))
