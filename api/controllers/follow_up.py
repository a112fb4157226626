"""Follow-up items (repeated no-shows) for coordinators, department staff and administrators."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

import msgspec
from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from api.dependencies import DbSession
from api.transactions import READS
from booking import follow_up
from booking.tables import FollowUp
from core.clock import utcnow
from people.access import Principal
from people.audit import Origin


class FollowUpRead(msgspec.Struct):
    """Something to look into for a recipient."""

    id: uuid.UUID
    recipient_id: uuid.UUID
    department_id: uuid.UUID
    kind: str
    details: dict[str, object]
    created_at: datetime
    resolved_at: datetime | None
    note: str | None

    @classmethod
    def of(cls, row: FollowUp) -> FollowUpRead:
        """From a row."""
        return cls(row.id, row.recipient_id, row.department_id, row.kind, row.details, row.created_at,
                   row.resolved_at, row.note)  # fmt: skip


class Resolution(msgspec.Struct, forbid_unknown_fields=True):
    """What was done."""

    note: Annotated[str, msgspec.Meta(max_length=1000)] | None = None


class FollowUpController(Controller):
    """`/api/v1/follow-ups`."""

    path = "/api/v1/follow-ups"
    tags = ["bookings"]  # noqa: RUF012 - Litestar's declared attribute type

    @get("/", summary="Open follow-ups I should see", opt={READS: "follow_up.read"})
    async def list_open(
        self, db_session: DbSession, current: NamedDependency[Principal], today: NamedDependency[date]
    ) -> list[FollowUpRead]:
        """Oldest first."""
        return [FollowUpRead.of(row) for row in await follow_up.open_follow_ups(db_session, current, today)]

    @post("/{follow_up_id:uuid}/resolve", summary="Mark a follow-up as handled")
    async def resolve(
        self, db_session: DbSession, current: NamedDependency[Principal], origin: NamedDependency[Origin],
        follow_up_id: FromPath[uuid.UUID], data: JSONBody[Resolution],
    ) -> FollowUpRead:  # fmt: skip
        """Audited; the item leaves the open list."""
        row = await follow_up.resolve(db_session, current, origin, follow_up_id=follow_up_id, note=data.note,
                                      now=utcnow())  # fmt: skip
        return FollowUpRead.of(row)
