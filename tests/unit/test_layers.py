"""The import floors of DESIGN.md: each package imports only the ones below it, and the frameworks stay at the edges."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FLOORS = [
    "core",
    "people",
    "departments",
    "booking",
    "casesystem",
    "waitlist",
    "insight",
    "privacy",
    "webhooks",
    "notifications",
    "fhir_r4",
    "api",
    "tjenesteshop",
]
# Only these may import the web framework, and only one small module the queue (DESIGN.md, invariant 6).
FRAMEWORK_EDGES = {"litestar": ("api", "tjenesteshop"), "arq": ("notifications/queue.py", "tjenesteshop")}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def _files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", FLOORS)
def test_imports_only_point_down(package: str) -> None:
    below = set(FLOORS[: FLOORS.index(package) + 1])
    above = set(FLOORS) - below
    wrong = {str(path.relative_to(ROOT)): sorted(_imports(path) & above) for path in _files(package)}
    assert {path: names for path, names in wrong.items() if names} == {}


@pytest.mark.parametrize("framework", sorted(FRAMEWORK_EDGES))
def test_frameworks_stay_at_the_edges(framework: str) -> None:
    allowed = FRAMEWORK_EDGES[framework]
    users = [
        str(path.relative_to(ROOT)) for package in FLOORS for path in _files(package) if framework in _imports(path)
    ]
    assert [user for user in users if not user.startswith(allowed)] == []
