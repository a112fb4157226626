"""`serve --demo`: a real OpenID provider on this machine (oidc-provider-mock), knowing the demo people.

Sign-in then runs the same code path as with ID-porten: authorization code, PKCE, state, nonce, ID token
with the national id in `pid`. The provider is a development tool (a dev dependency): it is started only
in demo mode, bound to 127.0.0.1, and stopped with the server.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from core.settings import Settings
from tjenesteshop.demo import demo_national_ids


@contextmanager
def running_demo_provider(settings: Settings) -> Iterator[str]:
    """Serve the provider on a free loopback port with one ready user per demo person; yield its issuer."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the mock imports Authlib's deprecated JOSE module
        import oidc_provider_mock  # type: ignore[import-untyped]  # noqa: PLC0415 - dev dependency, demo only
        from werkzeug.serving import make_server  # noqa: PLC0415

    users: list[Any] = [
        oidc_provider_mock.User(sub=handle, claims={"pid": national_id, "name": name, "acr": "idporten-loa-high"})
        for handle, (name, national_id) in demo_national_ids(settings).items()
    ]
    app = oidc_provider_mock.app(require_nonce=True, user_claims=users)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True, name="demo-oidc-provider")
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()
