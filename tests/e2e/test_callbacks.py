"""Callbacks through the real Asterisk: the citizen asks, the engine stores the request, and an operator
of the group is rung first, then the citizen on the outbound trunk (SIPp on the carrier's address)."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest
from harness import (
    CLOSED,
    OPEN,
    Call,
    Hotline,
    ask_to_be_called_back,
    new_caller,
    pause_operators,
    prompt_seconds,
    settled,
)
from structlog.testing import capture_logs

from hotline.callbacks.model import AttemptResult, Source, Status
from hotline.callbacks.store import CALL_END_GRACE
from hotline.clock import running_from
from hotline.engine import Engine
from hotline.render.callback_contexts import CB_DB_FAMILY
from hotline.sandbox.sipp import CitizenCall, Key, OperatorPhone, Phone
from router.dispatcher import result_slot

pytestmark = pytest.mark.e2e


async def test_the_menus_call_me_back_option_rings_an_operator_first_then_the_citizen(
    hotline: Hotline,
    cb_engine: Engine,
    long_talking_operators: dict[str, OperatorPhone],
    citizen_phone: Phone,
    call: Call,
) -> None:
    """9 in the main menu, 1 to confirm the caller's number: the request is stored, an operator of the
    general group answers and hears the whisper, the citizen is dialled once and they talk."""
    caller = await ask_to_be_called_back(call)
    request = await settled(cb_engine, caller)
    assert request.status is Status.DONE
    assert (request.group, request.source.value) == ("general", "menu")
    [attempt] = request.attempts
    assert attempt.result is AttemptResult.ANSWERED
    assert "at citizen" in attempt.reason  # the citizen was dialled from the operator's answered leg
    assert "general" in hotline.dialplan.operators[attempt.operator].skills
    assert long_talking_operators[attempt.operator].phone.invites() == 1
    assert citizen_phone.invites(rf"INVITE sip:{caller}@") == 1
    # its result is also in AstDB, for an engine that dies before storing it: in one of a bounded set of
    # slots, named with the attempt, so that AstDB does not grow with every request
    slot = result_slot(f"{request.id}-1")
    kept = hotline.sandbox.asterisk.cli(f"database get {CB_DB_FAMILY} slot-{slot}")
    assert f"Value: {request.id}-1|citizen|ANSWER|" in kept, kept


async def test_the_first_attempt_waits_until_the_citizens_own_call_has_ended(
    hotline: Hotline,
    cb_engine: Engine,
    long_talking_operators: dict[str, OperatorPhone],
    citizen_phone: Phone,
    call: Call,
) -> None:
    """9, 1 in the menu, then the promise and the goodbye on the same line: the citizen's line is busy
    until they hang up, so the first attempt starts only once their call has ended, plus the grace
    (it started 5 ms after the request, while they still heard the goodbye), and reaches them."""
    caller = await ask_to_be_called_back(call)  # returns when the citizen's call has ended
    ended = cb_engine.timestamp()
    request = await settled(cb_engine, caller)
    assert request.status is Status.DONE
    [attempt] = request.attempts
    assert attempt.started_at >= ended + CALL_END_GRACE - 1.0  # 1 s for SIPp to exit after the BYE
    assert citizen_phone.invites(rf"INVITE sip:{caller}@") == 1


async def test_a_request_left_while_closed_is_due_at_the_opening_and_not_dialled_at_night(
    hotline: Hotline,
    cb_engine: Engine,
    long_talking_operators: dict[str, OperatorPhone],
    citizen_phone: Phone,
    call: Call,
) -> None:
    """On a Sunday: the hours, then 1 to leave a request and 1 to confirm the number. It is stored, due
    at Monday's opening (not within 10 minutes), and nobody is dialled now."""
    cb_engine.clock = running_from(CLOSED)
    caller = new_caller()
    after_hours = prompt_seconds(hotline, "closed") + 1.0
    result = await call(
        CitizenCall(caller=caller, keys=(Key("1", after_hours), Key("1", 5.0)), wait_for_end=60)
    )
    assert result.ok, result.errors or result.screen
    [request] = [r for r in await cb_engine.callbacks.list() if r.number == caller]
    assert (request.source.value, request.status) == ("closed", Status.OPEN)
    opening = dt.datetime.fromtimestamp(request.due_at, ZoneInfo("Europe/Moscow"))
    assert (opening.strftime("%a"), opening.hour) == ("Mon", 9)  # 08:00 opening, quiet hours end at 09:00
    await asyncio.sleep(3)  # the dispatcher runs every second: it must leave the request alone
    assert citizen_phone.invites() == 0
    await cb_engine.callbacks.cancel(request.id, "test over")


