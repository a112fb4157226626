"""Who is asking (the principal), and the person-to-person relations that grant access."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import BindParameter, ColumnElement, Select, bindparam, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from people.errors import ForbiddenError, SignedOutError
from people.tables import Coordinator, Person, ProxyLink, RoleAssignment


@dataclass(frozen=True)
class Principal:
    """A signed-in person, or an integration's API token, within one municipality."""

    municipality_id: uuid.UUID
    person_id: uuid.UUID | None = None
    token_id: uuid.UUID | None = None
    roles: frozenset[tuple[str, uuid.UUID | None]] = field(default_factory=frozenset)  # (role, department)

    def has_role(self, role: str) -> bool:
        """Whether the principal has `role` anywhere in its municipality."""
        return any(r == role for r, _ in self.roles)

    def departments(self, *roles: str) -> frozenset[uuid.UUID]:
        """The departments where the principal has one of `roles`."""
        return frozenset(d for r, d in self.roles if r in roles and d is not None)

    @property
    def is_municipality_admin(self) -> bool:
        """Administers the whole municipality."""
        return self.has_role("municipality_admin")

    def administered_departments(self) -> frozenset[uuid.UUID] | None:
        """The departments the principal administers; None for the whole municipality.

        Raises:
            ForbiddenError: the principal administers nothing.

        """
        if self.is_municipality_admin:
            return None
        departments = self.departments("department_admin")
        if not departments:
            raise ForbiddenError
        return departments


def _valid_on(model: type[ProxyLink | Coordinator], day: date | BindParameter[date]) -> ColumnElement[bool]:
    valid = (model.valid_from <= day) & or_(model.valid_to.is_(None), model.valid_to >= day)
    return valid & proxy_link_live() if model is ProxyLink else valid


def proxy_link_live() -> ColumnElement[bool]:
    """The proxy link has not been ended (ending one takes effect at once, not at midnight)."""
    return ProxyLink.ended_at.is_(None)


_SIGNED_IN = "tjenesteshop.signed_in"  # key in the session's `info`: the people `person_principal` loaded
# Built once, so SQLAlchemy keys and compiles it once; each sign-in check only binds the person's id.
_PERSON_AND_ROLES = (
    select(Person, RoleAssignment.role, RoleAssignment.department_id)
    .outerjoin(RoleAssignment, (RoleAssignment.person_id == Person.id)
               & (RoleAssignment.municipality_id == Person.municipality_id))
    .where(Person.id == bindparam("person"))
)  # fmt: skip


async def person_principal(session: AsyncSession, person_id: uuid.UUID) -> Principal | None:
    """The principal of a signed-in person, with their roles as they are now (revocation is immediate).

    One query: the person and their roles. The person is kept in the session (`session.info`): its identity
    map holds objects only by weak reference, so without that the object would be dropped at once and the
    request's access checks (`session.get(Person, ...)` of the caller themself) would select it again.
    """
    rows = (await session.execute(_PERSON_AND_ROLES, {"person": person_id})).tuples().all()
    if not rows:
        return None
    person = rows[0][0]
    session.info.setdefault(_SIGNED_IN, []).append(person)
    roles = frozenset((role, department) for _, role, department in rows if role is not None)
    return Principal(municipality_id=person.municipality_id, person_id=person.id, roles=roles)


@dataclass(frozen=True)
class SignedInPerson:
    """A signed-in person (from the session) whose roles are read with the request's first statement.

    The hot routes (`booking.driver`, `booking.free_slots`) select `CALLER` beside their context, so finding the
    caller costs no round trip of its own; `principal_of` then makes the `Principal` (401 when the person is gone).
    """

    municipality_id: uuid.UUID
    person_id: uuid.UUID

    @property
    def token_id(self) -> None:
        """A person, not an API token."""
        return None


Caller = Principal | SignedInPerson
"""Who calls a hot route: a principal known already (an API token's), or a signed-in person to read with it."""

# The caller's columns of a hot route's context query: `person` and `municipality` name its parameters.
CALLER = """EXISTS (SELECT 1 FROM person cp
                WHERE cp.id = {person} AND cp.municipality_id = {municipality}) AS caller_found,
       ARRAY(SELECT ROW(cr.role, cr.department_id) FROM role_assignment cr
              WHERE cr.person_id = {person} AND cr.municipality_id = {municipality}) AS caller_roles"""


def principal_of(caller: Caller, found: bool, roles: list[tuple[str, uuid.UUID | None]]) -> Principal:  # noqa: FBT001 - a query's column
    """The caller's principal, with the roles `CALLER` read (a token's principal as it is).

    Raises:
        SignedOutError: the signed-in person is gone (as `person_principal` finding no one: a 401).

    """
    if isinstance(caller, Principal):
        return caller
    if not found:
        raise SignedOutError
    return Principal(municipality_id=caller.municipality_id, person_id=caller.person_id, roles=frozenset(roles))


_REPRESENTED = (
    select(Person)
    .join(ProxyLink, ProxyLink.recipient_id == Person.id)
    .where(ProxyLink.proxy_id == bindparam("person"), ProxyLink.municipality_id == bindparam("municipality"),
           _valid_on(ProxyLink, bindparam("day")))
    .order_by(Person.given_name, Person.family_name)
)  # fmt: skip


def _valid_link(
    model: type[ProxyLink | Coordinator], holder: InstrumentedAttribute[uuid.UUID]
) -> Select[tuple[uuid.UUID]]:
    """Whether `person` holds a link of this kind to `recipient` in the municipality, valid on `day`."""
    return (
        select(model.id)
        .where(holder == bindparam("person"), model.recipient_id == bindparam("recipient"),
               model.municipality_id == bindparam("municipality"), _valid_on(model, bindparam("day")))
        .limit(1)
    )  # fmt: skip


_IS_PROXY = _valid_link(ProxyLink, ProxyLink.proxy_id)
_IS_COORDINATOR = _valid_link(Coordinator, Coordinator.staff_id)


async def represented(session: AsyncSession, principal: Principal, day: date) -> list[Person]:
    """The recipients a proxy acts for on `day` (through a proxy link valid that day)."""
    if principal.person_id is None:
        return []
    params = {"person": principal.person_id, "municipality": principal.municipality_id, "day": day}
    return list((await session.scalars(_REPRESENTED, params)).all())


async def is_proxy_for(session: AsyncSession, principal: Principal, recipient_id: uuid.UUID, day: date) -> bool:
    """Whether the principal holds a proxy link to the recipient valid on `day`."""
    if principal.person_id is None:
        return False
    params = {"person": principal.person_id, "recipient": recipient_id, "municipality": principal.municipality_id,
              "day": day}  # fmt: skip
    return await session.scalar(_IS_PROXY, params) is not None


async def is_coordinator_for(session: AsyncSession, principal: Principal, recipient_id: uuid.UUID, day: date) -> bool:
    """Whether the principal is the recipient's coordinator (primary contact) on `day`."""
    if principal.person_id is None or not principal.has_role("staff"):
        return False
    params = {"person": principal.person_id, "recipient": recipient_id, "municipality": principal.municipality_id,
              "day": day}  # fmt: skip
    return await session.scalar(_IS_COORDINATOR, params) is not None
