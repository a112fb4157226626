"""Sign-in with OpenID Connect (ID-porten for residents, the municipality's provider for staff), sign-out."""

from __future__ import annotations

import html
import uuid
from typing import Annotated, Any
from urllib.parse import parse_qs, urlsplit

from litestar import Controller, MediaType, Request, get, post
from litestar.datastructures import Cookie, State
from litestar.di import NamedDependency
from litestar.openapi import ResponseSpec
from litestar.params import FromQuery, QueryParameter
from litestar.response import Redirect, Response
from litestar.status_codes import HTTP_409_CONFLICT
from redis.asyncio import Redis
from sqlalchemy import select

from api.auth import CSRF_COOKIE, SESSION_COOKIE
from api.dependencies import DbSession
from api.problems import Problem
from api.ratelimit import SIGN_IN_PER_IP
from core.settings import Settings
from people import oidc
from people.access import Principal, person_principal
from people.audit import Origin, record
from people.service import people_by_national_id
from people.sessions import (
    CHOICE_TTL_SECONDS,
    PendingChoice,
    SignInSession,
    create_session,
    delete_all_sessions,
    delete_session,
    id_token_of,
    new_session,
    store_choice,
    take_choice,
)
from people.tables import Municipality

CALLBACK_PATH = "/auth/callback"
CHOOSE_PATH = "/auth/choose"
CHOICE_COOKIE = "tjenesteshop_choice"
LOGIN_STATE_COOKIE = "tjenesteshop_login"
LOGIN_STATE_SECONDS = 600


def oidc_providers(settings: Settings) -> dict[str, oidc.OidcProvider]:
    """The configured providers by name: `idporten` (residents) and `staff`."""
    providers = {}
    if settings.idporten_issuer and settings.idporten_client_id:
        secret = settings.idporten_client_secret
        providers["idporten"] = oidc.OidcProvider(
            name="idporten",
            issuer=settings.idporten_issuer,
            client_id=settings.idporten_client_id,
            client_secret=secret.get_secret_value() if secret else None,
            national_id_claim="pid",
            acr_values=settings.idporten_acr_values,
        )
    if settings.staff_oidc_issuer and settings.staff_oidc_client_id:
        secret = settings.staff_oidc_client_secret
        providers["staff"] = oidc.OidcProvider(
            name="staff",
            issuer=settings.staff_oidc_issuer,
            client_id=settings.staff_oidc_client_id,
            client_secret=secret.get_secret_value() if secret else None,
            national_id_claim=settings.staff_oidc_national_id_claim,
        )
    return providers


def session_cookies(settings: Settings, session_id: str, sign_in: SignInSession) -> list[Cookie]:
    """The session cookie (HttpOnly) and the CSRF cookie (readable by our own scripts)."""
    common: dict[str, Any] = {
        "path": "/",
        "secure": settings.secure_cookies,
        "samesite": "lax",
        "max_age": settings.session_max_seconds,  # the server ends it then (or after 8 hours unused) anyway
    }
    return [
        Cookie(key=SESSION_COOKIE, value=session_id, httponly=True, **common),
        Cookie(key=CSRF_COOKIE, value=sign_in.csrf_token, httponly=False, **common),
    ]


async def start_session(
    db_session: DbSession,
    state: State,
    origin: Origin,
    *,
    principal: Principal,
    provider: str,
    id_token: str | None,
) -> list[Cookie]:
    """Store a new server-side session for `principal`, log the sign-in, and return the cookies."""
    settings: Settings = state.settings
    assert principal.person_id is not None  # noqa: S101 - only people sign in
    sign_in = new_session(principal.person_id, principal.municipality_id, provider, id_token)
    session_id = await create_session(
        state.redis, settings.redis_prefix, sign_in, max_age_seconds=settings.session_max_seconds
    )
    await record(db_session, principal, origin, action="session.create", object_type="person",
                 object_id=principal.person_id, subject_person_id=principal.person_id)  # fmt: skip
    return session_cookies(settings, session_id, sign_in)


