"""Booking under load, over HTTP: a rush on one cell, then steady mixed traffic, against the ceiling.

    uv run python -m bench.rush [--database-url postgresql://...] [--redis-url redis://...] [--clients 500]
                                [--seconds 20] [--spread-clients 50] [--runs 3] [--json]

Each run: a throw-away database (created, migrated, seeded, dropped) and the API as a real server
(`tjenesteshop serve` under uvicorn, database pool 10). N recipients, each signed in with a server-side
session and its own X-Forwarded-For address (many phones), book the same 15-minute cell (capacity 3) at
once; C clients then mix availability reads, books, cancels and moves for T seconds; the ledger is
checked against the bookings; `../shared/bench/ceiling.py` runs on the same PostgreSQL server with the
same N, C, T and pool. Without URLs an embedded PostgreSQL and Valkey are started. Latencies are taken by
the client, on the same machine as the server, and by the server (its `Server-Timing` header); before the
rush, --quiet availability reads run one at a time to time the 14-day free-times answer on its own, and
--cost requests of each kind (free times, book, move, cancel) run one at a time to read the API's CPU per
request from its processes' CPU time (steadier than wall time on a shared machine).
Figures are medians over --runs runs; the JSON goes to bench/results/rush-<sha>.json. Exit 1 if the rush
sold other than 3 or the ledger disagrees.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import hashlib
import json
import math
import os
import platform
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import psutil
from redis.asyncio import Redis
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from bench import limit_app
from bench.phones import Phone
from booking.consistency import ledger_differences
from booking.tables import Allocation
from core.settings import async_database_url, plain_database_url
from departments.ledger import horizon, rematerialize
from departments.rules import norwegian_holidays
from departments.tables import CapacityCell, Department, OpeningException, OpeningRule, Service
from people.sessions import create_session, new_session
from people.tables import Municipality, Person, RoleAssignment
from tjenesteshop import embedded
from tjenesteshop.migrate import upgrade

ROOT = Path(__file__).resolve().parent.parent
CEILING = ROOT.parent / "shared" / "bench" / "ceiling.py"
RESULTS = ROOT / "bench" / "results"
ZONE = ZoneInfo("Europe/Oslo")
POOL = 10  # the API's database connections (shared out among its processes), and the ceiling's
OPEN, CLOSE, CELL = 8 * 60, 16 * 60, 15
RUSH_STAFF, BUSY_STAFF, MAX_FILLERS = 3, 50, 40  # fillers hold at most 40 of the 50 staff on later days
MIX = {"availability": 60, "book": 25, "cancel": 10, "move": 5}
# issue 18's targets: the API's CPU per request of each kind over the limit app's CPU per booking
CPU_RATIOS = {"book": "book", "cancel": "cancel", "move": "move", "free_times": "availability"}
RUSH_MINUTES, SPREAD_MINUTES, DAYS = 15, 30, 14  # the rush's visit, the spread's, and the days it reads
OK, CREATED, REDIRECT, UNAUTHORIZED, TOO_MANY = 200, 201, 300, 401, 429
BESIDE_TURNS = 3  # the book-only spread's turns, and the ceiling's spread's between them (`book_spread_beside_ceiling`)
COST_CHUNK = 10  # the API's requests in `cost` between two turns of the limit app's
LIMIT_COST_FACTOR = 5  # the limit's CPU is read over this many times --cost bookings
LIMIT_SESSIONS = 100_000  # the limit app's recipients with a session: one a booking in its spread
QUIET_WARMUP = 10  # unmeasured first requests of the quiet availability reads (connections, statement caches)
FILL = text("""
WITH f AS (SELECT id AS allocation_id, recipient_id, row_number() OVER (ORDER BY external_ref) - 1 AS i
           FROM allocation WHERE department_id = CAST(:department AS uuid) AND external_ref LIKE 'filler-%'),
g AS (SELECT n % :people AS i, CAST(:first AS date) + (n / :people) % :days AS day, (n / :people) / :days AS slot
      FROM generate_series(0, :count - 1) AS n),
t AS (SELECT i, day, (day + time '08:00' + slot * interval '15 minutes') AT TIME ZONE :zone AS starts_at FROM g)
INSERT INTO booking (id, municipality_id, recipient_id, department_id, service_id, allocation_id, period_start,
                     starts_at, ends_at, span_start, span_end, minutes, staff_units, acted_by)
SELECT gen_random_uuid(), CAST(:municipality AS uuid), f.recipient_id, CAST(:department AS uuid),
       CAST(:service AS uuid), f.allocation_id, CAST(date_trunc('week', t.day) AS date), t.starts_at,
       t.starts_at + interval '15 minutes', t.starts_at, t.starts_at + interval '15 minutes', 15, 1, 'staff'
FROM t JOIN f USING (i)
""")
FILL_PERIODS = text("""
INSERT INTO allocation_period (municipality_id, allocation_id, period_start, period_end, granted, used)
SELECT a.municipality_id, a.id, b.period_start, b.period_start + 6, a.minutes, sum(b.minutes)
FROM booking b JOIN allocation a ON a.id = b.allocation_id WHERE a.external_ref LIKE 'filler-%'
GROUP BY a.municipality_id, a.id, b.period_start, a.minutes
""")
FILL_CELLS = text("""
UPDATE capacity_cell AS c SET used = s.units
FROM (SELECT c2.id, sum(b.staff_units) AS units FROM capacity_cell c2
      JOIN booking b ON b.department_id = c2.department_id AND b.span_start = c2.starts_at GROUP BY c2.id) AS s
WHERE c.id = s.id
""")

# Past visits of `people` recipients taken in turn, 15 minutes each, every recipient's an hour apart, going back
# from yesterday: none overlap (the recipient's exclusion constraint holds) and none touch the ledger's cells.
PAST = text("""
WITH f AS (SELECT id AS allocation_id, recipient_id, row_number() OVER (ORDER BY external_ref) - 1 AS i
           FROM allocation WHERE department_id = CAST(:department AS uuid) AND external_ref LIKE :tag),
g AS (SELECT n % :people AS i, CAST(:before AS timestamptz) - (:offset + n / :people) * interval '6 hours' AS starts_at
      FROM generate_series(0, :count - 1) AS n)
INSERT INTO booking (id, municipality_id, recipient_id, department_id, service_id, allocation_id, period_start,
                     starts_at, ends_at, span_start, span_end, minutes, staff_units, acted_by, status)
SELECT gen_random_uuid(), CAST(:municipality AS uuid), f.recipient_id, CAST(:department AS uuid),
       CAST(:service AS uuid), f.allocation_id, CAST(date_trunc('week', g.starts_at) AS date), g.starts_at,
       g.starts_at + interval '15 minutes', g.starts_at, g.starts_at + interval '15 minutes', 15, 1, 'staff',
       CASE WHEN n_mod.k = 0 THEN 'no_show' WHEN n_mod.k = 1 THEN 'cancelled' ELSE 'delivered' END
