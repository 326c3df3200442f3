"""Callbacks keep their place among the citizens waiting live, through the real Asterisk: the group
`construction` has one operator (op106), so the order in which their phone rings is the order of
service."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from conftest import callback_engine, operator_phones
from harness import Call, Hotline, new_caller

from hotline import constants as c
from hotline.callbacks.model import AttemptResult, Source, Status
from hotline.engine import Engine
from hotline.sandbox.sipp import CitizenCall, Key, OperatorPhone, Phone

pytestmark = pytest.mark.e2e

GROUP, OPERATOR = "construction", "op106"
TALK = 10.0  # seconds each of the operator's calls lasts


@pytest_asyncio.fixture
async def fair_engine(hotline: Hotline) -> AsyncIterator[Engine]:
    """The engine at an open hour; a callback conversation of 2 s counts as a success, and nothing else
    (an offer before the queue, a caller who hangs up) makes a request."""
    async with callback_engine(hotline, min_talk_seconds=2, abandoned_after=0, offer_over_wait=0) as eng:
        yield eng


@pytest_asyncio.fixture
async def operator_phone(hotline: Hotline, request: pytest.FixtureRequest) -> AsyncIterator[OperatorPhone]:
    """op106 on a phone that answers every call and hangs up after TALK seconds (the other operators
    are registered too, but none of them is in the construction group)."""
    async with operator_phones(hotline, hotline.workdir / request.node.name / "operators", TALK) as phones:
        yield phones[OPERATOR]


async def waiting_in_queue(engine: Engine, caller: str, *, limit: float = 30.0) -> None:
    """Return once `caller` waits in the construction queue (as Asterisk reported it)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while True:
        snapshot = await engine.state.queue(c.queue_name(GROUP))
        if snapshot is not None and any(w.caller_id_num == caller for w in snapshot.callers):
            return
        assert loop.time() < deadline, f"{caller} never waited in the {GROUP} queue"
        await asyncio.sleep(0.2)


async def rung_by(phone: OperatorPhone, callers: list[str], *, limit: float = 30.0) -> None:
    """Return once the operator's phone has been rung by exactly `callers`, in that order."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while phone.phone.callers() != callers:
        assert loop.time() < deadline, f"the operator was rung by {phone.phone.callers()}, not {callers}"
        await asyncio.sleep(0.2)


async def test_a_callback_is_served_after_the_callers_who_were_waiting_before_it_and_before_later_ones(
    fair_engine: Engine, operator_phone: OperatorPhone, citizen_phone: Phone, call: Call
) -> None:
    """The operator talks to A. B joins the queue, then a callback is requested, then C joins. When A
    hangs up the operator is B's (B was waiting first); while they talk, the operator is reserved for
    the callback, so the callback goes next, before C, who has joined after it; then C."""
    a, b, citizen, later = new_caller(), new_caller(), new_caller(), new_caller()
    to_construction = (Key("6", 2.0), Key("1", 2.0))
    calls = [asyncio.create_task(call(CitizenCall(caller=a, keys=to_construction, wait_for_end=120)))]
    try:
        await rung_by(operator_phone, [a])
        calls.append(asyncio.create_task(call(CitizenCall(caller=b, keys=to_construction, wait_for_end=120))))
        await waiting_in_queue(fair_engine, b)
        await asyncio.sleep(1.0)  # B's place is plainly before the callback's
        registration = await fair_engine.register_callback(citizen, GROUP, Source.MENU, citizen)
        await asyncio.sleep(2.0)
        calls.append(
            asyncio.create_task(call(CitizenCall(caller=later, keys=to_construction, wait_for_end=120)))
        )
        await waiting_in_queue(fair_engine, later)
        await rung_by(operator_phone, [a, b, citizen, later], limit=90)
        results = await asyncio.gather(*calls)
    finally:
        for task in calls:
            task.cancel()
    assert all(r.ok for r in results), [r.errors or r.screen for r in results if not r.ok]
    request = await fair_engine.callbacks.get(registration.request.id)
    assert request is not None
    assert request.status is Status.DONE
    [attempt] = request.attempts
    assert (attempt.operator, attempt.result) == (OPERATOR, AttemptResult.ANSWERED)
    assert citizen_phone.invites(rf"INVITE sip:{citizen}@") == 1
    snapshot = await fair_engine.state.queue(c.queue_name(GROUP))
    assert snapshot is not None
    [member] = [m for m in snapshot.members if m.name == OPERATOR]
    assert not member.paused  # the reservation was given back
