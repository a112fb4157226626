"""Sign-in with OpenID Connect (ID-porten for residents, the municipality's provider for staff), sign-out."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import parse_qs, urlsplit

from litestar import Controller, Request, get, post
from litestar.datastructures import Cookie, State
from litestar.di import NamedDependency
from litestar.params import FromQuery, QueryParameter
from litestar.response import Redirect, Response
from redis.asyncio import Redis

from api.auth import CSRF_COOKIE, SESSION_COOKIE
from api.dependencies import DbSession
from api.problems import Problem
from api.ratelimit import SIGN_IN_PER_IP
from core.settings import Settings
from people import oidc
from people.access import Principal, person_principal
from people.audit import Origin, record
from people.service import find_by_national_id
from people.sessions import SESSION_TTL_SECONDS, SignInSession, create_session, delete_session, new_session

CALLBACK_PATH = "/auth/callback"
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
    secure = settings.base_url.startswith("https://")
    common: dict[str, Any] = {"path": "/", "secure": secure, "samesite": "lax", "max_age": SESSION_TTL_SECONDS}
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
    session_id = await create_session(state.redis, settings.redis_prefix, sign_in)
    await record(db_session, principal, origin, action="session.create", object_type="person",
                 object_id=principal.person_id, subject_person_id=principal.person_id)  # fmt: skip
    return session_cookies(settings, session_id, sign_in)


class AuthController(Controller):
    """`/auth/login` → the provider → `/auth/callback` → a session cookie; `/auth/logout` ends it."""

    path = "/auth"
    tags = ["auth"]  # noqa: RUF012 - Litestar's declared attribute type
    middleware = [SIGN_IN_PER_IP]  # noqa: RUF012 - Litestar's declared attribute type

    @get("/login", summary="Start signing in", status_code=302)
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
            secure=settings.base_url.startswith("https://"),
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
    ) -> Redirect:
        """Finish the sign-in; people the municipality has not registered are refused with a clear reason."""
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
            raise Problem("sign_in_failed", extra={"reason": exc.code}) from exc
        if result.national_id is None:
            raise Problem("sign_in_failed", extra={"reason": "claim_missing"})
        person = await find_by_national_id(db_session, None, result.national_id, key=settings.national_id_key)
        principal = None if person is None else await person_principal(db_session, person.id)
        if principal is None:
            raise Problem("not_registered")
        cookies = await start_session(
            db_session, state, origin, principal=principal, provider=result.provider, id_token=result.id_token
        )
        cookies.append(Cookie(key=LOGIN_STATE_COOKIE, value="", path=CALLBACK_PATH, max_age=0, httponly=True))
        return Redirect(path=result.next_path, status_code=303, cookies=cookies)

    @post("/logout", summary="Sign out", status_code=200)
    async def logout(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        state: State,
        origin: NamedDependency[Origin],
        principal: NamedDependency[Principal | None],
    ) -> Response[dict[str, str]]:
        """End the session here; the cookies are cleared. Signing out twice is harmless."""
        settings: Settings = state.settings
        session_id = request.cookies.get(SESSION_COOKIE)
        if session_id and principal is not None and principal.person_id is not None:
            await delete_session(state.redis, settings.redis_prefix, session_id)
            await record(db_session, principal, origin, action="session.end", object_type="person",
                         object_id=principal.person_id, subject_person_id=principal.person_id)  # fmt: skip
        expired = [Cookie(key=name, value="", path="/", max_age=0) for name in (SESSION_COOKIE, CSRF_COOKIE)]
        return Response({"status": "signed_out"}, cookies=expired)
