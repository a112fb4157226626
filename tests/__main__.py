"""Every test, in phases: `python3 -m uv run python -m tests [pytest options]`.

1. The web app: installed (`npm ci`) when missing and built when its source is newer than the build, once;
   then its own unit tests (vitest).
2. The browser suite (marker `browser`) starts in a process of its own and runs beside phases 3 to 5: it
   mostly waits on Chromium and its server, so the other tests use the CPU it leaves.
3. The pure code's tests (marker `unit`, the folder tests/unit) in parallel with branch coverage, and the gate:
   the pure rules (`*/rules.py`) fully covered by these tests alone.
4. The other tests in parallel, one pytest-xdist worker a core, without coverage: its tracer made them about 70 %
   slower (on 2 cores, 439 s against about 260). `TEST_COVERAGE=all` measures them too and prints the total.
5. The tests that must not share their process's CPU with other tests (marker `serial`: the races, the laptop
   `serve`, the fuzzer), one at a time.
6. The browser suite's result, once it ends.

Each phase prints how long it took; pytest prints its 20 slowest tests. Options after `tests` go to pytest.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

from tests.webapp import FRONTEND, built_is_current

ROOT = Path(__file__).resolve().parents[1]
PYTEST = [sys.executable, "-m", "pytest", "--durations=20"]
COVER = ["--cov", "--cov-branch", "--cov-report="]
COVERAGE = [sys.executable, "-m", "coverage"]
PACKAGES = ("api", "booking", "casesystem", "core", "departments", "fhir_r4", "insight", "notifications", "people",
            "privacy", "tjenesteshop", "waitlist", "webhooks", "migrations", "tests")  # fmt: skip


EXITS: dict[str, int] = {}  # each phase's exit code, by name


def _phase(name: str, command: list[str], *, cwd: Path = ROOT, allowed: frozenset[int] = frozenset({0})) -> float:
    print(f"\n== {name}: {' '.join(command)}", flush=True)
    started = time.monotonic()
    code = EXITS[name] = subprocess.run(command, cwd=cwd, check=False).returncode  # noqa: S603 - our own tools
    took = time.monotonic() - started
    print(f"== {name}: {took:.0f} s", flush=True)
    if code not in allowed:
        print(f"== {name} failed ({code})", flush=True)
        sys.exit(code or 1)
    return took


class Beside:
    """A phase run in the background, its output kept in a file and printed when it is awaited."""

    def __init__(self, name: str, command: list[str]) -> None:
        """Start `command` now."""
        print(f"\n== {name} (beside the next phases): {' '.join(command)}", flush=True)
        self.name = name
        self.log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - closed in wait()
        self.started = time.monotonic()
        self.process = subprocess.Popen(command, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT)  # noqa: S603

    def wait(self, *, allowed: frozenset[int] = frozenset({0})) -> float:
        """Wait for it to end, print its output and time; exit like `_phase` when it failed."""
        code = self.process.wait()
        took = time.monotonic() - self.started
        self.log.seek(0)
        print(f"\n== {self.name}, its output:\n{self.log.read()}", flush=True)
        self.log.close()
        print(f"== {self.name}: {took:.0f} s", flush=True)
        if code not in allowed:
            print(f"== {self.name} failed ({code})", flush=True)
            sys.exit(code or 1)
        return took

    def stop(self) -> None:
        """Interrupt it as Ctrl-C would, so its fixtures still stop their servers and drop their databases."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(120)
            except subprocess.TimeoutExpired:
                self.process.kill()


def _web_app() -> list[tuple[str, float]]:
    npm = shutil.which("npm")
    if npm is None:
        print("npm is missing: install Node 20 (the web app's build and tests need it)", flush=True)
        sys.exit(1)
    times = []
    if not (FRONTEND / "node_modules" / ".package-lock.json").exists():
        times.append(("npm ci", _phase("npm ci", [npm, "ci", "--no-audit", "--no-fund"], cwd=FRONTEND)))
    if not built_is_current():
        times.append(("web app build", _phase("web app build", [npm, "run", "--silent", "build"], cwd=FRONTEND)))
    times.append(("vitest", _phase("vitest", [npm, "test", "--", "--reporter=dot"], cwd=FRONTEND)))
    return times


def main(options: list[str]) -> None:
    """Run the phases; exit non-zero at the first that fails."""
    # Machines with PYTHONDONTWRITEBYTECODE set compile every module from source in every process (each xdist
    # worker, each server a test starts): compile the environment and the project once, up front.
    packages = [str(ROOT / name) for name in PACKAGES]
    compiled = _phase("bytecode", [sys.executable, "-m", "compileall", "-q", "-j", "0", sysconfig.get_path("purelib"),
                                   *packages], allowed=frozenset({0, 1}))  # fmt: skip
    times = [("bytecode", compiled), *_web_app()]
    # Exit 5 (nothing selected) is fine when the options picked none of a phase's tests; for the serial and browser
    # phases always (a run may have none of them); a whole run must find unit and other tests.
    some = frozenset({0, 5})
    found = some if options else frozenset({0})
    in_browser = [sys.executable, "-m", "pytest", "--durations=5", "-p", "no:xdist", "-m", "browser", *options]
    browser = Beside("pytest, browser", in_browser)
    everything = os.environ.get("TEST_COVERAGE") == "all"
    measured = [*COVER, "--cov-append"] if everything else []
    try:
        # Work stealing: a worker that runs out takes tests queued for the other, so that a few long hypothesis
        # tests (20 s each under coverage on a busy machine) do not leave one worker alone at the end.
        workers = ["-n", os.environ.get("TEST_WORKERS", "auto"), "--dist", "worksteal"]
        # Only their folder is collected when no paths are given: collecting every test module (the integration
        # tests' imports) took each of the three processes 10 s of CPU against 6.
        where = [] if any(not option.startswith("-") for option in options) else ["tests/unit"]
        unit = [*PYTEST, *COVER, *workers, "-m", "unit", *options, *where]
        times.append(("pytest, unit (coverage)", _phase("pytest, unit (coverage)", unit, allowed=found)))
        parallel = [*PYTEST, *measured, *workers, "-m", "not unit and not serial and not browser", *options]
        times.append(("pytest, parallel", _phase("pytest, parallel", parallel, allowed=found)))
        serial = [*PYTEST, *measured, "-p", "no:xdist", "-m", "serial", *options]
        times.append(("pytest, serial", _phase("pytest, serial", serial, allowed=some)))
        times.append(("pytest, browser (beside the three above)", browser.wait(allowed=some)))
    finally:
        browser.stop()
    if everything:
        _phase("coverage", [*COVERAGE, "report", "--skip-covered", "--sort=cover"])
    if EXITS["pytest, unit (coverage)"] == 0:
        _phase("coverage of the pure rules", [*COVERAGE, "report", "--include=*/rules.py", "--fail-under=100"])
    print("\n== phases: " + ", ".join(f"{name} {took:.0f} s" for name, took in times), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