async def test_a_citizen_who_never_answers_is_retried_on_schedule_then_failed_with_reasons(
    hotline: Hotline,
    cb_engine: Engine,
    long_talking_operators: dict[str, OperatorPhone],
    call: Call,
    request: pytest.FixtureRequest,
) -> None:
    """Three attempts, the backoff minutes skipped with the injectable clock, each reason kept; the
    citizen's phone rang exactly once per attempt."""
    phone = Phone(
        "citizen",
        hotline.workdir / request.node.name / "citizen-phone",
        answers=False,
        local_ip=hotline.settings.carrier_address,
        port=hotline.settings.carrier_port,
    )
    await phone.start()
    cb_engine.dispatcher.ring_seconds = 4
    try:
        caller = await ask_to_be_called_back(call)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 180
        while True:
            [req] = [r for r in await cb_engine.callbacks.list() if r.number == caller]
            if req.status is Status.FAILED:
                break
            assert loop.time() < deadline, req
            if req.status is Status.OPEN and req.next_attempt_at > cb_engine.timestamp():
                # skip the backoff: the clock jumps to the next attempt's time
                cb_engine.clock = running_from(dt.datetime.fromtimestamp(req.next_attempt_at + 1, dt.UTC))
                cb_engine.dispatcher.wake()
            await asyncio.sleep(0.5)
        assert [a.result for a in req.attempts] == [AttemptResult.NO_ANSWER] * 3
        assert all(a.counts for a in req.attempts)
        assert req.failure_reasons() == [f"no_answer ({a.reason})" for a in req.attempts]
        gaps = [b.started_at - a.started_at for a, b in itertools.pairwise(req.attempts)]
        assert gaps[0] >= 2 * 60
        assert gaps[1] >= 5 * 60
        assert phone.invites(rf"INVITE sip:{caller}@") == 3
    finally:
        await phone.stop()


@pytest.mark.parametrize("how", ["presses_the_callback_key", "hangs_up_after_waiting"])
async def test_a_caller_who_waited_in_the_queue_is_called_back_once_an_operator_is_free(
    how: str,
    hotline: Hotline,
    cb_engine: Engine,
    long_talking_operators: dict[str, OperatorPhone],
    citizen_phone: Phone,
    call: Call,
) -> None:
    """Nobody free: the caller waits in the general queue, then either presses 1 (and confirms the
    number) or hangs up after waiting. The request keeps its group; when operators are back, one of
    them is rung first, then the citizen."""
    # nobody staffed makes the wait unknown, which offers the callback before the queue: off, to test the
    # offer made in the queue
    policy = dataclasses.replace(cb_engine.dialplan.callbacks, offer_over_wait=0)
    cb_engine.dialplan = dataclasses.replace(cb_engine.dialplan, callbacks=policy)
    await pause_operators(cb_engine, hotline, paused=True)
    try:
        caller = new_caller()
        if how == "presses_the_callback_key":
            keys = (Key("0", 2.0), Key("1", 8.0), Key("1", 5.0))
            citizen = CitizenCall(caller=caller, keys=keys, wait_for_end=60)
            source = "in_queue"
        else:
            citizen = CitizenCall(caller=caller, keys=(Key("0", 2.0),), hang_up_after=8.0)
            source = "abandoned"
        result = await call(citizen)
        assert result.ok, result.errors or result.screen
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 15
        while not (requests := [r for r in await cb_engine.callbacks.list() if r.number == caller]):
            assert loop.time() < deadline, "no request was registered"
            await asyncio.sleep(0.3)
        [request] = requests
        assert (request.group, request.source.value, request.status) == ("general", source, Status.OPEN)
        assert citizen_phone.invites() == 0  # nobody free, nobody dialled
    finally:
        await pause_operators(cb_engine, hotline, paused=False)
    done = await settled(cb_engine, caller)
    assert done.status is Status.DONE
    assert citizen_phone.invites(rf"INVITE sip:{caller}@") == 1


async def test_citizen_first_rings_the_citizen_then_connects_the_reserved_operator(
    hotline: Hotline,
    cb_engine: Engine,
    long_talking_operators: dict[str, OperatorPhone],
    citizen_phone: Phone,
    call: Call,
) -> None:
    """With the group set to citizen first, the citizen's phone rings first (showing the hotline's
    number), hears that they are being connected, and the operator reserved for them answers."""
    general = dataclasses.replace(hotline.dialplan.skill_groups["general"], callback_order="citizen_first")
    cb_engine.dialplan = dataclasses.replace(
        cb_engine.dialplan, skill_groups={**cb_engine.dialplan.skill_groups, "general": general}
    )
    caller = await ask_to_be_called_back(call)
    request = await settled(cb_engine, caller)
    assert request.status is Status.DONE
    [attempt] = request.attempts
    assert attempt.result is AttemptResult.ANSWERED
    assert "at operator" in attempt.reason  # the operator was dialled from the citizen's answered leg
    assert citizen_phone.invites(rf"INVITE sip:{caller}@") == 1
    assert citizen_phone.invites(r"From:.*<sip:565602@") == 1
    assert long_talking_operators[attempt.operator].phone.invites() == 1


