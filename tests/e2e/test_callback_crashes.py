"""An engine killed (SIGKILL, as `kill -9`) at each named point of a callback dispatch, then started
again: the request is neither lost nor dialled twice for the same attempt.

The engine runs as `hotline serve` in a subprocess with HOTLINE_FAULT naming the point; the citizen is
a SIPp phone on the outbound trunk's address, whose received INVITEs are counted."""

from __future__ import annotations

import asyncio
import signal
from zoneinfo import ZoneInfo

import pytest
from harness import Hotline, new_caller, serve, settled_request

from hotline.callbacks.model import Source, Status
from hotline.callbacks.store import CallbackStore
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
