"""A small municipality (and a neighbour) with one person in each position, for access tests."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta

import httpx
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from booking.tables import Allocation
from core.clock import utcnow
from core.settings import Settings
from departments.tables import Department, Service
from people.audit import Origin
from people.rules import national_id_hash, national_id_masked, synthetic_national_id
from people.sessions import create_session, new_session
from people.tables import ApiToken, Coordinator, Municipality, Person, ProxyLink, RoleAssignment
from people.tokens import create_token

SESSION_COOKIE = "tjenesteshop_session"


@dataclass
class World:
    """Ids of everything, by handle."""

    municipality: uuid.UUID
    other_municipality: uuid.UUID
    departments: dict[str, uuid.UUID] = field(default_factory=dict)
    people: dict[str, uuid.UUID] = field(default_factory=dict)
    roles: dict[str, uuid.UUID] = field(default_factory=dict)  # handle -> a role assignment id
    links: dict[str, uuid.UUID] = field(default_factory=dict)
    days: dict[str, date] = field(default_factory=dict)  # handle -> a local day the world's fixture used
    tokens: dict[str, uuid.UUID] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)
    national_ids: dict[str, str] = field(default_factory=dict)
    numbers: dict[str, int] = field(default_factory=dict)  # handle -> a row's integer id (a dead letter's, say)


# handle: (municipality "a" or "b", role, department handle or None)
PEOPLE = {
    "recipient": ("a", "recipient", None),
    "other_recipient": ("a", "recipient", None),
    "proxy": ("a", "proxy", None),
    "expired_proxy": ("a", "proxy", None),
    "staff": ("a", "staff", "d1"),
    "other_staff": ("a", "staff", "d2"),
    "coordinator": ("a", "staff", "d2"),
    "dept_admin": ("a", "department_admin", "d1"),
    "muni_admin": ("a", "municipality_admin", None),
    "new_person": ("a", "recipient", None),
    "foreign_admin": ("b", "municipality_admin", None),
    "other_dept_admin": ("a", "department_admin", "d2"),
}


def national_id_of(index: int) -> str:
    """The synthetic national id of the index-th person of the world."""
    return synthetic_national_id(date(1980, 1, 1) + timedelta(days=37 * index), 200 + index)


def _person(municipality_id: uuid.UUID, index: int, handle: str, key: bytes) -> Person:
    national_id = national_id_of(index)
    return Person(
        id=uuid.uuid4(),
        municipality_id=municipality_id,
        national_id_hash=national_id_hash(national_id, key),
        national_id_masked=national_id_masked(national_id),
        given_name=handle.replace("_", " ").title(),
        family_name="Testesen",
    )


async def build_world(session: AsyncSession, settings: Settings) -> World:
    """Insert the world in the test's transaction (committed to a savepoint) and return its ids."""
    a = Municipality(id=uuid.uuid4(), number="0001", name="Testkommune")
    b = Municipality(id=uuid.uuid4(), number="0002", name="Nabokommune")
    session.add_all([a, b])
    await session.flush()
    world = World(municipality=a.id, other_municipality=b.id)
    for handle in ("d1", "d2"):
        unit = Department(id=uuid.uuid4(), municipality_id=a.id, name=f"Avdeling {handle}")
        session.add(unit)
        world.departments[handle] = unit.id
    await session.flush()
    service = Service(
        id=uuid.uuid4(), municipality_id=a.id, department_id=world.departments["d1"], name={"nb": "Hjelp"},
        description={"nb": "Hjelp"}, durations=[60],
    )  # fmt: skip
    service2 = Service(
        id=uuid.uuid4(), municipality_id=a.id, department_id=world.departments["d2"], name={"nb": "Samtale"},
        description={"nb": "Samtale"}, durations=[60],
    )  # fmt: skip
    session.add_all([service, service2])
    municipalities = {"a": a.id, "b": b.id}
    for index, (handle, (where, role, department)) in enumerate(PEOPLE.items()):
        person = _person(municipalities[where], index, handle, settings.national_id_key)
        session.add(person)
        await session.flush()
        world.people[handle] = person.id
        world.national_ids[handle] = national_id_of(index)
        assignment = RoleAssignment(
            id=uuid.uuid4(), municipality_id=person.municipality_id, person_id=person.id, role=role,
            department_id=world.departments.get(department or ""),
        )  # fmt: skip
        session.add(assignment)
        world.roles[handle] = assignment.id
    today = utcnow().date()
    people = world.people
    session.add_all(
        [
            Allocation(
                municipality_id=a.id, recipient_id=people["recipient"], department_id=world.departments["d1"],
                service_id=service.id, minutes=120, period="week", valid_from=today - timedelta(days=7),
            ),
            Allocation(
                municipality_id=a.id, recipient_id=people["other_recipient"], department_id=world.departments["d2"],
                service_id=service2.id, minutes=120, period="week", valid_from=today - timedelta(days=7),
            ),
            Coordinator(
                municipality_id=a.id, staff_id=people["coordinator"], recipient_id=people["recipient"],
                valid_from=today - timedelta(days=1),
            ),
        ]
    )  # fmt: skip
    link = ProxyLink(
        id=uuid.uuid4(), municipality_id=a.id, proxy_id=people["proxy"], recipient_id=people["recipient"],
        kind="parent", valid_from=today - timedelta(days=30),
    )  # fmt: skip
    expired = ProxyLink(
        id=uuid.uuid4(), municipality_id=a.id, proxy_id=people["expired_proxy"], recipient_id=people["recipient"],
        kind="relative", valid_from=today - timedelta(days=60), valid_to=today - timedelta(days=1),
    )  # fmt: skip
    session.add_all([link, expired])
    world.links = {"proxy": link.id, "expired_proxy": expired.id}
    await session.flush()
    await _tokens(session, world)
    await session.commit()
    return world


