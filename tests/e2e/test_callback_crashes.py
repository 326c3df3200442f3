"""An engine killed (SIGKILL, as `kill -9`) at each named point of a callback dispatch, then started
again: the request is neither lost nor dialled twice for the same attempt. And Redis killed under a
running engine: the engine goes on placing callbacks once Redis is back; Redis frozen (SIGSTOP) under a
live call: the caller reaches an operator by the fallback meanwhile.

The engine runs as `hotline serve` in a subprocess with HOTLINE_FAULT naming the point; the citizen is
a SIPp phone on the outbound trunk's address, whose received INVITEs are counted."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import callback_engine
from harness import (
    Call,
    Hotline,
    ask_to_be_called_back,
    log_lines,
    new_caller,
    pause_operators,
    serve,
    settled,
    settled_request,
    stop,
)
from structlog.testing import capture_logs

from hotline.callbacks.model import AttemptResult, Source, Status
from hotline.callbacks.store import CallbackStore
from hotline.engine import Engine
from hotline.sandbox.ports import free_tcp_port
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


async def test_an_engine_frozen_past_its_lease_never_dials_what_another_engine_took_over(
    hotline: Hotline,
    store: CallbackStore,
    long_talking_operators: dict[str, OperatorPhone],
    citizen_phone: Phone,
) -> None:
    """An engine freezes (SIGSTOP) right after claiming a request, and stays frozen past its lease. A
    second engine takes the attempt over and the citizen is called back. When the first one thaws, its
    claim is stale: it dials nobody, says so, and goes on working: alone, it calls the next citizen back
    (the StaleClaim used to end its dispatcher for good), and it stops cleanly."""
    policy = hotline.dialplan.callbacks
    number = new_caller()
    registration = await store.register(
        number, "general", Source.MENU, caller_display=number, policy=policy, sla_minutes=10,
        tz=ZoneInfo("Europe/Moscow"),
    )  # fmt: skip
    first = await serve(hotline, store, "serve-frozen-1.log", lease=LEASE, fault="after_claim:stop")
    second = None
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 90
        while not frozen(first.pid):
            assert first.returncode is None, "the first engine exited instead of freezing"
            assert loop.time() < deadline, "the first engine never reached its claim"
            await asyncio.sleep(0.2)
        other_port = {"HOTLINE_AGI_PORT": str(free_tcp_port(hotline.settings.agi_address))}  # A holds its own
        second = await serve(hotline, store, "serve-frozen-2.log", lease=LEASE, settings=other_port)
        request = await settled_request(store, registration.request.id, limit=240)
        assert request.status is Status.DONE, request.failure_reasons()
        os.kill(first.pid, signal.SIGCONT)
        log = hotline.workdir / "serve-frozen-1.log"
        deadline = loop.time() + 20
        while not any(e.get("event") == "callback.stale_claim" for e in log_lines(log)):
            assert loop.time() < deadline, f"the thawed engine did not find its claim stale: read {log}"
            await asyncio.sleep(0.2)
        await stop([second])  # the thawed engine alone now: its dispatcher must still be at work
        later = new_caller()
        another = await store.register(
            later, "general", Source.MENU, caller_display=later, policy=policy, sla_minutes=10,
            tz=ZoneInfo("Europe/Moscow"),
        )  # fmt: skip
        assert (await settled_request(store, another.request.id)).status is Status.DONE
        assert citizen_phone.invites(rf"INVITE sip:{later}@") == 1
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(first.pid, signal.SIGCONT)
        codes = await stop([first, *([second] if second else [])])
    assert codes[0] == 0, "the thawed engine did not stop cleanly"
    dialled = [a for a in request.attempts if a.reason != "not_dialled"]
    assert citizen_phone.invites(rf"INVITE sip:{number}@") == len(dialled) == 1


def frozen(pid: int) -> bool:
    """Whether the process is stopped by a signal (state T in /proc)."""
    with contextlib.suppress(OSError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] == "T"
    return False


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


ASTERISK_DOWN = 60.0  # seconds Asterisk stays dead after its kill -9


async def test_asterisk_killed_mid_attempt_and_down_a_minute_loses_no_callback(
    hotline: Hotline, long_talking_operators: dict[str, OperatorPhone], citizen_phone: Phone
) -> None:
    """Asterisk is killed (-9) while a callback attempt is up (the citizen talking to an operator) and
    stays down for a minute, with the request due again meanwhile. The attempt, whose result can never
    come, is resolved when Asterisk is back (its lease was extended for ever before: the citizen was
    never called back): unknown, not counted; the request is dialled again once, and ends done."""
    async with callback_engine(hotline, min_talk_seconds=2, backoff_minutes=(1,)) as engine:
        number = new_caller()
        registration = await engine.register_callback(number, "general", Source.MENU, number)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 60
        while citizen_phone.invites(rf"INVITE sip:{number}@") == 0:
            assert loop.time() < deadline, "the first attempt was never dialled"
            await asyncio.sleep(0.2)
        await asyncio.sleep(3)  # the citizen has answered and talks (12 s)
        await asyncio.to_thread(hotline.sandbox.asterisk.kill)
        try:
            await asyncio.sleep(ASTERISK_DOWN)
        finally:
            await asyncio.to_thread(hotline.sandbox.asterisk.start)
        request = await settled(engine, number, limit=150)
    assert request.id == registration.request.id
    assert request.status is Status.DONE, request.failure_reasons()
    first, second = request.attempts
    assert (first.result, first.counts) == (AttemptResult.UNKNOWN, False)
    assert second.result is AttemptResult.ANSWERED
    assert citizen_phone.invites(rf"INVITE sip:{number}@") == 2
