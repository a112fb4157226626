"""Department administration: a department's settings and its service catalogue. Never commits."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import cache
from typing import Any
from zoneinfo import available_timezones

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from departments.errors import (
    InvalidDurationsError,
    InvalidOpeningHoursError,
    ServiceTextRequiredError,
    UnknownTimezoneError,
)
from departments.ledger import rematerialize
from departments.rules import validate_rules
from departments.service import (
    administered_department,
    local_today,
    of_department,
    problem_list,
    stored_exception,
    stored_rules,
)
from departments.tables import Department, OpeningException, OpeningRule, Service
from people.access import Principal
from people.audit import Origin, record
from people.errors import ForbiddenError

DEPARTMENT_FIELDS = frozenset(
    {
        "name",
        "staff_feed_details",
        "timezone",
        "grid_minutes",
        "horizon_days",
        "notice_hours",
        "cancel_deadline_hours",
        "no_show_uses_allocation",
        "late_cancel_uses_allocation",
        "reminder_lead_minutes",
        "phone",
        "address",
        "waitlist_hold_minutes",
        "series_allowed",
        "series_share_percent",
    }
)
TIMELINE_FIELDS = frozenset({"timezone", "grid_minutes", "horizon_days"})  # a change re-materialises the ledger
SERVICE_FIELDS = frozenset(
    {"name", "description", "durations", "staff_units", "buffer_before", "buffer_after", "home_visit", "active"}
)
_NOT_ZONES = frozenset({"localtime", "Factory", "posixrules"})  # files in the zone folder, not IANA zones


@cache
def known_timezones() -> frozenset[str]:
    """The IANA time zone names this installation knows."""
    return frozenset(available_timezones()) - _NOT_ZONES


def _check_timezone(name: object) -> None:
    if name is not None and name not in known_timezones():
        raise UnknownTimezoneError(timezone=str(name))


def _only(fields: Mapping[str, Any], allowed: frozenset[str]) -> dict[str, Any]:
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"not a settable field: {sorted(unknown)}")
    return dict(fields)


SERVICE_TEXTS = ("name", "description")
TEXT_LANGUAGES = ("nb", "nn", "en")


def _service_texts(fields: dict[str, Any]) -> dict[str, Any]:
    """A service's texts trimmed; blank nynorsk and English left out (bokmål is shown), blank bokmål refused.

    Raises:
        ServiceTextRequiredError: a name or description given without bokmål text; `fields` names which.

    """
    missing = []
    for field in SERVICE_TEXTS:
        if fields.get(field) is None:
            continue
        texts = {language: str(fields[field].get(language) or "").strip() for language in TEXT_LANGUAGES}
        if not texts["nb"]:
            missing.append(f"{field}.nb")
        fields[field] = {language: text for language, text in texts.items() if text}
    if missing:
        raise ServiceTextRequiredError(fields=missing)
    return fields


def _normalised(fields: dict[str, Any]) -> dict[str, Any]:
    """Lists kept sorted and without repeats: durations shortest first, reminder leads earliest first."""
    if fields.get("reminder_lead_minutes") is not None:
        fields["reminder_lead_minutes"] = sorted(set(fields["reminder_lead_minutes"]), reverse=True)
    if fields.get("durations") is not None:
        fields["durations"] = sorted(set(fields["durations"]))
    return fields


async def create_department(
    session: AsyncSession, principal: Principal, origin: Origin, *, fields: Mapping[str, Any]
) -> Department:
    """A new department in the principal's municipality (municipality administrators)."""
    if not principal.is_municipality_admin:
        raise ForbiddenError
    values = _normalised(_only(fields, DEPARTMENT_FIELDS))
    _check_timezone(values.get("timezone"))
    department = Department(municipality_id=principal.municipality_id, **values)
    session.add(department)
    await session.flush()
    await record(session, principal, origin, action="department.create", object_type="department",
                 object_id=department.id)  # fmt: skip
    return department


