"""OpenID Connect sign-in (authorization code flow with PKCE and nonce) against ID-porten or staff providers."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import quote, urlencode, urlsplit

import httpx
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, KeySetSerialization
from joserfc.jws import extract_compact
from redis.asyncio import Redis

STATE_TTL_SECONDS = 600
DISCOVERY_TTL_SECONDS = 300.0
HTTP_TIMEOUT_SECONDS = 10.0
CLOCK_LEEWAY_SECONDS = 60
_MAX_STATE_LENGTH = 128
_MAX_NEXT_LENGTH = 2048
# Asymmetric algorithms only: never "none", never HMAC with a secret an attacker might share.
_ALGORITHMS = ("RS256", "PS256", "ES256")
# ID-porten's levels of assurance (`acr`), weakest first; Level3 and Level4 are the older names of the same levels.
LEVELS_OF_ASSURANCE = {
    "idporten-loa-low": 1,
    "Level3": 2,
    "idporten-loa-substantial": 2,
    "Level4": 3,
    "idporten-loa-high": 3,
}


@dataclass(frozen=True)
class OidcProvider:
    """One OpenID provider and this service's client registration there."""

    name: str
    issuer: str
    client_id: str
    client_secret: str | None  # None: a public client (no client authentication at the token endpoint)
    scopes: tuple[str, ...] = ("openid", "profile")
    national_id_claim: str = "pid"  # the ID token claim holding the fødselsnummer
    # The level of assurance to ask for (`acr_values`) and the least the ID token's `acr` may say; None: not checked.
    acr_values: str | None = None


@dataclass(frozen=True)
class LoginResult:
    """Who signed in, as the provider's verified ID token says."""

    provider: str
    subject: str
    national_id: str | None
    claims: dict[str, object]
    next_path: str
    id_token: str


class OidcError(Exception):
    """A sign-in that must be refused; `code` is stable (state_invalid, token_exchange_failed, ...)."""

    def __init__(self, code: str, message: str = "") -> None:
        """Create the error with a stable `code` and a detail for logs (never secrets or tokens)."""
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code


@dataclass(frozen=True)
class _Metadata:
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    end_session_endpoint: str | None = None  # RP-initiated logout, when the provider offers it


# Caches keyed by issuer and by JWKS URL: (monotonic expiry, value).
_DISCOVERY: dict[str, tuple[float, _Metadata]] = {}
_JWKS: dict[str, tuple[float, dict[str, Any]]] = {}


def clear_caches() -> None:
    """Forget cached discovery documents and key sets (tests start providers on reused ports)."""
    _DISCOVERY.clear()
    _JWKS.clear()


def is_safe_next(path: str) -> bool:
    r"""Whether `path` is a same-site relative path that is safe to redirect to after sign-in.

    Args:
        path: The requested path, e.g. "/bookings?week=12".

    Returns:
        True only for a path starting with a single "/", without scheme, host, backslash or control
        characters (browsers drop tabs and newlines, so "/\t/evil" would become "//evil").

    """
    if not path.startswith("/") or path.startswith("//") or len(path) > _MAX_NEXT_LENGTH:
        return False
    if "\\" in path or any(ord(char) < 0x20 or ord(char) == 0x7F for char in path):  # noqa: PLR2004
        return False
    parts = urlsplit(path)
    return not parts.scheme and not parts.netloc


async def _get_json(url: str) -> Any:  # noqa: ANN401  # JSON is whatever the provider sent
    try:
        async with httpx.AsyncClient(timeout=HTTP_TIMEOUT_SECONDS) as client:
            response = await client.get(url, headers={"Accept": "application/json"})
            response.raise_for_status()
            return response.json()
    except (httpx.HTTPError, ValueError) as error:
        raise OidcError("discovery_failed", f"{url}: {type(error).__name__}") from error


async def _discover(issuer: str) -> _Metadata:
    cached = _DISCOVERY.get(issuer)
    if cached and cached[0] > time.monotonic():
        return cached[1]
    document = await _get_json(f"{issuer.rstrip('/')}/.well-known/openid-configuration")
    if not isinstance(document, dict) or document.get("issuer") != issuer:
        raise OidcError("discovery_failed", f"{issuer}: the document names another issuer")
    endpoints = [document.get(name) for name in ("authorization_endpoint", "token_endpoint", "jwks_uri")]
    urls = [url for url in endpoints if isinstance(url, str) and url]
    if len(urls) != len(endpoints):
        raise OidcError("discovery_failed", f"{issuer}: an endpoint is missing")
    end_session = document.get("end_session_endpoint")
    logout = end_session if isinstance(end_session, str) and end_session else None
    authorization, token, jwks = urls
    metadata = _Metadata(authorization, token, jwks, logout)
    _DISCOVERY[issuer] = (time.monotonic() + DISCOVERY_TTL_SECONDS, metadata)
    return metadata


