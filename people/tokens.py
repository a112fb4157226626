"""API tokens for integrations: shown once, stored as a SHA-256 hash, scoped to a role, revocable."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

import asyncpg
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import driver_of
from core.errors import NotFoundError
from people.access import Principal
from people.audit import Origin, record
from people.errors import ForbiddenError, InvalidScopeError
from people.tables import ApiToken

TOKEN_PREFIX = "tjs_"  # noqa: S105 - a marker, not a secret
LAST_USED_RESOLUTION = timedelta(minutes=1)  # write last-used at most once a minute per token


def hash_token(secret: str) -> str:
    """The stored form: tokens are long random strings, so a fast hash is enough (no dictionary to try)."""
    return hashlib.sha256(secret.encode()).hexdigest()


async def create_token(  # noqa: PLR0913 - keyword-only; each names the token's scope
    session: AsyncSession,
    principal: Principal | None,
    origin: Origin,
    *,
    municipality_id: uuid.UUID,
    name: str,
    role: str,
    department_id: uuid.UUID | None,
) -> tuple[ApiToken, str]:
    """Create a token; return it and its secret, which is never shown again.

    `principal` is None only for the operator's CLI, which runs with the server's own rights.
    """
    if principal is not None and (principal.token_id is not None or not principal.is_municipality_admin):
        raise ForbiddenError
    if (role == "municipality_admin") != (department_id is None):
        raise InvalidScopeError(role=role)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        municipality_id=municipality_id,
        name=name,
        role=role,
        department_id=department_id,
        token_hash=hash_token(secret),
        prefix=secret[: len(TOKEN_PREFIX) + 6],
        created_by_id=None if principal is None else principal.person_id,
    )
    session.add(token)
    await session.flush()
    if principal is not None:
        await record(session, principal, origin, action="api_token.create", object_type="api_token", object_id=token.id)
    return token, secret


async def list_tokens(session: AsyncSession, principal: Principal) -> Sequence[ApiToken]:
    """The municipality's tokens, newest first (administrators)."""
    if not principal.is_municipality_admin or principal.token_id is not None:
        raise ForbiddenError
    query = select(ApiToken).where(ApiToken.municipality_id == principal.municipality_id)
    return (await session.scalars(query.order_by(ApiToken.created_at.desc()))).all()


async def revoke_token(
    session: AsyncSession, principal: Principal, origin: Origin, *, token_id: uuid.UUID, now: datetime
) -> ApiToken:
    """Revoke a token; it stops working at once."""
    if not principal.is_municipality_admin or principal.token_id is not None:
        raise ForbiddenError
    token = await session.get(ApiToken, token_id)
    if token is None or token.municipality_id != principal.municipality_id:
        raise NotFoundError
    if token.revoked_at is None:
        token.revoked_at = now
        await record(session, principal, origin, action="api_token.revoke", object_type="api_token", object_id=token.id)
    return token


FIND_TOKEN = (
    "SELECT id, municipality_id, role, department_id, revoked_at, last_used_at FROM api_token "  # noqa: S105 - a query
    "WHERE token_hash = $1"
)
MARK_TOKEN_USED = "UPDATE api_token SET last_used_at = $2 WHERE id = $1"  # noqa: S105 - as above


async def token_principal_on(conn: asyncpg.Connection, secret: str, *, now: datetime) -> Principal | None:
    """The principal behind a bearer token, or None when unknown or revoked. Notes when it was used.

    On the driver's connection: the API's hot routes call it as it is, `token_principal` through its session's.
    """
    if not secret.startswith(TOKEN_PREFIX):
        return None
    token = await conn.fetchrow(FIND_TOKEN, hash_token(secret))
    if token is None or token["revoked_at"] is not None:
        return None
    if token["last_used_at"] is None or now - token["last_used_at"] >= LAST_USED_RESOLUTION:
        await conn.execute(MARK_TOKEN_USED, token["id"], now)
    return Principal(
        municipality_id=token["municipality_id"],
        token_id=token["id"],
        roles=frozenset({(token["role"], token["department_id"])}),
    )


async def token_principal(session: AsyncSession, secret: str, *, now: datetime) -> Principal | None:
    """`token_principal_on` on the session's connection, in its transaction."""
    return await token_principal_on(await driver_of(session), secret, now=now)
