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
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

import click
from pydantic import SecretStr, ValidationError

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
# How long an API process may take to start, and to answer uvicorn's health check, before uvicorn replaces it.
# Uvicorn's default (5 s) killed processes that were still importing the app on a busy 2-core machine, in a loop.
STARTUP_GRACE_SECONDS = 120
PACKAGES = ("api", "booking", "casesystem", "core", "departments", "insight", "notifications", "people", "tjenesteshop",
            "webhooks", "migrations")  # fmt: skip
HTTP_OK = 200
SETTINGS_ENV = "TJENESTESHOP_SERVE_SETTINGS"  # what `serve --workers N` hands its API processes


def _say(message: str) -> None:
    click.echo(f"tjenesteshop: {message}", err=True)


def _exit_on_sigterm() -> None:
    """Turn SIGTERM into SystemExit, so `finally` blocks stop the embedded servers."""

    def handler(signum: int, _frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, handler)


def _load_settings(*, demo: bool = False) -> Settings:
    """The settings, or a clear refusal (exit status 1) when they are unsafe for this environment."""
    try:
        settings = Settings()
        settings.check_demo(demo=demo)
        settings.check_production()
    except ValidationError as exc:
        raise click.ClickException("; ".join(str(error["msg"]) for error in exc.errors())) from exc
    except (ValueError, RuntimeError) as exc:
        raise click.ClickException(str(exc)) from exc
    configure_logging(settings.log_level)
    return settings


def _migrate(settings: Settings) -> None:
    assert settings.database_url is not None  # noqa: S101 - `servers()` fills it in
    _say("bringing the database schema up to date")
    try:
        app_role = migrations.migrate(settings)
    except migrations.RoleError as exc:
        raise click.ClickException(str(exc)) from exc
    if app_role is not None:
        _say(f"the application role {app_role} may read and write the data, and only add to the audit log")


def _load_demo(settings: Settings) -> None:
    from tjenesteshop.demo import DemoRefusedError, load_demo  # noqa: PLC0415 - the demo is only imported when asked for
    from tjenesteshop.demo_today import load_near_visits  # noqa: PLC0415 - the demo is only imported when asked for

    _say("loading demo data")
    try:
        summary = asyncio.run(load_demo(settings))
    except DemoRefusedError as exc:
        raise click.ClickException(str(exc)) from exc
    _say(summary)
    # Visits today and tomorrow for the staff, relative to this start (idempotent per day).
    _say(asyncio.run(load_near_visits(settings)))


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
    started = time.monotonic()
    settings = _load_settings(demo=demo)  # before anything else: demo mode is refused outside development
    frontend.ensure_built(_say)  # the web app at /: npm ci and npm run build when frontend/dist is missing
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
                _say(
                    f"demo: open {base}/ and choose a demo person (one click), or sign in through the demo ID provider"
                )
            _say("press Ctrl-C to stop")

        child = None if no_worker else _start_worker_child(ready)
        try:
            _compile_bytecode()
            _announce_when_answering(_url(host, port), announce)
            _run_api(ready, host, port, workers or os.cpu_count() or 1)
        finally:
            if child is not None:
                _say("stopping the worker")
                _stop_child(child)
            _say("stopping")


def _compile_bytecode() -> None:
    """Compile the project and its libraries once, when this Python may not cache bytecode itself.

    With PYTHONDONTWRITEBYTECODE set, every API process would compile every module from source (about 8 s of
    CPU for the app); compiled files are read even then. Quick when nothing changed; where the files cannot be
    written (a read-only image should compile at build), the processes compile in memory as before.
    """
    if not sys.dont_write_bytecode:
        return
    import compileall  # noqa: PLC0415 - only here
    import importlib.util  # noqa: PLC0415 - only here
    import sysconfig  # noqa: PLC0415 - only here

    folders = {sysconfig.get_path("purelib")}
    for name in PACKAGES:
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.submodule_search_locations:
            folders.update(spec.submodule_search_locations)
    started = time.monotonic()
    for folder in sorted(folders):
        with contextlib.redirect_stdout(None):
            compileall.compile_dir(folder, quiet=2, workers=0)
    log.debug("bytecode checked in %.1f s", time.monotonic() - started)


def _announce_when_answering(base: str, announce: Callable[[], None]) -> None:
    """Call `announce` once the API has answered a real request (from a thread, while uvicorn runs)."""

    def wait() -> None:
        import httpx  # noqa: PLC0415 - only here

        deadline = time.monotonic() + STARTUP_GRACE_SECONDS * 2
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/health/live", timeout=5).status_code == HTTP_OK:
                    announce()
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        _say(f"the API has not answered at {base} yet")

    threading.Thread(target=wait, name="announce-ready", daemon=True).start()


