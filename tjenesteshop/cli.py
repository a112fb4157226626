"""The `tjenesteshop` command: serve, worker, migrate, demo."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from types import FrameType
from typing import TYPE_CHECKING, Any

import click
from pydantic import SecretStr

from booking.consistency import Difference, ledger_differences
from core.db import make_engine, make_sessionmaker
from core.logging import configure_logging
from core.settings import Settings, plain_database_url
from tjenesteshop import frontend
from tjenesteshop import migrate as migrations
from tjenesteshop.runtime import servers

if TYPE_CHECKING:
    from api.middleware import ServerTiming

log = logging.getLogger("tjenesteshop")
WORKER_STOP_SECONDS = 10
SETTINGS_ENV = "TJENESTESHOP_SERVE_SETTINGS"  # what `serve --workers N` hands its API processes


def _say(message: str) -> None:
    click.echo(f"tjenesteshop: {message}", err=True)


def _exit_on_sigterm() -> None:
    """Turn SIGTERM into SystemExit, so `finally` blocks stop the embedded servers."""

    def handler(signum: int, _frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, handler)


def _load_settings() -> Settings:
    settings = Settings()
    configure_logging(settings.log_level)
    settings.check_production()
    return settings


def _migrate(settings: Settings) -> None:
    assert settings.database_url is not None  # noqa: S101 - `servers()` fills it in
    _say("bringing the database schema up to date")
    migrations.upgrade(settings.database_url)


def _load_demo(settings: Settings) -> None:
    from tjenesteshop.demo import load_demo  # noqa: PLC0415 - the demo is only imported when asked for

    _say("loading demo data")
    summary = asyncio.run(load_demo(settings))
    _say(summary)


def _start_worker_child(settings: Settings) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env["DATABASE_URL"] = plain_database_url(settings.database_url or "")
    env["REDIS_URL"] = settings.redis_url or ""
    return subprocess.Popen([sys.executable, "-m", "tjenesteshop", "worker"], env=env)


def _stop_child(child: subprocess.Popen[bytes]) -> None:
    if child.poll() is None:
        child.terminate()
        try:
            child.wait(WORKER_STOP_SECONDS)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Tjenesteshop: book the service hours a decision (vedtak) grants.

    With DATABASE_URL and REDIS_URL unset, every command uses private PostgreSQL and Redis servers
    under TJENESTESHOP_DATA_DIR (default ./.tjenesteshop), started and stopped as needed.
    """


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option("--demo", is_flag=True, help="Load demo data (departments, services, people) before serving.")
@click.option("--no-worker", is_flag=True, help="Do not run the background worker beside the API.")
@click.option("--no-migrate", is_flag=True, help="Do not migrate the database on start (a separate job does it).")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    help="API processes sharing the port (default: the CPU count). Each has TJENESTESHOP_DB_POOL_SIZE connections.",
)
def serve(  # noqa: PLR0913 - one parameter a command-line option
    host: str, port: int, *, demo: bool, no_worker: bool, no_migrate: bool, workers: int | None
) -> None:
    """Run the API (and, unless --no-worker, the worker beside it)."""
    _exit_on_sigterm()
    frontend.ensure_built(_say)  # the web app at /: npm ci and npm run build when frontend/dist is missing
    started = time.monotonic()
    settings = _load_settings()
    if "base_url" not in settings.model_fields_set:
        settings = settings.model_copy(update={"base_url": _url(host, port)})
    with servers(settings, publish=True) as running, contextlib.ExitStack() as stack:
        if not no_migrate:
            _migrate(running)
        ready = running
        if demo:
            _load_demo(running)
            ready = _with_demo_sign_in(running, stack)
        base = ready.base_url

        def announce() -> None:
            _say(f"ready after {time.monotonic() - started:.1f} s: open {base} (API documentation: {base}/schema)")
            if demo:
                _say(f"demo sign-in: {base}/auth/demo (one click), or through the demo ID provider: {base}/auth/login")
            _say("press Ctrl-C to stop")

        child = None if no_worker else _start_worker_child(ready)
        try:
            _run_api(ready, host, port, workers or os.cpu_count() or 1, announce)
        finally:
            if child is not None:
                _say("stopping the worker")
                _stop_child(child)
            _say("stopping")


def _run_api(settings: Settings, host: str, port: int, workers: int, announce: Callable[[], None]) -> None:
    """Uvicorn in this process, or `workers` processes on one socket, each with the app built from `settings`."""
    import uvicorn  # noqa: PLC0415 - only the API process needs the web server

    # One access line a request only when INFO is wanted: at WARNING they cost CPU and say nothing asked for.
    access_log = logging.getLevelNamesMapping().get(settings.log_level.upper(), logging.INFO) <= logging.INFO
    options: dict[str, Any] = {"host": host, "port": port, "log_config": None, "proxy_headers": True,
                               "server_header": False, "access_log": access_log}  # fmt: skip
    if workers == 1:
        uvicorn.run(create_api(settings, on_startup=announce), **options)
        return
    os.environ[SETTINGS_ENV] = _settings_json(settings)
    with tempfile.TemporaryDirectory(prefix="tjenesteshop-metrics-") as metrics:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics  # /metrics adds up every process's counts
        _say(f"starting {workers} API processes")
        announce()  # the socket is bound next: requests wait in its backlog until a process takes them
        uvicorn.run(f"{__name__}:api_process_app", factory=True, workers=workers, **options)


