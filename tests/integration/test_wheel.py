"""The wheel `uv build` makes (what a `--no-editable` install or a package index gets) imports in a clean venv.

The Dockerfile installs the project from its copied folders (`uv sync`); tests/unit/test_deployment.py checks that
it copies every package. Here the wheel itself is built and every module in it imported, from a new virtual
environment holding only the wheel (the dependencies come from this environment's site-packages, without its
editable install of the repository), so a package missing from the wheel, or a module importing one, fails.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
NOT_SHIPPED = {"tests", "bench"}
# Modules that do something when imported: Alembic's env script runs migrations, __main__ runs the CLI.
NOT_IMPORTED = ("migrations.env", "tjenesteshop.__main__")
IMPORT_ALL = """
import importlib, pkgutil, sys
site, packages, skip = sys.argv[1], sys.argv[2].split(","), tuple(sys.argv[3].split(","))
count = 0
for name in packages:
    package = importlib.import_module(name)
    assert package.__file__ and package.__file__.startswith(site), f"{name} came from {package.__file__}"
    for module in pkgutil.walk_packages(package.__path__, name + "."):
        if module.name not in skip:
            importlib.import_module(module.name)
            count += 1
print(count)
"""


def _uv() -> list[str]:
    found = shutil.which("uv")
    if found:
        return [found]
    probe = subprocess.run([sys.executable, "-m", "uv", "--version"], capture_output=True, check=False)
    if probe.returncode == 0:
        return [sys.executable, "-m", "uv"]
    pytest.skip("uv is not installed: the wheel cannot be built here")


def _build(tmp_path: Path) -> Path:
    uv, out = _uv(), tmp_path / "dist"
    # Offline first (hatchling from uv's cache); then online, for a machine whose cache is empty.
    for offline in (["--offline"], []):
        built = subprocess.run([*uv, "build", "--wheel", *offline, "-o", str(out), str(ROOT)],  # noqa: S603
                               capture_output=True, text=True, check=False, timeout=300)  # fmt: skip
        if built.returncode == 0:
            return next(out.glob("*.whl"))
    pytest.fail(f"uv build failed: {built.stderr[-2000:]}")


def test_the_wheel_holds_every_package_and_each_module_imports(tmp_path: Path) -> None:
    wheel = _build(tmp_path)
    packages = sorted(p.parent.name for p in ROOT.glob("*/__init__.py") if p.parent.name not in NOT_SHIPPED)
    with zipfile.ZipFile(wheel) as archive:
        tops = {name.split("/", 1)[0] for name in archive.namelist()}
        assert "migrations/script.py.mako" in archive.namelist()  # Alembic needs its template too
    assert set(packages) <= tops, f"the wheel leaves out {sorted(set(packages) - tops)}"

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)  # noqa: S603
    python = venv / "bin" / "python"
    subprocess.run([*_uv(), "pip", "install", "--offline", "--no-deps", "--python", str(python), str(wheel)],  # noqa: S603
                   check=True, capture_output=True, timeout=120)  # fmt: skip
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],  # noqa: S603
                          check=True, capture_output=True, text=True).stdout.strip()  # fmt: skip
    # The dependencies from this environment: on PYTHONPATH its .pth files (the editable repository) are not read.
    environment = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": sysconfig.get_path("purelib"),
                   "PYTHONNOUSERSITE": "1", "HOME": str(tmp_path)}  # fmt: skip
    imported = subprocess.run(  # noqa: S603
        [str(python), "-P", "-W", "ignore", "-c", IMPORT_ALL, site, ",".join(packages), ",".join(NOT_IMPORTED)],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert imported.returncode == 0, imported.stderr[-3000:]
    assert int(imported.stdout.strip()) > 100