async def _candidates(db_session: DbSession, person_ids: list[uuid.UUID]) -> list[Principal]:
    """Whom a sign-in may become: those with roles (all of them when none has any), one a municipality."""
    principals = [p for p in [await person_principal(db_session, i) for i in person_ids] if p is not None]
    return [p for p in principals if p.roles] or principals


async def _ask_municipality(
    db_session: DbSession, request: Request[Any, Any, Any], settings: Settings, candidates: list[Principal], token: str
) -> Response[Any]:
    """409: the municipalities by name, as a page of buttons (a browser) or a problem (the web app)."""
    rows = await db_session.execute(
        select(Municipality.id, Municipality.name)
        .where(Municipality.id.in_([p.municipality_id for p in candidates]))
        .order_by(Municipality.name)
    )
    choices = [{"id": str(i), "name": name} for i, name in rows.tuples()]
    cookie = Cookie(key=CHOICE_COOKIE, value=token, path=CHOOSE_PATH, httponly=True, samesite="strict",
                    secure=settings.secure_cookies, max_age=CHOICE_TTL_SECONDS)  # fmt: skip
    if "text/html" in request.headers.get("accept", ""):
        return Response(_choice_page(choices), status_code=HTTP_409_CONFLICT, media_type=MediaType.HTML,
                        cookies=[cookie], headers={"Cache-Control": "no-store"})  # fmt: skip
    problem = Problem("choose_municipality", extra={"municipalities": choices, "choose": CHOOSE_PATH})
    response = problem.to_response(request)
    response.set_cookie(cookie)
    return response


def _choice_page(choices: list[dict[str, str]]) -> str:
    buttons = "\n".join(
        f"""<li><form method="post" action="{CHOOSE_PATH}">
<input type="hidden" name="municipality_id" value="{c["id"]}">
<button type="submit">{html.escape(c["name"])}</button></form></li>"""
        for c in choices
    )
    return f"""<!doctype html>
<html lang="nb"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Velg kommune &ndash; Tjenesteshop</title>
<link rel="stylesheet" href="/plain.css"></head>
<body><main><h1>Velg kommune</h1>
<p>Du er registrert i flere kommuner. Velg kommunen du vil logge inn i.</p>
<ul>{buttons}</ul></main></body></html>"""


async def _chosen_municipality(request: Request[Any, Any, Any]) -> str:
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip()
    if content_type == "application/x-www-form-urlencoded":
        value = (await request.form()).get("municipality_id")
    elif content_type == "application/json":
        body = await request.json()
        value = body.get("municipality_id") if isinstance(body, dict) else None
    else:
        value = None
    return value if isinstance(value, str) else ""


