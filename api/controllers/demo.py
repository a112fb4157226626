"""Demo sign-in (`serve --demo` only): a page of the demo people, one click to sign in as any of them."""

from __future__ import annotations

import html
import uuid

from litestar import Controller, MediaType, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Response
from sqlalchemy import select

from api.controllers.auth import start_session
from api.dependencies import DbSession
from api.ratelimit import SIGN_IN_PER_IP
from core.errors import NotFoundError
from people.access import person_principal
from people.audit import Origin
from people.tables import Municipality, Person, RoleAssignment

ROLE_NAMES = {
    "recipient": "tjenestemottaker",
    "proxy": "pårørende",
    "staff": "tjenesteyter",
    "department_admin": "avdelingsleder",
    "municipality_admin": "kommuneadministrator",
}


async def _demo_people(db_session: DbSession, number: str) -> list[tuple[Person, list[str]]]:
    query = (
        select(Person, RoleAssignment.role)
        .join(Municipality, Municipality.id == Person.municipality_id)
        .join(RoleAssignment, RoleAssignment.person_id == Person.id)
        .where(Municipality.number == number)
        .order_by(Person.given_name, Person.family_name)
    )
    people: dict[uuid.UUID, tuple[Person, list[str]]] = {}
    for person, role in (await db_session.execute(query)).tuples():
        people.setdefault(person.id, (person, []))[1].append(ROLE_NAMES.get(role, role))
    return list(people.values())


def _page(people: list[tuple[Person, list[str]]]) -> str:
    items = "\n".join(
        f"""<li><form method="post" action="/auth/demo/{person.id}">
<button type="submit">Logg inn som {html.escape(person.given_name)} {html.escape(person.family_name)}</button>
<span>({html.escape(", ".join(roles))})</span></form></li>"""
        for person, roles in people
    )
    return f"""<!doctype html>
<html lang="nb"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Demoinnlogging &ndash; Tjenesteshop</title>
<style>body{{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;line-height:1.5}}
li{{list-style:none;margin:.75rem 0}}button{{font-size:1.1rem;padding:.6rem 1rem;min-height:44px;cursor:pointer}}
button:focus-visible{{outline:3px solid #0062ba;outline-offset:2px}}span{{margin-left:.5rem}}</style></head>
<body><main><h1>Demoinnlogging</h1>
<p>Dette er en demo. Velg hvem du vil være. Alle personene er oppdiktet og har syntetiske fødselsnumre.</p>
<ul>{items}</ul></main></body></html>"""


class DemoSignInController(Controller):
    """Exists only in demo mode; without it these paths answer 404."""

    path = "/auth/demo"
    tags = ["auth"]  # noqa: RUF012 - Litestar's declared attribute type
    middleware = [SIGN_IN_PER_IP]  # noqa: RUF012 - Litestar's declared attribute type
    include_in_schema = False

    @get("/", media_type=MediaType.HTML)
    async def page(self, db_session: DbSession, state: State) -> Response[str]:
        """The demo people, each with a sign-in button."""
        people = await _demo_people(db_session, state.settings.demo_municipality)
        return Response(_page(people), media_type=MediaType.HTML)

    @post("/{person_id:uuid}", status_code=303)
    async def sign_in(
        self, db_session: DbSession, state: State, origin: NamedDependency[Origin], person_id: FromPath[uuid.UUID]
    ) -> Redirect:
        """Sign in as a demo person (only people of the demo municipality)."""
        demo_ids = {person.id for person, _ in await _demo_people(db_session, state.settings.demo_municipality)}
        principal = await person_principal(db_session, person_id) if person_id in demo_ids else None
        if principal is None:
            raise NotFoundError
        cookies = await start_session(db_session, state, origin, principal=principal, provider="demo", id_token=None)
        return Redirect(path="/api/v1/me", status_code=303, cookies=cookies)
