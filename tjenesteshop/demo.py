"""Demo data: a municipality with two departments, services, opening hours, recipients, a proxy and staff.

Every national identity number here is a synthetic test number (month + 80), which no real person has.
Loading is idempotent: a second load finds the demo municipality and leaves it as it is. A municipality of
that number holding anything the demo did not make (people, departments, another name) is refused outright.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from booking.tables import Allocation
from core.clock import utcnow
from core.db import make_engine, make_sessionmaker
from core.settings import Settings
from departments.ledger import rematerialize
from departments.tables import Department, OpeningRule, Service
from people.rules import national_id_hash, national_id_masked, synthetic_national_id
from people.tables import Municipality, Person, ProxyLink, RoleAssignment
from tjenesteshop.demo_history import HISTORY_WEEKS, history

DEMO_MUNICIPALITY_NAME = "Demo kommune"
DEMO_DEPARTMENTS = ("Hjemmetjenesten, praktisk bistand", "Avlastning og oppfølging")


class DemoRefusedError(RuntimeError):
    """The demo's municipality number holds data the demo did not make: the demo must not touch it."""


@dataclass(frozen=True)
class DemoPerson:
    """A person of the demo, with the role they have."""

    given: str
    family: str
    born: date
    role: str
    language: str = "nb"
    address: str | None = None


PEOPLE = {
    "kari": DemoPerson("Kari", "Nordmann", date(1961, 4, 12), "recipient", address="Storgata 12, 3256 Larvik"),
    "ola": DemoPerson("Ola", "Hansen", date(1988, 9, 3), "recipient", language="nn"),
    "emma": DemoPerson("Emma", "Berg", date(2015, 2, 20), "recipient", address="Bøkeskogen 4, 3258 Larvik"),
    "liv": DemoPerson("Liv", "Berg", date(1984, 11, 30), "proxy"),
    "per": DemoPerson("Per", "Olsen", date(1979, 6, 1), "staff"),
    "aisha": DemoPerson("Aisha", "Ahmed", date(1992, 1, 17), "staff", language="en"),
    "hanne": DemoPerson("Hanne", "Lie", date(1970, 3, 8), "department_admin"),
    "tor": DemoPerson("Tor", "Dahl", date(1966, 12, 24), "municipality_admin"),
}


def _texts(nb: str, nn: str, en: str) -> dict[str, str]:
    return {"nb": nb, "nn": nn, "en": en}


def _departments(municipality: Municipality) -> tuple[Department, Department]:
    home = Department(
        municipality_id=municipality.id,
        name=DEMO_DEPARTMENTS[0],
        phone="+47 33 17 10 00",
        address="Rådhuset, Feødalsgata 2, 3256 Larvik",
    )
    respite = Department(
        municipality_id=municipality.id,
        name=DEMO_DEPARTMENTS[1],
        grid_minutes=30,
        notice_hours=12,
        phone="+47 33 17 10 50",
    )
    return home, respite


def _opening_rules(home: Department, respite: Department) -> list[OpeningRule]:
    weekdays, saturday, weekend = range(5), (5,), (5, 6)
    # (department, days, from hour, to hour, staff): three on duty before lunch and two after is the
    # seed's "varying number of staff inside the opening hours".
    table = [
        (home, weekdays, 8, 12, 3),
        (home, weekdays, 12, 16, 2),
        (home, saturday, 10, 14, 1),
        (respite, weekdays, 9, 15, 2),
        (respite, weekdays, 15, 20, 3),
        (respite, weekend, 10, 18, 2),
    ]
    return [
        OpeningRule(
            municipality_id=department.municipality_id,
            department_id=department.id,
            weekday=day,
            start_minute=start * 60,
            end_minute=end * 60,
            staff=staff,
        )
        for department, days, start, end, staff in table
        for day in days
    ]


