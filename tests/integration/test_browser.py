"""The web app in real headless Chromium against `tjenesteshop serve --demo`: the node browser suite, run by pytest.

The suite (frontend/browser/*.test.mjs) books, moves and cancels as a recipient, books for a child as a proxy,
marks an outcome as staff and changes opening hours into a conflict as an administrator, by mouse and by
keyboard only, on a phone and a desktop viewport; chooses how reminders arrive (Web Push through the service
worker, with a key pair made for the run); axe checks every page and dialog in both modes and all three
languages; the booking page's JavaScript stays under its budget. Chromium is installed with apt when missing;
without it the test fails, it never skips.

The suite's files run in two shards at once, each on a `serve --demo` of its own (its own database, Redis prefix and
worker) and each file after the other within its shard, as `npm run browser` runs them all: the suite mostly waits
on Chromium and its server (about half a core in use), so two shards take about half the time on two cores and
nothing is shared between files that was not shared before.
"""

from __future__ import annotations

import asyncio
import base64
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO
from zoneinfo import ZoneInfo

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from booking.service import BookRequest, book
from core.settings import async_database_url
from departments.tables import OpeningRule, Service
from people.access import Principal
from people.audit import Origin
from people.tables import Person
from tests.conftest import RunServers
from tests.servers import free_port, wait_ready
from tests.webapp import FRONTEND, built_is_current
from tjenesteshop import embedded

pytestmark = [pytest.mark.slow, pytest.mark.browser]

# Chromium's headless shell (Debian's chromium-headless-shell, built from the same source as its chromium): the
# suite ran on the full browser in headless mode at about twice the CPU (605 to 718 CPU-seconds a run against 383),
# on cores it shares with the other tests. The shell has no Push API, so the test of notifications on this device
# runs the full browser (browser/lib.mjs, `launch({ push: true })`).
CHROMIUM = Path("/usr/bin/chromium-headless-shell")
CHROMIUM_FULL = Path("/usr/bin/chromium")
READY_WITHIN_SECONDS = 120
SUITE_SECONDS = 1800  # a shard takes about 6 minutes beside the other tests; 30 leaves room for a slow shared machine
BROWSER_SUITE = FRONTEND / "browser"
# Seconds each file took alone (2 cores, 2026-12-04), to balance the shards; a new file counts as WEIGHT_UNKNOWN.
WEIGHTS = {"axe": 207, "fit": 87, "flows": 86, "insight": 56, "returning": 42, "privacy": 36, "series": 31,
           "first-look": 22, "benefits": 19, "booking-clarity": 18, "webhooks": 14, "waitlist": 13,
           "waitlist-offer": 12, "booking-url": 6, "offline": 6, "reminders": 6, "size": 3}  # fmt: skip
WEIGHT_UNKNOWN = 30
SHARDS = 2
OSLO = ZoneInfo("Europe/Oslo")


def _run(command: list[str], *, cwd: Path, timeout: int) -> None:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False)  # noqa: S603
    if done.returncode != 0:
        pytest.fail(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}")


def _chromium() -> None:
    """Debian's Chromium and its headless shell; installed with apt when missing (CI runs as root)."""
    if not (CHROMIUM.exists() and CHROMIUM_FULL.exists()) and shutil.which("apt-get"):
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "update", "-q"], check=False, env=env, capture_output=True, timeout=600)  # noqa: S607
        subprocess.run(
            ["apt-get", "install", "-y", "-q", "chromium", "chromium-headless-shell"],  # noqa: S607
            check=False,
            env=env,
            capture_output=True,
            timeout=900,
        )
    if not (CHROMIUM.exists() and CHROMIUM_FULL.exists()):
        pytest.fail(
            "Chromium is missing and could not be installed: apt-get install -y chromium chromium-headless-shell"
        )


def _build() -> str:
    """npm ci when node_modules is missing, and a build when the source is newer than it, so the app tested is the
    source (CI builds once, before the tests)."""
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail("npm is missing: the web app cannot be built (install Node 20)")
    if not (FRONTEND / "node_modules" / ".package-lock.json").exists():
        _run([npm, "ci", "--no-audit", "--no-fund"], cwd=FRONTEND, timeout=900)
    if not built_is_current():
        _run([npm, "run", "build"], cwd=FRONTEND, timeout=600)
    return npm


