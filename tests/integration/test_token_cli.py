"""`tjenesteshop token create` prints a working secret once and stores only its hash."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from typing import Any

import asyncpg
import pytest

from core.settings import plain_database_url
from tests.conftest import RunServers

pytestmark = pytest.mark.slow
NUMBER = "0777"


async def _sql(url: str, query: str, *args: object) -> Any:
    conn = await asyncpg.connect(plain_database_url(url))
    try:
        return await conn.fetchrow(query, *args)
    finally:
        await conn.close()


def test_token_create_prints_a_secret_that_is_stored_hashed(servers: RunServers) -> None:
    url = servers.database_url
    asyncio.run(_sql(url, "INSERT INTO municipality (id, number, name) VALUES (gen_random_uuid(), $1, 'CLI')", NUMBER))
    try:
        env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": servers.redis_url}
        command = ["token", "create", "--name", "EPJ", "--role", "municipality_admin", "--municipality", NUMBER]
        result = subprocess.run(  # noqa: S603 - our own CLI
            [sys.executable, "-m", "tjenesteshop", *command], env=env, capture_output=True, text=True, check=True
        )
        secret = result.stdout.strip().splitlines()[-1]
        assert secret.startswith("tjs_")
        assert "shown only now" in result.stderr
        row = asyncio.run(
            _sql(
                url,
                "SELECT t.token_hash, t.prefix, t.role FROM api_token t JOIN municipality m ON m.id = t.municipality_id"
                " WHERE m.number = $1",
                NUMBER,
            )
        )
        assert row["role"] == "municipality_admin"
        assert secret not in (row["token_hash"], row["prefix"])
        assert secret.startswith(row["prefix"])
    finally:
        asyncio.run(_sql(url, "DELETE FROM api_token WHERE name = 'EPJ'"))
        asyncio.run(_sql(url, "DELETE FROM municipality WHERE number = $1", NUMBER))