async def _jwks(jwks_uri: str, *, refresh: bool = False) -> dict[str, Any]:
    cached = _JWKS.get(jwks_uri)
    if cached and cached[0] > time.monotonic() and not refresh:
        return cached[1]
    keys = await _get_json(jwks_uri)
    if not isinstance(keys, dict) or not isinstance(keys.get("keys"), list):
        raise OidcError("discovery_failed", f"{jwks_uri}: not a JWK set")
    _JWKS[jwks_uri] = (time.monotonic() + DISCOVERY_TTL_SECONDS, keys)
    return keys


def _state_key(key_prefix: str, state: str) -> str:
    return f"{key_prefix}oidc:state:{state}"


def _s256(code_verifier: str) -> str:
    digest = hashlib.sha256(code_verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


async def start_login(
    redis: Redis, provider: OidcProvider, *, redirect_uri: str, key_prefix: str, next_path: str = "/"
) -> str:
    """Remember a new sign-in attempt and return the provider's authorization URL to redirect to.

    Args:
        redis: Where the attempt's state, nonce and PKCE verifier are kept (10 minutes, single use).
        provider: The provider to sign in at.
        redirect_uri: This service's callback URL, exactly as registered at the provider.
        key_prefix: Prefix of every Redis key.
        next_path: Where to go after sign-in; an unsafe path (see `is_safe_next`) becomes "/".

    Returns:
        The authorization URL, with state, nonce and an S256 code challenge.

    Raises:
        OidcError: discovery_failed when the provider's discovery document cannot be used.

    """
    metadata = await _discover(provider.issuer)
    state, nonce, code_verifier = secrets.token_urlsafe(32), secrets.token_urlsafe(32), secrets.token_urlsafe(48)
    record = {
        "provider": provider.name,
        "nonce": nonce,
        "code_verifier": code_verifier,
        "redirect_uri": redirect_uri,
        "next_path": next_path if is_safe_next(next_path) else "/",
    }
    await redis.set(_state_key(key_prefix, state), json.dumps(record), ex=STATE_TTL_SECONDS)
    query = {
        "response_type": "code",
        "client_id": provider.client_id,
        "redirect_uri": redirect_uri,
        "scope": " ".join(provider.scopes),
        "state": state,
        "nonce": nonce,
        "code_challenge": _s256(code_verifier),
        "code_challenge_method": "S256",
    }
    if provider.acr_values is not None:
        query["acr_values"] = provider.acr_values
    separator = "&" if "?" in metadata.authorization_endpoint else "?"
    return f"{metadata.authorization_endpoint}{separator}{urlencode(query)}"


async def end_session_url(provider: OidcProvider, *, id_token: str, post_logout_redirect_uri: str) -> str | None:
    """Where to send the browser to sign out at the provider too (ID-porten's single logout), or None.

    None when the provider's discovery document has no `end_session_endpoint`, or cannot be read: signing out here
    never waits on the provider.
    """
    try:
        metadata = await _discover(provider.issuer)
    except OidcError:
        return None
    if metadata.end_session_endpoint is None:
        return None
    query = {"id_token_hint": id_token, "post_logout_redirect_uri": post_logout_redirect_uri}
    separator = "&" if "?" in metadata.end_session_endpoint else "?"
    return f"{metadata.end_session_endpoint}{separator}{urlencode(query)}"


async def _take_state(redis: Redis, key_prefix: str, state: str) -> dict[str, str]:
    if not state or len(state) > _MAX_STATE_LENGTH:
        raise OidcError("state_invalid")
    raw = await redis.getdel(_state_key(key_prefix, state))  # atomic: a state works once
    if raw is None:
        raise OidcError("state_invalid", "unknown, expired or already used")
    try:
        record = json.loads(raw)
    except ValueError:
        record = None
    if not isinstance(record, dict) or not {"provider", "nonce", "code_verifier", "redirect_uri"} <= record.keys():
        raise OidcError("state_invalid", "unreadable record")
    return {str(key): str(value) for key, value in record.items()}


async def _exchange_code(
    provider: OidcProvider, token_endpoint: str, *, code: str, code_verifier: str, redirect_uri: str
) -> str:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": code_verifier,  # PKCE: only whoever started this sign-in can finish it
    }
    auth: httpx.BasicAuth | None = None  # None: a public client names itself in the form
    if provider.client_secret is None:
        form["client_id"] = provider.client_id
    else:  # client_secret_basic; RFC 6749 section 2.3.1 wants both parts form-encoded first
        auth = httpx.BasicAuth(quote(provider.client_id, safe=""), quote(provider.client_secret, safe=""))
    try:
        async with httpx.AsyncClient(timeout=HTTP_TIMEOUT_SECONDS, auth=auth) as client:
            response = await client.post(token_endpoint, data=form, headers={"Accept": "application/json"})
        body = response.json()
    except (httpx.HTTPError, ValueError) as error:
        raise OidcError("token_exchange_failed", type(error).__name__) from error
    id_token = body.get("id_token") if isinstance(body, dict) else None
    if response.status_code != httpx.codes.OK or not isinstance(id_token, str):
        refusal = body.get("error") if isinstance(body, dict) else None
        raise OidcError("token_exchange_failed", f"{provider.name}: HTTP {response.status_code} {refusal}")
    return id_token