async def _tokens(session: AsyncSession, world: World) -> None:
    for handle, role, department in (
        ("token_admin", "municipality_admin", None),
        ("token_dept", "department_admin", world.departments["d1"]),
        ("token_other_dept", "department_admin", world.departments["d2"]),
        ("token_foreign", "municipality_admin", None),
    ):
        municipality = world.other_municipality if handle == "token_foreign" else world.municipality
        token, secret = await create_token(
            session, None, Origin(), municipality_id=municipality, name=handle, role=role, department_id=department
        )
        world.tokens[handle] = token.id
        world.secrets[handle] = secret
    revoked, secret = await create_token(
        session, None, Origin(), municipality_id=world.municipality, name="revoked", role="municipality_admin",
        department_id=None,
    )  # fmt: skip
    revoked.revoked_at = utcnow()
    world.secrets["token_revoked"] = secret
    world.tokens["token_revoked"] = revoked.id
    assert isinstance(revoked, ApiToken)


async def sign_in(client: httpx.AsyncClient, redis: Redis, settings: Settings, world: World, who: str) -> None:
    """Make `client` act as `who`: a person's real server-side session, or a token's bearer header."""
    client.cookies.clear()
    client.headers.pop("authorization", None)
    client.headers.pop("x-csrf-token", None)
    if who == "anonymous":
        return
    if who.startswith("token_"):
        client.headers["authorization"] = f"Bearer {world.secrets[who]}"
        return
    municipality = world.other_municipality if who == "foreign_admin" else world.municipality
    session_id, csrf_token = await server_session(redis, settings, world.people[who], municipality)
    client.cookies.set(SESSION_COOKIE, session_id)
    client.headers["x-csrf-token"] = csrf_token


async def server_session(
    redis: Redis, settings: Settings, person_id: uuid.UUID, municipality_id: uuid.UUID
) -> tuple[str, str]:
    """A real server-side session for the person, as signing in makes one: its id (the cookie) and CSRF token."""
    session = new_session(person_id, municipality_id, "test", None)
    return await create_session(redis, settings.redis_prefix, session), session.csrf_token


async def session_headers(settings: Settings, person_id: uuid.UUID, municipality_id: uuid.UUID) -> dict[str, str]:
    """The headers a browser signed in as the person sends (for clients without a cookie jar of their own)."""
    redis = Redis.from_url(settings.redis_url or "")
    try:
        session_id, csrf_token = await server_session(redis, settings, person_id, municipality_id)
    finally:
        await redis.aclose()
    return {"Cookie": f"{SESSION_COOKIE}={session_id}", "X-CSRF-Token": csrf_token}
