"""`/` and every deep link: the built web app from `frontend/dist`, or a plain page while it is not built."""

from __future__ import annotations

import html
import mimetypes
from pathlib import Path

from litestar import HttpMethod, MediaType, Router, get, route
from litestar.datastructures import State
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import File, Response

DIST = Path(__file__).resolve().parents[2] / "frontend" / "dist"
# The app's own screens (its router's first path segments): a deep link to one answers the app's page.
# Any other path is a 404 problem, so a mistyped API or feed address is never answered with HTML.
SCREENS = frozenset(
    {
        "bestill",
        "flytt",
        "timer",
        "plan",
        "koordinator",
        "vakt",
        "avdeling",
        "innsikt",
        "innstillinger",
        "mine-data",
        "kalender",
        "venteliste",
        "tilgjengelighet",
        "offline",
    }
)
IMMUTABLE = "public, max-age=31536000, immutable"  # file names carry a content hash
REVALIDATE = "no-cache"  # index.html, the service worker and the manifest: always ask
# Module scripts are refused under any other type; the system's MIME table may lack the newer ones.
TYPES = {
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".css": "text/css",
    ".webmanifest": "application/manifest+json",
    ".svg": "image/svg+xml",
    ".woff2": "font/woff2",
    ".json": "application/json",
    ".html": "text/html",
}

# The style of the server's own plain pages (this one and the demo sign-in): a file, as the CSP allows no inline style.
PLAIN_CSS_PATH = "/plain.css"
PLAIN_CSS = """body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;line-height:1.5}
a{color:#0062ba}a:focus-visible,button:focus-visible{outline:3px solid #0062ba;outline-offset:2px}
li.person{list-style:none;margin:.75rem 0}li.person span{margin-left:.5rem}
button{font-size:1.1rem;padding:.6rem 1rem;min-height:44px;cursor:pointer}
"""
PAGE = """<!doctype html>
<html lang="nb"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tjenesteshop</title>
<link rel="stylesheet" href="/plain.css"></head>
<body><main><h1>Tjenesteshop</h1>
<p>Her bestiller du timene vedtaket ditt gir deg. Tjenesten kjører.</p>
<ul>{links}<li><a href="/schema">API-dokumentasjon</a></li></ul></main></body></html>"""


def _plain_page(state: State) -> Response[str]:
    links = '<li><a href="/auth/login">Logg inn</a></li>'
    if state.settings.demo:
        links = '<li><a href="/auth/demo">Logg inn som en av demopersonene</a></li>' + links
    return Response(PAGE.format(links=links), media_type=MediaType.HTML, headers={"Cache-Control": REVALIDATE})


def _inside(base: Path, relative: str) -> Path | None:
    """The file `relative` names under `base`, or None (absent, a folder, or outside `base`)."""
    candidate = (base / relative).resolve()
    if not candidate.is_relative_to(base.resolve()) or not candidate.is_file():
        return None
    return candidate


def _file(path: Path, cache: str) -> File:
    media_type = TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return File(path, content_disposition_type="inline", media_type=media_type, headers={"Cache-Control": cache})


def app_is_built() -> bool:
    """Whether the web app is built (served at `/`), not the plain page."""
    return (DIST / "index.html").is_file()


def _meta(name: str, content: str) -> str:
    return f'<meta name="{name}" content="{html.escape(content)}">'


def _app_page(state: State) -> Response[str] | File:
    index = DIST / "index.html"
    if not index.is_file():
        return _plain_page(state)
    settings = state.settings
    metas = []
    if settings.demo:
        # Demo mode: the app lists the demo municipality's departments (the allocation list will say this).
        metas.append(_meta("tjenesteshop-municipality", settings.demo_municipality))
    if settings.accessibility_contact:
        # Where the accessibility statement (/tilgjengelighet) tells residents to report a problem.
        metas.append(_meta("tjenesteshop-accessibility-contact", settings.accessibility_contact))
    if not metas:
        return _file(index, REVALIDATE)
    page = index.read_text(encoding="utf-8").replace("</head>", "".join(metas) + "</head>", 1)
    return Response(page, media_type=MediaType.HTML, headers={"Cache-Control": REVALIDATE})


@get("/", media_type=MediaType.HTML, include_in_schema=False, sync_to_thread=False)
def index(state: State) -> Response[str] | File:
    """The web app; before it is built, links to sign in and to the API documentation."""
    return _app_page(state)


@get(PLAIN_CSS_PATH, include_in_schema=False, sync_to_thread=False)
def plain_css() -> Response[str]:
    """The plain pages' style sheet."""
    return Response(PLAIN_CSS, media_type="text/css", headers={"Cache-Control": REVALIDATE})


@get("/assets/{name:path}", include_in_schema=False, sync_to_thread=False)
def asset(name: FromPath[str]) -> File:
    """A hashed build file: cached for a year, never revalidated."""
    found = _inside(DIST / "assets", name.lstrip("/"))
    if found is None:
        raise NotFoundException
    return _file(found, IMMUTABLE)


@get("/{path:path}", include_in_schema=False, sync_to_thread=False)
def deep_link(path: FromPath[str], state: State) -> Response[str] | File:
    """A file at the build's top (manifest, service worker, icons), or one of the app's screens."""
    relative = path.lstrip("/")
    if relative.split("/", 1)[0] in SCREENS:
        return _app_page(state)
    found = _inside(DIST, relative) if "/" not in relative else None
    if found is None:
        raise NotFoundException
    return _file(found, REVALIDATE)


@route(
    "/{path:path}",
    http_method=[HttpMethod.POST, HttpMethod.PUT, HttpMethod.PATCH, HttpMethod.DELETE],
    include_in_schema=False,
    sync_to_thread=False,
)
def no_such_path(path: FromPath[str]) -> None:  # noqa: ARG001 - the route's parameter
    """Any other method on a path nothing else answers: 404, not the catch-all's 405 (no path to act on)."""
    raise NotFoundException


home = Router(path="/", route_handlers=[index, plain_css, asset, deep_link, no_such_path])
