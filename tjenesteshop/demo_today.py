"""Demo visits today and tomorrow, so the staff have a day to work with the moment the demo starts.

`serve --demo` books them at every start, relative to the real clock: Kari's practical help for Per's department
and Emma's respite for Aisha's, today (one that has already started where the department has opened, so "Utført"
and "Ikke møtt" can be tried at once) and tomorrow, inside the opening hours. They are booked through the booking
service (as the municipality administrator, as of the day before), so the allocation and capacity ledgers stay
consistent (`tjenesteshop check`). Each has an idempotency key of its own day: starting again the same day, or the
next, books nothing twice; a visit the rules refuse (a closed day, the department full) is left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from booking.service import BookRequest, book
from core.clock import utcnow
from core.db import make_engine, make_sessionmaker
from core.errors import DomainError
from core.settings import Settings
from departments.ledger import rematerialize
from departments.tables import Department, OpeningRule, Service
from people.access import Principal
from people.audit import Origin
from people.tables import Municipality, Person, RoleAssignment
from tjenesteshop.demo import DEMO_DEPARTMENTS


@dataclass(frozen=True)
class NearVisit:
    """A visit of `minutes` for the recipient (given name) of the service (bokmål name), `day` days from today."""

    who: str
    service: str
    day: int
    minutes: int


# Short visits for Kari: her 3 hours a week stay bookable in the demo. Emma's respite has 16 hours a week.
NEAR_VISITS = (
    NearVisit("Kari", "Praktisk bistand i hjemmet", 0, 30),
    NearVisit("Kari", "Praktisk bistand i hjemmet", 1, 30),
    NearVisit("Emma", "Avlastning i hjemmet", 0, 120),
    NearVisit("Emma", "Avlastning i hjemmet", 1, 120),
)
TOMORROW_FROM = time(10)  # tomorrow's visits start at 10:00, or as soon after as the hours allow


def candidate_starts(
    rules: list[OpeningRule], service: Service, department: Department, minutes: int, day: date
) -> list[datetime]:
    """Every grid time on `day` whose visit, with the service's buffers, fits inside one of the weekday's windows."""
    grid, zone = department.grid_minutes, ZoneInfo(department.timezone)
    starts = []
    for rule in rules:
        if rule.weekday != day.weekday():
            continue
        first = rule.start_minute + service.buffer_before
        first += -first % grid
        last = rule.end_minute - service.buffer_after - minutes
        midnight = datetime.combine(day, time(), tzinfo=zone)
        starts += [midnight + timedelta(minutes=m) for m in range(first, last + 1, grid)]
    return sorted(starts)


def choose_start(starts: list[datetime], day: int, now: datetime, zone: ZoneInfo) -> datetime | None:
    """Today: the latest start already reached (a visit staff can mark now), else the first; tomorrow: from 10:00."""
    if not starts:
        return None
    if day == 0:
        reached = [start for start in starts if start <= now]
        return reached[-1] if reached else starts[0]
    later = [start for start in starts if start.astimezone(zone).time() >= TOMORROW_FROM]
    return later[0] if later else starts[0]


async def _admin(session: AsyncSession, municipality: Municipality) -> Principal:
    admin = await session.scalar(
        select(Person)
        .join(RoleAssignment, RoleAssignment.person_id == Person.id)
        .where(Person.municipality_id == municipality.id, RoleAssignment.role == "municipality_admin")
        .order_by(Person.given_name)
        .limit(1)
    )
    if admin is None:
        msg = "the demo has no municipality administrator to book as"
        raise LookupError(msg)
    return Principal(municipality_id=municipality.id, person_id=admin.id,
                     roles=frozenset({("municipality_admin", None)}))  # fmt: skip


async def book_near_visits(session: AsyncSession, settings: Settings, now: datetime) -> list[str]:
    """Book the demo's visits of today and tomorrow (see the module); what was booked, as short lines."""
    municipality = await session.scalar(select(Municipality).where(Municipality.number == settings.demo_municipality))
    if municipality is None:
        return []
    principal = await _admin(session, municipality)
    where = Department.municipality_id == municipality.id, Department.name.in_(DEMO_DEPARTMENTS)
    departments = {d.id: d for d in await session.scalars(select(Department).where(*where))}
    for department in departments.values():
        await rematerialize(session, department, now=now)  # today's cells, also on a later day's start
    active = select(Service).where(Service.department_id.in_(departments), Service.active)
    services = {s.name["nb"]: s for s in await session.scalars(active)}
    residents = select(Person).where(Person.municipality_id == municipality.id)
    people = {p.given_name: p for p in await session.scalars(residents)}
    booked = []
    for visit in NEAR_VISITS:
        service, person = services.get(visit.service), people.get(visit.who)
        if service is None or person is None:
            continue
        department = departments[service.department_id]
        zone = ZoneInfo(department.timezone)
        day = now.astimezone(zone).date() + timedelta(days=visit.day)
        rules = list(await session.scalars(select(OpeningRule).where(OpeningRule.department_id == department.id)))
        starts = candidate_starts(rules, service, department, visit.minutes, day)
        start = choose_start(starts, visit.day, now, zone)
        if start is None:
            continue
        request = BookRequest(person.id, service.id, start, visit.minutes)
        key = f"demo-near-{person.id}-{service.id}-{day.isoformat()}"
        try:
            async with session.begin_nested():
                booking = await book(session, principal, Origin(), request, key=key, now=start - timedelta(days=1))
        except DomainError:
            continue  # a closed day, a full department, a decision used up: no visit that day
        local = booking.starts_at.astimezone(zone)
        booked.append(f"{person.given_name} {local:%Y-%m-%d %H:%M} ({department.name})")
    return booked


async def load_near_visits(settings: Settings) -> str:
    """Book the visits of today and tomorrow in one transaction; a one-line summary."""
    engine = make_engine(settings)
    try:
        async with make_sessionmaker(engine).begin() as session:
            booked = await book_near_visits(session, settings, utcnow())
    finally:
        await engine.dispose()
    return "demo visits today and tomorrow: " + ("; ".join(booked) or "none (the departments are closed)")
