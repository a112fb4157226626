"""An earlier migration of `versions/` as a module: the definitions it created, for a later one to restore."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

VERSIONS = Path(__file__).resolve().parent / "versions"


def earlier(filename: str) -> ModuleType:
    """The migration `versions/<filename>`, loaded as a module of its own (its statements are constants of it)."""
    spec = importlib.util.spec_from_file_location(f"_migration_{filename}", VERSIONS / filename)
    if spec is None or spec.loader is None:
        raise FileNotFoundError(filename)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
