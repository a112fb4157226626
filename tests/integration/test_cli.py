"""The laptop path: `serve` with no URLs starts embedded servers, answers, and leaves nothing behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from tests.servers import free_port, wait_ready

# Serial: each start brings up an embedded PostgreSQL, two API processes and the worker.
pytestmark = [pytest.mark.slow, pytest.mark.serial, pytest.mark.timeout(400)]

READY_WITHIN_SECONDS = 90


def _laptop_env(data_dir: Path) -> dict[str, str]:
    """The environment of a laptop with nothing installed: no database or Redis URL."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env["TJENESTESHOP_DATA_DIR"] = str(data_dir)
    return env


def _processes_using(data_dir: Path) -> list[psutil.Process]:
    """Every process whose command line names the data folder (PostgreSQL, Valkey)."""
    found = []
    for process in psutil.process_iter(["cmdline"]):
        cmdline = " ".join(process.info["cmdline"] or [])
        if str(data_dir) in cmdline:
            found.append(process)
    return found


STARTED: list[subprocess.Popen[bytes]] = []


@pytest.fixture(autouse=True)
def _no_server_left_behind() -> Iterator[None]:
    """Whatever happened in the test, no `serve` (nor its servers and workers) outlives it."""
    yield
    while STARTED:
        process = STARTED.pop()
        if process.poll() is None:
            for child in psutil.Process(process.pid).children(recursive=True):
                child.kill()
            process.kill()
        process.wait()


def _serve_until_ready(data_dir: Path, port: int) -> tuple[subprocess.Popen[bytes], dict[str, object]]:
    process = subprocess.Popen(  # noqa: S603 - our own CLI
        [sys.executable, "-m", "tjenesteshop", "serve", "--port", str(port), "--demo"],
        env=_laptop_env(data_dir),
        cwd=data_dir.parent,
    )
    STARTED.append(process)
    return process, wait_ready(f"http://127.0.0.1:{port}", process, time.monotonic() + READY_WITHIN_SECONDS)


def _stop(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    children = psutil.Process(process.pid).children(recursive=True)
    assert children, "serve runs the worker beside the API"
    process.send_signal(sig)
    process.wait(timeout=60)
    gone, alive = psutil.wait_procs(children, timeout=15)
    assert not alive, f"left running: {alive}"
    assert gone


def _stop_and_check_clean(process: subprocess.Popen[bytes], sig: signal.Signals, data_dir: Path) -> None:
    _stop(process, sig)
    assert process.returncode in {0, 128 + sig}
    assert _processes_using(data_dir) == []
    assert not (data_dir / "running.json").exists()


def test_serve_on_a_bare_laptop_starts_answers_and_cleans_up(tmp_path: Path) -> None:
    """A first start (a new cluster) stopped with Ctrl-C, then a second start on the same data stopped by SIGTERM.

    One test for both signals: each start costs a cluster's start, migrations and two API processes' imports.
    """
    data_dir = tmp_path / "data"
    process, ready = _serve_until_ready(data_dir, free_port())
    assert ready["checks"] == {"database": "ok", "redis": "ok", "schema": "ok"}
    assert _processes_using(data_dir), "the embedded servers run under the data folder"
    _stop_and_check_clean(process, signal.SIGINT, data_dir)

    # A second start reuses the data: the cluster is not initialised again.
    version = (data_dir / "postgres" / "PG_VERSION").stat().st_ino
    process, ready = _serve_until_ready(data_dir, free_port())
    assert ready["checks"] == {"database": "ok", "redis": "ok", "schema": "ok"}
    assert (data_dir / "postgres" / "PG_VERSION").stat().st_ino == version
    _stop_and_check_clean(process, signal.SIGTERM, data_dir)