def _run_api(settings: Settings, host: str, port: int, workers: int) -> None:
    """Uvicorn in this process, or `workers` processes on one socket, each with the app built from `settings`."""
    import uvicorn  # noqa: PLC0415 - only the API process needs the web server

    options = uvicorn_options(settings, host, port)
    if workers == 1:
        uvicorn.run(create_api(settings), **options)
        return
    os.environ[SETTINGS_ENV] = _settings_json(settings)
    with tempfile.TemporaryDirectory(prefix="tjenesteshop-metrics-") as metrics:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics  # /metrics adds up every process's counts
        _say(f"starting {workers} API processes")
        uvicorn.run(f"{__name__}:api_process_app", factory=True, workers=workers, **options)


def uvicorn_options(settings: Settings, host: str, port: int) -> dict[str, Any]:
    """How `serve` runs uvicorn."""
    # One access line a request only when INFO is wanted: at WARNING they cost CPU and say nothing asked for.
    access_log = logging.getLevelNamesMapping().get(settings.log_level.upper(), logging.INFO) <= logging.INFO
    # proxy_headers off: uvicorn would believe X-Forwarded-For from any loopback peer (or FORWARDED_ALLOW_IPS);
    # the app believes it only from TJENESTESHOP_TRUSTED_PROXIES (api/forwarded.py).
    return {"host": host, "port": port, "log_config": None, "proxy_headers": False, "server_header": False,
            "access_log": access_log, "timeout_worker_healthcheck": STARTUP_GRACE_SECONDS}  # fmt: skip


def create_api(settings: Settings) -> ServerTiming:
    """The app as served: `api.app.create_app` inside the Server-Timing middleware."""
    from api.app import create_app  # noqa: PLC0415 - keep `worker` and `migrate` light
    from api.middleware import ServerTiming  # noqa: PLC0415 - as above

    return ServerTiming(create_app(settings))


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
    """Load demo data into the database (again: it is idempotent). Development only."""
    settings = _load_settings(demo=True)
    with servers(settings) as ready:
        _migrate(ready)
        _load_demo(ready)


@main.group()
def municipality() -> None:
    """Municipalities (kommuner) served by this installation."""


@municipality.command("create")
@click.option("--number", required=True, help="Kommunenummer, as SSB lists it from 2024 (e.g. 3909).")
@click.option("--name", help="The municipality's name, checked against the number (e.g. Larvik).")
def municipality_create(number: str, name: str | None) -> None:
    """Create the municipality (idempotent: a second run says it is there already)."""
    from tjenesteshop.setup import create_municipality_cli  # noqa: PLC0415 - only this command needs it

    settings = _load_settings()
    with servers(settings) as ready:
        _migrate(ready)
        _say(asyncio.run(create_municipality_cli(ready, number, name)))


@main.group()
def admin() -> None:
    """Municipality administrators."""


@admin.command("add")
@click.option("--municipality", "number", required=True, help="Kommunenummer of a municipality created here.")
@click.option("--national-id", required=True, help="The administrator's national identity number (11 digits).")
@click.option("--given-name", required=True, help="Given name, as shown to others.")
@click.option("--family-name", required=True, help="Family name.")
@click.option("--email", help="E-mail address (optional).")
def admin_add(number: str, national_id: str, given_name: str, family_name: str, email: str | None) -> None:
    """Make a person the municipality's administrator; they sign in with ID-porten (idempotent)."""
    from people.setup import NewAdministrator  # noqa: PLC0415 - only this command needs it
    from tjenesteshop.setup import add_administrator_cli  # noqa: PLC0415 - as above

    settings = _load_settings()
    new = NewAdministrator(national_id.strip(), given_name.strip(), family_name.strip(), email=email)
    with servers(settings) as ready:
        _migrate(ready)
        _say(asyncio.run(add_administrator_cli(ready, number, new)))


@main.command("import")
@click.option("--municipality", "number", required=True, help="Kommunenummer of a municipality created here.")
@click.option("--dry-run", is_flag=True, help="Report what each row would do; store nothing.")
@click.option("--skip-refused", is_flag=True, help="Store the rows that can be, skipping refused ones.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_command(number: str, file: Path, *, dry_run: bool, skip_refused: bool) -> None:
    """Import people, proxy links and decisions from the case system's CSV export (README: "Import").

    All or nothing: when a row is refused, nothing is stored (exit status 1) unless --skip-refused.
    """
    from tjenesteshop.case_import import import_cli, report_lines  # noqa: PLC0415 - only this command needs it

    settings = _load_settings()
    with servers(settings) as ready:
        _migrate(ready)
        report = asyncio.run(import_cli(ready, number, file.read_bytes(), dry_run=dry_run, skip_refused=skip_refused))
    for line in report_lines(report):
        click.echo(line)
    sys.exit(1 if report.refused and not skip_refused else 0)


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
