"""The sandbox's Redis gives the hotline's password the hotline's keys and nothing more: a process that
has the engine's secret cannot reconfigure Redis, load a module or reach other keys."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
import redis.asyncio as aioredis
from harness import Hotline, sandbox_redis
from redis.exceptions import NoPermissionError, ResponseError

from hotline import constants as c

pytestmark = pytest.mark.e2e


@pytest_asyncio.fixture
async def client(hotline: Hotline) -> AsyncIterator[aioredis.Redis]:
    """A client as the engine connects: the sandbox's address and the generated password."""
    redis = sandbox_redis(hotline)
    try:
        yield redis
    finally:
        await redis.aclose()


@pytest.mark.parametrize(
    "command",
    [
        ("CONFIG", "GET", "dir"),
        ("CONFIG", "SET", "dir", "/var/spool/cron"),
        ("MODULE", "LIST"),
        ("DEBUG", "SLEEP", "0"),
        ("FLUSHALL",),
        ("KEYS", "*"),
        ("SHUTDOWN",),
    ],
    ids=lambda command: " ".join(command[:2]),
)
async def test_the_engines_password_cannot_run_administrative_commands(
    client: aioredis.Redis, command: tuple[str, ...]
) -> None:
    """CONFIG SET dir was the classic way from a Redis password to files on the server: refused (DEBUG is
    also switched off altogether by Redis's own default)."""
    with pytest.raises(ResponseError, match=r"no permissions|not allowed"):
        await client.execute_command(*command)


async def test_the_engines_password_reaches_the_hotlines_keys_only(client: aioredis.Redis) -> None:
    """Reading and writing under the hotline's prefix work; any other key is refused."""
    key = c.REDIS_PREFIX + "test:acl"
    await client.set(key, "1", ex=10)
    assert await client.get(key) == "1"
    with pytest.raises(NoPermissionError):
        await client.set("elsewhere:acl", "1")
