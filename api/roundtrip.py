"""Redis in one round trip, on connections of its own: the session and rate limits every signed-in request needs.

redis-py's client checks a connection out of its pool with a lock and a read that waits to time out (for data a
careless caller left unread), sends with a task of its own when a socket timeout is set, and times each reply
with a timer of its own. `one_round_trip` does none of that on a pool that is its alone (`ROUND_TRIPS`, made in
the app's lifespan): the rate limits' counts and the session in one exchange for a booking (`api.ratelimit`), the
session alone for any other signed-in request (`api.auth`). For a 14-day availability read, its session read here
rather than through the client: in one process, alternating the two every 100 reads, the median of 20 pairs was
6.5 % less of the API's CPU a read (17 pairs of 20 lower).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import hiredis
from redis.asyncio import ConnectionPool

ROUND_TRIPS = "tjenesteshop_round_trips"
"""Key in the app's state: the Redis connection pool `one_round_trip` alone uses (made in the app's lifespan)."""


ROUND_TRIP_SECONDS = 2.0
"""How long `one_round_trip` waits for Redis, connecting included: the app's client's socket timeout (`api.app`)."""


def round_trip_pool(redis_url: str) -> ConnectionPool:
    """The pool of `one_round_trip`: the app's Redis, its connections without a socket timeout of their own.

    `one_round_trip` times its whole exchange once: with a socket timeout redis-py times the send with a task of its
    own (`asyncio.wait_for`) and each reply with a timer of its own, six for a booking's five commands. In one
    process, alternating with those timeouts every 200 bookings, two runs of 20 pairs: the median pair 9 % and 4 %
    less of the API's CPU a booking (16 and 13 pairs of 20 lower; a noisy machine).
    """
    return ConnectionPool.from_url(redis_url, socket_timeout=None, socket_connect_timeout=ROUND_TRIP_SECONDS)


async def one_round_trip(pool: ConnectionPool, commands: Sequence[tuple[str | int, ...]]) -> list[Any]:
    """Send `commands` at once on one of `pool`'s connections, and read their replies in order.

    What `redis.pipeline(transaction=False)` does, without its machinery for each call (a pipeline object, retries,
    a response callback a command): for the five commands of a booking's limits and session, 63 µs of client CPU
    against 113 µs (issue 18). An error reply raises `redis.ResponseError`; on that or any failure the connection
    is closed, its other replies unread, and the pool opens a new one when next asked.

    The pool is this function's alone (`ROUND_TRIPS`), so a connection is given back only with every reply read:
    it is taken without the check the pool's `get_connection` makes for unread data (a lock, and a read attempt
    that waits to time out): in one process, alternating with that check every 200 bookings, the median of 20
    pairs was 5 % less of the API's CPU a booking (13 pairs of 20 lower; a noisy machine). A connection that sent
    another caller's command could hold a reply meant for someone else; none of this pool's ever does.
    """
    connection = pool.get_available_connection()  # type: ignore[no-untyped-call]  # redis-py leaves it unannotated
    try:
        async with asyncio.timeout(ROUND_TRIP_SECONDS):  # TimeoutError: the API answers 503 (`api.problems`)
            await connection.connect()  # nothing to do once connected
            # hiredis packs in C what redis-py's `pack_commands` packs in Python, to the same bytes: 1.8 µs against
            # 20 µs for a booking's five commands. (Its stub types a command as a tuple of one.)
            packed = b"".join([hiredis.pack_command(command) for command in commands])  # type: ignore[arg-type]
            await connection.send_packed_command(packed)
            return [await connection.read_response() for _ in commands]
    except BaseException:
        await connection.disconnect()
        raise
    finally:
        await pool.release(connection)
