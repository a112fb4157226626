"""`serve` on a busy machine: seconds to the first answer, and how many API processes uvicorn replaced.

Starts one CPU burner a core (plain Python loops, `--burners N` to change), then `tjenesteshop serve --workers 2
--no-worker` on the machine's own servers (DATABASE_URL and REDIS_URL must be set; a database of its own is
created and dropped), and measures from the start to the first 200 from /health/ready and to the "ready" line;
it counts uvicorn's "died" and "failed to start" lines. Repeats `--runs` times (default 3) and prints each run
and the medians. `--cold` removes this checkout's compiled bytecode first (as on a fresh install).

    export DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379/14
    python3 -m uv run python -m bench.busy_start [--runs 3] [--burners 2] [--cold]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from bench.cold_start import _free_port, _ready

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT_SECONDS = 300


def _burn(stop_at: float) -> None:
    while time.monotonic() < stop_at:
        sum(i * i for i in range(10_000))


async def _database(admin_url: str, name: str, *, create: bool) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        if create:
            await conn.execute(f'CREATE DATABASE "{name}"')
        else:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def one_run(admin_url: str, redis_url: str, burners: int) -> dict[str, float]:
    """One start of `serve --workers 2` beside `burners` busy processes."""
    name = f"tjenesteshop_busy_{uuid.uuid4().hex[:8]}"
    asyncio.run(_database(admin_url, name, create=True))
    port = _free_port()
    env = dict(os.environ, DATABASE_URL=make_url(admin_url).set(database=name).render_as_string(hide_password=False))
    env |= {"REDIS_URL": redis_url, "TJENESTESHOP_REDIS_PREFIX": f"bench:{name}:"}
    stop_at = time.monotonic() + TIMEOUT_SECONDS
    busy = [multiprocessing.Process(target=_burn, args=(stop_at,), daemon=True) for _ in range(burners)]
    for process in busy:
        process.start()
    with tempfile.TemporaryDirectory() as work:
        log = Path(work) / "serve.log"
        started = time.monotonic()
        with log.open("w") as out:
            serve = subprocess.Popen(  # noqa: S603 - our own CLI
                [sys.executable, "-m", "tjenesteshop", "serve", "--workers", "2", "--no-worker", "--port", str(port)],
                env=env | {"TJENESTESHOP_DATA_DIR": work},
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        try:
            while not _ready(port):
                if serve.poll() is not None or time.monotonic() - started > TIMEOUT_SECONDS:
                    msg = f"serve did not answer:\n{log.read_text()[-3000:]}"
                    raise RuntimeError(msg)
                time.sleep(0.1)
            answered = time.monotonic() - started
            while "ready after" not in log.read_text() and time.monotonic() - started < TIMEOUT_SECONDS:
                time.sleep(0.1)
            said_ready = time.monotonic() - started
        finally:
            serve.terminate()
            serve.wait(60)
            for process in busy:
                process.terminate()
            asyncio.run(_database(admin_url, name, create=False))
        text = log.read_text()
    restarts = text.count("died") + text.count("failed to start") + text.count("was not ready in time")
    return {"answered_s": answered, "ready_line_s": said_ready, "restarts": restarts}


def main() -> None:
    """Parse the options, run, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--burners", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--cold", action="store_true", help="remove the checkout's compiled bytecode first")
    options = parser.parse_args()
    admin_url, redis_url = os.environ.get("DATABASE_URL"), os.environ.get("REDIS_URL")
    if not admin_url or not redis_url:
        sys.exit("set DATABASE_URL and REDIS_URL (the machine's servers)")
    admin_url = make_url(admin_url).set(drivername="postgresql").render_as_string(hide_password=False)
    print(
        f"serve --workers 2 beside {options.burners} busy processes; PYTHONDONTWRITEBYTECODE={sys.dont_write_bytecode}"
    )
    results = []
    for run in range(options.runs):
        if options.cold:
            for cache in ROOT.rglob("__pycache__"):
                if ".venv" not in cache.parts and "node_modules" not in cache.parts:
                    shutil.rmtree(cache, ignore_errors=True)
        result = one_run(admin_url, redis_url, options.burners)
        results.append(result)
        print(f"run {run + 1}: answered after {result['answered_s']:.1f} s, 'ready' printed after "
              f"{result['ready_line_s']:.1f} s, API processes replaced: {result['restarts']:.0f}")  # fmt: skip
    for key in ("answered_s", "ready_line_s", "restarts"):
        print(f"median {key}: {statistics.median(r[key] for r in results):.1f}")


if __name__ == "__main__":
    main()
