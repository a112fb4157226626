"""The booking functions in PL/pgSQL (business rules): one source file each in `booking/sql/`.

`book_visit`, `cancel_visit` and `move_visit`, `book_own_visit` and `cancel_own_visit` (a recipient's own, in one
statement) and the helpers they share (`visit_*`: the recipient's own overlap, an allocation period's dates,
charging and giving back its minutes, checking, locking and charging the capacity cells) live only in those files.
Alembic compares them with the database through alembic_utils' replaceable entities (registered in
`migrations/env.py`): after a change to a file, `alembic revision --autogenerate` (see `migrations/README.md`)
writes the migration that replaces the function, and until that migration exists `alembic check`
(tests/integration/test_migrations.py) fails. A file holds one `CREATE FUNCTION public.<name>(...)` statement;
comment lines before it say what it is for and are not sent to the database.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

SOURCES = Path(__file__).resolve().parent / "sql"


@cache
def function_sources() -> dict[str, str]:
    """Each function's `CREATE FUNCTION` statement by its name (the file's stem), leading comment lines dropped."""
    found = {}
    for path in sorted(SOURCES.glob("*.sql")):
        lines = path.read_text(encoding="utf-8").splitlines()
        while lines and (not lines[0].strip() or lines[0].lstrip().startswith("--")):
            lines.pop(0)
        found[path.stem] = "\n".join(lines).strip() + "\n"
    return found
