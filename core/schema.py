"""Which schema revision this code was written for, and whether a database has it (readiness, many replicas)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

from alembic.script import ScriptDirectory

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
SchemaState = Literal["ok", "behind", "ahead"]


@cache
def revisions() -> tuple[str, frozenset[str]]:
    """The head revision of this code's migrations, and every revision it knows (read once a process)."""
    scripts = ScriptDirectory(str(MIGRATIONS))
    head = scripts.get_current_head()
    if head is None:  # pragma: no cover - the repository always has migrations
        msg = "no migrations"
        raise RuntimeError(msg)
    return head, frozenset(script.revision for script in scripts.walk_revisions())


def schema_state(current: str | None) -> SchemaState:
    """The database's revision `current` against this code's migrations.

    `ok` at this code's head; `behind` at an older revision or none (migrations still to run: not ready); `ahead`
    at a revision this code does not know (a newer release has migrated: this one may serve while it is replaced).
    """
    head, known = revisions()
    if current == head:
        return "ok"
    return "behind" if current is None or current in known else "ahead"
