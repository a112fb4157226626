"""Persons and their roles (administrators), proxy links and coordinators (municipality administrators)."""

from __future__ import annotations

import uuid

from litestar import Controller, delete, get, post
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_204_NO_CONTENT

from api.dependencies import Current, DbSession, Today, Where
from api.schemas.people import (
    CoordinatorCreate,
    CoordinatorRead,
    PersonCreate,
    PersonRead,
    ProxyLinkCreate,
    ProxyLinkRead,
    RoleCreate,
    RoleRead,
)
from booking.access import visible_person
from core.clock import utcnow
from notifications import feeds
from people import service
from people.audit import record


class PersonController(Controller):
    """Register people, see them (audited when it is someone else), grant and revoke roles."""

    path = "/api/v1/persons"
    tags = ["people"]  # noqa: RUF012 - Litestar's declared attribute type

    @post("/", summary="Register a person (administrators)")
    async def create(
        self, db_session: DbSession, current: Current, origin: Where, state: State, data: JSONBody[PersonCreate]
    ) -> PersonRead:
        """A bad national identity number is a 422 naming why; a known one a 409."""
        new = service.NewPerson(**{f: getattr(data, f) for f in data.__struct_fields__})
        person = await service.create_person(db_session, current, origin, new, key=state.settings.national_id_key)
        return PersonRead.of(person)

    @get("/{person_id:uuid}", summary="A person I may see")
    async def read(
        self, db_session: DbSession, current: Current, origin: Where, today: Today, person_id: FromPath[uuid.UUID]
    ) -> PersonRead:
        """404 when the person is not mine to see; reading someone else's data is logged."""
        person = await visible_person(db_session, current, person_id, today)
        if person.id != current.person_id:
            await record(db_session, current, origin, action="person.read", object_type="person",
                         object_id=person.id, subject_person_id=person.id)  # fmt: skip
        return PersonRead.of(person)

    @post("/{person_id:uuid}/roles", summary="Grant a role")
    async def grant(
        self,
        db_session: DbSession,
        current: Current,
        origin: Where,
        person_id: FromPath[uuid.UUID],
        data: JSONBody[RoleCreate],
    ) -> RoleRead:
        """Municipality administrators grant any role; department administrators staff their department."""
        assignment = await service.grant_role(
            db_session, current, origin, person_id=person_id, role=data.role, department_id=data.department_id
        )
        return RoleRead.of(assignment)

    @delete("/{person_id:uuid}/roles/{role_id:uuid}", summary="Revoke a role", status_code=HTTP_204_NO_CONTENT)
    async def revoke(
        self,
        db_session: DbSession,
        current: Current,
        origin: Where,
        person_id: FromPath[uuid.UUID],
        role_id: FromPath[uuid.UUID],
    ) -> None:
        """The role stops counting at once (roles are read on every request)."""
        await service.revoke_role(db_session, current, origin, person_id=person_id, role_id=role_id)


class ProxyLinkController(Controller):
    """Proxies (parents, guardians, relatives with power of attorney) acting for recipients."""

    path = "/api/v1/proxy-links"
    tags = ["people"]  # noqa: RUF012 - Litestar's declared attribute type

    @post("/", summary="Let a proxy act for a recipient (municipality administrators)")
    async def create(
        self, db_session: DbSession, current: Current, origin: Where, today: Today, data: JSONBody[ProxyLinkCreate]
    ) -> ProxyLinkRead:
        """A period that ends before it starts, or has ended, is a 422."""
        link = await service.link_proxy(
            db_session,
            current,
            origin,
            proxy_id=data.proxy_id,
            recipient_id=data.recipient_id,
            kind=data.kind,
            valid_from=data.valid_from,
            valid_to=data.valid_to,
            today=today,
        )
        return ProxyLinkRead.of(link)

    @post("/{link_id:uuid}/end", summary="End a proxy link now")
    async def end(
        self, db_session: DbSession, current: Current, origin: Where, today: Today, link_id: FromPath[uuid.UUID]
    ) -> ProxyLinkRead:
        """The link grants nothing from now on (kept, ending today); the proxy's calendar feeds drop its visits."""
        now = utcnow()
        link = await service.end_proxy_link(db_session, current, origin, link_id=link_id, today=today, now=now)
        await feeds.refresh_for_person(db_session, link.municipality_id, link.proxy_id, now)
        return ProxyLinkRead.of(link)


class CoordinatorController(Controller):
    """Coordinators (primary contacts) who follow a recipient across departments."""

    path = "/api/v1/coordinators"
    tags = ["people"]  # noqa: RUF012 - Litestar's declared attribute type

    @post("/", summary="Make a staff member a recipient's coordinator (municipality administrators)")
    async def create(
        self, db_session: DbSession, current: Current, origin: Where, today: Today, data: JSONBody[CoordinatorCreate]
    ) -> CoordinatorRead:
        """The staff member then sees the recipient's plan in every department."""
        appointment = await service.appoint_coordinator(
            db_session,
            current,
            origin,
            staff_id=data.staff_id,
            recipient_id=data.recipient_id,
            valid_from=data.valid_from,
            valid_to=data.valid_to,
            today=today,
        )
        return CoordinatorRead.of(appointment)
