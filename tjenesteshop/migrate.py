"""Run the Alembic migrations to head, safely from several processes at once; give the application role its rights.

Two database roles in production: the owner (MIGRATION_DATABASE_URL) owns every table and migrates; the application
(DATABASE_URL) may read and write the tables, but only add to and read the audit log, and owns nothing, so it can
neither change nor remove audit entries, nor disable the trigger that also guards them. With one role (the laptop
path, or MIGRATION_DATABASE_URL unset) nothing is granted: that role owns everything, as before.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import make_url

from core.settings import Settings, async_database_url, plain_database_url

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
# Tables the application may only add to and read; and tables it may only read.
APPEND_ONLY_TABLES = ("audit_entry",)
READ_ONLY_TABLES = ("alembic_version",)
# Roles are cluster-wide and advisory locks per database: two databases of one server may create the role at once.
_ROLE_EXISTS = (asyncpg.exceptions.DuplicateObjectError, asyncpg.exceptions.UniqueViolationError)


class RoleError(RuntimeError):
    """The application role cannot be given least privilege (it is a superuser, owns tables, or is missing)."""


@dataclass(frozen=True)
class DatabaseRoles:
    """Who migrates, and the application role to grant rights to (None: the same role does both)."""

    owner_url: str
    app_role: str | None
    app_password: str | None


def alembic_config(database_url: str) -> Config:
    """An Alembic configuration for `database_url`, independent of the working directory."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", async_database_url(database_url).replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Migrate the database to `revision` (env.py holds an advisory lock, so replicas may race)."""
    command.upgrade(alembic_config(database_url), revision)


def roles_of(settings: Settings) -> DatabaseRoles:
    """The owner's URL and the application's role, from MIGRATION_DATABASE_URL and DATABASE_URL."""
    assert settings.database_url is not None  # noqa: S101 - `servers()` fills it in
    owner_url = settings.migration_database_url or settings.database_url
    app, owner = make_url(settings.database_url), make_url(owner_url)
    if settings.migration_database_url is None or not app.username or app.username == owner.username:
        return DatabaseRoles(owner_url, None, None)
    return DatabaseRoles(owner_url, app.username, app.password)


def migrate(settings: Settings) -> str | None:
    """Upgrade the schema as the owner, then grant the application role its rights; return that role, if any."""
    roles = roles_of(settings)
    upgrade(roles.owner_url)
    if roles.app_role is not None:
        asyncio.run(grant_application_role(roles.owner_url, roles.app_role, password=roles.app_password))
    return roles.app_role


async def grant_application_role(owner_url: str, role: str, *, password: str | None = None) -> None:
    """Create `role` if it is missing (LOGIN, with `password`) and grant it exactly what the application needs.

    Idempotent, and it tightens: rights the role should not have (TRUNCATE, changing the audit log) are revoked.

    Raises:
        RoleError: the role is a superuser, owns tables here, is a member of the owner, or is missing and no
            password is known to create it with.

    """
    conn = await asyncpg.connect(plain_database_url(owner_url))
    try:
        await _ensure_role(conn, role, password)
        async with conn.transaction():
            ident = await conn.fetchval("SELECT quote_ident($1)", role)
            await _check_least_privilege(conn, role)
            for statement in _grants(ident):
                await conn.execute(statement)
    finally:
        await conn.close()


async def _ensure_role(conn: asyncpg.Connection, role: str, password: str | None) -> None:
    if await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role):
        return  # its password is the administrator's business once it exists
    if password is None:
        msg = f"the application role {role!r} does not exist: create it (CREATE ROLE ... LOGIN PASSWORD ...)"
        raise RoleError(msg)
    create = await conn.fetchval(
        "SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', $1::text, $2::text)", role, password
    )
    try:
        async with conn.transaction():
            await conn.execute(create)
    except _ROLE_EXISTS:
        pass  # another database's migration made it a moment ago
    except asyncpg.exceptions.InsufficientPrivilegeError as exc:
        msg = f"the owner may not create the application role {role!r}: create it yourself, or grant CREATEROLE"
        raise RoleError(msg) from exc


async def _check_least_privilege(conn: asyncpg.Connection, role: str) -> None:
    if await conn.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = $1", role):
        raise RoleError(f"the application role {role!r} is a superuser: it could rewrite the audit log")
    if await conn.fetchval("SELECT pg_has_role($1, current_user, 'MEMBER')", role):
        raise RoleError(f"the application role {role!r} is a member of the owner: it would act as the owner")
    owned = await conn.fetch(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = 'public' AND pg_get_userbyid(c.relowner) = $1 ORDER BY 1",
        role,
    )
    if owned:
        names = ", ".join(row["relname"] for row in owned[:5])
        msg = f"the application role {role!r} owns tables ({names}): REASSIGN OWNED BY it TO the owner, then migrate"
        raise RoleError(msg)


def _grants(ident: str) -> list[str]:
    statements = [
        f"GRANT USAGE ON SCHEMA public TO {ident}",
        f"REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA public FROM {ident}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {ident}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {ident}",
        f"GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO {ident}",
    ]
    for table in APPEND_ONLY_TABLES:
        statements += [f"REVOKE ALL ON {table} FROM {ident}", f"GRANT SELECT, INSERT ON {table} TO {ident}"]
    for table in READ_ONLY_TABLES:
        statements += [f"REVOKE ALL ON {table} FROM {ident}", f"GRANT SELECT ON {table} TO {ident}"]
    return statements
