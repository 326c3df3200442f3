"""An engine killed (SIGKILL, as `kill -9`) at each named point of a callback dispatch, then started
again: the request is neither lost nor dialled twice for the same attempt. And Redis killed under a
running engine: the engine goes on placing callbacks once Redis is back.

The engine runs as `hotline serve` in a subprocess with HOTLINE_FAULT naming the point; the citizen is
a SIPp phone on the outbound trunk's address, whose received INVITEs are counted."""

from __future__ import annotations

import asyncio
import signal
from zoneinfo import ZoneInfo

import pytest
from harness import Call, Hotline, ask_to_be_called_back, new_caller, serve, settled, settled_request
from structlog.testing import capture_logs

from hotline.callbacks.model import Source, Status
from hotline.callbacks.store import CallbackStore
from hotline.engine import Engine
from hotline.sandbox.sipp import OperatorPhone, Phone
from router.dispatcher import FAULT_POINTS

pytestmark = pytest.mark.e2e

LEASE = 5  # seconds: how soon the restarted engine may take a dead one's attempt over


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
    first = await serve(hotline, store, f"serve-{point}-1.log", lease=LEASE, fault=point)
    try:
        await asyncio.wait_for(first.wait(), 90)
    finally:
        if first.returncode is None:
            first.kill()
            await first.wait()
    assert first.returncode == -signal.SIGKILL, f"the engine did not reach {point}"
    second = await serve(hotline, store, f"serve-{point}-2.log", lease=LEASE)
    try:
        request = await settled_request(store, registration.request.id)
    finally:
        second.send_signal(signal.SIGTERM)
        await asyncio.wait_for(second.wait(), 60)
    assert request.status is Status.DONE, request.failure_reasons()
    dialled = [a for a in request.attempts if a.reason != "not_dialled"]
    assert citizen_phone.invites(rf"INVITE sip:{number}@") == len(dialled)
    assert len(dialled) == 1  # the attempt that was under way when the engine died was recovered


REDIS_OUTAGE = 15.0  # seconds: longer than the client's retries, so the dispatcher's passes do fail


async def test_redis_killed_under_a_running_engine_does_not_stop_its_callbacks(
    hotline: Hotline,
    cb_engine: Engine,
    long_talking_operators: dict[str, OperatorPhone],
    citizen_phone: Phone,
    call: Call,
) -> None:
    """Redis is SIGKILLed and, after a while, started again from its append-only file, while the engine
    runs. The dispatcher meets the outage and carries on: a citizen who asks afterwards is called back
    once."""
    redis = hotline.sandbox.redis(hotline.secrets)
    with capture_logs() as logs:
        await asyncio.to_thread(redis.kill)
        try:
            await asyncio.sleep(REDIS_OUTAGE)
        finally:
            await asyncio.to_thread(redis.start)
    assert any(e["event"] == "dispatcher.redis_unavailable" for e in logs)
    caller = await ask_to_be_called_back(call)
    request = await settled(cb_engine, caller)
    assert request.status is Status.DONE
    assert citizen_phone.invites(rf"INVITE sip:{caller}@") == 1
