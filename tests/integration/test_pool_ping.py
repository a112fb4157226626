"""The API's pools check a connection before use only when it was idle a while (`core.db.ping_when_idle`, and
`api.driver` for the hot routes' own)."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

import api.driver
from api.driver import DriverConnections
from core.db import create_engine_pinging_idle, ping_when_idle
from core.settings import Settings, plain_database_url
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


async def _terminate(url: str, pid: int) -> None:
    conn = await asyncpg.connect(plain_database_url(url))
    try:
        assert await conn.fetchval("SELECT pg_terminate_backend($1)", pid)
    finally:
        await conn.close()


async def _pid(connections: DriverConnections) -> int:
    async with connections.connection() as conn:
        return int(await conn.fetchval("SELECT pg_backend_pid()"))


@pytest.mark.parametrize("idle_ping_seconds", [0.0, 3600.0])
async def test_the_hot_routes_pool_replaces_a_connection_the_server_ended(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, idle_ping_seconds: float
) -> None:
    # Pinged as idle (0 s), or found closed by its socket (an hour: no ping), the dead connection is not handed out.
    monkeypatch.setattr(api.driver, "IDLE_PING_SECONDS", idle_ping_seconds)
    connections = DriverConnections(settings.model_copy(update={"db_pool_size": 1}), session_maker=None)
    await connections.open()
    try:
        first = await _pid(connections)
        assert settings.database_url is not None
        await _terminate(settings.database_url, first)
        if idle_ping_seconds:
            await asyncio.sleep(0.5)  # the pooled connection's socket sees the server close it
        second = await _pid(connections)
        assert second != first
        assert await _pid(connections) == second  # and the new one stays in the pool
    finally:
        await connections.close()
