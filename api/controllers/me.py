"""`/api/v1/me`: who I am, whom I act for, and who has read or changed my data."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import FromQuery
from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.dependencies import DbSession
from api.schemas.people import AccessLogEntry, MeRead, PersonBrief, PersonRead, RoleRead
from booking.access import visible_person
from core.errors import NotFoundError
from people.access import Principal, is_proxy_for, represented
from people.audit import entries_about
from people.tables import ApiToken, AuditEntry, Person, RoleAssignment

_ROLES = select(RoleAssignment).where(
    RoleAssignment.person_id == bindparam("person"), RoleAssignment.municipality_id == bindparam("municipality")
)  # built once: SQLAlchemy keys and compiles it once, each request only binds


class MeController(Controller):
    """The caller's own view."""

    path = "/api/v1/me"
    tags = ["me"]  # noqa: RUF012 - Litestar's declared attribute type

    @get("/", summary="Who I am, my roles, whom I may act for")
    async def me(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        current: NamedDependency[Principal],
        today: NamedDependency[date],
    ) -> MeRead:
        """For a person: their details, roles, the recipients they act for and the CSRF token."""
        if current.person_id is None:
            token_roles = [
                RoleRead(id=current.token_id or uuid.uuid4(), role=r, department_id=d) for r, d in current.roles
            ]
            return MeRead(kind="token", municipality_id=current.municipality_id, roles=token_roles)
        person = await visible_person(db_session, current, current.person_id, today)
        roles = await db_session.scalars(_ROLES, {"person": current.person_id, "municipality": current.municipality_id})
        sign_in = getattr(request.state, "sign_in", None)
        return MeRead(
            kind="person",
            municipality_id=current.municipality_id,
            roles=[RoleRead.of(row) for row in roles],
            person=PersonRead.of(person),
            acts_for=[PersonBrief.of(p) for p in await represented(db_session, current, today)],
            csrf_token=None if sign_in is None else sign_in.csrf_token,
        )

    @get("/access-log", summary="Who has read or changed my data (or that of someone I act for)")
    async def access_log(
        self,
        db_session: DbSession,
        current: NamedDependency[Principal],
        today: NamedDependency[date],
        recipient_id: FromQuery[uuid.UUID | None] = None,
    ) -> list[AccessLogEntry]:
        """Entries by others than the person, newest first, with the actor's name."""
        if current.person_id is None:
            raise NotFoundError
        subject = current.person_id
        if recipient_id is not None and recipient_id != current.person_id:
            if not await is_proxy_for(db_session, current, recipient_id, today):
                raise NotFoundError
            subject = recipient_id
        entries = await entries_about(db_session, current.municipality_id, subject)
        names = await _actor_names(db_session, entries)
        return [
            AccessLogEntry(
                at=e.at,
                action=e.action,
                actor_name=names.get(e.actor_person_id or e.actor_token_id, ""),
                actor_kind="person" if e.actor_person_id else "integration",
            )
            for e in entries
        ]


async def _actor_names(db_session: AsyncSession, entries: Sequence[AuditEntry]) -> dict[uuid.UUID | None, str]:
    person_ids = {e.actor_person_id for e in entries if e.actor_person_id}
    token_ids = {e.actor_token_id for e in entries if e.actor_token_id}
    names: dict[uuid.UUID | None, str] = {}
    if person_ids:
        rows = await db_session.execute(
            select(Person.id, Person.given_name, Person.family_name).where(Person.id.in_(person_ids))
        )
        names.update({pid: f"{given} {family}" for pid, given, family in rows.tuples()})
    if token_ids:
        rows2 = await db_session.execute(select(ApiToken.id, ApiToken.name).where(ApiToken.id.in_(token_ids)))
        names.update(dict(rows2.tuples().all()))
    return names