async def update_department(  # noqa: PLR0913 - keyword-only after the principal
    session: AsyncSession,
    principal: Principal,
    origin: Origin,
    *,
    department_id: uuid.UUID,
    changes: Mapping[str, Any],
    now: datetime,
) -> Department:
    """Change some of a department's settings; a new grid must fit its opening hours and services."""
    department = await administered_department(session, principal, department_id, lock=True)
    values = _normalised(_only(changes, DEPARTMENT_FIELDS))
    _check_timezone(values.get("timezone"))
    grid = values.get("grid_minutes", department.grid_minutes)
    if grid != department.grid_minutes:
        await _check_grid(session, department, grid, now)
    moved = any(getattr(department, field) != values[field] for field in TIMELINE_FIELDS & set(values))
    for field, value in values.items():
        setattr(department, field, value)
    await session.flush()
    if moved:
        await rematerialize(session, department, now=now)
    await record(session, principal, origin, action="department.update", object_type="department",
                 object_id=department.id)  # fmt: skip
    return department


async def _check_grid(session: AsyncSession, department: Department, grid: int, now: datetime) -> None:
    """The stored rules, coming exceptions and active services must all fit the new grid."""
    where = {"department_id": department.id, "municipality_id": department.municipality_id}
    rules = (
        await session.scalars(
            select(OpeningRule).filter_by(**where).order_by(OpeningRule.weekday, OpeningRule.start_minute)
        )
    ).all()
    coming = OpeningException.day >= local_today(department, now)
    exceptions = (
        await session.scalars(select(OpeningException).filter_by(**where).where(coming).order_by(OpeningException.day))
    ).all()
    problems = validate_rules(stored_rules(rules), [stored_exception(e) for e in exceptions], grid)
    if problems:
        raise InvalidOpeningHoursError(grid_minutes=grid, problems=problem_list(problems))
    services = (await session.scalars(select(Service).filter_by(**where, active=True))).all()
    off_grid = [str(s.id) for s in services if any(duration % grid for duration in s.durations)]
    if off_grid:
        raise InvalidDurationsError(grid_minutes=grid, services=off_grid)


def _check_durations(durations: Sequence[int], grid: int) -> None:
    off_grid = [duration for duration in durations if duration % grid]
    if off_grid:
        raise InvalidDurationsError(grid_minutes=grid, durations=off_grid)


async def all_services(session: AsyncSession, principal: Principal, department_id: uuid.UUID) -> Sequence[Service]:
    """The whole catalogue for its administrators: active services first, then retired ones."""
    department = await administered_department(session, principal, department_id)
    query = (
        select(Service)
        .where(Service.department_id == department.id, Service.municipality_id == department.municipality_id)
        .order_by(Service.active.desc(), Service.name["nb"].astext, Service.id)
    )
    return (await session.scalars(query)).all()


async def create_service(
    session: AsyncSession,
    principal: Principal,
    origin: Origin,
    *,
    department_id: uuid.UUID,
    fields: Mapping[str, Any],
) -> Service:
    """Add a service to the catalogue; its durations must be on the department's grid."""
    department = await administered_department(session, principal, department_id, lock=True)
    values = _service_texts(_normalised(_only(fields, SERVICE_FIELDS)))
    _check_durations(values["durations"], department.grid_minutes)
    service = Service(municipality_id=department.municipality_id, department_id=department.id, **values)
    session.add(service)
    await session.flush()
    await record(session, principal, origin, action="service.create", object_type="service", object_id=service.id)
    return service


async def update_service(  # noqa: PLR0913 - keyword-only after the principal
    session: AsyncSession,
    principal: Principal,
    origin: Origin,
    *,
    department_id: uuid.UUID,
    service_id: uuid.UUID,
    changes: Mapping[str, Any],
) -> Service:
    """Change a service, or retire it (`active: false`); an active service's durations must fit the grid."""
    department = await administered_department(session, principal, department_id, lock=True)
    service = of_department(await session.get(Service, service_id), department)
    values = _service_texts(_normalised(_only(changes, SERVICE_FIELDS)))
    if values.get("active", service.active):
        _check_durations(values.get("durations", service.durations), department.grid_minutes)
    for field, value in values.items():
        setattr(service, field, value)
    await session.flush()
    await record(session, principal, origin, action="service.update", object_type="service", object_id=service.id)
    return service
