"""Cold start: a fresh clone to a ready API (`serve --demo`), and to a finished test run.

Clones HEAD into a temporary folder and runs the README's two commands there with an empty uv cache
(so every package is downloaded, as on a new laptop) unless `--warm-cache` is given, and without
DATABASE_URL/REDIS_URL (so the embedded servers start). Prints seconds; `--json` for a machine.

    python3 -m uv run python -m bench.cold_start [--warm-cache] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
READY_TIMEOUT = 900


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(work: Path, *, warm: bool) -> dict[str, str]:
    drop = {"DATABASE_URL", "REDIS_URL", "TEST_DATABASE_URL", "TEST_REDIS_URL", "VIRTUAL_ENV"}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    # Run as a new laptop would: the system's python3 and pip, not this checkout's virtual environment.
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if not p.startswith(sys.prefix))
    if not warm:
        env["UV_CACHE_DIR"] = str(work / "uv-cache")
    return env


def _ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/ready", timeout=2) as response:
            return bool(response.status == 200)  # noqa: PLR2004
    except OSError:
        return False


def time_serve(clone: Path, env: dict[str, str]) -> float:
    """Seconds from the first command to /health/ready answering 200."""
    port = _free_port()
    command = f"python3 -m pip install -q uv && python3 -m uv run tjenesteshop serve --demo --port {port}"
    started = time.monotonic()
    process = subprocess.Popen(["bash", "-c", command], cwd=clone, env=env, start_new_session=True)  # noqa: S603, S607
    try:
        while not _ready(port):
            if process.poll() is not None or time.monotonic() - started > READY_TIMEOUT:
                msg = "serve did not become ready"
                raise RuntimeError(msg)
            time.sleep(0.1)
        return time.monotonic() - started
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)
            process.wait(60)


def time_tests(clone: Path, env: dict[str, str]) -> float:
    """Seconds for the second command (every test, embedded servers)."""
    started = time.monotonic()
    subprocess.run(
        ["bash", "-c", "python3 -m pip install -q uv && python3 -m uv run pytest -q"],  # noqa: S607
        cwd=clone,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.monotonic() - started


def main() -> None:
    """Clone, time both commands, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warm-cache", action="store_true", help="reuse the machine's uv cache")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="tjenesteshop-cold-"))
    try:
        serve_clone, test_clone = work / "serve", work / "test"
        for clone in (serve_clone, test_clone):
            subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)  # noqa: S603, S607
        serve_env = _env(work / "a", warm=args.warm_cache)
        test_env = _env(work / "b", warm=args.warm_cache)
        figures = {"serve_ready_s": round(time_serve(serve_clone, serve_env), 1)}
        figures["tests_s"] = round(time_tests(test_clone, test_env), 1)
        figures["cache"] = "warm" if args.warm_cache else "empty"
        print(json.dumps(figures) if args.json else "\n".join(f"{k}: {v}" for k, v in figures.items()))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    sys.exit(0)


if __name__ == "__main__":
    main()
