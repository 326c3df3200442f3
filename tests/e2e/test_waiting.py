"""Waiting callers hear their place and expected wait, through the real Asterisk: the group `gas` has two
operators (op104, op103) on SIPp phones that answer and stay on the line, so the callers after the first
two wait. Each announcement is whispered into the caller's channel by ChanSpy (the AMI event
ChanSpyStart names the caller's channel as the one spied on) and reported by the UserEvent
`HotlineAnnounce` that the play half emits with what it says."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Callable

import pytest
import pytest_asyncio
from conftest import operator_phones
from harness import OPEN, Call, Hotline, cancel_every_open_request, new_caller

from hotline import constants as c
from hotline.clock import running_from
from hotline.dialplan.model import PAUSE_LOGGED_OUT
from hotline.engine import Engine
from hotline.sandbox.sipp import CitizenCall, Key, OperatorPhone, SippResult
from router.ami_wire import Message
from router.estimate import DEFAULT_HANDLE_SECONDS
from router.state import WaitingCaller

pytestmark = pytest.mark.e2e

GROUP = "gas"
QUEUE = c.queue_name(GROUP)
OPERATORS = ("op104", "op103")  # the gas group's operators
EVERY = 8  # seconds between a caller's announcements in these tests
TO_GAS = (Key("4", 2.0),)


@pytest_asyncio.fixture
async def waiting_engine(hotline: Hotline) -> AsyncIterator[Engine]:
    """The engine at an open hour announcing every EVERY s, with the default handling time as the
    estimate's (the group's window emptied; min_samples 0: never poor for lack of history); no callback
    offer before the queue and no request made by a caller who hangs up."""
    d = hotline.dialplan
    dialplan = dataclasses.replace(
        d,
        routing=dataclasses.replace(d.routing, announce_every=EVERY, min_samples=0, max_estimate=900),
        callbacks=dataclasses.replace(d.callbacks, offer_over_wait=0, abandoned_after=0),
    )
    eng = Engine(hotline.settings, dialplan=dialplan, clock=running_from(OPEN), grace=5)
    async with eng:
        await eng.ami.wait_connected(15)
        await cancel_every_open_request(eng.callbacks)
        await eng.redis.delete(c.KEY_HANDLE_TIMES.format(group=GROUP))  # no history: the default handle time
        try:
            yield eng
        finally:
            await log_in_every_operator(eng)
            await cancel_every_open_request(eng.callbacks)


@pytest_asyncio.fixture
async def busy_operators(
    hotline: Hotline, request: pytest.FixtureRequest
) -> AsyncIterator[dict[str, OperatorPhone]]:
    """Every operator on a phone that answers and stays on the line for 120 s."""
    async with operator_phones(hotline, hotline.workdir / request.node.name / "operators", 120.0) as phones:
        yield phones


class Heard:
    """The announcements and ChanSpy starts Asterisk reported, as they arrive."""

    def __init__(self) -> None:
        self.announced: list[Message] = []
        self.ended: list[Message] = []
        self.spied: list[Message] = []

    async def on_event(self, event: Message) -> None:
        if event.name == "UserEvent" and event.get("UserEvent") == c.USER_EVENT_ANNOUNCE:
            self.announced.append(event)
        elif event.name == "UserEvent" and event.get("UserEvent") == c.USER_EVENT_ANNOUNCE_END:
            self.ended.append(event)
        elif event.name == "ChanSpyStart":
            self.spied.append(event)

    async def next_for(
        self,
        caller: WaitingCaller,
        after: int,
        match: Callable[[Message], bool] = lambda e: True,
        limit: float = 60,
    ) -> Message:
        """The first announcement to `caller` after the first `after` ones that `match` accepts."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit
        while True:
            mine = [e for e in self.announced[after:] if e.get("Caller") == caller.uniqueid and match(e)]
            if mine:
                return mine[0]
            assert loop.time() < deadline, f"no such announcement to {caller.caller_id_num}: {self.announced}"
            await asyncio.sleep(0.2)


async def waiting(engine: Engine, number: str, limit: float = 40.0) -> WaitingCaller:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while True:
        snapshot = await engine.state.queue(QUEUE)
        found = [w for w in snapshot.callers if w.caller_id_num == number] if snapshot else []
        if found:
            return found[0]
        assert loop.time() < deadline, f"{number} never waited in {QUEUE}"
        await asyncio.sleep(0.2)


