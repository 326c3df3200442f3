"""An engine killed (SIGKILL, as `kill -9`) at each named point of a callback dispatch, then started
again: the request is neither lost nor dialled twice for the same attempt.

The engine runs as `hotline serve` in a subprocess with HOTLINE_FAULT naming the point; the citizen is
a SIPp phone on the outbound trunk's address, whose received INVITEs are counted."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio
import redis.asyncio as aioredis
from harness import OPEN, Hotline, cancel_every_open_request, new_caller

from hotline.callbacks.model import Request, Source, Status
from hotline.callbacks.store import CallbackStore
from hotline.clock import running_from
from hotline.sandbox.sipp import OperatorPhone, Phone
from router.dispatcher import FAULT_POINTS

pytestmark = pytest.mark.e2e

LEASE = 5  # seconds: how soon the restarted engine may take a dead one's attempt over


@pytest_asyncio.fixture
async def store(hotline: Hotline) -> AsyncIterator[CallbackStore]:
    clock = running_from(OPEN)
    client = aioredis.Redis(
        host=hotline.settings.host,
        port=hotline.settings.redis_port,
        password=hotline.secrets.redis,
        decode_responses=True,
    )
    store = CallbackStore(client, clock=lambda: clock().timestamp())
    await cancel_every_open_request(store)
    try:
        yield store
    finally:
        await cancel_every_open_request(store)
        await client.aclose()


async def serve(
    hotline: Hotline, store: CallbackStore, log_name: str, fault: str = ""
) -> asyncio.subprocess.Process:
    """`hotline serve` with the test's clock (so the line is open), a short lease and maybe a fault."""
    env = {
        **os.environ,
        "HOTLINE_CLOCK": running_from(OPEN)().isoformat(),
        "HOTLINE_CALLBACK_LEASE_SECONDS": str(LEASE),
    }
    env["HOTLINE_CLOCK"] = (
        __import__("datetime").datetime.fromtimestamp(store.now(), ZoneInfo("Europe/Moscow")).isoformat()
    )
    env.pop("HOTLINE_FAULT", None)
    if fault:
        env["HOTLINE_FAULT"] = fault
    with (hotline.workdir / log_name).open("wb") as log:  # the child keeps its own copy of the descriptor
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "hotline.cli",
            "serve",
            "--json-logs",
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=log,
            stderr=log,
        )


async def settled(store: CallbackStore, request_id: str, limit: float = 120) -> Request:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while True:
        request = await store.get(request_id)
        assert request is not None, "the request was lost"
        if not request.status.active:
            return request
        assert loop.time() < deadline, request
        await asyncio.sleep(0.5)


@pytest.mark.parametrize("point", FAULT_POINTS)
async def test_a_killed_engine_neither_loses_a_request_nor_dials_an_attempt_twice(
    point: str,
    hotline: Hotline,
    store: CallbackStore,
    long_talking_operators: dict[str, OperatorPhone],
    citizen_phone: Phone,
) -> None:
    """Killed at `point`, restarted: the request ends done, and the citizen's phone rang once for each
    attempt that was dialled (an attempt killed before its Originate is ended as not dialled)."""
    policy = hotline.dialplan.callbacks
    number = new_caller()
    registration = await store.register(
        number,
        "general",
        Source.MENU,
        caller_display=number,
        policy=policy,
        sla_minutes=10,
        tz=ZoneInfo("Europe/Moscow"),
    )
    first = await serve(hotline, store, f"serve-{point}-1.log", fault=point)
    try:
        await asyncio.wait_for(first.wait(), 90)
    finally:
        if first.returncode is None:
            first.kill()
            await first.wait()
    assert first.returncode == -signal.SIGKILL, f"the engine did not reach {point}"
    second = await serve(hotline, store, f"serve-{point}-2.log")
    try:
        request = await settled(store, registration.request.id)
    finally:
        second.send_signal(signal.SIGTERM)
        await asyncio.wait_for(second.wait(), 60)
    assert request.status is Status.DONE, request.failure_reasons()
    dialled = [a for a in request.attempts if a.reason != "not_dialled"]
    assert citizen_phone.invites(rf"INVITE sip:{number}@") == len(dialled)
    assert len(dialled) == 1  # the attempt that was under way when the engine died was recovered