def _vapid_env() -> dict[str, str]:
    """A Web Push key pair of the run's own, so the app offers push and the browser subscribes with the real key."""
    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)

    def b64(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return {
        "TJENESTESHOP_VAPID_PRIVATE_KEY": b64(key.private_numbers().private_value.to_bytes(32, "big")),
        "TJENESTESHOP_VAPID_PUBLIC_KEY": b64(public),
        "TJENESTESHOP_VAPID_SUBJECT": "mailto:drift@example.org",
    }


async def _drop(admin_url: str, database: str) -> None:
    import asyncpg  # noqa: PLC0415 - only here

    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def npm() -> str:
    """Chromium present and the app built before `serve` starts (so serve need not build it in its start-up)."""
    _chromium()
    return _build()


@contextmanager
def _serve(servers: RunServers, data_dir: Path, shard: int) -> Iterator[tuple[subprocess.Popen[bytes], str, str]]:
    """`serve --demo` on a free port, on a database of its own on the run's server: the process, URL, database URL."""
    database = f"tjenesteshop_browser_{uuid.uuid4().hex[:8]}"
    asyncio.run(embedded.ensure_database(servers.admin_url, database))
    database_url = make_url(servers.admin_url).set(database=database).render_as_string(hide_password=False)
    port = free_port()
    env = dict(os.environ, DATABASE_URL=database_url, REDIS_URL=servers.redis_url)
    env |= {"TJENESTESHOP_REDIS_PREFIX": f"{servers.key_prefix}browser{shard}:", "TJENESTESHOP_DATA_DIR": str(data_dir)}
    # The suite gives each browser context an X-Forwarded-For address of its own (frontend/browser/lib.mjs), as
    # phones behind a proxy on this machine: believed only because loopback is configured as that proxy.
    env |= {"TJENESTESHOP_TRUSTED_PROXIES": "127.0.0.1/32,::1/128"}
    env |= _vapid_env()
    # The statement's contact (browser/first-look.test.mjs); Settings without push keys is checked by routing.
    env |= {"TJENESTESHOP_ACCESSIBILITY_CONTACT": "mailto:tilgjengelighet@example.org"}
    # With its worker, as a municipality runs it: the waitlist's offers (browser/waitlist-offer.test.mjs) come from it.
    command = [sys.executable, "-m", "tjenesteshop", "serve", "--demo", "--port", str(port)]
    data_dir.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(command, env=env, cwd=data_dir)  # noqa: S603 - our own CLI
    try:
        yield process, f"http://127.0.0.1:{port}", database_url
    finally:
        process.terminate()
        process.wait(60)
        asyncio.run(_drop(servers.admin_url, database))


@dataclass(frozen=True)
class Served:
    """One shard's server: its URL, its database URL, and the day (Oslo) it was ready on (the demo books visits for
    that day and the next)."""

    base: str
    database_url: str
    day: str


@pytest.fixture
def served(servers: RunServers, tmp_path: Path, npm: str) -> Iterator[list[Served]]:
    """A `serve --demo` for each shard, started together (each migrates and seeds a database of its own)."""
    del npm  # built above
    with ExitStack() as stack:
        started = [stack.enter_context(_serve(servers, tmp_path / f"shard{n}", n)) for n in range(SHARDS)]
        deadline = time.monotonic() + READY_WITHIN_SECONDS
        for process, base, _ in started:
            wait_ready(base, process, deadline)
        day = datetime.now(OSLO).date().isoformat()
        yield [Served(base, database_url, day) for _, base, database_url in started]


def shards(files: list[Path], count: int) -> list[list[Path]]:
    """The files in `count` shards of about equal time (the longest first, each to the shard with least so far),
    each shard's files in name order (as `npm run browser` runs them)."""
    loads: list[tuple[float, list[Path]]] = [(0.0, []) for _ in range(count)]
    weight = {path: WEIGHTS.get(path.name.removesuffix(".test.mjs"), WEIGHT_UNKNOWN) for path in files}
    for path in sorted(files, key=lambda p: (-weight[p], p.name)):
        least = min(range(count), key=lambda n: loads[n][0])
        loads[least] = (loads[least][0] + weight[path], [*loads[least][1], path])
    return [sorted(paths) for _, paths in loads if paths]


async def _opened_today(session: AsyncSession, department_id: uuid.UUID, now: datetime) -> datetime | None:
    """When the department opened today (Oslo time), if it has."""
    today = now.astimezone(OSLO).date()
    query = select(OpeningRule.start_minute).where(
        OpeningRule.department_id == department_id, OpeningRule.weekday == today.weekday()
    )
    first = min(await session.scalars(query), default=None)
    if first is None:
        return None
    opened = datetime.combine(today, datetime.min.time(), tzinfo=OSLO) + timedelta(minutes=first)
    return opened if opened <= now else None


async def _seed_started_visit(database_url: str) -> tuple[str, str] | None:
    """A follow-up for Ola that started today (booked as of yesterday), so staff can mark it; None before opening."""
    engine = create_async_engine(async_database_url(database_url))
    try:
        async with AsyncSession(engine, expire_on_commit=False) as session:
            ola = (await session.scalars(select(Person).where(Person.given_name == "Ola"))).one()
            tor = (await session.scalars(select(Person).where(Person.given_name == "Tor"))).one()
            services = await session.scalars(select(Service).where(Service.municipality_id == ola.municipality_id))
            service = next(s for s in services if s.name.get("nb") == "Oppfølgingssamtale")
            now = datetime.now(UTC)  # the served app runs on the machine's clock, not the tests' fixed one
            start = await _opened_today(session, service.department_id, now)
            if start is None or start + timedelta(minutes=30) > now:
                return None
            admin = Principal(
                municipality_id=ola.municipality_id, person_id=tor.id, roles=frozenset({("municipality_admin", None)})
            )
            request = BookRequest(ola.id, service.id, start, 30)
            await book(session, admin, Origin(), request, key="browser-started-visit", now=start - timedelta(days=1))
            await session.commit()
            return f"{ola.given_name} {ola.family_name}", start.astimezone(OSLO).date().isoformat()
    finally:
        await engine.dispose()


def test_the_shards_hold_every_file_of_the_suite_once() -> None:
    files = sorted(BROWSER_SUITE.glob("*.test.mjs"))
    split = shards(files, SHARDS)
    assert sorted(path for shard in split for path in shard) == files
    assert len(split) == SHARDS
    known = {path.name.removesuffix(".test.mjs") for path in files}
    assert set(WEIGHTS) == known, "WEIGHTS names a file that is gone, or misses one (time it and add it)"
    loads = [sum(WEIGHTS[path.name.removesuffix(".test.mjs")] for path in shard) for shard in split]
    assert max(loads) <= 0.6 * sum(loads), loads


@dataclass
class Shard:
    """A shard's node process (a process group of its own) and where its output goes."""

    files: list[Path]
    process: subprocess.Popen[str]
    out: IO[str]
    err: IO[str]

    def finish(self, deadline: float) -> tuple[int, str]:
        """Wait for it (until `deadline`, monotonic), then its exit code and output; its group ended either way."""
        try:
            code = self.process.wait(timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            code = -1
        finally:
            _end_group(self.process)
        texts = []
        for sink in (self.out, self.err):
            sink.seek(0)
            texts.append(sink.read())
            sink.close()
        return code, "\n".join(texts)


@pytest.mark.timeout(SUITE_SECONDS + 600)
def test_browser_suite(served: list[Served], tmp_path: Path) -> None:
    split = shards(sorted(BROWSER_SUITE.glob("*.test.mjs")), SHARDS)
    node = shutil.which("node")
    assert node is not None, "node is missing (install Node 20)"
    started: list[Shard] = []
    try:
        for server, files in zip(served, split, strict=True):
            started.append(_start_shard(node, server, files))
        deadline = time.monotonic() + SUITE_SECONDS
        ended = [(shard.files, *shard.finish(deadline)) for shard in started]
    finally:
        for shard in started:
            _end_group(shard.process)
    for number, (files, code, output) in enumerate(ended):
        (tmp_path / f"browser-{number}.log").write_text(output)
        names = " ".join(path.name for path in files)
        if code != 0:
            pytest.fail(f"browser shard {number} ({names}) failed ({code}):\n{output[-15000:]}")
        # node:test passes a run with skipped tests: here nothing may be skipped unseen.
        skipped = re.search(r"^# skipped (\d+)$", output, flags=re.MULTILINE)
        assert skipped is not None, f"shard {number}'s summary is missing:\n{output[-3000:]}"
        assert skipped.group(1) == "0", f"shard {number} skipped {skipped.group(1)} test(s):\n{output[-6000:]}"


def _start_shard(node: str, server: Served, files: list[Path]) -> Shard:
    seeded = asyncio.run(_seed_started_visit(server.database_url))
    env = dict(os.environ, TJENESTESHOP_URL=server.base, CHROMIUM=str(CHROMIUM),
               CHROMIUM_FULL=str(CHROMIUM_FULL), TJENESTESHOP_SERVED_DAY=server.day,
               TJENESTESHOP_WORKER="1")  # fmt: skip
    if seeded:
        # The day it was booked for, in the department's time: a suite that runs past midnight finds it on
        # yesterday's roster, and the staff test then knows not to look for it on today's.
        env["TJENESTESHOP_SEEDED_VISIT"], env["TJENESTESHOP_SEEDED_DAY"] = seeded
    env.setdefault("TJENESTESHOP_ARTIFACTS", str(FRONTEND / "artifacts"))
    # A process group of its own: node starts Chromium. When this test ends early (its timeout, or Ctrl-C because
    # another phase of `python -m tests` failed), the whole group goes, not node alone. Output goes to files: a
    # shard writing to a pipe nobody reads while the other shard is awaited could fill it and stall.
    command = [node, "--test", "--test-concurrency=1", *(str(path.relative_to(FRONTEND)) for path in files)]
    out, err = tempfile.TemporaryFile(mode="w+"), tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - Shard closes
    process = subprocess.Popen(command, cwd=FRONTEND, env=env, stdout=out, stderr=err, text=True,  # noqa: S603
                               start_new_session=True)  # fmt: skip
    return Shard(files, process, out, err)


def _end_group(process: subprocess.Popen[str]) -> None:
    """End what is left of the process's group: politely, then for good after 10 s."""
    for sig, grace in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 0.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            process.poll()  # reap npm itself once it has gone: a zombie would keep the group alive
            try:
                os.killpg(process.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.2)
    process.wait()