FROM g JOIN f USING (i), LATERAL (SELECT (extract(epoch FROM g.starts_at)::bigint / 21600) % 10 AS k) AS n_mod
""")

# The minutes the decisions' periods hold for the bookings charged to them (all of them: a second call, going
# further back, recomputes a week it shares with the first).
PAST_PERIODS = text("""
INSERT INTO allocation_period AS p (municipality_id, allocation_id, period_start, period_end, granted, used)
SELECT a.municipality_id, a.id, b.period_start, b.period_start + 6, a.minutes, sum(b.minutes)
  FROM booking b JOIN allocation a ON a.id = b.allocation_id
 WHERE a.department_id = CAST(:department AS uuid) AND a.external_ref LIKE :tag AND NOT b.minutes_returned
 GROUP BY a.municipality_id, a.id, b.period_start, a.minutes
ON CONFLICT ON CONSTRAINT uq_allocation_period_start DO UPDATE SET used = EXCLUDED.used
""")


@dataclass
class World:
    """What the seed made: one department, its service, the recipients, and the rush cell's start."""

    municipality_id: uuid.UUID
    department_id: uuid.UUID
    service_id: uuid.UUID
    recipients: list[uuid.UUID]
    today: date
    rush_start: datetime
    existing: int = 0


@dataclass(frozen=True)
class Answer:
    """One request: when it was sent and answered, its status, an outcome label, its JSON body, server ms."""

    sent: float
    done: float
    status: int
    kind: str
    body: Any
    server_ms: float | None = None  # from the API's `Server-Timing: app;dur=<ms>`


@dataclass
class Player:
    """A spread-load client: its recipients (indexes), its connection, their bookings, the free starts it last saw."""

    recipients: list[int]
    rng: random.Random
    phone: Phone
    own: dict[int, list[str]] = field(default_factory=dict)
    free: list[str] = field(default_factory=list)
    turn: int = 0
    starts: dict[str, float] = field(default_factory=dict)  # each of `own`'s bookings' start (a POSIX timestamp)

    def holds_near(self, who: int, start: str, moving: str | None = None) -> bool:
        """Whether recipient `who` has a visit, other than `moving`, that a visit from `start` would overlap.

        A phone shows the recipient's own visits beside the free times: nobody asks for a time they hold already.
        """
        wanted = datetime.fromisoformat(start).timestamp()
        return any(
            abs(self.starts[booking] - wanted) < SPREAD_MINUTES * 60
            for booking in self.own.get(who, ())
            if booking != moving
        )


def _rush_day(now: datetime) -> date:
    """The first local day, not a public holiday, whose 10:00 is at least an hour away."""
    day = now.astimezone(ZONE).date()
    holidays = norwegian_holidays(day, day + timedelta(days=14))
    while day in holidays or datetime.combine(day, clock(10), tzinfo=ZONE) < now + timedelta(hours=1):
        day += timedelta(days=1)
    return day


async def _department(session: AsyncSession, now: datetime) -> tuple[Department, Service, date]:
    """Open 08-16 daily with staff 3; staff 50 on the days after the rush day (room for existing bookings)."""
    municipality = Municipality(id=uuid.uuid4(), number="9997", name="Rushkommune")
    session.add(municipality)
    await session.flush()
    department = Department(id=uuid.uuid4(), municipality_id=municipality.id, name="Rush", notice_hours=0)
    session.add(department)
    await session.flush()
    where = {"municipality_id": municipality.id, "department_id": department.id}
    service = Service(id=uuid.uuid4(), name={"nb": "Besøk"}, description={"nb": "Besøk"}, durations=[15, 30, 60],
                      **where)  # fmt: skip
    session.add(service)
    session.add_all(
        OpeningRule(weekday=d, start_minute=OPEN, end_minute=CLOSE, staff=RUSH_STAFF, **where) for d in range(7)
    )
    rush_day, (_, last) = _rush_day(now), horizon(department, now)
    window = {"start_minute": OPEN, "end_minute": CLOSE, "staff": BUSY_STAFF}
    session.add_all(
        OpeningException(day=rush_day + timedelta(days=k), closed=False, windows=[window], **where)
        for k in range(1, (last - rush_day).days + 1)
    )
    await session.flush()
    await rematerialize(session, department, now=now)
    return department, service, rush_day


async def _people(session: AsyncSession, service: Service, count: int, *, tag: str, minutes: int) -> list[uuid.UUID]:
    """`count` recipients, each with an allocation of `minutes` a week of the service."""
    where = {"municipality_id": service.municipality_id}
    people = [
        Person(id=uuid.uuid4(), given_name=f"{tag}{i}", family_name="Bench", national_id_masked="******00000",
               national_id_hash=hashlib.sha256(f"{tag}-{i}".encode()).hexdigest(), **where)
        for i in range(count)
    ]  # fmt: skip
    session.add_all(people)
    await session.flush()
    session.add_all(RoleAssignment(person_id=p.id, role="recipient", **where) for p in people)
    valid_from = datetime.now(UTC).date() - timedelta(days=7)
    session.add_all(
        Allocation(recipient_id=p.id, department_id=service.department_id, service_id=service.id, minutes=minutes,
                   period="week", valid_from=valid_from, external_ref=f"{tag}-{i:05d}", **where)
        for i, p in enumerate(people)
    )  # fmt: skip
    await session.flush()
    return [p.id for p in people]


