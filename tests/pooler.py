"""PgBouncer from the machine's packages, run on a free port in transaction mode in front of the test PostgreSQL."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.servers import free_port

# Debian installs it in /usr/sbin, which an ordinary user's PATH may leave out.
CANDIDATES = ("pgbouncer", "/usr/sbin/pgbouncer", "/usr/local/sbin/pgbouncer")
START_SECONDS = 10


def pgbouncer_or_skip() -> str:
    """The pgbouncer program; missing, the test fails in CI (CI=true) and is skipped on a laptop, saying why."""
    for candidate in CANDIDATES:
        found = shutil.which(candidate)
        if found:
            return found
    reason = "pgbouncer is not installed (Debian: apt-get install pgbouncer); .ci/run installs it"
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(f"CI: {reason}")
    pytest.skip(reason)


def _config(backend_url: str, port: int, folder: Path, pool_size: int) -> str:
    """pgbouncer.ini: every database of the backend, transaction pooling, `pool_size` server connections each."""
    url = make_url(backend_url)
    socket_dir = url.query.get("host")  # an embedded PostgreSQL answers on a Unix socket only
    host = socket_dir if isinstance(socket_dir, str) else (url.host or "127.0.0.1")
    backend = f"host={host} port={url.port or 5432}"
    if url.username:
        backend += f" user={url.username}"
    if url.password:
        backend += f" password={url.password}"
    user = url.username or "postgres"
    (folder / "userlist.txt").write_text(f'"{user}" ""\n')
    # Run as root (a CI container), pgbouncer must be told whom to become: it refuses to run as root.
    become = "user = postgres\n" if os.geteuid() == 0 else ""
    return (
        f"[databases]\n* = {backend}\n\n[pgbouncer]\n{become}"
        f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
        f"auth_type = trust\nauth_file = {folder / 'userlist.txt'}\n"
        f"pool_mode = transaction\ndefault_pool_size = {pool_size}\nmin_pool_size = 0\nreserve_pool_size = 0\n"
        "max_client_conn = 500\nserver_reset_query =\nlog_connections = 0\nlog_disconnections = 0\n"
    )


@contextmanager
def running_pgbouncer(backend_url: str, *, pool_size: int = 3) -> Iterator[int]:
    """Start pgbouncer in front of the server of `backend_url` (any database on it); yield its port."""
    program = pgbouncer_or_skip()
    folder = Path(tempfile.mkdtemp(prefix="tjenesteshop-pgbouncer-"))
    folder.chmod(0o755)  # readable by the user it becomes when started as root
    port = free_port()
    ini = folder / "pgbouncer.ini"
    ini.write_text(_config(backend_url, port, folder, pool_size))
    log = (folder / "pgbouncer.log").open("wb")
    process = subprocess.Popen([program, str(ini)], stdout=log, stderr=subprocess.STDOUT)  # noqa: S603 - our own
    try:
        _wait_for(port, process, folder / "pgbouncer.log")
        yield port
    finally:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        shutil.rmtree(folder, ignore_errors=True)


def _wait_for(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"pgbouncer stopped at start ({process.returncode}): {log.read_text(errors='replace')}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    pytest.fail(f"pgbouncer did not listen on {port} within {START_SECONDS} s: {log.read_text(errors='replace')}")
