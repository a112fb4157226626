"""Server-side sign-in sessions in Redis: the browser holds only a random id in an HttpOnly cookie.

Redis keeps what a request needs (who, which municipality, the CSRF token, the provider) and nothing personal
in clear. The provider's ID token carries the national identity number (`pid`), yet ID-porten's logout needs it
back as `id_token_hint`; it is kept sealed (AES-GCM) under a key derived from the session id, which only the
browser's cookie holds (Redis has its hash), so a copy of Redis reveals no national id.

A session ends after SESSION_TTL_SECONDS without use, and in any case `max_age_seconds` after signing in (the absolute
lifetime, checked on every request however busy the session is). Each person's session keys are kept in a set, so
"sign out everywhere" can end them all.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import uuid
from dataclasses import dataclass, field, fields
from datetime import datetime

import msgspec
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from redis.asyncio import Redis

from core.clock import utcnow

SESSION_TTL_SECONDS = 8 * 3600  # a working day; renewed while in use
SESSION_MAX_AGE_SECONDS = 12 * 3600  # the default absolute lifetime (TJENESTESHOP_SESSION_MAX_HOURS)
SESSION_ID_BYTES = 32
_NONCE_BYTES = 12
_SEAL_CONTEXT = b"tjenesteshop:id-token:v1"


@dataclass(frozen=True)
class SignInSession:
    """What the server remembers about a signed-in browser."""

    person_id: str
    municipality_id: str
    csrf_token: str
    provider: str
    sealed_id_token: str | None = None  # for logging out at the provider; see `id_token_of`
    signed_in_at: float | None = None  # seconds since the epoch (the clock's); set by `create_session`
    # Only on its way from the sign-in to `create_session`, which seals it; never stored, never loaded.
    id_token: str | None = field(default=None, repr=False, compare=False)


_STORED = tuple(f.name for f in fields(SignInSession) if f.name != "id_token")


def session_key(prefix: str, session_id: str) -> str:
    """The Redis key of a session (`load_session` reads it with GETEX, renewing it for SESSION_TTL_SECONDS)."""
    return _key(prefix, session_id)


def _key(prefix: str, session_id: str) -> str:
    # Only a hash of the id is stored, so a copy of Redis cannot be replayed as cookies.
    return f"{prefix}session:{hashlib.sha256(session_id.encode()).hexdigest()}"


def _person_key(prefix: str, person_id: str) -> str:
    return f"{prefix}person-sessions:{person_id}"


def _seal_key(session_id: str) -> bytes:
    # The id has 256 random bits, and Redis knows only its plain SHA-256: a keyed, domain-separated hash of it
    # is a key nobody holding Redis can compute.
    return hashlib.sha256(_SEAL_CONTEXT + session_id.encode()).digest()


def _seal(session_id: str, id_token: str) -> str:
    nonce = secrets.token_bytes(_NONCE_BYTES)
    sealed = AESGCM(_seal_key(session_id)).encrypt(nonce, id_token.encode(), _SEAL_CONTEXT)
    return base64.urlsafe_b64encode(nonce + sealed).decode("ascii")


def id_token_of(session_id: str, session: SignInSession) -> str | None:
    """The provider's ID token for `id_token_hint` at logout, unsealed with the cookie's session id; or None."""
    return _unseal(session_id, session.sealed_id_token)


def _unseal(session_id: str, sealed: str | None) -> str | None:
    if sealed is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(sealed)
        plain = AESGCM(_seal_key(session_id)).decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], _SEAL_CONTEXT)
    except (InvalidTag, ValueError):
        return None
    return plain.decode()


CHOICE_TTL_SECONDS = 600


@dataclass(frozen=True)
class PendingChoice:
    """A sign-in waiting for the person to say which municipality (their national id is in several)."""

    person_ids: tuple[str, ...]
    provider: str
    next_path: str
    id_token: str | None = field(default=None, repr=False)


def _choice_key(prefix: str, token: str) -> str:
    return f"{prefix}choice:{hashlib.sha256(token.encode()).hexdigest()}"


async def store_choice(redis: Redis, prefix: str, choice: PendingChoice) -> str:
    """Keep the candidates (person ids, no national id; the ID token sealed) for 10 minutes; return the token."""
    token = secrets.token_urlsafe(SESSION_ID_BYTES)
    stored = {
        "person_ids": list(choice.person_ids),
        "provider": choice.provider,
        "next_path": choice.next_path,
        "sealed_id_token": None if choice.id_token is None else _seal(token, choice.id_token),
    }
    await redis.set(_choice_key(prefix, token), json.dumps(stored), ex=CHOICE_TTL_SECONDS)
    return token


async def take_choice(redis: Redis, prefix: str, token: str) -> PendingChoice | None:
    """The pending choice behind a token, once (it is deleted); None when unknown or expired."""
    raw = await redis.getdel(_choice_key(prefix, token))
    if raw is None:
        return None
    stored = json.loads(raw)
    return PendingChoice(
        person_ids=tuple(stored["person_ids"]),
        provider=stored["provider"],
        next_path=stored["next_path"],
        id_token=_unseal(token, stored.get("sealed_id_token")),
    )


def new_session(
    person_id: uuid.UUID, municipality_id: uuid.UUID, provider: str, id_token: str | None = None
) -> SignInSession:
    """The contents of a fresh session, with its own CSRF token (`id_token` is sealed when stored)."""
    return SignInSession(
        person_id=str(person_id),
        municipality_id=str(municipality_id),
        csrf_token=secrets.token_urlsafe(32),
        provider=provider,
        id_token=id_token,
    )


async def create_session(
    redis: Redis,
    prefix: str,
    session: SignInSession,
    *,
    max_age_seconds: int = SESSION_MAX_AGE_SECONDS,
    now: datetime | None = None,
) -> str:
    """Store a session under a new id (a new id every sign-in: no session fixation); return the id."""
    session_id = secrets.token_urlsafe(SESSION_ID_BYTES)
    stored = {name: getattr(session, name) for name in _STORED}
    stored["signed_in_at"] = (now or utcnow()).timestamp()
    if session.id_token is not None:
        stored["sealed_id_token"] = _seal(session_id, session.id_token)
    key, person_key = _key(prefix, session_id), _person_key(prefix, session.person_id)
    async with redis.pipeline(transaction=True) as pipe:
        pipe.set(key, json.dumps(stored), ex=min(SESSION_TTL_SECONDS, max_age_seconds))
        pipe.sadd(person_key, key)  # the key (a hash of the id), never the id itself
        pipe.expire(person_key, max_age_seconds)  # no session of the set outlives it
        await pipe.execute()
    return session_id


@dataclass(frozen=True)
class Fetched:
    """A session's stored value (None when there was none), read with GETEX in another round trip of the request."""

    raw: bytes | str | None


