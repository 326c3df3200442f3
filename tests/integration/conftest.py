"""Integration fixtures: a real redis-server on a free loopback port, and a client flushed per test.

The fake AMI server lives with the unit tests (tests/unit/fake_ami.py); its directory is put on sys.path
here so the Router tests can use it too.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from fake_clock import Clock
from redis.asyncio import Redis

from hotline.errors import SandboxError
from hotline.sandbox.ports import free_tcp_port
from hotline.sandbox.redis import RedisSandbox

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "unit"))


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A throwaway redis-server (Debian's binary, the sandbox's configuration, no password) on a free
    127.0.0.1 port; yields its URL."""
    server = RedisSandbox(tmp_path_factory.mktemp("redis"), "127.0.0.1", free_tcp_port(), password="")
    try:
        server.start()
    except SandboxError as exc:
        pytest.fail(str(exc))
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
async def redis(redis_server: str) -> AsyncIterator[Redis]:
    """A client of the test server (decode_responses=True), on an empty database."""
    client = Redis.from_url(redis_server, decode_responses=True)
    await client.flushdb()
    yield client
    await client.aclose()


@pytest.fixture
def clock() -> Clock:
    """A settable clock at T0 (fake_clock.py), shared by a test's stores."""
    return Clock()
