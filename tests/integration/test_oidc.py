from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from redis.asyncio import Redis

from people import oidc
from people.oidc import LoginResult, OidcError, OidcProvider, finish_login, is_safe_next, start_login, verify_id_token
from tests.conftest import RunServers
from tests.oidc_provider import TOLERATE_PROVIDER_WARNINGS, running_provider, sign_in_at_provider

pytestmark = [pytest.mark.slow, TOLERATE_PROVIDER_WARNINGS]

CALLBACK = "https://tjenesteshop.test/auth/callback"
CLIENT_ID = "tjenesteshop"
PID = "01017012345"
ANY_SECRET = "the-mock-accepts-any-secret"  # noqa: S105


@pytest.fixture(scope="module")
def issuer() -> Iterator[str]:
    oidc.clear_caches()
    with running_provider() as url:
        yield url
    oidc.clear_caches()


@pytest.fixture
def provider(issuer: str) -> OidcProvider:
    return OidcProvider(name="mock", issuer=issuer, client_id=CLIENT_ID, client_secret=ANY_SECRET)


@dataclass(frozen=True)
class Flow:
    """A browser's sign-in: our start and finish, the provider's form in between."""

    redis: Redis
    http: httpx.AsyncClient
    prefix: str

    async def sign_in(
        self, provider: OidcProvider, *, next_path: str = "/", claims: dict[str, str] | None = None
    ) -> tuple[str, str, str]:
        """Start a login and sign in at the provider as a new subject; return (subject, state, code)."""
        subject = f"person-{uuid.uuid4().hex[:8]}"
        url = await start_login(
            self.redis, provider, redirect_uri=CALLBACK, key_prefix=self.prefix, next_path=next_path
        )
        claims = {"pid": PID} if claims is None else claims
        location = await sign_in_at_provider(self.http, url, sub=subject, claims=claims)
        assert location.startswith(CALLBACK + "?")
        query = parse_qs(urlsplit(location).query)
        return subject, query["state"][0], query["code"][0]

    async def finish(self, provider: OidcProvider, state: str, code: str) -> LoginResult:
        return await finish_login(self.redis, {provider.name: provider}, state=state, code=code, key_prefix=self.prefix)

    async def stored(self, state: str) -> dict[str, str]:
        raw = await self.redis.get(f"{self.prefix}oidc:state:{state}")
        assert raw is not None
        record: dict[str, str] = json.loads(raw)
        return record


@pytest.fixture
async def flow(servers: RunServers) -> AsyncIterator[Flow]:
    redis = Redis.from_url(servers.redis_url)
    async with httpx.AsyncClient(timeout=10) as http:
        yield Flow(redis, http, servers.key_prefix)
    await redis.aclose()


async def test_round_trip_returns_subject_national_id_and_next_path(flow: Flow, provider: OidcProvider) -> None:
    subject, state, code = await flow.sign_in(provider, next_path="/bookings?week=12")

    result = await flow.finish(provider, state, code)

    assert (result.provider, result.subject, result.national_id) == ("mock", subject, PID)
    assert result.next_path == "/bookings?week=12"
    assert result.claims["iss"] == provider.issuer
    assert result.id_token.count(".") == 2
    assert await flow.redis.exists(f"{flow.prefix}oidc:state:{state}") == 0


async def test_national_id_is_none_when_the_provider_sends_none(flow: Flow, provider: OidcProvider) -> None:
    _, state, code = await flow.sign_in(provider, claims={})

    assert (await flow.finish(provider, state, code)).national_id is None


async def test_authorization_url_carries_pkce_state_and_nonce(flow: Flow, provider: OidcProvider) -> None:
    url = await start_login(flow.redis, provider, redirect_uri=CALLBACK, key_prefix=flow.prefix)

    assert url.startswith(f"{provider.issuer}/oauth2/authorize?")
    query = {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}
    record = await flow.stored(query["state"])
    challenge = base64.urlsafe_b64encode(hashlib.sha256(record["code_verifier"].encode()).digest()).rstrip(b"=")
    assert query["code_challenge"] == challenge.decode()
    assert query["code_challenge_method"] == "S256"
    assert query["nonce"] == record["nonce"]
    assert (query["response_type"], query["client_id"], query["scope"]) == ("code", CLIENT_ID, "openid profile")
    assert query["redirect_uri"] == record["redirect_uri"] == CALLBACK
    assert 0 < await flow.redis.ttl(f"{flow.prefix}oidc:state:{query['state']}") <= 600


async def test_tampered_state_is_refused_and_leaves_the_real_one_usable(flow: Flow, provider: OidcProvider) -> None:
    _, state, code = await flow.sign_in(provider)

    for tampered in (state + "x", state[:-1], "", "x" * 500):
        with pytest.raises(OidcError) as refused:
            await flow.finish(provider, tampered, code)
        assert refused.value.code == "state_invalid"
    assert (await flow.finish(provider, state, code)).national_id == PID


async def test_state_works_once(flow: Flow, provider: OidcProvider) -> None:
    _, state, code = await flow.sign_in(provider)
    await flow.finish(provider, state, code)

    with pytest.raises(OidcError) as refused:
        await flow.finish(provider, state, code)

    assert refused.value.code == "state_invalid"