def create_api(settings: Settings, *, on_startup: Callable[[], None] | None = None) -> ServerTiming:
    """The app as served: `api.app.create_app` inside the Server-Timing middleware."""
    from api.app import create_app  # noqa: PLC0415 - keep `worker` and `migrate` light
    from api.middleware import ServerTiming  # noqa: PLC0415 - as above

    app = create_app(settings)
    if on_startup is not None:
        app.on_startup.append(on_startup)
    return ServerTiming(app)


def api_process_app() -> ServerTiming:
    """The app of one API process of `serve --workers N` (uvicorn's factory), from the settings serve handed down."""
    settings = Settings(**json.loads(os.environ[SETTINGS_ENV]))
    configure_logging(settings.log_level)
    return create_api(settings)


def _settings_json(settings: Settings) -> str:
    """The settings as JSON for the API processes, secrets in clear (they inherit this process's environment)."""
    values = {k: v.get_secret_value() if isinstance(v, SecretStr) else v for k, v in settings.model_dump().items()}
    return json.dumps(values, default=str)


def _url(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in {"0.0.0.0", "::"} else host  # noqa: S104 - only for the printed address
    return f"http://[{shown}]:{port}" if ":" in shown else f"http://{shown}:{port}"


def _with_demo_sign_in(settings: Settings, stack: contextlib.ExitStack) -> Settings:
    """Demo mode: the demo sign-in page, and a local OIDC provider unless real ones are configured."""
    update: dict[str, object] = {"demo": True}
    if not settings.idporten_issuer and not settings.staff_oidc_issuer:
        from tjenesteshop.demo_oidc import running_demo_provider  # noqa: PLC0415 - demo only

        issuer = stack.enter_context(running_demo_provider(settings))
        _say(f"demo ID provider (a real OIDC server for testing) at {issuer}")
        client = {"client_id": "tjenesteshop-demo", "client_secret": SecretStr("demo-only")}
        for provider in ("idporten", "staff_oidc"):
            update |= {f"{provider}_issuer": issuer} | {f"{provider}_{k}": v for k, v in client.items()}
    return settings.model_copy(update=update)


@main.command()
def worker() -> None:
    """Run the background worker (reminders, calendar feeds, daily jobs)."""
    from notifications.queue import create_worker  # noqa: PLC0415 - only the worker needs arq

    _exit_on_sigterm()
    settings = _load_settings()
    with servers(settings) as ready:
        create_worker(ready).run()


@main.command()
def migrate() -> None:
    """Bring the database schema up to date (Alembic) and exit."""
    settings = _load_settings()
    with servers(settings) as ready:
        _migrate(ready)
        _say("the database schema is up to date")


@main.command()
def demo() -> None:
    """Load demo data into the database (again: it is idempotent)."""
    settings = _load_settings()
    with servers(settings) as ready:
        _migrate(ready)
        _load_demo(ready)


@main.group()
def token() -> None:
    """Integration tokens (for the EHR system posting decisions, reporting tools)."""


@token.command("create")
@click.option("--name", required=True, help="What the token is for, e.g. 'EHR decisions'.")
@click.option(
    "--role",
    required=True,
    type=click.Choice(["municipality_admin", "department_admin", "staff"]),
    help="The role the token acts with.",
)
@click.option("--department", "department_id", type=click.UUID, help="The department (for department roles).")
@click.option("--municipality", "municipality_number", help="Kommunenummer; may be left out when there is one.")
def token_create(name: str, role: str, department_id: uuid.UUID | None, municipality_number: str | None) -> None:
    """Create a token and print its secret, once: store it in the integration's secret store."""
    from tjenesteshop.tokens import create_token_cli  # noqa: PLC0415 - only this command needs it

    settings = _load_settings()
    with servers(settings) as ready:
        _migrate(ready)
        secret, summary = asyncio.run(create_token_cli(ready, name, role, department_id, municipality_number))
    _say(summary)
    click.echo(secret)


@main.command()
def check() -> None:
    """Recompute the ledgers from the bookings; exit 1 and list the rows that differ."""
    settings = _load_settings()
    with servers(settings) as ready:
        differences = asyncio.run(_differences(ready))
    for difference in differences:
        _say(f"{difference.table} {difference.row_id}: used {difference.stored}, bookings say {difference.expected}")
    _say("the ledgers agree with the bookings" if not differences else f"{len(differences)} differences")
    sys.exit(1 if differences else 0)


async def _differences(settings: Settings) -> list[Difference]:
    engine = make_engine(settings)
    try:
        async with make_sessionmaker(engine)() as session:
            return await ledger_differences(session)
    finally:
        await engine.dispose()
