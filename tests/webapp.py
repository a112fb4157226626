"""Where the web app is, and whether its build is current."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

FRONTEND = Path(__file__).resolve().parents[1] / "frontend"


def _newest(paths: Iterable[Path]) -> float:
    return max((p.stat().st_mtime for p in paths if p.is_file()), default=0.0)


def built_is_current() -> bool:
    """Whether frontend/dist was built after every source file of the web app last changed."""
    index = FRONTEND / "dist" / "index.html"
    if not index.exists():
        return False
    files = [FRONTEND / name for name in ("index.html", "package-lock.json", "vite.config.ts", "tsconfig.json")]
    newest = max(_newest(files), *(_newest((FRONTEND / folder).rglob("*")) for folder in ("src", "public")))
    return index.stat().st_mtime >= newest
