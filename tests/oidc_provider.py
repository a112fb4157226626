"""A real OpenID provider for tests: oidc-provider-mock served on 127.0.0.1 in a thread.

The mock is an Authlib-based Flask app. Any client_id and any client secret are accepted (no
registration), any redirect_uri too; the token endpoint wants client authentication (basic or post),
refuses a code used twice and checks redirect_uri; PKCE is NOT checked. Its sign-in page is a form
with one field, `sub`; extra claims for a subject are set through its `PUT /users/{sub}` API.

Authlib warns, as a DeprecationWarning, on every token the mock signs. Under this repo's
`filterwarnings = error` that would make the provider answer 500, so a module using the provider
sets `pytestmark = TOLERATE_PROVIDER_WARNINGS` (warning filters are process-wide: the server thread
sees the test's filters).
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from http import HTTPStatus
from urllib.parse import quote, urlsplit

import httpx
import pytest
from werkzeug.serving import make_server

from people import oidc

with warnings.catch_warnings():  # the mock imports authlib.jose, which Authlib has deprecated for joserfc
    import authlib.deprecate  # type: ignore[import-untyped]  # adds an "always" filter; undone with this block

    warnings.simplefilter("ignore", authlib.deprecate.AuthlibDeprecationWarning)
    import oidc_provider_mock  # type: ignore[import-untyped]

TOLERATE_PROVIDER_WARNINGS = pytest.mark.filterwarnings("ignore:get_jwt_config:DeprecationWarning")


@contextmanager
def running_provider() -> Iterator[str]:
    """Serve a fresh provider (own keys, users and codes) on a free port; yield its issuer URL.

    The app's discovery and key caches are emptied on both sides: an earlier provider of the run may have had the
    same address (the port is reused) with other keys under the same key id.
    """
    oidc.clear_caches()
    server = make_server("127.0.0.1", 0, oidc_provider_mock.app(), threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()
        oidc.clear_caches()


async def sign_in_at_provider(
    client: httpx.AsyncClient, authorization_url: str, *, sub: str, claims: dict[str, str]
) -> str:
    """Sign in at the provider's authorization page as a person would; return the redirect back.

    Args:
        client: Any HTTP client; redirects are not followed.
        authorization_url: The URL `start_login` returned.
        sub: The subject to sign in as (typed into the form's `sub` field).
        claims: Extra claims for the subject's ID token, e.g. {"pid": "..."}; set before signing in.

    Returns:
        The redirect URL with `code` and `state` (or `error`), not followed.

    """
    page = await client.get(authorization_url)
    if page.status_code != HTTPStatus.OK or 'name="sub"' not in page.text:
        msg = f"no sign-in form at the provider (HTTP {page.status_code}): {page.text[:300]}"
        raise AssertionError(msg)
    if claims:
        parts = urlsplit(authorization_url)
        users = f"{parts.scheme}://{parts.netloc}/users/{quote(sub, safe='')}"
        stored = await client.put(users, json=claims)
        if stored.status_code != HTTPStatus.NO_CONTENT:
            msg = f"the provider refused the claims (HTTP {stored.status_code}): {stored.text[:300]}"
            raise AssertionError(msg)
    # The form has no action: it posts to the page's own URL, query string included.
    answer = await client.post(authorization_url, data={"sub": sub}, follow_redirects=False)
    if not answer.is_redirect:
        msg = f"the provider did not redirect back (HTTP {answer.status_code}): {answer.text[:300]}"
        raise AssertionError(msg)
    return answer.headers["location"]