async def test_an_open_request_is_cancelled_when_the_citizen_gets_through_on_a_later_call(
    hotline: Hotline,
    cb_engine: Engine,
    operators: dict[str, OperatorPhone],
    call: Call,
) -> None:
    """A request for cold water, left while closed (due at the next opening); the same citizen calls
    again and reaches a water operator: the request is cancelled, nobody will call them back."""
    caller = new_caller()
    cb_engine.clock = running_from(CLOSED)
    registration = await cb_engine.register_callback(caller, "water", Source.CLOSED, caller)
    cb_engine.clock = running_from(OPEN)
    result = await call(CitizenCall(caller=caller, keys=(Key("2", 2.0),)))
    assert result.ok, result.errors or result.screen
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 15
    while (
        request := await cb_engine.callbacks.get(registration.request.id)
    ) is not None and request.status.active:
        assert loop.time() < deadline, request
        await asyncio.sleep(0.3)
    assert request is not None
    assert (request.status, request.cancel_reason) == (Status.CANCELLED, "got_through")


async def test_a_spoofed_caller_id_that_hangs_up_in_the_queue_gets_nobody_called_back(
    hotline: Hotline, cb_engine: Engine, citizen_phone: Phone, call: Call
) -> None:
    """The caller ID shows a stranger's number and the carrier asserts nothing: hanging up after waiting
    registers no unasked callback (the stranger would be called), and says why in the log."""
    policy = dataclasses.replace(cb_engine.dialplan.callbacks, offer_over_wait=0)
    cb_engine.dialplan = dataclasses.replace(cb_engine.dialplan, callbacks=policy)
    await pause_operators(cb_engine, hotline, paused=True)
    stranger = new_caller()
    try:
        with capture_logs() as logs:
            spoofed = CitizenCall(caller=stranger, keys=(Key("0", 2.0),), hang_up_after=8.0, asserted=None)
            result = await call(spoofed)
            assert result.ok, result.errors or result.screen
            await asyncio.sleep(3)  # the abandon event has come and gone
    finally:
        await pause_operators(cb_engine, hotline, paused=False)
    assert [r for r in await cb_engine.callbacks.list() if r.number == stranger] == []
    skipped = [e for e in logs if e["event"] == "callback.source.unverified"]
    assert [e["event_name"] for e in skipped] == ["QueueCallerAbandon"]
    assert citizen_phone.invites(rf"INVITE sip:{stranger}@") == 0


async def test_a_spoofed_caller_id_getting_through_does_not_cancel_that_numbers_request(
    hotline: Hotline, cb_engine: Engine, operators: dict[str, OperatorPhone], call: Call
) -> None:
    """A citizen's open request for water; someone else calls showing the citizen's number (the carrier
    asserts their own) and reaches a water operator: the citizen's request stays open."""
    citizen, spoofer = new_caller(), new_caller()
    cb_engine.clock = running_from(CLOSED)
    registration = await cb_engine.register_callback(citizen, "water", Source.CLOSED, citizen)
    cb_engine.clock = running_from(OPEN)
    with capture_logs() as logs:
        result = await call(CitizenCall(caller=citizen, keys=(Key("2", 2.0),), asserted=spoofer))
        assert result.ok, result.errors or result.screen
        await asyncio.sleep(2)
    request = await cb_engine.callbacks.get(registration.request.id)
    assert request is not None
    assert request.status is Status.OPEN
    assert "AgentConnect" in [e.get("event_name") for e in logs if e["event"] == "callback.source.unverified"]
    await cb_engine.callbacks.cancel(request.id, "test over")


async def test_a_long_wait_offers_the_callback_before_queue_and_1_registers_it(
    hotline: Hotline, cb_engine: Engine, call: Call
) -> None:
    """Every operator paused: nobody staffs the general group, so its wait is unknown (long). After 0 and
    the transfer prompt the caller hears the offer; 1 takes it, 1 confirms the number read back, and the
    request is stored as before_queue; the engine hangs up after the promise."""
    await pause_operators(cb_engine, hotline, paused=True)
    try:
        caller = new_caller()
        # well into the offer: the wait estimate may take up to its 2 s bound after the transfer prompt
        during_offer = prompt_seconds(hotline, "transfer") + 3.0
        keys = (Key("0", 2.0), Key("1", during_offer), Key("1", 5.0))
        with capture_logs() as logs:
            result = await call(CitizenCall(caller=caller, keys=keys, wait_for_end=60))
        assert result.ok, result.errors or result.screen
        [estimate] = [e for e in logs if e["event"] == "ivr.wait_estimate"]
        assert (estimate["group"], estimate["seconds"], estimate["offer"]) == ("general", None, True)
        [req] = [r for r in await cb_engine.callbacks.list() if r.number == caller]
        assert (req.group, req.source, req.status) == ("general", Source.BEFORE_QUEUE, Status.OPEN)
    finally:
        await pause_operators(cb_engine, hotline, paused=False)
