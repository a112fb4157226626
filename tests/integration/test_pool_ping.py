"""The API's pool checks a connection before use only when it was idle a while (`core.db.ping_when_idle`)."""

from __future__ import annotations

import asyncio

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from core.db import create_engine_pinging_idle, ping_when_idle
from core.settings import plain_database_url
from tests.conftest import RunServers


async def _terminate_backends(url: str, application_name: str) -> int:
    conn = await asyncpg.connect(plain_database_url(url))
    try:
        ended = await conn.fetchval(
            "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE application_name = $1) AS t",
            application_name,
        )
    finally:
        await conn.close()
    return int(ended)


async def test_a_connection_killed_while_idle_is_replaced_not_handed_out(servers: RunServers) -> None:
    name = "tjenesteshop-ping-test"
    engine = ping_when_idle(
        create_async_engine(servers.database_url, pool_size=1, max_overflow=0,
                            connect_args={"server_settings": {"application_name": name}}),
        idle_seconds=0,
    )  # fmt: skip
    try:
        async with engine.connect() as conn:
            first = await conn.scalar(text("SELECT pg_backend_pid()"))
        assert await _terminate_backends(servers.database_url, name) == 1
        async with engine.connect() as conn:  # the dead one is found out and replaced: no error
            second = await conn.scalar(text("SELECT pg_backend_pid()"))
        assert second != first
    finally:
        await engine.dispose()


async def test_a_closed_connection_is_replaced_without_a_ping(servers: RunServers) -> None:
    name = "tjenesteshop-closed-test"
    engine = create_engine_pinging_idle(servers.database_url, pool_size=1, max_overflow=0,
                                        connect_args={"server_settings": {"application_name": name}})  # fmt: skip
    try:
        async with engine.connect() as conn:
            first = await conn.scalar(text("SELECT pg_backend_pid()"))
        assert await _terminate_backends(servers.database_url, name) == 1
        await asyncio.sleep(0.5)  # the pooled connection's socket sees the server close it
        async with engine.connect() as conn:  # idle well under the ping's threshold, yet closed: replaced
            second = await conn.scalar(text("SELECT pg_backend_pid()"))
        assert second != first
    finally:
        await engine.dispose()