class AuthController(Controller):
    """`/auth/login` → the provider → `/auth/callback` → a session cookie; `/auth/logout` ends it."""

    path = "/auth"
    tags = ["auth"]  # noqa: RUF012 - Litestar's declared attribute type
    middleware = [SIGN_IN_PER_IP]  # noqa: RUF012 - Litestar's declared attribute type

    @get(
        "/login",
        summary="Start signing in",
        status_code=302,
        responses={404: ResponseSpec(None, description="No such sign-in provider here")},
    )
    async def login(
        self, state: State, provider: FromQuery[str] = "idporten", next_path: FromQuery[str] = "/"
    ) -> Redirect:
        """Redirect to the provider (authorization code flow with PKCE, state and nonce)."""
        settings: Settings = state.settings
        chosen = oidc_providers(settings).get(provider)
        if chosen is None:
            raise Problem("not_found")
        redis: Redis = state.redis
        url = await oidc.start_login(
            redis,
            chosen,
            redirect_uri=settings.base_url.rstrip("/") + CALLBACK_PATH,
            key_prefix=settings.redis_prefix,
            next_path=next_path,
        )
        # Bind the login to this browser: a callback link sent to someone else finds no matching cookie.
        login_state = parse_qs(urlsplit(url).query)["state"][0]
        cookie = Cookie(
            key=LOGIN_STATE_COOKIE,
            value=login_state,
            path=CALLBACK_PATH,
            httponly=True,
            secure=settings.secure_cookies,
            samesite="lax",
            max_age=LOGIN_STATE_SECONDS,
        )
        return Redirect(path=url, status_code=302, cookies=[cookie])

    @get("/callback", summary="Where the provider sends the browser back", status_code=303)
    async def callback(
        self,
        db_session: DbSession,
        state: State,
        origin: NamedDependency[Origin],
        request: Request[Any, Any, Any],
        login_state: Annotated[str, QueryParameter(name="state")],
        code: FromQuery[str | None] = None,
        error: FromQuery[str | None] = None,
    ) -> Response[Any]:
        """Finish the sign-in; people the municipality has not registered are refused with a clear reason.

        A national id registered in several municipalities signs in where the person has roles; when that is
        more than one, the answer is a 409 listing them by name, and `POST /auth/choose` finishes.
        """
        settings: Settings = state.settings
        providers = oidc_providers(settings)
        if error is not None or code is None:
            raise Problem("sign_in_failed", extra={"reason": "cancelled" if error == "access_denied" else "refused"})
        if request.cookies.get(LOGIN_STATE_COOKIE) != login_state:
            raise Problem("sign_in_failed", extra={"reason": "state_invalid"})
        try:
            result = await oidc.finish_login(
                state.redis, providers, state=login_state, code=code, key_prefix=settings.redis_prefix
            )
        except oidc.OidcError as exc:
            if exc.code == "acr_too_low":  # nothing is signed in; the person may try again at a higher level
                raise Problem("login_level_too_low", extra={"required": settings.idporten_acr_values}) from exc
            raise Problem("sign_in_failed", extra={"reason": exc.code}) from exc
        if result.national_id is None:
            raise Problem("sign_in_failed", extra={"reason": "claim_missing"})
        people = await people_by_national_id(db_session, result.national_id, key=settings.national_id_key)
        candidates = await _candidates(db_session, [person.id for person in people])
        if not candidates:
            raise Problem("not_registered")
        if len(candidates) > 1:  # registered with roles in several municipalities: the person says which
            pending = PendingChoice(tuple(str(p.person_id) for p in candidates), result.provider, result.next_path,
                                    result.id_token)  # fmt: skip
            token = await store_choice(state.redis, settings.redis_prefix, pending)
            return await _ask_municipality(db_session, request, settings, candidates, token)
        principal = candidates[0]
        cookies = await start_session(
            db_session, state, origin, principal=principal, provider=result.provider, id_token=result.id_token
        )
        cookies.append(Cookie(key=LOGIN_STATE_COOKIE, value="", path=CALLBACK_PATH, max_age=0, httponly=True,
                              secure=settings.secure_cookies))  # fmt: skip
        return Redirect(path=result.next_path, status_code=303, cookies=cookies)

    @post("/choose", summary="Finish signing in: the municipality chosen (when the person is in several)",
          status_code=303,
          responses={400: ResponseSpec(None, description="No pending choice, or another municipality")})  # fmt: skip
    async def choose(
        self,
        db_session: DbSession,
        state: State,
        origin: NamedDependency[Origin],
        request: Request[Any, Any, Any],
    ) -> Redirect:
        """`municipality_id` (a form field or JSON) names one the callback offered; the choice is used once."""
        settings: Settings = state.settings
        token = request.cookies.get(CHOICE_COOKIE)
        chosen = await _chosen_municipality(request)
        pending = await take_choice(state.redis, settings.redis_prefix, token) if token else None
        if pending is None:
            raise Problem("sign_in_failed", extra={"reason": "state_invalid"})
        candidates = await _candidates(db_session, [uuid.UUID(p) for p in pending.person_ids])
        principal = next((p for p in candidates if str(p.municipality_id) == chosen), None)
        if principal is None:
            raise Problem("sign_in_failed", extra={"reason": "choice_invalid"})
        cookies = await start_session(
            db_session, state, origin, principal=principal, provider=pending.provider, id_token=pending.id_token
        )
        cookies.append(Cookie(key=CHOICE_COOKIE, value="", path=CHOOSE_PATH, max_age=0, httponly=True,
                              secure=settings.secure_cookies))  # fmt: skip
        return Redirect(path=pending.next_path, status_code=303, cookies=cookies)

    @post("/logout", summary="Sign out (here, and at ID-porten when it was the sign-in)", status_code=200)
    async def logout(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        state: State,
        origin: NamedDependency[Origin],
        principal: NamedDependency[Principal | None],
    ) -> Response[dict[str, str]]:
        """End the session here; the cookies are cleared. Signing out twice is harmless.

        When the session came from an OpenID provider that offers logout (ID-porten does), the answer's
        `end_session_url` is where the browser goes next, to sign out there too and come back to the start page.
        """
        settings: Settings = state.settings
        session_id = request.cookies.get(SESSION_COOKIE)
        answer = {"status": "signed_out"}
        if session_id and principal is not None and principal.person_id is not None:
            sign_in: SignInSession | None = getattr(request.state, "sign_in", None)
            if sign_in is not None:
                at_provider = await _end_session_url(settings, session_id, sign_in)
                answer |= {"end_session_url": at_provider} if at_provider else {}
            await delete_session(state.redis, settings.redis_prefix, session_id, str(principal.person_id))
            await record(db_session, principal, origin, action="session.end", object_type="person",
                         object_id=principal.person_id, subject_person_id=principal.person_id)  # fmt: skip
        return Response(answer, cookies=_expired(settings))

    @post("/logout-everywhere", summary="Sign out on every device", status_code=200)
    async def logout_everywhere(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        state: State,
        origin: NamedDependency[Origin],
        current: NamedDependency[Principal],
    ) -> Response[dict[str, str | int]]:
        """End every session of the signed-in person (a lost phone, a shared computer), this one included."""
        settings: Settings = state.settings
        if current.person_id is None:
            raise Problem("forbidden")  # integration tokens have no sessions
        answer: dict[str, str | int] = {"status": "signed_out"}
        session_id = request.cookies.get(SESSION_COOKIE)
        sign_in: SignInSession | None = getattr(request.state, "sign_in", None)
        if session_id and sign_in is not None:
            at_provider = await _end_session_url(settings, session_id, sign_in)
            answer |= {"end_session_url": at_provider} if at_provider else {}
        answer["sessions_ended"] = await delete_all_sessions(state.redis, settings.redis_prefix, str(current.person_id))
        await record(db_session, current, origin, action="session.end_all", object_type="person",
                     object_id=current.person_id, subject_person_id=current.person_id)  # fmt: skip
        return Response(answer, cookies=_expired(settings))


def _expired(settings: Settings) -> list[Cookie]:
    return [
        Cookie(key=name, value="", path="/", max_age=0, secure=settings.secure_cookies)
        for name in (SESSION_COOKIE, CSRF_COOKIE)
    ]


async def _end_session_url(settings: Settings, session_id: str, sign_in: SignInSession) -> str | None:
    """ID-porten's logout (RP-initiated) for a session signed in there: with `id_token_hint`, back to our start page."""
    provider = oidc_providers(settings).get(sign_in.provider)
    id_token = id_token_of(session_id, sign_in)
    if provider is None or id_token is None:
        return None
    return await oidc.end_session_url(
        provider, id_token=id_token, post_logout_redirect_uri=settings.base_url.rstrip("/") + "/"
    )