async def _existing(session: AsyncSession, service: Service, first: date, last: date, wanted: int) -> int:
    """Insert up to `wanted` 15-minute bookings of filler recipients on [first, last]; keep the ledgers in step."""
    days = (last - first).days + 1
    count = min(wanted, MAX_FILLERS * days * (CLOSE - OPEN) // CELL)
    if count <= 0:
        return 0
    people = math.ceil(count / (days * (CLOSE - OPEN) // CELL))
    await _people(session, service, people, tag="filler", minutes=7 * 24 * 60)
    await session.execute(FILL, {"department": service.department_id, "municipality": service.municipality_id,
                                 "service": service.id, "people": people, "first": first, "days": days,
                                 "count": count, "zone": str(ZONE)})  # fmt: skip
    await session.execute(FILL_PERIODS)
    await session.execute(FILL_CELLS)
    return count


async def _past(  # noqa: PLR0913 - keyword-only: whose visits, how many, from where
    session: AsyncSession, service: Service, *, refs: str, people: int, count: int, offset: int
) -> None:
    """`count` past visits of the `people` recipients whose decisions' references are LIKE `refs`.

    Their decisions' periods are charged with them (`PAST_PERIODS`), so that the ledger agrees with the bookings.
    """
    before = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(days=1)
    await session.execute(PAST, {"department": service.department_id, "municipality": service.municipality_id,
                                 "service": service.id, "tag": refs, "people": people, "count": count,
                                 "before": before, "offset": offset})  # fmt: skip
    await session.execute(PAST_PERIODS, {"department": service.department_id, "tag": refs})


async def seed(url: str, recipients: int, existing: int, history: int = 0) -> World:
    """Seed one department, its service, the recipients and the existing bookings; committed and analysed.

    With `history`, each recipient also has that many past visits (delivered, no-shows, cancelled; four a day,
    going back from yesterday): the department's past is `recipients` times `history` bookings.
    """
    now = datetime.now(UTC)
    engine = create_async_engine(url)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
            department, service, rush_day = await _department(session, now)
            people = await _people(session, service, recipients, tag="rush", minutes=600)
            _, last = horizon(department, now)
            used = await _existing(session, service, rush_day + timedelta(days=1), last, existing)
        if history:
            async with AsyncSession(engine) as session, session.begin():
                await _past(session, service, refs="rush-%", people=recipients, count=recipients * history, offset=0)
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("VACUUM ANALYZE" if history else "ANALYZE"))
    finally:
        await engine.dispose()
    rush_start = datetime.combine(rush_day, clock(10), tzinfo=ZONE)
    today = now.astimezone(ZONE).date()
    return World(department.municipality_id, department.id, service.id, people, today, rush_start, used)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_api(
    url: str, redis_url: str, prefix: str, log: Path, args: argparse.Namespace
) -> tuple[subprocess.Popen[bytes], str]:
    """`tjenesteshop serve --workers W` (uvicorn) in a subprocess, its output in `log`; POOL connections in all."""
    port = _free_port()
    pool = max(1, POOL // args.workers)
    env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": redis_url, "TJENESTESHOP_REDIS_PREFIX": prefix,
           "TJENESTESHOP_DB_POOL_SIZE": str(pool), "TJENESTESHOP_LOG_LEVEL": args.log_level,
           # Each phone's X-Forwarded-For address is believed, as from a proxy on this machine.
           "TJENESTESHOP_TRUSTED_PROXIES": "127.0.0.1/32,::1/128"}  # fmt: skip
    command = [sys.executable, "-m", "tjenesteshop", "serve", "--host", "127.0.0.1", "--port", str(port),
               "--no-worker", "--no-migrate", "--workers", str(args.workers)]  # fmt: skip
    with log.open("wb") as sink:
        process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT)  # noqa: S603
    return process, f"http://127.0.0.1:{port}"


async def _wait_ready(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=2) as client:
        for _ in range(600):
            if process.poll() is not None:
                raise RuntimeError("the API exited:\n" + "\n".join(_log_problems(log)))
            try:
                if (await client.get("/health/ready")).status_code == httpx.codes.OK:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError("the API was not ready within 60 s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _log_problems(log: Path) -> list[str]:
    """The server's warning and error lines (and tracebacks' last lines), at most 20."""
    marks = ("WARNING", "ERROR", "CRITICAL", "Error:", "Exception")
    return [line for line in log.read_text(errors="replace").splitlines() if any(m in line for m in marks)][:20]


async def sign_in(redis_url: str, prefix: str, world: World) -> list[dict[str, str]]:
    """Per recipient: a server-side session cookie, its CSRF header, and an address of its own in 127/8."""
    redis = Redis.from_url(redis_url)
    headers = []
    try:
        for index, recipient in enumerate(world.recipients, start=2):
            session = new_session(recipient, world.municipality_id, "bench", None)
            session_id = await create_session(redis, prefix, session)
            address = f"127.{index >> 16 & 255}.{index >> 8 & 255}.{index & 255}"
            headers.append({"Cookie": f"tjenesteshop_session={session_id}", "X-CSRF-Token": session.csrf_token,
                            "X-Forwarded-For": address})  # fmt: skip
    finally:
        await redis.aclose()
    return headers


@dataclass(frozen=True)
class Load:
    """The seeded world and each recipient's headers (by recipient index); requests go out on a given phone."""

    world: World
    headers: list[dict[str, str]]

    async def call(  # noqa: PLR0913 - keyword-only after the recipient
        self, phone: Phone, method: str, url: str, who: int, extra: dict[str, str] | None = None, *,
        body: object = None, params: dict[str, str] | None = None,
    ) -> Answer:  # fmt: skip
        """Send as recipient `who`; label the answer `ok`, or `<status>:<problem type>`."""
        sent = time.perf_counter()
        try:
            reply = await phone.request(method, url, self.headers[who] | (extra or {}), body=body, params=params)
        except (OSError, TimeoutError, asyncio.IncompleteReadError) as exc:
            return Answer(sent, time.perf_counter(), 0, type(exc).__name__, None)
        done = time.perf_counter()
        payload = reply.json() if "json" in reply.headers.get("content-type", "") else None
        kind = "ok"
        if not OK <= reply.status < REDIRECT:
            problem = payload.get("type", "") if isinstance(payload, dict) else ""
            kind = f"{reply.status}:{str(problem).rsplit(':', 1)[-1]}"
        return Answer(sent, done, reply.status, kind, payload, _server_ms(reply.headers))

    async def book(self, phone: Phone, who: int, start: str, minutes: int) -> Answer:
        """POST /api/v1/bookings with a fresh Idempotency-Key."""
        body = {"recipient_id": str(self.world.recipients[who]), "service_id": str(self.world.service_id),
                "start": start, "minutes": minutes}  # fmt: skip
        return await self.call(phone, "POST", "/api/v1/bookings", who, {"Idempotency-Key": uuid.uuid4().hex}, body=body)


def _server_ms(headers: dict[str, str]) -> float | None:
    """The `dur` of a `Server-Timing: app;dur=<ms>` header, if there is one."""
    for metric in headers.get("server-timing", "").split(","):
        name, _, params = metric.strip().partition(";")
        if name == "app" and params.startswith("dur="):
            return float(params.removeprefix("dur="))
    return None


def _ms(latencies: list[float], share: float) -> float | None:
    ordered = sorted(latencies)
    return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000, 1) if ordered else None


def _latency(name: str, answers: list[Answer]) -> dict[str, Any]:
    """Client-side p50/p95/p99 (send to answer) and server-side p50/p99 (Server-Timing), in ms."""
    spans = [a.done - a.sent for a in answers]
    server = [a.server_ms / 1000 for a in answers if a.server_ms is not None]
    return {f"{name}_p{p}_ms": _ms(spans, p / 100) for p in (50, 95, 99)} | {
        f"{name}_server_p{p}_ms": _ms(server, p / 100) for p in (50, 99)
    }


def _errors(name: str, answers: list[Answer]) -> dict[str, int]:
    return {f"{name}_5xx": sum(a.status >= 500 for a in answers), f"{name}_429": sum(a.status == 429 for a in answers)}  # noqa: PLR2004


async def quiet_availability(base: str, world: World, headers: list[dict[str, str]], count: int) -> dict[str, Any]:
    """14-day free times, one request at a time with nothing else running: the answer time itself."""
    load, player = Load(world, headers), Player([], random.Random(0), Phone(base))
    answers = [await _availability(load, player, who % len(headers)) for who in range(QUIET_WARMUP + count)]
    await player.phone.close()
    measured = answers[QUIET_WARMUP:]
    slots = [sum(len(day["slots"]) for day in a.body["days"]) for a in measured if a.status == OK]
    return {"quiet_availability_count": len(measured), "quiet_availability_ok": len(slots),
            "quiet_availability_slots": statistics.median(slots) if slots else 0,
            **_latency("quiet_availability", measured)}  # fmt: skip


def _on_cpu_s(process: psutil.Process) -> float:
    """Seconds `process` has run on a CPU: Linux's scheduler statistics, to the nanosecond, summed over its threads.

    psutil's CPU times count in clock ticks (10 ms), a tenth of a 100-request batch's time: they moved a cost by
    up to 8 % between runs on a quiet machine. Elsewhere than Linux, psutil's user and system time.
    """
    try:
        tasks = list(os.scandir(f"/proc/{process.pid}/task"))
    except OSError:
        return sum(process.cpu_times()[:2])
    spent = 0
    for task in tasks:
        with contextlib.suppress(OSError):  # a thread that ended meanwhile
            spent += int(Path(task.path, "schedstat").read_text().split()[0])
    return spent / 1e9


def _api_cpu_s(process: subprocess.Popen[bytes]) -> float:
    """CPU seconds the API has used so far: the serving process and its workers (`_on_cpu_s`)."""
    parent = psutil.Process(process.pid)
    return sum(_on_cpu_s(p) for p in (parent, *parent.children(recursive=True)))


def _db_cpu_s() -> float:
    """CPU seconds PostgreSQL's processes on this machine have used so far (`_on_cpu_s`; 0 when it runs elsewhere).

    Every backend, the ceiling's and autovacuum's included: read it around a phase with nothing else running, as `cost`
    and `limit_cost` do, and it is the database's share of that phase's requests.
    """
    spent = 0.0
    for process in psutil.process_iter(["name"]):
        if (process.info["name"] or "").startswith("postgres"):
            with contextlib.suppress(psutil.Error):
                spent += _on_cpu_s(process)
    return spent


@dataclass
class LimitSide:
    """The limit app, up beside the API: its bookings made and timed a few at a time, between the API's requests."""

    process: subprocess.Popen[bytes]
    phone: Phone
    rng: random.Random = field(default_factory=lambda: random.Random(3))
    recipient: int = 0  # the last recipient who booked (each books once)
    spent: list[float] = field(default_factory=lambda: [0.0, 0.0])  # measured: the app's CPU seconds, PostgreSQL's
    measured: int = 0
    failed: int = 0

    async def book(self, count: int, *, measured: bool = True) -> tuple[float, float]:
        """`count` bookings one at a time: the app's CPU seconds and PostgreSQL's (kept in the totals if measured)."""
        before, db_before = _api_cpu_s(self.process), _db_cpu_s()
        for _ in range(count):
            self.recipient += 1
            headers, body = _limit_booking(self.recipient, self.rng)
            self.failed += (await self.phone.request("POST", "/book", headers, body=body)).status != CREATED
        its, its_db = _api_cpu_s(self.process) - before, _db_cpu_s() - db_before
        if measured:
            self.spent, self.measured = [self.spent[0] + its, self.spent[1] + its_db], self.measured + count
        return its, its_db

    def totals(self) -> dict[str, Any]:
        """Its CPU and PostgreSQL's a booking over every measured turn, and how many bookings failed."""
        made = max(1, self.measured)
        return {"limit_book_cpu_ms": round(1000 * self.spent[0] / made, 2),
                "limit_book_db_cpu_ms": round(1000 * self.spent[1] / made, 2),
                "limit_book_failed": self.failed}  # fmt: skip


async def _cost_batch(
    op: str, process: subprocess.Popen[bytes], steps: list[Callable[[], Awaitable[Answer]]], limit: LimitSide | None
) -> dict[str, Any]:
    """One operation's batch for `cost`, `COST_CHUNK` requests at a time, the limit's turns between."""
    answers: list[Answer] = []
    spent = db_spent = limit_spent = limit_db_spent = 0.0
    for first in range(0, len(steps), COST_CHUNK):
        group = steps[first : first + COST_CHUNK]
        before, db_before = _api_cpu_s(process), _db_cpu_s()
        answers += [await step() for step in group]
        spent, db_spent = spent + _api_cpu_s(process) - before, db_spent + _db_cpu_s() - db_before
        if limit is not None:
            its, its_db = await limit.book(LIMIT_COST_FACTOR * len(group))
            limit_spent, limit_db_spent = limit_spent + its, limit_db_spent + its_db
    figures = {f"cost_{op}_cpu_ms": round(1000 * spent / max(1, len(answers)), 2),
               f"cost_{op}_db_cpu_ms": round(1000 * db_spent / max(1, len(answers)), 2),
               f"cost_{op}_failed": sum(a.kind != "ok" for a in answers)}  # fmt: skip
    if limit is not None:
        made = max(1, LIMIT_COST_FACTOR * len(steps))
        figures |= {f"limit_beside_{op}_cpu_ms": round(1000 * limit_spent / made, 3),
                    f"limit_beside_{op}_db_cpu_ms": round(1000 * limit_db_spent / made, 3)}  # fmt: skip
    return figures


async def cost(  # noqa: PLR0913 - keyword-only after the load
    base: str,
    world: World,
    headers: list[dict[str, str]],
    process: subprocess.Popen[bytes],
    count: int,
    *,
    limit: LimitSide | None = None,
) -> dict[str, Any]:
    """The API's CPU per request, by operation: `count` of each, one at a time, read from the processes' CPU time.

    CPU time, not wall time, so other jobs on a shared machine barely move it; each operation is measured over its
    whole batch (`_on_cpu_s`): free times for `count` recipients (the last ones), then a booking each at a random
    start it offered, a move each to another, and a cancellation each.

    With `limit`, every `COST_CHUNK` of the API's requests is followed by `LIMIT_COST_FACTOR` times as many of the
    limit app's bookings, and each operation's ratio is taken against the limit's CPU in its own batch
    (`limit_beside_<op>_cpu_ms`): measured apart, minutes later, the limit's CPU a booking moved by up to a third
    between runs of one session while the API's moved otherwise (`cpu_ratio_book` from 1.8 to 3.0).
    """
    phone = Phone(base)
    load = Load(world, headers)
    players = [Player([who], random.Random(who), phone) for who in range(len(headers) - count, len(headers))]
    booked: dict[int, str] = {}

    async def availability(player: Player) -> Answer:
        return await _availability(load, player, player.recipients[0])

    async def book(player: Player) -> Answer:
        who = player.recipients[0]
        answer = await load.book(phone, who, player.free.pop(player.rng.randrange(len(player.free))), SPREAD_MINUTES)
        if answer.status == CREATED:
            booked[who] = answer.body["id"]
        return answer

    async def move(player: Player) -> Answer:
        who = player.recipients[0]
        body = {"start": player.free.pop(player.rng.randrange(len(player.free)))}
        return await load.call(phone, "POST", f"/api/v1/bookings/{booked[who]}/move", who, body=body)

    async def cancel(player: Player) -> Answer:
        who = player.recipients[0]
        return await load.call(phone, "POST", f"/api/v1/bookings/{booked[who]}/cancel", who)

    figures: dict[str, Any] = {}
    for op, step in (("availability", availability), ("book", book), ("move", move), ("cancel", cancel)):
        chosen = [player for player in players if op in {"availability", "book"} or player.recipients[0] in booked]
        figures |= await _cost_batch(op, process, [functools.partial(step, player) for player in chosen], limit)
    if limit is not None:
        figures |= limit.totals()
    await phone.close()
    return figures


async def rush(base: str, world: World, headers: list[dict[str, str]]) -> dict[str, Any]:
    """Every recipient books the same 15-minute cell at once, each on a warm keep-alive connection of its own."""
    n = len(world.recipients)
    phones = [Phone(base, timeout=120) for _ in range(n)]
    await asyncio.gather(*(phone.request("GET", "/health/live", {}) for phone in phones))  # connect first
    load, gate = Load(world, headers), asyncio.Event()

    async def one(who: int) -> Answer:
        await gate.wait()
        return await load.book(phones[who], who, world.rush_start.isoformat(), RUSH_MINUTES)

    tasks = [asyncio.create_task(one(who)) for who in range(n)]
    await asyncio.sleep(0.2)
    gate.set()
    answers = await asyncio.gather(*tasks)
    await asyncio.gather(*(phone.close() for phone in phones))
    wall = max(a.done for a in answers) - min(a.sent for a in answers)
    successes = sum(a.status == CREATED for a in answers)
    refusals = Counter(a.kind for a in answers if a.kind != "ok")
    return {"rush_attempts": n, "rush_successes": successes, "rush_all_answered_s": round(wall, 3),
            "rush_bookings_per_s": round(successes / wall, 2), "rush_answered_per_s": round(n / wall, 1),
            **_errors("rush", answers), **_latency("rush", answers), "rush_refusals": dict(refusals)}  # fmt: skip


def _start(world: World, player: Player, who: int, moving: str | None = None) -> str:
    """A free 30-minute start the player last saw, not next to a visit of `who`'s; else a random grid start."""
    for _ in range(len(player.free)):
        index = player.rng.randrange(len(player.free))
        if not player.holds_near(who, player.free[index], moving):
            return player.free.pop(index)
    day = world.today + timedelta(days=player.rng.randrange(DAYS))
    minute = OPEN + CELL * player.rng.randrange((CLOSE - OPEN - SPREAD_MINUTES) // CELL + 1)
    return (datetime.combine(day, clock(0), tzinfo=ZONE) + timedelta(minutes=minute)).isoformat()


async def _availability(load: Load, player: Player, who: int) -> Answer:
    world = load.world
    params = {"recipient_id": str(world.recipients[who]), "service_id": str(world.service_id),
              "from": str(world.today), "to": str(world.today + timedelta(days=DAYS - 1))}  # fmt: skip
    answer = await load.call(player.phone, "GET", "/api/v1/availability", who, params=params)
    if answer.status == OK:
        wanted = {"minutes": SPREAD_MINUTES, "status": "free"}
        player.free = [s["start"] for d in answer.body["days"] for s in d["slots"] if wanted in s["lengths"]]
    return answer


async def _book(load: Load, player: Player, who: int) -> Answer:
    answer = await load.book(player.phone, who, _start(load.world, player, who), SPREAD_MINUTES)
    if answer.status == CREATED:
        player.own.setdefault(who, []).append(answer.body["id"])
        player.starts[answer.body["id"]] = datetime.fromisoformat(answer.body["start"]).timestamp()
    return answer


async def _cancel(load: Load, player: Player, who: int) -> Answer:
    booking = player.own[who].pop(player.rng.randrange(len(player.own[who])))
    player.starts.pop(booking, None)
    return await load.call(player.phone, "POST", f"/api/v1/bookings/{booking}/cancel", who)


async def _move(load: Load, player: Player, who: int) -> Answer:
    booking = player.rng.choice(player.own[who])
    body = {"start": _start(load.world, player, who, moving=booking)}
    answer = await load.call(player.phone, "POST", f"/api/v1/bookings/{booking}/move", who, body=body)
    if answer.status == OK:
        player.starts[booking] = datetime.fromisoformat(answer.body["start"]).timestamp()
    return answer


OPS = {"availability": _availability, "book": _book, "cancel": _cancel, "move": _move}


async def _step(load: Load, player: Player) -> tuple[str, Answer]:
    """One operation of the mix; a cancel or move by a player with nothing booked becomes a book."""
    op = player.rng.choices(list(MIX), list(MIX.values()))[0]
    holders = [r for r in player.recipients if player.own.get(r)]
    if op in {"cancel", "move"} and not holders:
        op = "book"
    player.turn += 1
    turn = player.recipients[player.turn % len(player.recipients)]
    who = player.rng.choice(holders) if op in {"cancel", "move"} else turn
    return op, await OPS[op](load, player, who)


async def spread(
    base: str, world: World, headers: list[dict[str, str]], clients: int, seconds: float
) -> dict[str, Any]:
    """`clients` concurrent clients run the mix for `seconds`, each over its own share of the recipients."""
    calls: dict[str, list[Answer]] = {op: [] for op in MIX}
    shares = [list(range(i, len(headers), clients)) for i in range(min(clients, len(headers)))]
    players = [Player(share, random.Random(i), Phone(base)) for i, share in enumerate(shares)]
    load, started = Load(world, headers), time.perf_counter()

    async def run(player: Player) -> None:
        while time.perf_counter() < started + seconds:
            op, answer = await _step(load, player)
            calls[op].append(answer)
        await player.phone.close()

    await asyncio.gather(*(run(player) for player in players))
    wall = time.perf_counter() - started
    every = [a for answers in calls.values() for a in answers]
    booked = sum(a.status == CREATED for a in calls["book"])
    figures: dict[str, Any] = {"spread_seconds": round(wall, 2), "spread_requests_per_s": round(len(every) / wall, 1),
                               "spread_bookings": booked, "spread_bookings_per_s": round(booked / wall, 1),
                               **_errors("spread", every)}  # fmt: skip
    for op, answers in calls.items():
        figures |= {f"spread_{op}_count": len(answers), **_latency(f"spread_{op}", answers)}
    refusals = Counter(f"{op} {a.kind}" for op, answers in calls.items() for a in answers if a.kind != "ok")
    return figures | {"spread_refusals": dict(refusals)}


async def book_spread(  # noqa: PLR0913 - keyword-only after the load's shape
    base: str,
    world: World,
    headers: list[dict[str, str]],
    clients: int,
    seconds: float,
    *,
    slices: int = 1,
    between: Callable[[], Awaitable[None]] | None = None,
) -> dict[str, Any]:
    """`clients` concurrent clients only book, for `seconds`: each recipient's free 30-minute starts read beforehand.

    As on a phone, a recipient books a time their own availability showed free (not one beside their visits, nor in
    a week whose hours are used up), and not next to a visit booked since (`Player.holds_near`): what is refused
    then is refused for the reason a real rush has, another phone taking the last place first (before, one request
    in ten was refused as beside the recipient's own visit: the client had one free list for all its recipients).

    A client told 429 (the API's admission bound or a rate limit) waits as a phone does before its next request:
    spinning on quick refusals would time the refusals, not the bookings.

    In `slices` turns of `seconds` each, with `between` awaited after each (the ceiling's spread, `beside_ceiling`);
    the figures are over the turns together.
    """
    shares = [list(range(i, len(headers), clients)) for i in range(min(clients, len(headers)))]
    players = [Player(share, random.Random(1000 + i), Phone(base)) for i, share in enumerate(shares)]
    load = Load(world, headers)
    free: dict[int, list[str]] = {}  # each recipient's free starts, as their phone showed them before the run

    async def look(player: Player) -> None:
        for who in player.recipients:
            await _availability(load, player, who)
            free[who] = player.free

    await asyncio.gather(*(look(player) for player in players))  # not timed
    answers: list[Answer] = []
    wall = 0.0

    async def run(player: Player, until: float) -> None:
        while time.perf_counter() < until:
            player.turn += 1
            who = player.recipients[player.turn % len(player.recipients)]
            player.free = free[who]
            answer = await _book(load, player, who)
            answers.append(answer)
            if answer.status == TOO_MANY:  # as a phone does: wait the Retry-After (1 s), spread a little
                await asyncio.sleep(1 + player.rng.random() / 2)

    for _ in range(slices):
        started = time.perf_counter()
        await asyncio.gather(*(run(player, started + seconds) for player in players))
        wall += time.perf_counter() - started
        if between is not None:
            await between()
    await asyncio.gather(*(player.phone.close() for player in players))
    booked = sum(a.status == CREATED for a in answers)
    refusals = Counter(a.kind for a in answers if a.kind != "ok")
    return {"book_spread_requests": len(answers), "book_spread_bookings": booked,
            "book_spread_bookings_per_s": round(booked / wall, 1),
            "book_spread_requests_per_s": round(len(answers) / wall, 1), **_errors("book_spread", answers),
            **_latency("book_spread", answers), "book_spread_refusals": dict(refusals)}  # fmt: skip


def start_limit(url: str, log: Path, args: argparse.Namespace) -> tuple[subprocess.Popen[bytes], str]:
    """`bench.limit_app` (its own schema, the ceiling's SQL) with the API's processes and connections."""
    port = _free_port()
    command = [sys.executable, "-m", "bench.limit_app", "--database-url", url, "--port", str(port),
               "--workers", str(args.workers), "--pool", str(max(1, POOL // args.workers)),
               "--sessions", str(LIMIT_SESSIONS), "--log-level", args.log_level]  # fmt: skip
    with log.open("wb") as sink:
        process = subprocess.Popen(command, cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT)  # noqa: S603
    return process, f"http://127.0.0.1:{port}"


async def _limit_ready(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    phone = Phone(base, timeout=5)
    try:
        for _ in range(600):
            if process.poll() is not None:
                raise RuntimeError(f"the limit app exited: see {log}")
            with contextlib.suppress(OSError, TimeoutError, asyncio.IncompleteReadError):
                if (await phone.request("POST", "/book", {}, body={"cell": 1})).status == UNAUTHORIZED:
                    return
            await asyncio.sleep(0.1)
    finally:
        await phone.close()
    raise RuntimeError("the limit app was not ready within 60 s")


def _limit_booking(recipient: int, rng: random.Random) -> tuple[dict[str, str], dict[str, int]]:
    cookie = {"Cookie": f"{limit_app.COOKIE}={limit_app.cookie_of(recipient)}"}
    return cookie, {"cell": rng.randrange(200, limit_app.CELLS - 4)}


async def limit_spread(base: str, clients: int, seconds: float, first: int) -> dict[str, Any]:
    """`clients` concurrent clients book one-hour visits through the limit app for `seconds`, as the ceiling does."""
    rng, answers, recipients = random.Random(7), [], iter(range(first, LIMIT_SESSIONS + 1))
    started = time.perf_counter()

    async def run(phone: Phone) -> None:
        while time.perf_counter() < started + seconds:
            headers, body = _limit_booking(next(recipients), rng)
            sent = time.perf_counter()
            reply = await phone.request("POST", "/book", headers, body=body)
            answers.append(Answer(sent, time.perf_counter(), reply.status, "ok", None))
        await phone.close()

    await asyncio.gather(*(run(Phone(base)) for _ in range(clients)))
    wall = time.perf_counter() - started
    booked = sum(a.status == CREATED for a in answers)
    return {"limit_spread_bookings_per_s": round(booked / wall, 1), "limit_spread_requests": len(answers),
            **_latency("limit_spread", answers)}  # fmt: skip


async def check_ledger(url: str, world: World) -> dict[str, int]:
    """Cells over capacity (the CHECK forbids any), ledger rows that disagree with the bookings, the rush cell."""
    engine = create_async_engine(url)
    try:
        async with AsyncSession(engine) as session:
            differences = await ledger_differences(session)
            oversold = await session.scalar(text("SELECT count(*) FROM capacity_cell WHERE used > capacity"))
            rush_used = await session.scalar(
                select(CapacityCell.used).where(CapacityCell.department_id == world.department_id,
                                                CapacityCell.starts_at == world.rush_start)
            )  # fmt: skip
    finally:
        await engine.dispose()
    counts = {"oversold": oversold, "ledger_differences": len(differences), "rush_cell_used": rush_used}
    return {key: int(value or 0) for key, value in counts.items()}


def _run_ceiling(
    url: str, args: argparse.Namespace, *extra: str
) -> tuple[subprocess.CompletedProcess[str], dict[str, dict[str, Any]]]:
    """`ceiling.py` as it is, with the spread's C and T, the API's pool size and `extra`: the run, its JSON by mode."""
    command = [sys.executable, str(CEILING), "--database-url", url, "--json", *extra,
               "--clients", str(args.spread_clients), "--seconds", str(args.seconds), "--pool", str(POOL)]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=600)  # noqa: S603
    modes = {o["mode"]: o for o in (json.loads(line) for line in done.stdout.splitlines() if line.startswith("{"))}
    return done, modes


def ceiling(url: str, args: argparse.Namespace) -> dict[str, Any]:
    """`ceiling.py` as it is, with the rush's N, the spread's C and T, and the API's pool size."""
    done, modes = _run_ceiling(url, args, "--rush-attempts", str(args.clients))
    if not modes:
        print("ceiling.py failed:", done.stderr[-2000:], file=sys.stderr)
        return {"ceiling_exit": done.returncode}
    rush_, spread_ = modes.get("rush", {}), modes.get("spread", {})
    wall = float(rush_["all_answered_s"])
    return {"ceiling_exit": done.returncode, "ceiling_rush_sold": rush_["sold"], "ceiling_rush_all_answered_s": wall,
            "ceiling_rush_bookings_per_s": round(rush_["sold"] / wall, 2),
            "ceiling_rush_answered_per_s": round(rush_["attempts"] / wall, 1),
            "ceiling_rush_p50_ms": rush_["p50_ms"], "ceiling_rush_p99_ms": rush_["p99_ms"],
            "ceiling_spread_bookings_per_s": spread_["bookings_per_s"],
            "ceiling_spread_p50_ms": spread_["p50_ms"], "ceiling_spread_p99_ms": spread_["p99_ms"]}  # fmt: skip


def ceiling_spread(url: str, args: argparse.Namespace) -> dict[str, Any]:
    """`ceiling.py --mode spread` as it is, with the spread's C and T and the API's pool size: its JSON."""
    done, modes = _run_ceiling(url, args, "--mode", "spread")
    if done.returncode != 0 or "spread" not in modes:
        raise RuntimeError(f"ceiling.py --mode spread failed: {done.stderr[-2000:]}")
    return dict(modes["spread"])


async def book_spread_beside_ceiling(
    base: str, world: World, headers: list[dict[str, str]], url: str, args: argparse.Namespace
) -> dict[str, Any]:
    """The book-only spread and the ceiling's spread in turns, `BESIDE_TURNS` of each.

    The book-only spread's turns take `--seconds` in all (its phones' free times go stale as the department fills),
    each of the ceiling's `--seconds`.

    `ratio_book_spread` divides the two: taken minutes apart, on a machine shared with other jobs, the two
    figures moved by up to a fifth between runs on their own (the ceiling's spread from 1,816 to 2,394 bookings a
    second in one session), and the ratio with them. In turns, whatever slows the machine for longer than a few
    seconds slows both. The ceiling's turns are runs of `ceiling.py` as it is, each with its setup before it
    (untimed); each is `--seconds` long, as the ceiling alone is, so that its first bookings on fresh connections
    weigh no more than they do there.
    """
    turns: list[dict[str, Any]] = []

    async def ceiling_turn() -> None:
        turns.append(await asyncio.to_thread(ceiling_spread, url, args))

    figures = await book_spread(base, world, headers, args.spread_clients, args.seconds / BESIDE_TURNS,
                                slices=BESIDE_TURNS, between=ceiling_turn)  # fmt: skip
    booked, seconds = sum(int(t["bookings"]) for t in turns), sum(float(t["seconds"]) for t in turns)
    return figures | {"ceiling_beside_spread_bookings_per_s": round(booked / seconds, 1),
                      "ceiling_beside_turns": len(turns)}  # fmt: skip


def _ratios(figures: dict[str, Any]) -> dict[str, float | None]:
    def ratio(ours: str, theirs: str) -> float | None:
        return round(figures[ours] / figures[theirs], 3) if figures.get(theirs) else None

    cpu = {
        f"cpu_ratio_{name}": ratio(f"cost_{op}_cpu_ms", f"limit_beside_{op}_cpu_ms") for name, op in CPU_RATIOS.items()
    }
    cpu |= {
        f"cpu_ratio_{name}_overall": ratio(f"cost_{op}_cpu_ms", "limit_book_cpu_ms") for name, op in CPU_RATIOS.items()
    }
    both = ("cost_book_cpu_ms", "cost_book_db_cpu_ms", "limit_beside_book_cpu_ms", "limit_beside_book_db_cpu_ms")
    if all(figures.get(key) for key in both):  # a booking's CPU over API and database, ours against the limit's
        ours, theirs = figures[both[0]] + figures[both[1]], figures[both[2]] + figures[both[3]]
        cpu["cpu_ratio_book_with_db"] = round(ours / theirs, 3)
    return {"ratio_rush": ratio("rush_bookings_per_s", "ceiling_rush_bookings_per_s"),
            "ratio_spread": ratio("spread_bookings_per_s", "ceiling_spread_bookings_per_s"),
            "ratio_book_spread": ratio("book_spread_bookings_per_s", "ceiling_beside_spread_bookings_per_s"),
            "ratio_book_spread_apart": ratio("book_spread_bookings_per_s", "ceiling_spread_bookings_per_s"),
            "ratio_limit_book_spread": ratio("limit_spread_bookings_per_s", "ceiling_spread_bookings_per_s"),
            **cpu}  # fmt: skip


async def _load(url: str, redis_url: str, prefix: str, world: World, args: argparse.Namespace) -> dict[str, Any]:
    """The API's phases, with the limit app up beside it (`cost` takes turns with it); then the limit's spread."""
    plain = plain_database_url(url)
    limit_log = args.scratch / f"limit-{uuid.uuid4().hex[:8]}.log"
    limit_process, limit_base = start_limit(plain, limit_log, args)
    try:
        await _limit_ready(limit_base, limit_process, limit_log)
        side = LimitSide(limit_process, Phone(limit_base))
        await side.book(QUIET_WARMUP, measured=False)  # connections and statement caches
        log = args.scratch / f"api-{prefix.strip(':').replace(':', '-')}.log"
        process, base = start_api(plain, redis_url, prefix, log, args)
        try:
            await _wait_ready(base, process, log)
            headers = await sign_in(redis_url, prefix, world)
            figures = await quiet_availability(base, world, headers, args.quiet)
            figures |= await cost(base, world, headers, process, args.cost, limit=side)
            figures |= await rush(base, world, headers)
            figures |= await spread(base, world, headers, args.spread_clients, args.seconds)
            figures |= await book_spread_beside_ceiling(base, world, headers, plain, args)
        finally:
            _stop(process)
        await side.phone.close()
        figures |= await limit_spread(limit_base, args.spread_clients, args.seconds, side.recipient + 1)
    finally:
        _stop(limit_process)
    return figures | {"server_log": _log_problems(log)}


async def _cleanup(admin_url: str, name: str, redis_url: str, prefix: str) -> None:
    redis = Redis.from_url(redis_url)
    try:
        keys = [key async for key in redis.scan_iter(match=f"{prefix}*", count=1000)]
        for chunk in range(0, len(keys), 1000):
            await redis.delete(*keys[chunk : chunk + 1000])
    finally:
        await redis.aclose()
    conn = await asyncpg.connect(admin_url)
    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await conn.close()


async def measure(admin_url: str, redis_url: str, args: argparse.Namespace) -> dict[str, Any]:
    """One whole run in a database and a Redis prefix of its own, both removed afterwards."""
    token = uuid.uuid4().hex[:8]
    name, prefix = f"bench_rush_{token}", f"bench:{token}:"
    await embedded.ensure_database(admin_url, name)
    url = async_database_url(make_url(admin_url).set(database=name).render_as_string(hide_password=False))
    try:
        await asyncio.to_thread(upgrade, url)
        started = time.perf_counter()
        world = await seed(url, args.clients, args.existing, args.history)
        seeded = round(time.perf_counter() - started, 2)
        pool = max(1, POOL // args.workers)
        figures: dict[str, Any] = {"existing_bookings": world.existing, "seed_s": seeded,
                                   "past_bookings": args.clients * args.history,
                                   "api_processes": args.workers, "api_pool_each": pool}  # fmt: skip
        figures |= await _load(url, redis_url, prefix, world, args)
        figures |= await check_ledger(url, world)
        figures |= await asyncio.to_thread(ceiling, plain_database_url(url), args)
        return figures | _ratios(figures)
    finally:
        await _cleanup(admin_url, name, redis_url, prefix)


def _medians(runs: list[dict[str, Any]]) -> dict[str, float]:
    keys = [k for k, v in runs[0].items() if isinstance(v, int | float)]
    found = {k: [r[k] for r in runs if isinstance(r.get(k), int | float)] for k in keys}
    return {k: round(statistics.median(values), 3) for k, values in found.items() if values}


def _report(title: str, f: dict[str, Any]) -> None:
    def pick(*keys: str) -> str:
        return " ".join(f"{k}={f.get(k)}" for k in keys)

    print(f"== {title} (latencies in ms: client-side p50/p95/p99, server-side server_p50/p99; "
          "bookings/s = successful bookings per second)")  # fmt: skip
    print("seed     ", pick("existing_bookings", "past_bookings", "seed_s", "api_processes", "api_pool_each"))
    print("quiet    ", pick("quiet_availability_count", "quiet_availability_ok", "quiet_availability_slots",
                            "quiet_availability_server_p50_ms", "quiet_availability_server_p99_ms",
                            "quiet_availability_p50_ms"), f"({DAYS} days of free times, one at a time)")  # fmt: skip
    print("cost     ", pick(*(f"cost_{op}_cpu_ms" for op in MIX)), "(API CPU ms a request, one at a time)",
          pick(*(f"cost_{op}_failed" for op in MIX)))  # fmt: skip
    print("  database", pick(*(f"cost_{op}_db_cpu_ms" for op in MIX)), "(PostgreSQL's CPU ms a request, the same)")
    print("rush     ", pick("rush_attempts", "rush_successes", "rush_5xx", "rush_429", "rush_all_answered_s",
                            "rush_p50_ms", "rush_p95_ms", "rush_p99_ms", "rush_server_p50_ms",
                            "rush_server_p99_ms"))  # fmt: skip
    print("  refusals   ", f.get("rush_refusals", "-"))
    print("rush rate", pick("rush_bookings_per_s", "rush_answered_per_s"), "(successes, attempts / time to answer all)")
    print("spread   ", pick("spread_bookings_per_s", "spread_requests_per_s", "spread_5xx", "spread_429"))
    for op in MIX:
        stats = ("count", "p50_ms", "p95_ms", "p99_ms", "server_p50_ms", "server_p99_ms")
        print(f"  {op:<12}", pick(*(f"spread_{op}_{s}" for s in stats)))
    print("  refusals   ", f.get("spread_refusals", "-"))
    print("ceiling  ", pick("ceiling_rush_sold", "ceiling_rush_all_answered_s", "ceiling_rush_bookings_per_s",
                            "ceiling_rush_p50_ms", "ceiling_rush_p99_ms", "ceiling_spread_bookings_per_s",
                            "ceiling_spread_p50_ms", "ceiling_spread_p99_ms"))  # fmt: skip
    print("book only", pick("book_spread_bookings_per_s", "book_spread_requests_per_s", "book_spread_5xx",
                            "book_spread_429", "book_spread_p50_ms", "book_spread_server_p50_ms"))  # fmt: skip
    print("  refusals   ", f.get("book_spread_refusals", "-"))
    print("  beside     ", pick("ceiling_beside_spread_bookings_per_s", "ceiling_beside_turns"),
          f"(the ceiling's spread in turns with the book-only spread's {BESIDE_TURNS})")  # fmt: skip
    print(
        "limit    ",
        pick(
            "limit_book_cpu_ms",
            "limit_book_db_cpu_ms",
            "limit_book_failed",
            "limit_spread_bookings_per_s",
            "limit_spread_p50_ms",
        ),
        "(bench/limit_app.py: its and PostgreSQL's CPU ms a booking, one at a time)",
    )
    print("ratio    ", pick("ratio_rush", "ratio_spread", "ratio_limit_book_spread", "ratio_book_spread_apart",
                            "cpu_ratio_book_with_db"))  # fmt: skip
    print("targets   (issue 18: cpu_ratio_book, _cancel <= 2; _move <= 2.5; _free_times <= 3; book_spread >= 0.35)")
    for key in (*(f"cpu_ratio_{name}" for name in CPU_RATIOS), "ratio_book_spread", "ratio_rush"):
        print(f"{key}={f.get(key)}")
    print("ledger   ", pick("oversold", "ledger_differences", "rush_cell_used"))
    for line in f.get("server_log", []):
        print("  server log:", line)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="a PostgreSQL server to create a throw-away database on")
    parser.add_argument("--redis-url", help="a Redis server (keys under a prefix of their own, deleted after)")
    parser.add_argument("--clients", type=int, default=500, help="recipients in the rush (N)")
    parser.add_argument("--spread-clients", type=int, default=50, help="concurrent clients in the spread load (C)")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of the spread load (T)")
    parser.add_argument("--existing", type=int, default=10_000, help="bookings seeded before the load")
    parser.add_argument(
        "--history",
        type=int,
        default=0,
        help="past visits of each recipient (the department's past: --clients times this)",
    )
    parser.add_argument("--quiet", type=int, default=100, help="availability reads one at a time, before the rush")
    parser.add_argument("--cost", type=int, default=100, help="requests of each kind timed for API CPU, one at a time")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--log-level", default="WARNING", help="the API's log level (INFO logs every request)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help=f"API processes (serve --workers), sharing the {POOL} connections")  # fmt: skip
    parser.add_argument("--json", action="store_true")
    return parser


def main() -> int:
    """Run the measurement --runs times; print each run and the medians; write the JSON."""
    args = _parser().parse_args()
    services, args.scratch = embedded.EmbeddedServices(), Path(tempfile.mkdtemp(prefix="bench-rush-"))
    try:
        admin_url, redis_url = args.database_url, args.redis_url
        if not admin_url:
            services.postgres, admin_url = embedded.start_postgres(
                args.scratch / "pg", database="postgres", cleanup="delete"
            )
        if not redis_url:
            services.valkey = embedded.start_valkey(args.scratch / "valkey", persist=False)
            redis_url = services.valkey.connection_url
        runs = [asyncio.run(measure(plain_database_url(admin_url), redis_url, args)) for _ in range(args.runs)]
    finally:
        services.stop()
        shutil.rmtree(args.scratch, ignore_errors=True)
    git = ["git", "rev-parse", "--short", "HEAD"]
    sha = subprocess.run(git, capture_output=True, text=True, check=False, cwd=ROOT).stdout.strip()  # noqa: S603
    settings = {k: v for k, v in vars(args).items() if k not in {"database_url", "redis_url", "json", "scratch"}}
    result = {"git": sha, "host": platform.node(), "date": date.today().isoformat(), **settings,  # noqa: DTZ011
              "median": _medians(runs), "runs_detail": runs}  # fmt: skip
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"rush-{sha or 'unknown'}.json").write_text(json.dumps(result, indent=1, default=str))
    if args.json:
        print(json.dumps(result, default=str))
    else:
        for index, run in enumerate(runs, start=1):
            _report(f"run {index}", run)
        _report(f"median of {len(runs)}", result["median"])
    bad = [r for r in runs if r["rush_successes"] != RUSH_STAFF or r["oversold"] or r["ledger_differences"]]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
