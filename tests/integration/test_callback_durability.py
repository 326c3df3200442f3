"""A callback promised to a citizen survives Redis being killed: the sandbox's Redis configuration
(append-only file, fsync every second) on a throwaway port, SIGKILLed right after the registration."""

from __future__ import annotations

import asyncio
from pathlib import Path
from zoneinfo import ZoneInfo

import redis.asyncio as aioredis

from hotline.callbacks.model import Source, Status
from hotline.callbacks.store import CallbackStore
from hotline.dialplan.model import CallbackPolicy
from hotline.sandbox.ports import free_tcp_port
from hotline.sandbox.redis import RedisSandbox

TZ = ZoneInfo("Europe/Moscow")
NOON = 1_795_000_000.0  # a fixed instant, outside the default quiet hours in Moscow


async def test_a_registered_request_survives_redis_being_killed_and_restarted(tmp_path: Path) -> None:
    """Registered, then `kill -9` on Redis, then Redis started again from its append-only file: the
    request is there, open, and can be claimed for its first attempt."""
    sandbox = RedisSandbox(tmp_path, "127.0.0.1", free_tcp_port(), "x" * 32)
    sandbox.start()
    try:
        client = aioredis.Redis.from_url(sandbox.url, decode_responses=True)
        store = CallbackStore(client, clock=lambda: NOON)
        policy = CallbackPolicy()
        registration = await store.register(
            "89161234567",
            "heating",
            Source.IN_QUEUE,
            caller_display="89161234567",
            policy=policy,
            sla_minutes=10,
            tz=TZ,
        )
        await client.aclose()
        await asyncio.to_thread(sandbox.kill)
        await asyncio.to_thread(sandbox.start)
        client = aioredis.Redis.from_url(sandbox.url, decode_responses=True)
        store = CallbackStore(client, clock=lambda: NOON)
        request = await store.get(registration.request.id)
        assert request is not None
        assert (request.number, request.status) == ("79161234567", Status.OPEN)
        claim = await store.claim("heating", owner="test", lease_seconds=30, policy=policy, tz=TZ)
        assert claim is not None
        assert claim.request.id == request.id
        await client.aclose()
    finally:
        sandbox.stop()
