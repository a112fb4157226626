"""The audit log: every write, and every read of another person's data, in the same transaction."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from people.access import Principal
from people.tables import ApiToken, AuditEntry, RoleAssignment

PAGE_LIMIT = 500
_READS = "tjenesteshop.reads"  # key in the session's `info`


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
    if subject_person_id is not None:
        _reads(session).audited.add(subject_person_id)
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


@dataclass
class _Reads:
    """The people whose data this request's principal has read, and those already audited by name."""

    principal: Principal | None = None
    subjects: set[uuid.UUID] = field(default_factory=set)
    audited: set[uuid.UUID] = field(default_factory=set)


def _reads(session: AsyncSession) -> _Reads:
    reads = session.info.get(_READS)
    if reads is None:
        reads = session.info[_READS] = _Reads()
    return reads


def note_read(session: AsyncSession, principal: Principal, subjects: Iterable[uuid.UUID]) -> None:
    """Remember that the principal has been given these people's data (the person's own reads are not logged).

    Free: nothing is written here. The access checks every read passes through call it, so a route cannot
    forget; `write_reads` logs the request's reads in one INSERT, in its transaction, when it answers.
    """
    reads = _reads(session)
    reads.principal = principal
    reads.subjects.update(s for s in subjects if s != principal.person_id)


def forget_reads(session: AsyncSession) -> None:
    """Drop what `note_read` remembered (the request is over, or was a write that audits itself)."""
    session.info.pop(_READS, None)


async def write_reads(session: AsyncSession, origin: Origin, *, action: str) -> None:
    """One audit entry per person whose data was read and is not audited by name already, in one INSERT."""
    reads = session.info.pop(_READS, None)
    if reads is None or reads.principal is None:
        return
    subjects = sorted(reads.subjects - reads.audited)
    if not subjects:
        return
    principal = reads.principal
    agent = (origin.user_agent or "")[:400] or None
    rows = [
        {
            "municipality_id": principal.municipality_id, "actor_person_id": principal.person_id,
            "actor_token_id": principal.token_id, "subject_person_id": subject, "action": action[:64],
            "object_type": "person", "object_id": str(subject), "outcome": "ok", "ip": origin.ip,
            "user_agent": agent, "request_id": origin.request_id,
        }
        for subject in subjects
    ]  # fmt: skip
    await session.execute(insert(AuditEntry).values(rows))


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


async def entries_of_departments(
    session: AsyncSession, municipality_id: uuid.UUID, departments: Collection[uuid.UUID], served: Select[Any]
) -> Sequence[AuditEntry]:
    """What the departments' own people and integrations did, newest first (a department administrator's view).

    Only entries by the departments' staff, administrators and tokens, about nobody in particular (the
    department's settings) or about a person the departments serve (`served` selects their ids) or employ.
    A person's own actions (a recipient's sign-ins, with their addresses) are not the department's business.
    """
    members = select(RoleAssignment.person_id).where(
        RoleAssignment.municipality_id == municipality_id,
        RoleAssignment.department_id.in_(departments),
        RoleAssignment.role.in_(("staff", "department_admin")),
    )
    tokens = select(ApiToken.id).where(
        ApiToken.municipality_id == municipality_id, ApiToken.department_id.in_(departments)
    )
    query = select(AuditEntry).where(
        AuditEntry.municipality_id == municipality_id,
        or_(AuditEntry.actor_person_id.in_(members), AuditEntry.actor_token_id.in_(tokens)),
        AuditEntry.actor_person_id.is_distinct_from(AuditEntry.subject_person_id),
        or_(
            AuditEntry.subject_person_id.is_(None),
            AuditEntry.subject_person_id.in_(served),
            AuditEntry.subject_person_id.in_(members),
        ),
    )
    return (await session.scalars(query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(PAGE_LIMIT))).all()
