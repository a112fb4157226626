"""The coordinating committee's list (koordinerende utvalg): recipients whose decisions meet a threshold."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from booking.tables import Allocation
from core.errors import DomainError, NotFoundError
from departments.tables import Department, Service
from insight import rules
from people.access import Principal
from people.audit import Origin, record
from people.errors import ForbiddenError
from people.tables import Municipality, Person


class InvalidThresholdsError(DomainError):
    """Thresholds out of range; `fields` names them (weekly minutes 1..10080, respite percent 1..100)."""

    code = "invalid_thresholds"


@dataclass(frozen=True)
class Decision:
    """An active decision of a listed recipient."""

    allocation: Allocation
    service: Service
    department: Department
    weekly: Fraction


@dataclass(frozen=True)
class Case:
    """A recipient for the committee: why, their weekly minutes across departments, and their decisions."""

    recipient: Person
    reasons: tuple[str, ...]
    weekly_total: Fraction
    decisions: list[Decision]


def _municipality_admin(principal: Principal) -> None:
    if not principal.is_municipality_admin:
        raise ForbiddenError


async def _municipality(session: AsyncSession, principal: Principal) -> Municipality:
    municipality = await session.get(Municipality, principal.municipality_id)
    if municipality is None:  # a principal's municipality is a foreign key; gone only if deleted meanwhile
        raise NotFoundError
    return municipality


def thresholds_of(municipality: Municipality) -> rules.Thresholds:
    """The municipality's thresholds, as the rules take them."""
    return rules.Thresholds(
        municipality.committee_weekly_minutes, municipality.committee_respite_percent, municipality.committee_bpa
    )


async def thresholds(session: AsyncSession, principal: Principal) -> rules.Thresholds:
    """The caller's municipality's thresholds (municipality administrators)."""
    _municipality_admin(principal)
    return thresholds_of(await _municipality(session, principal))


async def set_thresholds(
    session: AsyncSession, principal: Principal, origin: Origin, new: rules.Thresholds
) -> rules.Thresholds:
    """Change the thresholds (municipality administrators); audited.

    Raises:
        InvalidThresholdsError: a value out of range (`insight.rules.threshold_problems`); nothing changes.

    """
    _municipality_admin(principal)
    problems = rules.threshold_problems(new)
    if problems:
        raise InvalidThresholdsError(fields=problems)
    municipality = await _municipality(session, principal)
    municipality.committee_weekly_minutes = new.weekly_minutes
    municipality.committee_respite_percent = new.respite_percent
    municipality.committee_bpa = new.bpa
    await record(session, principal, origin, action="committee_thresholds.update", object_type="municipality",
                 object_id=municipality.id)  # fmt: skip
    return new


def _cases(rows: Sequence[tuple[Allocation, Service, Department, Person]], limits: rules.Thresholds) -> list[Case]:
    by_recipient: dict[uuid.UUID, tuple[Person, list[Decision]]] = {}
    for allocation, service, department, person in rows:
        weekly = rules.weekly_share(allocation.minutes, allocation.period)
        by_recipient.setdefault(person.id, (person, []))[1].append(Decision(allocation, service, department, weekly))
    cases = []
    for person, decisions in by_recipient.values():
        grants = [rules.Grant(d.allocation.minutes, d.allocation.period, d.service.category) for d in decisions]
        reasons = rules.committee_reasons(grants, limits)
        if reasons:
            cases.append(Case(person, reasons, sum((d.weekly for d in decisions), Fraction(0)), decisions))
    return sorted(cases, key=lambda c: (c.recipient.family_name, c.recipient.given_name, str(c.recipient.id)))


async def committee_list(
    session: AsyncSession, principal: Principal, origin: Origin, *, today: date
) -> tuple[rules.Thresholds, list[Case]]:
    """Every recipient with a decision valid today that meets one of the municipality's thresholds.

    For municipality administrators (people and tokens). The thresholds: `insight.rules.committee_reasons`
    (respite is measured as one respite decision's weekly share against the whole week, 10080 minutes).
    Each listed recipient's data read is audited.
    """
    _municipality_admin(principal)
    limits = thresholds_of(await _municipality(session, principal))
    rows = await session.execute(
        select(Allocation, Service, Department, Person)
        .join(Service, Service.id == Allocation.service_id)
        .join(Department, Department.id == Allocation.department_id)
        .join(Person, Person.id == Allocation.recipient_id)
        .where(Allocation.municipality_id == principal.municipality_id, Allocation.valid_from <= today,
               or_(Allocation.valid_to.is_(None), Allocation.valid_to >= today))
        .order_by(Allocation.valid_from, Allocation.id)
    )  # fmt: skip
    cases = _cases(rows.tuples().all(), limits)
    for case in cases:
        await record(session, principal, origin, action="committee.read", object_type="person",
                     object_id=case.recipient.id, subject_person_id=case.recipient.id)  # fmt: skip
    return limits, cases