async def test_replayed_code_with_a_fresh_state_is_refused_by_the_provider(flow: Flow, provider: OidcProvider) -> None:
    _, state, code = await flow.sign_in(provider)
    await flow.finish(provider, state, code)
    fresh = await start_login(flow.redis, provider, redirect_uri=CALLBACK, key_prefix=flow.prefix)
    fresh_state = parse_qs(urlsplit(fresh).query)["state"][0]

    with pytest.raises(OidcError) as refused:
        await flow.finish(provider, fresh_state, code)

    assert refused.value.code == "token_exchange_failed"


async def test_id_token_with_another_nonce_is_refused(flow: Flow, provider: OidcProvider) -> None:
    _, state, code = await flow.sign_in(provider)
    record = await flow.stored(state)
    await flow.redis.set(f"{flow.prefix}oidc:state:{state}", json.dumps({**record, "nonce": "another"}), ex=60)

    with pytest.raises(OidcError) as refused:
        await flow.finish(provider, state, code)

    assert refused.value.code == "id_token_invalid"


async def test_id_token_for_another_client_is_refused(flow: Flow, issuer: str) -> None:
    other = OidcProvider(name="mock", issuer=issuer, client_id="someone-else", client_secret=ANY_SECRET)
    _, state, code = await flow.sign_in(other)
    result = await flow.finish(other, state, code)
    jwks = (await flow.http.get(f"{issuer}/jwks")).json()
    nonce = str(result.claims["nonce"])

    with pytest.raises(OidcError) as refused:
        verify_id_token(result.id_token, jwks=jwks, issuer=issuer, client_id=CLIENT_ID, nonce=nonce)

    assert refused.value.code == "id_token_invalid"
    assert verify_id_token(result.id_token, jwks=jwks, issuer=issuer, client_id="someone-else", nonce=nonce)


@pytest.mark.parametrize("unsafe", ["//evil.example", "https://evil.example", "/\\evil", "/\t/evil.example", "evil"])
async def test_unsafe_next_path_becomes_root(unsafe: str, flow: Flow, provider: OidcProvider) -> None:
    _, state, code = await flow.sign_in(provider, next_path=unsafe)

    assert (await flow.finish(provider, state, code)).next_path == "/"


@pytest.mark.parametrize(
    ("path", "safe"),
    [
        ("/", True),
        ("/bookings?week=12#top", True),
        ("/a//b", True),
        ("//evil.example", False),
        ("https://evil.example", False),
        ("/\\evil", False),
        ("\\\\evil", False),
        ("/\n/evil", False),
        ("javascript:alert(1)", False),
        ("", False),
    ],
)
def test_is_safe_next(path: str, *, safe: bool) -> None:
    assert is_safe_next(path) is safe


async def test_unreachable_or_mismatched_issuer_fails_discovery(flow: Flow, provider: OidcProvider) -> None:
    for issuer in ("http://127.0.0.1:9", provider.issuer + "/"):
        wrong = OidcProvider(name="mock", issuer=issuer, client_id=CLIENT_ID, client_secret=None)
        with pytest.raises(OidcError) as refused:
            await start_login(flow.redis, wrong, redirect_uri=CALLBACK, key_prefix=flow.prefix)
        assert refused.value.code == "discovery_failed"


# The verifier on its own, with tokens signed by a key of our own.

ISSUER = "https://idporten.test"


@pytest.fixture(scope="module")
def signing_key() -> RSAKey:
    return RSAKey.generate_key(2048, private=True, auto_kid=True)


def signed(key: RSAKey, overrides: dict[str, object] | None = None, *, kid: str | None = None) -> str:
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": CLIENT_ID, "sub": "s", "nonce": "n", "iat": now, "exp": now + 60, "pid": PID}
    claims.update(overrides or {})
    return jwt.encode({"alg": "RS256", "kid": kid or key.kid}, claims, key)


def verify(token: str, key: RSAKey) -> dict[str, object]:
    jwks = KeySet([key]).as_dict()
    return verify_id_token(token, jwks=jwks, issuer=ISSUER, client_id=CLIENT_ID, nonce="n")


def test_verifier_accepts_a_good_token(signing_key: RSAKey) -> None:
    assert verify(signed(signing_key), signing_key)["pid"] == PID


@pytest.mark.parametrize(
    "overrides",
    [
        {"iss": "https://evil.example"},
        {"aud": "someone-else"},
        {"aud": [CLIENT_ID, "someone-else"]},  # several audiences need azp == our client
        {"nonce": "other"},
        {"nonce": None},
        {"exp": int(time.time()) - 3600},
        {"iat": None},
    ],
)
def test_verifier_refuses_wrong_claims(signing_key: RSAKey, overrides: dict[str, object]) -> None:
    token = signed(signing_key, overrides)
    with pytest.raises(OidcError) as refused:
        verify(token, signing_key)
    assert refused.value.code == "id_token_invalid"


def test_verifier_refuses_another_key_and_unsigned_tokens(signing_key: RSAKey) -> None:
    stranger = RSAKey.generate_key(2048, private=True, auto_kid=True)
    forged = signed(stranger, kid=signing_key.kid)  # claims to be signed by the provider's key
    header, payload, _ = signed(signing_key).split(".")
    unsigned_header = base64.urlsafe_b64encode(b'{"alg":"none"}').rstrip(b"=").decode()
    for token in (forged, signed(stranger), f"{unsigned_header}.{payload}.", f"{header}.{payload}.", "not-a-jwt"):
        with pytest.raises(OidcError) as refused:
            verify(token, signing_key)
        assert refused.value.code == "id_token_invalid"
