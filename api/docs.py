"""The API documentation at `/schema`: Swagger UI from the pinned `swagger-ui-py` wheel, served from here.

Litestar's render plugins load their scripts from CDNs and start them with inline script; this page loads
only files of this origin (the wheel's bundle and our own starter), so it passes the app's CSP unchanged.
"""

from __future__ import annotations

import html
import importlib.util
from pathlib import Path
from typing import Any

from litestar import Request, Router, get
from litestar.exceptions import NotFoundException
from litestar.openapi.plugins import OpenAPIRenderPlugin
from litestar.params import FromPath
from litestar.response import File, Response


def _swagger_static() -> Path:
    # Found without importing the package (its __init__ imports web-framework adapters we do not need).
    spec = importlib.util.find_spec("swagger_ui")
    if spec is None or not spec.submodule_search_locations:
        msg = "the swagger-ui-py package is missing"
        raise RuntimeError(msg)
    return Path(next(iter(spec.submodule_search_locations))) / "static"


STATIC = _swagger_static()
FILES = {
    "swagger-ui.css": "text/css",
    "swagger-ui-bundle.js": "text/javascript",
    "favicon-32x32.png": "image/png",
}
STARTER = "docs.js"
# Starts Swagger UI on the page's element; the schema's address is in the element's data attribute.
STARTER_JS = """"use strict";
window.addEventListener("DOMContentLoaded", () => {
  const root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.spec,
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
});
"""
CACHE = "public, max-age=86400"


@get(f"/static/{STARTER}", include_in_schema=False, sync_to_thread=False)
def starter() -> Response[str]:
    """The page's own script (no inline script: the CSP forbids it)."""
    return Response(STARTER_JS, media_type="text/javascript", headers={"Cache-Control": CACHE})


@get("/static/{name:str}", include_in_schema=False, sync_to_thread=False)
def swagger_file(name: FromPath[str]) -> File:
    """One of the few Swagger UI files the page needs; nothing else of the package is served."""
    if name not in FILES:
        raise NotFoundException
    return File(STATIC / name, content_disposition_type="inline", media_type=FILES[name],
                headers={"Cache-Control": CACHE})  # fmt: skip


class LocalSwaggerPlugin(OpenAPIRenderPlugin):
    """Swagger UI at the OpenAPI path's root, its files under `static/` beside it."""

    def __init__(self) -> None:
        """Serve the page at `/schema` itself."""
        super().__init__(path="/")

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        """The page: a root element, the bundle and the starter script, all from this origin."""
        base = request.url.path.rstrip("/")
        spec = self.get_openapi_json_route(request)
        title = html.escape(str(openapi_schema["info"]["title"]))
        return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} API</title>
<link rel="icon" type="image/png" href="{base}/static/favicon-32x32.png">
<link rel="stylesheet" href="{base}/static/swagger-ui.css"></head>
<body><div id="swagger-ui" data-spec="{html.escape(spec)}"></div>
<script src="{base}/static/swagger-ui-bundle.js"></script>
<script src="{base}/static/{STARTER}"></script></body></html>""".encode()

    def receive_router(self, router: Router) -> None:
        """Add the file routes to the OpenAPI router."""
        router.register(starter)
        router.register(swagger_file)
