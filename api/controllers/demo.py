"""Demo sign-in (`serve --demo` only): a page of the demo people, one click to sign in as any of them.

Only people with synthetic national ids (month + 80, which no real person has) are offered or accepted, and
each sign-in form carries a CSRF token: an HMAC, under the secret key, of a random value in a SameSite=Strict
cookie the page sets. Another site can neither read the token nor, without the secret, make one that matches
a cookie it managed to plant.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import secrets
import uuid
from typing import Any

from litestar import Controller, MediaType, Request, get, post
from litestar.datastructures import Cookie, State
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Response
from sqlalchemy import func, select

from api.auth import CSRF_HEADER
from api.controllers.auth import start_session
from api.controllers.home import app_is_built
from api.dependencies import DbSession
from api.problems import Problem
from api.ratelimit import SIGN_IN_PER_IP
from core.errors import NotFoundError
from core.settings import Settings
from people.access import person_principal
from people.audit import Origin
from people.rules import SYNTHETIC_MONTH_FIRST_DIGITS
from people.tables import Municipality, Person, RoleAssignment

ROLE_NAMES = {
    "recipient": "tjenestemottaker",
    "proxy": "pårørende",
    "staff": "tjenesteyter",
    "department_admin": "avdelingsleder",
    "municipality_admin": "kommuneadministrator",
}
PATH = "/auth/demo"
CSRF_COOKIE = "tjenesteshop_demo_csrf"
CSRF_FIELD = "csrf_token"
_FORM = "application/x-www-form-urlencoded"


def _csrf_token(settings: Settings, cookie: str) -> str:
    key = settings.secret_key.get_secret_value().encode()
    return hmac.new(key, b"demo-sign-in:" + cookie.encode(), hashlib.sha256).hexdigest()


async def _sent_token(request: Request[Any, Any, Any]) -> str:
    """The token of the form (a plain HTML post) or of the `X-CSRF-Token` header (the web app's fetch)."""
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    if request.headers.get("content-type", "").split(";", 1)[0].strip() == _FORM:
        value = (await request.form()).get(CSRF_FIELD)
        return value if isinstance(value, str) else ""
    return ""


async def _demo_people(db_session: DbSession, number: str) -> list[tuple[Person, list[str]]]:
    query = (
        select(Person, RoleAssignment.role)
        .join(Municipality, Municipality.id == Person.municipality_id)
        .join(RoleAssignment, RoleAssignment.person_id == Person.id)
        .where(Municipality.number == number)
        # Synthetic national ids only: pointed at a real municipality, the demo still signs in no real person.
        .where(func.substr(Person.national_id_masked, 3, 1).in_(SYNTHETIC_MONTH_FIRST_DIGITS))
        .order_by(Person.given_name, Person.family_name)
    )
    people: dict[uuid.UUID, tuple[Person, list[str]]] = {}
    for person, role in (await db_session.execute(query)).tuples():
        people.setdefault(person.id, (person, []))[1].append(ROLE_NAMES.get(role, role))
    return list(people.values())


def _page(people: list[tuple[Person, list[str]]], token: str) -> str:
    items = "\n".join(
        f"""<li class="person"><form method="post" action="{PATH}/{person.id}">
<input type="hidden" name="{CSRF_FIELD}" value="{token}">
<button type="submit">Logg inn som {html.escape(person.given_name)} {html.escape(person.family_name)}</button>
<span>({html.escape(", ".join(roles))})</span></form></li>"""
        for person, roles in people
    )
    return f"""<!doctype html>
<html lang="nb"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Demoinnlogging &ndash; Tjenesteshop</title>
<link rel="stylesheet" href="/plain.css"></head>
<body><main><h1>Demoinnlogging</h1>
<p>Dette er en demo. Velg hvem du vil være. Alle personene er oppdiktet og har syntetiske fødselsnumre.</p>
<ul>{items}</ul></main></body></html>"""


def _wants_page(request: Request[Any, Any, Any]) -> bool:
    """Whether the client asks for a page (a browser's form: `text/html` first) rather than JSON."""
    accept = request.headers.get("accept", "")
    best = request.accept.best_match([MediaType.HTML, MediaType.JSON], default=MediaType.JSON)
    return "text/html" in accept and best == MediaType.HTML


class DemoSignInController(Controller):
    """Exists only in demo mode; without it these paths answer 404."""

    path = PATH
    tags = ["auth"]  # noqa: RUF012 - Litestar's declared attribute type
    middleware = [SIGN_IN_PER_IP]  # noqa: RUF012 - Litestar's declared attribute type
    include_in_schema = False

    @get("/", media_type=MediaType.HTML)
    async def page(
        self, db_session: DbSession, state: State, request: Request[Any, Any, Any]
    ) -> Response[str] | Redirect:
        """The demo people, each with a sign-in button; sets the cookie the forms' CSRF token is bound to.

        A browser opening this address (a navigation) while the web app is built is sent to the app's own sign-in
        screen at `/`, which lists the same people in the reader's language; the app reads this page with fetch.
        """
        settings: Settings = state.settings
        if request.headers.get("sec-fetch-mode") == "navigate" and app_is_built():
            return Redirect(path="/", status_code=303, headers={"Cache-Control": "no-store"})
        cookie = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(32)
        people = await _demo_people(db_session, settings.demo_municipality)
        bound = Cookie(key=CSRF_COOKIE, value=cookie, path=PATH, httponly=True, samesite="strict",
                       secure=settings.secure_cookies)  # fmt: skip
        return Response(
            _page(people, _csrf_token(settings, cookie)),
            media_type=MediaType.HTML,
            cookies=[bound],
            headers={"Cache-Control": "no-store"},
        )

    @post("/{person_id:uuid}", status_code=303)
    async def sign_in(
        self,
        db_session: DbSession,
        state: State,
        origin: NamedDependency[Origin],
        request: Request[Any, Any, Any],
        person_id: FromPath[uuid.UUID],
    ) -> Redirect:
        """Sign in as a demo person (only people of the demo municipality), with the page's CSRF token."""
        cookie = request.cookies.get(CSRF_COOKIE, "")
        if not cookie or not hmac.compare_digest(await _sent_token(request), _csrf_token(state.settings, cookie)):
            raise Problem("csrf_failed")
        demo_ids = {person.id for person, _ in await _demo_people(db_session, state.settings.demo_municipality)}
        principal = await person_principal(db_session, person_id) if person_id in demo_ids else None
        if principal is None:
            raise NotFoundError
        cookies = await start_session(db_session, state, origin, principal=principal, provider="demo", id_token=None)
        # A browser's form lands in the app, signed in; a program (the app's own fetch, a script) gets who it is.
        landing = "/" if _wants_page(request) else "/api/v1/me"
        return Redirect(path=landing, status_code=303, cookies=cookies)