def verify_id_token(
    id_token: str, *, jwks: Mapping[str, Any], issuer: str, client_id: str, nonce: str
) -> dict[str, object]:
    """Check an ID token's signature and claims; return its claims.

    Args:
        id_token: The compact JWS from the token endpoint.
        jwks: The provider's JSON Web Key Set.
        issuer: The `iss` the token must carry.
        client_id: This client's id; it must be in `aud` (and be `azp` when there are several audiences).
        nonce: The nonce sent with the authorization request.

    Returns:
        The token's claims.

    Raises:
        OidcError: id_token_invalid on a bad signature, algorithm, iss, aud, azp, exp, iat or nonce.

    """
    registry = jwt.JWTClaimsRegistry(
        leeway=CLOCK_LEEWAY_SECONDS,
        iss={"essential": True, "value": issuer},
        aud={"essential": True, "value": client_id},
        exp={"essential": True},
        iat={"essential": True},
        nonce={"essential": True, "value": nonce},
    )
    try:
        keys = KeySet.import_key_set(cast("KeySetSerialization", dict(jwks)))
        token = jwt.decode(id_token, keys, algorithms=list(_ALGORITHMS))
        registry.validate(token.claims)
    except (JoseError, ValueError, KeyError, TypeError) as error:
        raise OidcError("id_token_invalid", type(error).__name__) from error
    claims: dict[str, object] = dict(token.claims)
    audience = claims["aud"]
    if isinstance(audience, list) and len(audience) > 1 and claims.get("azp") != client_id:
        raise OidcError("id_token_invalid", "several audiences and azp is not this client")
    return claims


def acr_satisfies(acr: object, required: str) -> bool:
    """Whether an ID token's `acr` is at least the `required` level of assurance (an unknown level never is)."""
    rank = LEVELS_OF_ASSURANCE.get(acr) if isinstance(acr, str) else None
    return rank is not None and rank >= LEVELS_OF_ASSURANCE[required]


def _has_unknown_key_id(id_token: str, jwks: Mapping[str, Any]) -> bool:
    try:
        key_id = extract_compact(id_token.encode("ascii")).headers().get("kid")
    except (JoseError, ValueError):
        return False  # verification will refuse it
    known = {key.get("kid") for key in jwks.get("keys", []) if isinstance(key, dict)}
    return key_id is not None and key_id not in known


async def _verified_claims(provider: OidcProvider, metadata: _Metadata, id_token: str, nonce: str) -> dict[str, object]:
    jwks = await _jwks(metadata.jwks_uri)
    if _has_unknown_key_id(id_token, jwks):  # the provider may have rotated its keys since we fetched them
        jwks = await _jwks(metadata.jwks_uri, refresh=True)
    return verify_id_token(id_token, jwks=jwks, issuer=provider.issuer, client_id=provider.client_id, nonce=nonce)


async def finish_login(
    redis: Redis, providers: Mapping[str, OidcProvider], *, state: str, code: str, key_prefix: str
) -> LoginResult:
    """Complete a sign-in at the callback: take the state, exchange the code, verify the ID token.

    Args:
        redis: Where `start_login` kept the attempt.
        providers: The configured providers by name.
        state: The `state` query parameter of the callback.
        code: The `code` query parameter of the callback.
        key_prefix: Prefix of every Redis key.

    Returns:
        The verified sign-in.

    Raises:
        OidcError: state_invalid, token_exchange_failed, id_token_invalid, claim_missing, acr_too_low (the
            sign-in's level of assurance is below the provider's `acr_values`) or discovery_failed.

    """
    record = await _take_state(redis, key_prefix, state)
    provider = providers.get(record.get("provider", ""))
    if provider is None:
        raise OidcError("state_invalid", "the attempt's provider is not configured")
    metadata = await _discover(provider.issuer)
    id_token = await _exchange_code(
        provider,
        metadata.token_endpoint,
        code=code,
        code_verifier=record["code_verifier"],
        redirect_uri=record["redirect_uri"],
    )
    claims = await _verified_claims(provider, metadata, id_token, record["nonce"])
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise OidcError("claim_missing", "sub")
    if provider.acr_values is not None and not acr_satisfies(claims.get("acr"), provider.acr_values):
        raise OidcError("acr_too_low", f"{provider.name}: acr {claims.get('acr')!r}, {provider.acr_values} asked for")
    national_id = claims.get(provider.national_id_claim)
    return LoginResult(
        provider=provider.name,
        subject=subject,
        national_id=national_id if isinstance(national_id, str) and national_id else None,
        claims=claims,
        next_path=record.get("next_path", "/"),
        id_token=id_token,
    )
