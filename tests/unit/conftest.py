"""Every test in this folder is marked `unit`: pure code, no server. `python -m tests` runs them with coverage,
the gate on the pure rules (`*/rules.py` fully covered by these tests alone), and the other tests without it."""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the items collected from this folder (the hook sees the whole session's items)."""
    for item in items:
        if HERE in item.path.resolve().parents:
            item.add_marker(pytest.mark.unit)