async def until_talking(engine: Engine, operators: tuple[str, ...], limit: float = 60.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while True:
        snapshot = await engine.state.queue(QUEUE)
        talking = {m.name for m in snapshot.members if m.talking_to} if snapshot else set()
        if talking >= set(operators):
            return
        assert loop.time() < deadline, f"{operators} are not all on a call: {talking}"
        await asyncio.sleep(0.2)


async def set_logged_in(engine: Engine, operator: str, logged_in: bool) -> None:
    """Log the operator out of (or back into) the gas queue as the presence engine does: a pause of
    that member in that queue with the reason "logged-out"."""
    await engine.ami.send_action(
        {
            "Action": "QueuePause",
            "Queue": QUEUE,
            "Interface": f"PJSIP/{operator}",
            "Paused": "false" if logged_in else "true",
            "Reason": PAUSE_LOGGED_OUT,
        }
    )


async def log_in_every_operator(engine: Engine) -> None:
    for op in OPERATORS:
        await set_logged_in(engine, op, True)


def minutes(seconds: float) -> str:
    return str(max(1, -(-int(seconds) // 60)))


async def test_waiting_callers_hear_their_place_and_an_estimate_that_follows_the_staffing(
    waiting_engine: Engine, busy_operators: dict[str, OperatorPhone], call: Call
) -> None:
    """Both gas operators talk; B then C wait. Each hears their place (1, 2) and the wait of one or
    two handling times shared by two operators, whispered into their own channel. When op103 logs
    out, the next estimates are those of one operator; when op104 logs out too, nobody staffs the
    group and they hear the callback offer instead; when op103 logs back in, estimates come back."""
    heard = Heard()
    waiting_engine.ami.on_event(["UserEvent", "ChanSpyStart"], heard.on_event)
    talkers = [new_caller(), new_caller()]
    b, c_ = new_caller(), new_caller()
    calls: list[asyncio.Task[SippResult]] = []
    try:
        for number in talkers:
            calls.append(
                asyncio.create_task(call(CitizenCall(caller=number, keys=TO_GAS, hang_up_after=100)))
            )
        await until_talking(waiting_engine, OPERATORS)
        for number in (b, c_):
            calls.append(asyncio.create_task(call(CitizenCall(caller=number, keys=TO_GAS, hang_up_after=90))))
            await waiting(waiting_engine, number)
        caller_b, caller_c = await waiting(waiting_engine, b), await waiting(waiting_engine, c_)
        handle = DEFAULT_HANDLE_SECONDS

        first_b = await heard.next_for(caller_b, 0)
        first_c = await heard.next_for(caller_c, 0)
        assert (first_b["Kind"], first_b["Position"], first_b["Minutes"]) == (
            "estimate",
            "1",
            minutes(handle / 2),
        )
        assert (first_c["Kind"], first_c["Position"], first_c["Minutes"]) == (
            "estimate",
            "2",
            minutes(2 * handle / 2),
        )
        spied = {e["SpyeeChannel"] for e in heard.spied}
        assert {caller_b.channel, caller_c.channel} <= spied  # whispered into each caller's own channel

        await set_logged_in(waiting_engine, "op103", False)
        mark = len(heard.announced)
        one = await heard.next_for(caller_c, mark, lambda e: e["Minutes"] != first_c["Minutes"])
        assert (one["Kind"], one["Position"], one["Minutes"]) == ("estimate", "2", minutes(2 * handle))

        await set_logged_in(waiting_engine, "op104", False)
        mark = len(heard.announced)
        offer = await heard.next_for(caller_b, mark, lambda e: e["Kind"] != "estimate")
        sla = waiting_engine.dialplan.callback_sla_minutes(GROUP)
        assert (offer["Kind"], offer["Position"], offer["Minutes"]) == ("callback", "1", str(sla))

        await set_logged_in(waiting_engine, "op103", True)
        mark = len(heard.announced)
        back = await heard.next_for(caller_b, mark, lambda e: e["Kind"] == "estimate")
        assert (back["Position"], back["Minutes"]) == ("1", minutes(handle))
    finally:
        await log_in_every_operator(waiting_engine)
        for task in calls:
            task.cancel()
        await asyncio.gather(*calls, return_exceptions=True)


async def test_an_announcement_stops_when_an_operator_answers_the_caller(
    waiting_engine: Engine, busy_operators: dict[str, OperatorPhone], call: Call
) -> None:
    """B waits while op104 talks (op103 logged out). As soon as B's announcement starts, op103 logs
    back in and answers B: the engine hangs the announcement up, so it never plays to its end over the
    conversation (no HotlineAnnounceEnd for B after the operator took them)."""
    heard = Heard()
    waiting_engine.ami.on_event(["UserEvent", "ChanSpyStart"], heard.on_event)
    first, b = new_caller(), new_caller()
    await set_logged_in(waiting_engine, "op103", False)  # one operator: B waits for op104
    calls = [asyncio.create_task(call(CitizenCall(caller=first, keys=TO_GAS, hang_up_after=90)))]
    try:
        await until_talking(waiting_engine, ("op104",))
        calls.append(asyncio.create_task(call(CitizenCall(caller=b, keys=TO_GAS, hang_up_after=60))))
        caller_b = await waiting(waiting_engine, b)
        await heard.next_for(caller_b, 0)
        await set_logged_in(waiting_engine, "op103", True)  # rung for B at once, and answers
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 60
        while True:
            snapshot = await waiting_engine.state.queue(QUEUE)
            assert snapshot is not None
            if any(m.talking_to == caller_b.uniqueid for m in snapshot.members):
                break
            assert loop.time() < deadline, "op103 never took B"
            await asyncio.sleep(0.2)
        while True:  # wait until the announcement's channels are gone, whichever way they ended
            channels = await waiting_engine.ami.send_list_action({"Action": "CoreShowChannels"})
            if not [ch for ch in channels if ch.get("Channel", "").startswith(f"Local/{caller_b.uniqueid}@")]:
                break
            assert loop.time() < deadline, "the announcement's channels never ended"
            await asyncio.sleep(0.2)
        assert [e for e in heard.ended if e.get("Caller") == caller_b.uniqueid] == []
    finally:
        await log_in_every_operator(waiting_engine)
        for task in calls:
            task.cancel()
        await asyncio.gather(*calls, return_exceptions=True)