def _services(home: Department, respite: Department) -> dict[str, Service]:
    services = {
        "practical": Service(
            department_id=home.id,
            name=_texts("Praktisk bistand i hjemmet", "Praktisk bistand i heimen", "Practical help at home"),
            description=_texts(
                "Hjelp til rengjøring, klesvask og innkjøp hjemme hos deg. Vi kommer til avtalt tid.",
                "Hjelp til reinhald, klesvask og innkjøp heime hos deg. Vi kjem til avtalt tid.",
                "Help with cleaning, laundry and shopping in your home. We come at the time you book.",
            ),
            durations=[30, 60, 90],
            buffer_before=15,
            buffer_after=15,
            home_visit=True,
        ),
        "double": Service(
            department_id=home.id,
            name=_texts("Bistand med to ansatte", "Bistand med to tilsette", "Help from two staff members"),
            description=_texts(
                "Når du trenger to hjelpere samtidig, for eksempel ved forflytning.",
                "Når du treng to hjelparar samstundes, til dømes ved forflytting.",
                "When you need two helpers at once, for example to be moved safely.",
            ),
            durations=[60],
            staff_units=2,
            buffer_before=15,
            buffer_after=15,
            home_visit=True,
        ),
        "respite": Service(
            department_id=respite.id,
            name=_texts("Avlastning i hjemmet", "Avlasting i heimen", "Respite care at home"),
            description=_texts(
                "En fast avlaster tar seg av barnet ditt hjemme, så du får tid til deg selv.",
                "Ein fast avlastar tek seg av barnet ditt heime, så du får tid til deg sjølv.",
                "A regular carer looks after your child at home, so you get time for yourself.",
            ),
            durations=[120, 180, 240],
            buffer_before=30,
            home_visit=True,
            category="respite",
        ),
        "followup": Service(
            department_id=respite.id,
            name=_texts("Oppfølgingssamtale", "Oppfølgingssamtale", "Follow-up conversation"),
            description=_texts(
                "En samtale med din faste kontakt om hvordan du har det, rus og psykisk helse.",
                "Ein samtale med den faste kontakten din om korleis du har det, rus og psykisk helse.",
                "A conversation with your regular contact about how you are, substance use and mental health.",
            ),
            durations=[30, 60],
        ),
    }
    for service in services.values():
        service.municipality_id = home.municipality_id
    return services


def _national_id(index: int, who: DemoPerson) -> str:
    return synthetic_national_id(who.born, 100 + 7 * index)


def demo_national_ids(settings: Settings) -> dict[str, tuple[str, str]]:
    """Each demo person's handle, full name and synthetic national id (for the demo's sign-in provider)."""
    del settings  # the same in every installation: synthetic numbers only
    return {
        handle: (f"{who.given} {who.family}", _national_id(index, who))
        for index, (handle, who) in enumerate(PEOPLE.items())
    }


def _people(municipality: Municipality, key: bytes) -> dict[str, Person]:
    people = {}
    for index, (handle, who) in enumerate(PEOPLE.items()):
        national_id = _national_id(index, who)
        people[handle] = Person(
            municipality_id=municipality.id,
            national_id_hash=national_id_hash(national_id, key),
            national_id_masked=national_id_masked(national_id),
            given_name=who.given,
            family_name=who.family,
            email=f"{who.given.lower()}.{who.family.lower()}@example.org",
            phone=f"+47 400 00 {index:03d}",
            language=who.language,
            address=who.address,
        )
    return people


def _roles(people: dict[str, Person], home: Department, respite: Department) -> list[RoleAssignment]:
    departments = {"per": home.id, "aisha": respite.id, "hanne": home.id}
    return [
        RoleAssignment(
            municipality_id=person.municipality_id,
            person_id=person.id,
            role=PEOPLE[handle].role,
            department_id=departments.get(handle),
        )
        for handle, person in people.items()
    ]


