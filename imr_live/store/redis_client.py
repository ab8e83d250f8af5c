"""One way to open Redis: a bounded pool whose callers wait for a free connection.

redis-py 8 caps a plain pool at 100 connections and fails the 101st at once
(``MaxConnectionsError``). When 150 people join one node in the same second,
each join takes the session lock and writes presence, so a burst briefly needs
more connections than that; failing those joins with "unavailable" is wrong.
A blocking pool queues them instead, for up to ``POOL_WAIT_S``.
"""

from __future__ import annotations

from typing import Any

import redis.asyncio as aioredis

POOL_SIZE = 64
POOL_WAIT_S = 5.0


def connect(url: str, **kwargs: Any) -> aioredis.Redis:
    """A client on a blocking pool of ``POOL_SIZE`` connections (decoded strings)."""
    pool = aioredis.BlockingConnectionPool.from_url(
        url,
        max_connections=POOL_SIZE,
        timeout=POOL_WAIT_S,
        decode_responses=True,
        socket_connect_timeout=5,
        **kwargs,
    )
    return aioredis.Redis.from_pool(pool)  # closing the client closes the pool
