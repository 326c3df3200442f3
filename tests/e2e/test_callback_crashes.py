"""An engine killed (SIGKILL, as `kill -9`) at each named point of a callback dispatch, then started
again: the request is neither lost nor dialled twice for the same attempt. And Redis killed under a
running engine: the engine goes on placing callbacks once Redis is back; Redis frozen (SIGSTOP) under a
live call: the caller reaches an operator by the fallback meanwhile.

The engine runs as `hotline serve` in a subprocess with HOTLINE_FAULT naming the point; the citizen is
a SIPp phone on the outbound trunk's address, whose received INVITEs are counted."""

from __future__ import annotations

import asyncio
import os
import signal
from zoneinfo import ZoneInfo

import pytest
from harness import (
    Call,
    Hotline,
    ask_to_be_called_back,
    new_caller,
    pause_operators,
    serve,
    settled,
    settled_request,
)
from structlog.testing import capture_logs

from hotline.callbacks.model import Source, Status
from hotline.callbacks.store import CallbackStore
from hotline.engine import Engine
from hotline.sandbox.sipp import CitizenCall, Key, OperatorPhone, Phone
from router.dispatcher import FAULT_POINTS

pytestmark = pytest.mark.e2e

LEASE = 5  # seconds: how soon the restarted engine may take a dead one's attempt over
REDIS_FROZEN = 20.0  # seconds Redis is stopped (SIGSTOP) under a live call


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


async def test_a_frozen_redis_sends_a_caller_to_an_operator_by_the_fallback_and_keeps_the_callback(
    hotline: Hotline,
    cb_engine: Engine,
    operators: dict[str, OperatorPhone],
    citizen_phone: Phone,
    call: Call,
) -> None:
    """Redis stops answering (SIGSTOP: its sockets stay open, nothing comes back) with a callback due and
    operators busy elsewhere. A citizen who calls meanwhile is not left in silence: the engine's Redis
    commands time out, the call goes on to the fallback context and an operator answers while Redis is
    still frozen. Redis comes back after 20 s (SIGCONT); the callback is then placed, once."""
    redis = hotline.sandbox.redis(hotline.secrets)
    pid = redis.pid()
    assert pid is not None
    await pause_operators(cb_engine, hotline, paused=True)
    waiting = new_caller()
    await cb_engine.register_callback(waiting, "general", Source.MENU, waiting)
    answered: list[tuple[str, float]] = []
    loop = asyncio.get_running_loop()
    sub = cb_engine.ami.on_event(
        "AgentConnect", lambda e: answered.append((e.get("CallerIDNum", ""), loop.time()))
    )
    caller = new_caller()
    os.kill(pid, signal.SIGSTOP)
    try:
        resumed_at = loop.time() + REDIS_FROZEN
        await pause_operators(cb_engine, hotline, paused=False)  # AMI only: Redis is not needed for it
        calling = asyncio.create_task(
            call(CitizenCall(caller=caller, keys=(Key("0", 2.0),), wait_for_end=60))
        )
        await asyncio.sleep(max(0.0, resumed_at - loop.time()))
    finally:
        os.kill(pid, signal.SIGCONT)
        resumed_at = loop.time()
    try:
        result = await calling
        assert result.ok, result.errors or result.screen
        connects = [at for number, at in answered if number == caller]
        assert connects, "the caller never reached an operator"
        assert connects[0] < resumed_at, "the caller reached an operator only once Redis was back"
    finally:
        sub.cancel()
    request = await settled(cb_engine, waiting, limit=120)
    assert request.status is Status.DONE
    assert citizen_phone.invites(rf"INVITE sip:{waiting}@") == 1