def _allocations(people: dict[str, Person], services: dict[str, Service], today: date) -> list[Allocation]:
    # From the Monday four weeks back, so the demo has a history (demo_history.py) to evaluate.
    start = today - timedelta(days=today.weekday()) - timedelta(weeks=HISTORY_WEEKS)
    specs = [
        ("kari", "practical", 180, "week", "ordinary", None, "DEMO-2026-001"),
        ("kari", "double", 60, "week", "ordinary", None, "DEMO-2026-002"),
        # A trial decision due for evaluation in ten days: inside the case worker's reminder window.
        ("ola", "followup", 120, "week", "trial", today + timedelta(days=10), "DEMO-2026-003"),
        # 16 hours of respite a week: above the coordinating committee's 15 hours.
        ("emma", "respite", 960, "week", "ordinary", None, "DEMO-2026-004"),
    ]
    return [
        Allocation(
            municipality_id=people[who].municipality_id,
            recipient_id=people[who].id,
            department_id=services[what].department_id,
            service_id=services[what].id,
            minutes=minutes,
            period=period,
            valid_from=start,
            valid_to=start + timedelta(days=365),
            kind=kind,
            evaluation_date=evaluation,
            external_ref=reference,
            case_worker_id=people["hanne"].id if kind == "trial" else None,
        )
        for who, what, minutes, period, kind, evaluation, reference in specs
    ]


async def _refuse_unless_demo_only(session: AsyncSession, settings: Settings, municipality: Municipality) -> None:
    """Raise DemoRefusedError when `municipality` holds a person or department the demo did not make."""
    hashes = [national_id_hash(number, settings.national_id_key) for _, number in demo_national_ids(settings).values()]
    people = (
        select(func.count())
        .select_from(Person)
        .where(Person.municipality_id == municipality.id, Person.national_id_hash.not_in(hashes))
    )
    departments = (
        select(func.count())
        .select_from(Department)
        .where(Department.municipality_id == municipality.id, Department.name.not_in(DEMO_DEPARTMENTS))
    )
    strangers = (await session.scalar(people) or 0) + (await session.scalar(departments) or 0)
    if municipality.name != DEMO_MUNICIPALITY_NAME or strangers:
        msg = (
            f"municipality {municipality.number} ({municipality.name}) holds data that is not the demo's: "
            "the demo never touches it (choose another TJENESTESHOP_DEMO_MUNICIPALITY)"
        )
        raise DemoRefusedError(msg)


async def _load(session: AsyncSession, settings: Settings) -> str:
    existing = await session.scalar(select(Municipality).where(Municipality.number == settings.demo_municipality))
    if existing is not None:
        await _refuse_unless_demo_only(session, settings, existing)
        return f"demo data already loaded ({existing.name})"
    municipality = Municipality(number=settings.demo_municipality, name=DEMO_MUNICIPALITY_NAME)
    session.add(municipality)
    await session.flush()
    home, respite = _departments(municipality)
    people = _people(municipality, settings.national_id_key)
    session.add_all([home, respite, *people.values()])
    await session.flush()
    services = _services(home, respite)
    session.add_all([*_opening_rules(home, respite), *services.values(), *_roles(people, home, respite)])
    await session.flush()
    today = utcnow().astimezone(settings.zone).date()
    session.add(
        ProxyLink(
            municipality_id=municipality.id,
            proxy_id=people["liv"].id,
            recipient_id=people["emma"].id,
            kind="parent",
            valid_from=today - timedelta(days=30),
            granted_by_id=people["tor"].id,
        )
    )
    allocations = _allocations(people, services, today)
    session.add_all(allocations)
    await session.flush()
    session.add_all(history(people, services, allocations, today, settings.zone))
    await session.flush()
    for department in (home, respite):
        await rematerialize(session, department, now=utcnow())
    return (
        f"demo data loaded: {municipality.name}, departments «{home.name}» and «{respite.name}», "
        f"{len(services)} services, {len(people)} people, {len(allocations)} allocations, "
        f"{HISTORY_WEEKS} weeks of past visits"
    )


async def load_demo(settings: Settings) -> str:
    """Load the demo data in one transaction; return a one-line summary.

    Raises:
        DemoRefusedError: the demo's municipality number holds data the demo did not make.

    """
    engine = make_engine(settings)
    try:
        async with make_sessionmaker(engine).begin() as session:
            return await _load(session, settings)
    finally:
        await engine.dispose()
