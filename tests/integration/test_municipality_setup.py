"""Setting up a municipality from nothing: create it, add its first administrator; idempotent and audited."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import utcnow
from core.settings import Settings
from people.audit import Origin
from people.errors import InvalidNationalIdError, MunicipalityNotSetUpError, UnknownMunicipalityNumberError
from people.rules import national_id_hash, synthetic_national_id
from people.service import find_by_national_id
from people.setup import OPERATOR_TOKEN_PREFIX, NewAdministrator, add_administrator, create_municipality
from people.tables import ApiToken, AuditEntry, Municipality, RoleAssignment
from people.tokens import token_principal

ORIGIN = Origin(user_agent="test")
ADMIN = NewAdministrator(synthetic_national_id(date(1975, 3, 14), 200), "Åse", "Ødegård")


async def _actions(session: AsyncSession, municipality: Municipality) -> list[tuple[str, bool]]:
    rows = await session.execute(
        select(AuditEntry.action, AuditEntry.actor_token_id.is_not(None))
        .where(AuditEntry.municipality_id == municipality.id)
        .order_by(AuditEntry.id)
    )
    return [(action, by_token) for action, by_token in rows.tuples()]


async def test_create_is_idempotent_and_audited_by_the_operator(db_session: AsyncSession) -> None:
    first = await create_municipality(db_session, ORIGIN, number="3909", name="Larvik", now=utcnow())
    again = await create_municipality(db_session, ORIGIN, number="3909", name=None, now=utcnow())
    assert first.created
    assert not again.created
    assert again.municipality.id == first.municipality.id
    assert first.municipality.name == "Larvik"
    assert await _actions(db_session, first.municipality) == [("municipality.create", True)]
    operator = await db_session.scalar(select(ApiToken).where(ApiToken.municipality_id == first.municipality.id))
    assert operator is not None
    assert operator.prefix == OPERATOR_TOKEN_PREFIX
    assert operator.revoked_at is not None  # it names the operator; it can never be used


async def test_a_refused_number_creates_nothing(db_session: AsyncSession) -> None:
    with pytest.raises(UnknownMunicipalityNumberError):
        await create_municipality(db_session, ORIGIN, number="3805", name="Larvik", now=utcnow())
    assert await db_session.scalar(select(Municipality).where(Municipality.number.in_(["3805", "3909"]))) is None


async def test_the_first_administrator_is_added_once_and_audited(db_session: AsyncSession, settings: Settings) -> None:
    key = settings.national_id_key
    municipality = (
        await create_municipality(db_session, ORIGIN, number="4601", name="Bergen", now=utcnow())
    ).municipality
    first = await add_administrator(db_session, ORIGIN, number="4601", new=ADMIN, key=key, now=utcnow())
    again = await add_administrator(db_session, ORIGIN, number="4601", new=ADMIN, key=key, now=utcnow())
    assert first.created
    assert not again.created
    person = await find_by_national_id(db_session, municipality.id, ADMIN.national_id, key=key)
    assert person is not None
    assert person.national_id_hash == national_id_hash(ADMIN.national_id, key)
    roles = (await db_session.scalars(select(RoleAssignment.role).where(RoleAssignment.person_id == person.id))).all()
    assert roles == ["municipality_admin"]
    assert await _actions(db_session, municipality) == [
        ("municipality.create", True),
        ("person.create", True),
        ("role.grant", True),
    ]
    assert await token_principal(db_session, "operator", now=utcnow()) is None


async def test_a_bad_national_id_or_a_municipality_not_set_up_is_refused(
    db_session: AsyncSession, settings: Settings
) -> None:
    key = settings.national_id_key
    with pytest.raises(MunicipalityNotSetUpError):
        await add_administrator(db_session, ORIGIN, number="5001", new=ADMIN, key=key, now=utcnow())
    await create_municipality(db_session, ORIGIN, number="5001", name="Trondheim", now=utcnow())
    wrong = NewAdministrator(ADMIN.national_id[:-1] + str((int(ADMIN.national_id[-1]) + 1) % 10), "Ola", "Nordmann")
    with pytest.raises(InvalidNationalIdError) as refused:
        await add_administrator(db_session, ORIGIN, number="5001", new=wrong, key=key, now=utcnow())
    assert refused.value.fields == {"reason": "checksum"}
