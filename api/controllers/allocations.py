"""Decisions (vedtak): administrators and the case system create and change them; recipients see theirs."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Literal

from litestar import Controller, Response, get, patch, post
from litestar.params import FromPath, JSONBody, QueryParameter

from api.dependencies import Current, DbSession, Today, Where
from api.schemas.allocations import AllocationChange, AllocationCreate, AllocationRead
from api.transactions import READS
from booking import allocations


class AllocationController(Controller):
    """`/api/v1/allocations`."""

    path = "/api/v1/allocations"
    tags = ["allocations"]  # noqa: RUF012 - Litestar's declared attribute type

    @post("/", summary="Create a decision (idempotent on external_ref: a retry returns the first, 200)")
    async def create(
        self, db_session: DbSession, current: Current, origin: Where, today: Today, data: JSONBody[AllocationCreate]
    ) -> Response[AllocationRead]:
        """201 with the new decision; 200 with the existing one when the same reference and values came before."""
        allocation, created = await allocations.create_allocation(db_session, current, origin, data.to_input())
        view = (await allocations.with_use(db_session, [allocation], today))[0]
        return Response(AllocationRead.of(view), status_code=201 if created else 200)

    @get(
        "/",
        summary="Decisions: a recipient's (theirs, or one I may see), or my departments' (administrators)",
        opt={READS: "allocation.read"},
    )
    async def list_allocations(
        self, db_session: DbSession, current: Current, today: Today,
        recipient_id: Annotated[uuid.UUID | None, QueryParameter()] = None,
        department_id: Annotated[uuid.UUID | None, QueryParameter()] = None,
        active_on: Annotated[date | None, QueryParameter()] = None,
        kind: Annotated[Literal["ordinary", "trial"] | None, QueryParameter()] = None,
    ) -> list[AllocationRead]:  # fmt: skip
        """By start; with each one's use of its current period."""
        wanted = allocations.AllocationFilter(recipient_id, department_id, active_on, kind)
        return [AllocationRead.of(v) for v in await allocations.list_allocations(db_session, current, wanted, today)]

    @get("/{allocation_id:uuid}", summary="One decision", opt={READS: "allocation.read"})
    async def get_allocation(
        self, db_session: DbSession, current: Current, today: Today, allocation_id: FromPath[uuid.UUID]
    ) -> AllocationRead:
        """404 unless I may see it."""
        return AllocationRead.of(await allocations.get_allocation(db_session, current, allocation_id, today))

    @patch("/{allocation_id:uuid}", summary="Change or end a decision (409 lists the bookings in the way)")
    async def change(
        self, db_session: DbSession, current: Current, origin: Where, today: Today,
        allocation_id: FromPath[uuid.UUID], data: JSONBody[AllocationChange],
    ) -> AllocationRead:  # fmt: skip
        """The changed decision. Lower minutes apply from the current period on."""
        allocation = await allocations.update_allocation(
            db_session, current, origin, allocation_id=allocation_id, changes=data.changes(), today=today
        )
        return AllocationRead.of((await allocations.with_use(db_session, [allocation], today))[0])
