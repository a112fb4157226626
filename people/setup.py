"""Setting up a municipality from nothing: the municipality, its first administrator. Never commits.

The operator runs these from the command line, before anyone can sign in. Every audit entry needs an actor,
so the operator acts through a stand-in integration token of the municipality ("the operator, from the command
line"): created revoked, its secret never kept, so it can never be used to sign in; it only names the operator in
the log and in each person's view of who has handled their data.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from people.access import Principal
from people.audit import Origin, record
from people.errors import (
    InvalidNationalIdError,
    MunicipalityNameMismatchError,
    MunicipalityNotSetUpError,
    UnknownMunicipalityNumberError,
)
from people.municipalities import is_former_number, known_municipality, municipalities_called
from people.rules import national_id_problem
from people.service import NewPerson, create_person, find_by_national_id, grant_role
from people.tables import ApiToken, Municipality, RoleAssignment
from people.tokens import hash_token

OPERATOR_TOKEN_NAME = "Drift (kommandolinjen)"  # noqa: S105 - a name, not a secret
# Real tokens' prefixes start with "tjs_": the operator's is told apart by its own.
OPERATOR_TOKEN_PREFIX = "operator"  # noqa: S105 - a marker, not a secret


@dataclass(frozen=True)
class Outcome:
    """What a set-up step did: `created` False means it was there already (and nothing changed)."""

    municipality: Municipality
    created: bool


def check_municipality(number: str, name: str | None) -> str:
    """The official name of the municipality with this number; refuses a number or name that does not fit.

    Raises:
        UnknownMunicipalityNumberError: not a current kommunenummer (`former` when it was one before 2024;
            `suggestion` names the current number when `name` is a municipality's name).
        MunicipalityNameMismatchError: the number is another municipality's.

    """
    known = known_municipality(number)
    if known is None:
        suggestions = municipalities_called(name) if name else []
        raise UnknownMunicipalityNumberError(
            number=number,
            former=is_former_number(number),
            suggestion=[f"{m.number} {m.name}" for m in suggestions],
        )
    if name is not None and not known.is_called(name):
        raise MunicipalityNameMismatchError(number=number, official_name=known.name)
    return known.name


async def operator_principal(session: AsyncSession, municipality: Municipality, *, now: datetime) -> Principal:
    """The operator at the command line, as the principal of this municipality's administrator (see the module)."""
    query = select(ApiToken.id).where(
        ApiToken.municipality_id == municipality.id, ApiToken.prefix == OPERATOR_TOKEN_PREFIX
    )
    token_id = await session.scalar(query.limit(1))
    if token_id is None:
        token = ApiToken(
            municipality_id=municipality.id,
            name=OPERATOR_TOKEN_NAME,
            role="municipality_admin",
            department_id=None,
            token_hash=hash_token(secrets.token_urlsafe(32)),  # the secret is dropped here: nobody can use it
            prefix=OPERATOR_TOKEN_PREFIX,
            revoked_at=now,
        )
        session.add(token)
        await session.flush()
        token_id = token.id
    roles = frozenset({("municipality_admin", None)})
    return Principal(municipality_id=municipality.id, token_id=token_id, roles=roles)


async def create_municipality(
    session: AsyncSession, origin: Origin, *, number: str, name: str | None, now: datetime
) -> Outcome:
    """Create the municipality with its official name, or find it there already (idempotent)."""
    official = check_municipality(number, name)
    existing = await session.scalar(select(Municipality).where(Municipality.number == number))
    if existing is not None:
        return Outcome(existing, created=False)
    municipality = Municipality(number=number, name=official)
    session.add(municipality)
    await session.flush()
    operator = await operator_principal(session, municipality, now=now)
    await record(session, operator, origin, action="municipality.create", object_type="municipality",
                 object_id=municipality.id)  # fmt: skip
    return Outcome(municipality, created=True)


async def municipality_by_number(session: AsyncSession, number: str) -> Municipality:
    """The municipality set up here with this number, or `MunicipalityNotSetUpError`."""
    municipality = await session.scalar(select(Municipality).where(Municipality.number == number.strip()))
    if municipality is None:
        raise MunicipalityNotSetUpError(number=number)
    return municipality


@dataclass(frozen=True)
class NewAdministrator:
    """The first municipality administrator, known by national id; signs in with ID-porten."""

    national_id: str
    given_name: str
    family_name: str
    email: str | None = None
    phone: str | None = None


async def add_administrator(  # noqa: PLR0913 - keyword-only; each says what and where
    session: AsyncSession, origin: Origin, *, number: str, new: NewAdministrator, key: bytes, now: datetime
) -> Outcome:
    """Register the person (if new) and make them the municipality's administrator; idempotent.

    They are bound to the person at their first ID-porten sign-in: the sign-in finds the person by the national
    id's keyed hash, as it does for everyone (the number itself is never stored).
    """
    problem = national_id_problem(new.national_id)
    if problem is not None:
        raise InvalidNationalIdError(reason=problem)
    municipality = await municipality_by_number(session, number)
    operator = await operator_principal(session, municipality, now=now)
    person = await find_by_national_id(session, municipality.id, new.national_id, key=key)
    if person is None:
        details = NewPerson(new.national_id, new.given_name, new.family_name, phone=new.phone, email=new.email)
        person = await create_person(session, operator, origin, details, key=key)
    already = await session.scalar(
        select(RoleAssignment.id).where(
            RoleAssignment.person_id == person.id,
            RoleAssignment.role == "municipality_admin",
            RoleAssignment.department_id.is_(None),
        )
    )
    await grant_role(session, operator, origin, person_id=person.id, role="municipality_admin", department_id=None)
    return Outcome(municipality, created=already is None)
