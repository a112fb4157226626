"""Integration tokens and the audit log (administrators)."""

from __future__ import annotations

import uuid

from litestar import Controller, get, post
from litestar.params import FromPath, JSONBody
from sqlalchemy import select

from api.dependencies import Current, DbSession, Where
from api.schemas.people import AuditRead, TokenCreate, TokenCreated, TokenRead
from booking.tables import Allocation
from core.clock import utcnow
from people import tokens
from people.audit import entries_in_scope, entries_of_departments
from people.errors import ForbiddenError


class TokenController(Controller):
    """Tokens for the municipality's integrations; only signed-in municipality administrators manage them."""

    path = "/api/v1/api-tokens"
    tags = ["admin"]  # noqa: RUF012 - Litestar's declared attribute type

    @get("/", summary="The municipality's integration tokens")
    async def list_tokens(self, db_session: DbSession, current: Current) -> list[TokenRead]:
        """Newest first, without secrets."""
        return [TokenRead.of(row) for row in await tokens.list_tokens(db_session, current)]

    @post("/", summary="Create a token; its secret is shown only in this response")
    async def create(
        self, db_session: DbSession, current: Current, origin: Where, data: JSONBody[TokenCreate]
    ) -> TokenCreated:
        """Store it in the integration's secret store at once."""
        token, secret = await tokens.create_token(
            db_session,
            current,
            origin,
            municipality_id=current.municipality_id,
            name=data.name,
            role=data.role,
            department_id=data.department_id,
        )
        return TokenCreated(token=TokenRead.of(token), secret=secret)

    @post("/{token_id:uuid}/revoke", summary="Revoke a token")
    async def revoke(
        self, db_session: DbSession, current: Current, origin: Where, token_id: FromPath[uuid.UUID]
    ) -> TokenRead:
        """It stops working at once."""
        return TokenRead.of(await tokens.revoke_token(db_session, current, origin, token_id=token_id, now=utcnow()))


class AuditController(Controller):
    """The audit log of an administrator's scope."""

    path = "/api/v1/audit-log"
    tags = ["admin"]  # noqa: RUF012 - Litestar's declared attribute type

    @get("/", summary="Who did what, newest first (administrators)")
    async def list_entries(self, db_session: DbSession, current: Current) -> list[AuditRead]:
        """The scope's entries.

        A municipality administrator sees the municipality; a department administrator what their
        departments' staff, administrators and tokens did (not recipients' own sign-ins and addresses).
        """
        if current.is_municipality_admin:
            return [AuditRead.of(e) for e in await entries_in_scope(db_session, current.municipality_id)]
        departments = current.departments("department_admin")
        if not departments:
            raise ForbiddenError
        served = select(Allocation.recipient_id).where(
            Allocation.department_id.in_(departments), Allocation.municipality_id == current.municipality_id
        )
        found = await entries_of_departments(db_session, current.municipality_id, departments, served)
        return [AuditRead.of(e) for e in found]
