"""`/`: a plain page saying what runs here, until the web app is served from this address."""

from __future__ import annotations

from litestar import MediaType, get
from litestar.datastructures import State
from litestar.response import Response

PAGE = """<!doctype html>
<html lang="nb"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tjenesteshop</title>
<style>body{{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;line-height:1.5}}
a{{color:#0062ba}}a:focus-visible{{outline:3px solid #0062ba;outline-offset:2px}}</style></head>
<body><main><h1>Tjenesteshop</h1>
<p>Her bestiller du timene vedtaket ditt gir deg. Tjenesten kjører.</p>
<ul>{links}<li><a href="/schema">API-dokumentasjon</a></li></ul></main></body></html>"""


@get("/", media_type=MediaType.HTML, include_in_schema=False, sync_to_thread=False)
def home(state: State) -> Response[str]:
    """Links to sign in (and, in demo mode, to the one-click demo sign-in) and to the API documentation."""
    links = '<li><a href="/auth/login">Logg inn</a></li>'
    if state.settings.demo:
        links = '<li><a href="/auth/demo">Logg inn som en av demopersonene</a></li>' + links
    return Response(PAGE.format(links=links), media_type=MediaType.HTML)