async def load_session(  # noqa: PLR0913 - keyword-only after the id; each is needed
    redis: Redis,
    prefix: str,
    session_id: str,
    *,
    max_age_seconds: int = SESSION_MAX_AGE_SECONDS,
    now: datetime | None = None,
    fetched: Fetched | None = None,
) -> SignInSession | None:
    """The session behind a cookie, renewing its idle expiry; None when unknown, idle too long or too old.

    `fetched`: what a GETEX of `session_key` (with `ex=SESSION_TTL_SECONDS`) returned in this request already,
    in the rate limit's round trip (`api.ratelimit`); without it the session is read here.
    """
    raw = fetched.raw if fetched is not None else await redis.getex(_key(prefix, session_id), ex=SESSION_TTL_SECONDS)
    if raw is None:
        return None
    data = msgspec.json.decode(raw)  # every signed-in request reads one: 0.4 µs, against 2.9 µs with `json.loads`
    stored = {name: value for name, value in data.items() if name in _STORED}
    at = (now or utcnow()).timestamp()
    changed = False
    if not isinstance(stored.get("signed_in_at"), int | float):  # stored before sessions had a lifetime
        stored["signed_in_at"], changed = at, True
    if at - stored["signed_in_at"] >= max_age_seconds:  # however busy: renewing the idle expiry does not extend it
        await delete_session(redis, prefix, session_id, str(stored.get("person_id", "")))
        return None
    legacy = data.get("id_token")
    if isinstance(legacy, str):  # stored in clear before it was sealed: seal it now
        stored["sealed_id_token"], changed = _seal(session_id, legacy), True
    if changed:  # and list it with the person's sessions (older ones were not), for signing out everywhere
        key, person_key = _key(prefix, session_id), _person_key(prefix, str(stored.get("person_id", "")))
        async with redis.pipeline(transaction=True) as pipe:
            pipe.set(key, json.dumps(stored), ex=SESSION_TTL_SECONDS)
            pipe.sadd(person_key, key)
            pipe.expire(person_key, max_age_seconds)
            await pipe.execute()
    return SignInSession(**stored)


async def delete_session(redis: Redis, prefix: str, session_id: str, person_id: str | None = None) -> None:
    """Sign out: the id is worthless from now on."""
    key = _key(prefix, session_id)
    async with redis.pipeline(transaction=True) as pipe:
        pipe.delete(key)
        if person_id:
            pipe.srem(_person_key(prefix, person_id), key)
        await pipe.execute()


async def delete_all_sessions(redis: Redis, prefix: str, person_id: str) -> int:
    """Sign out everywhere: end every session of the person; return how many were still alive."""
    person_key = _person_key(prefix, person_id)
    members: set[bytes | str] = await redis.smembers(person_key)  # type: ignore[misc]  # redis-py types sync and async as one
    keys = [key.decode() if isinstance(key, bytes) else key for key in members]
    if not keys:
        return 0
    async with redis.pipeline(transaction=True) as pipe:
        pipe.delete(*keys)
        pipe.srem(person_key, *keys)  # a session made meanwhile (a new sign-in) stays in the set
        ended, _ = await pipe.execute()
    return int(ended)


@dataclass(frozen=True)
class SessionSummary:
    """What a person may be told about one of their sessions: when and through which provider, no secrets."""

    signed_in_at: float | None
    provider: str


async def sessions_of(redis: Redis, prefix: str, person_id: str) -> list[SessionSummary]:
    """The person's live sessions, oldest first (sessions already ended are skipped)."""
    members: set[bytes | str] = await redis.smembers(_person_key(prefix, person_id))  # type: ignore[misc]  # redis-py types sync and async as one
    keys = sorted(key.decode() if isinstance(key, bytes) else key for key in members)
    if not keys:
        return []
    found = []
    for raw in await redis.mget(keys):
        if raw is None:
            continue
        data = json.loads(raw)
        at = data.get("signed_in_at")
        found.append(SessionSummary(at if isinstance(at, int | float) else None, str(data.get("provider", ""))))
    return sorted(found, key=lambda s: s.signed_in_at or 0.0)
