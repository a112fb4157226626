"""The audit log: every write, and every read of another person's data, in the same transaction."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from people.access import Principal
from people.tables import AuditEntry

PAGE_LIMIT = 500


@dataclass(frozen=True)
class Origin:
    """Where a request came from."""

    ip: str | None = None
    user_agent: str | None = None
    request_id: str | None = None


async def record(  # noqa: PLR0913 - each is one column of the entry; keyword-only at the call sites
    session: AsyncSession,
    principal: Principal,
    origin: Origin,
    *,
    action: str,
    object_type: str,
    object_id: uuid.UUID | str | None,
    subject_person_id: uuid.UUID | None = None,
    outcome: str = "ok",
) -> None:
    """Append an entry (no flush: it is written with the change it describes)."""
    session.add(
        AuditEntry(
            municipality_id=principal.municipality_id,
            actor_person_id=principal.person_id,
            actor_token_id=principal.token_id,
            subject_person_id=subject_person_id,
            action=action,
            object_type=object_type,
            object_id=None if object_id is None else str(object_id),
            outcome=outcome,
            ip=origin.ip,
            user_agent=(origin.user_agent or "")[:400] or None,
            request_id=origin.request_id,
        )
    )


async def entries_about(
    session: AsyncSession, municipality_id: uuid.UUID, subject_person_id: uuid.UUID, *, before: datetime | None = None
) -> Sequence[AuditEntry]:
    """Who has read or changed this person's data (others than the person), newest first."""
    query = select(AuditEntry).where(
        AuditEntry.municipality_id == municipality_id,
        AuditEntry.subject_person_id == subject_person_id,
        AuditEntry.actor_person_id.is_distinct_from(subject_person_id),
    )
    if before is not None:
        query = query.where(AuditEntry.at < before)
    return (await session.scalars(query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(PAGE_LIMIT))).all()


async def entries_in_scope(
    session: AsyncSession, municipality_id: uuid.UUID, *, subjects: Sequence[uuid.UUID] | None = None
) -> Sequence[AuditEntry]:
    """The municipality's log (or only entries about `subjects`), newest first."""
    query = select(AuditEntry).where(AuditEntry.municipality_id == municipality_id)
    if subjects is not None:
        query = query.where(AuditEntry.subject_person_id.in_(subjects))
    return (await session.scalars(query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(PAGE_LIMIT))).all()
