"""The HTTP limit: the least an HTTP booking on this stack can cost, to measure the product's API against.

One Litestar route, `POST /book`, that looks the caller's session up by its cookie (one `SELECT`) and then
does exactly `../shared/bench/ceiling.py`'s booking (its schema and its `book` function, created here by its
own setup) over a raw asyncpg pool, answering msgspec JSON. Nothing else: no ORM, no Redis, no middleware.
It is served under the same uvicorn settings as the product (`tjenesteshop.cli.uvicorn_options`).

    uv run python -m bench.limit_app --database-url postgresql://... [--port 8123] [--workers 2] [--pool 5]
                                     [--sessions 20000]

The session of recipient `i` has the cookie `session=<sha256 of str(i), hex>` (`cookie_of`). A request's body
is `{"cell": <first of four 15-minute cells, 1..1996>}`: a one-hour visit, as the ceiling books. The schema is
dropped when the server stops. `bench.rush` starts it beside the product and measures it in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import importlib.util
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from types import ModuleType
from typing import Any

import asyncpg
import msgspec
from litestar import Litestar, Request, Response, post

ROOT = Path(__file__).resolve().parent.parent
CEILING = ROOT.parent / "shared" / "bench" / "ceiling.py"
SCHEMA_ENV, URL_ENV, POOL_ENV, LOG_ENV = "LIMIT_SCHEMA", "LIMIT_DATABASE_URL", "LIMIT_POOL", "LIMIT_LOG_LEVEL"
COOKIE = "session"
CELLS = 2000  # the ceiling's 15-minute cells; a booking takes four from `cell`


def cookie_of(recipient: int) -> str:
    """The session cookie the setup gives recipient `recipient`."""
    return hashlib.sha256(str(recipient).encode()).hexdigest()


def load_ceiling() -> ModuleType:
    """`ceiling.py` as a module (its SETUP and setup); its schema is `ceiling_<this process id>`."""
    spec = importlib.util.spec_from_file_location("ceiling", CEILING)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot load {CEILING}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def setup(url: str, sessions: int) -> str:
    """The ceiling's schema, cells, allowances and function, plus a session table of `sessions` recipients."""
    ceiling = load_ceiling()
    pool = await asyncpg.create_pool(url, min_size=1, max_size=1)
    try:
        await ceiling.setup(pool, sessions)
        async with pool.acquire() as conn:
            await conn.execute(f"""
                CREATE TABLE {ceiling.SCHEMA}.web_session (id text PRIMARY KEY, recipient int NOT NULL,
                                                          expires timestamptz NOT NULL);
                INSERT INTO {ceiling.SCHEMA}.web_session
                SELECT encode(sha256(convert_to(g::text, 'UTF8')), 'hex'), g, now() + interval '1 day'
                FROM generate_series(1, {sessions}) g;
                ANALYZE {ceiling.SCHEMA}.web_session;
            """)  # noqa: S608  # fmt: skip - the schema's name is the ceiling's
    finally:
        await pool.close()
    return str(ceiling.SCHEMA)


async def drop(url: str, schema: str) -> None:
    """Remove the setup's schema."""
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    finally:
        await conn.close()


class BookIn(msgspec.Struct):
    """A one-hour visit from `cell`."""

    cell: int


class BookOut(msgspec.Struct):
    """The ceiling function's answer: ok, full, allocation or overlap."""

    result: str


def create_app() -> Litestar:
    """The app of one server process (uvicorn's factory): its pool made in the lifespan."""
    from core.logging import configure_logging  # noqa: PLC0415 - as the product's processes do

    configure_logging(os.environ.get(LOG_ENV, "WARNING"))
    schema, url, size = os.environ[SCHEMA_ENV], os.environ[URL_ENV], int(os.environ.get(POOL_ENV, "10"))
    find_session = f"SELECT recipient FROM {schema}.web_session WHERE id = $1 AND expires > now()"  # noqa: S608
    book_visit = f"SELECT {schema}.book($1, $2, 60)"

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        app.state.pool = await asyncpg.create_pool(url, min_size=size, max_size=size)
        try:
            yield
        finally:
            await app.state.pool.close()

    @post("/book", status_code=201)
    async def book(request: Request[Any, Any, Any], data: BookIn) -> Response[BookOut]:
        cookie = request.cookies.get(COOKIE)
        if not 1 <= data.cell <= CELLS - 4:
            return Response(BookOut("bad_request"), status_code=400)
        async with request.app.state.pool.acquire() as conn:
            recipient = await conn.fetchval(find_session, cookie) if cookie else None
            if recipient is None:
                return Response(BookOut("unauthorized"), status_code=401)
            result = await conn.fetchval(book_visit, list(range(data.cell, data.cell + 4)), recipient)
        return Response(BookOut(result), status_code=201 if result == "ok" else 409)

    return Litestar([book], lifespan=[lifespan], openapi_config=None)


def main() -> int:
    """Set the schema up, serve until stopped (SIGTERM or Ctrl-C), then drop the schema."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8123)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--pool", type=int, default=10, help="database connections of each process")
    parser.add_argument("--sessions", type=int, default=20_000, help="recipients with a session (and an allowance)")
    parser.add_argument("--log-level", default="WARNING")
    args = parser.parse_args()

    import uvicorn  # noqa: PLC0415 - only the server needs it

    from core.settings import Settings  # noqa: PLC0415 - as above
    from tjenesteshop.cli import uvicorn_options  # noqa: PLC0415 - as above

    schema = asyncio.run(setup(args.database_url, args.sessions))
    os.environ |= {SCHEMA_ENV: schema, URL_ENV: args.database_url, POOL_ENV: str(args.pool), LOG_ENV: args.log_level}
    options = uvicorn_options(Settings(log_level=args.log_level), args.host, args.port)
    try:
        uvicorn.run("bench.limit_app:create_app", factory=True, workers=args.workers, **options)
    finally:
        asyncio.run(drop(args.database_url, schema))
    return 0


if __name__ == "__main__":
    sys.exit(main())
