"""The web app on a phone: time to first render and to a usable booking screen, median of several runs.

Starts `tjenesteshop serve --demo` (embedded servers, a throw-away data folder) unless `--url` names a running
one, builds the web app if needed, and drives Debian's Chromium at 360x740 through `frontend/browser/bench.mjs`.
Cold = a new browser context with an empty cache (a phone opening the app); warm = the same context again.

    python3 -m uv run python -m bench.frontend [--runs 7] [--url http://127.0.0.1:8000] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FRONTEND = ROOT / "frontend"
RESULTS = ROOT / "bench" / "results"
READY_TIMEOUT = 180


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _ready(base: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base}/health/ready", timeout=2) as response:  # noqa: S310 - our own server
            return bool(response.status == 200)  # noqa: PLR2004
    except OSError:
        return False


def _serve(data: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env["TJENESTESHOP_DATA_DIR"] = str(data)
    command = [sys.executable, "-m", "tjenesteshop", "serve", "--demo", "--no-worker", "--port", str(port)]
    log = (data / "serve.log").open("wb")  # the server's own log stays out of the figures
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603 - our own CLI
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + READY_TIMEOUT
    while not _ready(base):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise SystemExit("serve did not become ready")
        time.sleep(0.3)
    return process, base


def _measure(base: str, runs: int) -> dict[str, list[float]]:
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("npm is missing")
    if not (FRONTEND / "node_modules").exists():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=FRONTEND, check=True)  # noqa: S603
    if not (FRONTEND / "dist" / "index.html").exists():
        subprocess.run([npm, "run", "build"], cwd=FRONTEND, check=True)  # noqa: S603
    env = dict(os.environ, TJENESTESHOP_URL=base, RUNS=str(runs))
    done = subprocess.run(
        ["node", "browser/bench.mjs"],  # noqa: S607
        cwd=FRONTEND,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    samples: dict[str, list[float]] = json.loads(done.stdout.strip().splitlines()[-1])["samples"]
    return samples


def _save(runs: int, medians: dict[str, float], samples: dict[str, list[float]]) -> None:
    """Keep the figures with the commit and host they were measured on (compare only same-machine runs)."""
    git = ["git", "rev-parse", "--short", "HEAD"]
    sha = subprocess.run(git, capture_output=True, text=True, check=False, cwd=ROOT).stdout.strip()  # noqa: S603
    result = {"git": sha, "host": platform.node(), "date": time.strftime("%Y-%m-%d"), "runs": runs,
              "median_ms": medians, "samples_ms": samples}  # fmt: skip
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"frontend-{sha or 'unknown'}.json").write_text(json.dumps(result, indent=1))


def main() -> None:
    """Print the medians (milliseconds) of each timing."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--url", help="a running `serve --demo` (default: start one)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args()
    process = None
    with tempfile.TemporaryDirectory(prefix="tjenesteshop-bench-") as data:
        if args.url:
            base = args.url.rstrip("/")
        else:
            process, base = _serve(Path(data))
        try:
            samples = _measure(base, args.runs)
        finally:
            if process is not None:
                process.terminate()
                process.wait(60)
    medians = {name: round(statistics.median(values), 1) for name, values in samples.items()}
    _save(args.runs, medians, samples)
    if args.json:
        sys.stdout.write(json.dumps({"runs": args.runs, "median_ms": medians, "samples_ms": samples}) + "\n")
        return
    sys.stdout.write(f"web app on a 360x740 phone viewport, {args.runs} runs, median milliseconds:\n")
    for name, value in medians.items():
        sys.stdout.write(f"  {name.replace('_', ' '):24} {value:8.1f}\n")


if __name__ == "__main__":
    main()
