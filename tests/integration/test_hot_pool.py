"""The hot routes' pool (`api.driver.HotPool`): bounded, fair, and never hands out a connection left mid-exchange."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest

from api.driver import DriverConnections
from core.settings import Settings


@pytest.fixture
async def one(settings: Settings) -> AsyncIterator[DriverConnections]:
    """A pool of one connection, waits timed out after half a second."""
    connections = DriverConnections(
        settings.model_copy(update={"db_pool_size": 1, "db_pool_timeout": 0.5}), session_maker=None
    )
    await connections.open()
    try:
        yield connections
    finally:
        await connections.close()


async def _pid(connections: DriverConnections) -> int:
    async with connections.connection() as conn:
        return int(await conn.fetchval("SELECT pg_backend_pid()"))


async def test_a_caller_waits_for_the_connection_given_back_and_gets_that_one(one: DriverConnections) -> None:
    first = await _pid(one)
    holding, waited = asyncio.Event(), asyncio.Event()

    async def hold() -> None:
        async with one.connection() as conn:
            holding.set()
            await waited.wait()
            await conn.fetchval("SELECT 1")

    holder = asyncio.create_task(hold())
    await holding.wait()
    second = asyncio.create_task(_pid(one))
    await asyncio.sleep(0.05)
    assert not second.done()  # the only connection is in use: it waits
    waited.set()
    assert await second == first  # handed the connection given back, none opened beside it
    await holder


async def test_a_wait_longer_than_the_timeout_is_a_timeout_and_leaves_no_waiter(one: DriverConnections) -> None:
    async with one.connection():
        with pytest.raises(TimeoutError):
            await _pid(one)
    assert await _pid(one) > 0  # given back after the timed-out wait: the next caller gets it at once


async def test_a_block_cancelled_mid_statement_closes_its_connection(one: DriverConnections) -> None:
    first = await _pid(one)
    started = asyncio.Event()

    async def sleep() -> None:
        async with one.connection() as conn:
            started.set()
            await conn.execute("SELECT pg_sleep(30)")

    task = asyncio.create_task(sleep())
    await started.wait()
    await asyncio.sleep(0.1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await _pid(one) != first  # not handed out mid-exchange: a new connection in its place


async def test_a_refusal_keeps_the_connection_and_a_transaction_left_open_is_rolled_back(
    one: DriverConnections,
) -> None:
    first = await _pid(one)
    with pytest.raises(asyncpg.DivisionByZeroError):
        async with one.connection() as conn:
            await conn.fetchval("SELECT 1 / 0")
    async with one.connection() as conn:
        assert await conn.fetchval("SELECT pg_backend_pid()") == first  # an error answered: still good
        await conn.execute("BEGIN")
    async with one.connection() as conn:
        assert not conn.is_in_transaction()
        assert await conn.fetchval("SELECT pg_backend_pid()") == first


async def test_a_connection_that_failed_to_open_frees_its_place(settings: Settings) -> None:
    broken = settings.model_copy(
        update={"database_url": "postgresql+asyncpg://postgres@127.0.0.1:1/none", "db_pool_size": 1}
    )
    connections = DriverConnections(broken, session_maker=None)
    await connections.open()
    try:
        for _ in range(3):  # each attempt may open one: the failed ones gave their place back
            with pytest.raises(OSError, match=r"Connect call failed|refused"):
                await _pid(connections)
    finally:
        await connections.close()


async def test_closing_refuses_those_waiting(one: DriverConnections) -> None:
    async with one.connection():
        waiting = asyncio.create_task(_pid(one))
        await asyncio.sleep(0.05)
        assert one.pool is not None
        await one.pool.close()
        with pytest.raises(asyncpg.InterfaceError):
            await waiting
