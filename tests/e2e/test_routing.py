"""Skill routing on the real sandbox: widening by level, the operator's whisper, the repeat priority.

The admins' dialplan widens `management` (op105 at level 1, op106 at level 3) after `widen_after`
seconds. With op105 busy on a call from a colleague, a citizen who chose management rings op106 only
once that step has passed, and then does ring them. op106 hears the whisper on their own channel before
the citizen's channel enters the bridge; the citizen's channel never runs it. A second call from the same
number to the same group the same day waits with the repeat priority. Observed from the engine's own AMI
link (QueueCallerJoin, AgentCalled, BridgeEnter, the whisper's UserEvent, QueueStatus) and the phones.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from conftest import operator_phones
from harness import Call, Hotline, new_caller

from hotline import constants as c
from hotline.engine import Engine
from hotline.sandbox.sipp import CitizenCall, Key, OperatorDial, place_operator_dial
from router.ami_wire import Message

GROUP = "management"
QUEUE = c.queue_name(GROUP)
BEST, LOWER, COLLEAGUE = "op105", "op106", "op101"  # level 1 and 3 of management; op101 has no management
MENU_KEY = "5"  # main menu: management


class Events:
    """Every AMI event of interest the engine's link receives while the test runs, in order."""

    NAMES = ("QueueCallerJoin", "AgentCalled", "BridgeEnter", "UserEvent")

    def __init__(self) -> None:
        self.seen: list[Message] = []

    def __call__(self, event: Message) -> None:
        self.seen.append(event)

    def of(self, name: str, **fields: str) -> list[Message]:
        return [e for e in self.seen if e.name == name and all(e.get(k) == v for k, v in fields.items())]

    async def first(self, name: str, limit: float, **fields: str) -> Message:
        """The first such event, waiting up to a generous `limit` for it."""
        for _ in range(int(limit * 10)):
            if found := self.of(name, **fields):
                return found[0]
            await asyncio.sleep(0.1)
        raise AssertionError(f"no {name} {fields} within {limit} s; seen: {[e.name for e in self.seen]}")


@contextlib.asynccontextmanager
async def listening(engine: Engine) -> AsyncIterator[Events]:
    events = Events()
    subscription = engine.ami.on_event(Events.NAMES, events)
    try:
        yield events
    finally:
        subscription.cancel()


async def keep_busy(hotline: Hotline, operator: str, seconds: float) -> None:
    """A colleague calls `operator`'s extension; the call lasts until that phone hangs up."""
    ext = hotline.dialplan.operators[operator].extension
    dial = OperatorDial(COLLEAGUE, hotline.secrets.operators[COLLEAGUE], ext, wait_for_end=seconds + 60)
    await place_operator_dial(
        dial,
        asterisk=hotline.settings.host,
        port=hotline.settings.sip_port,
        workdir=hotline.workdir / f"busy-{operator}-{new_caller()}",
    )


def ts(event: Message) -> float:
    return float(event["Timestamp"])


async def test_a_lower_level_rings_only_after_the_step_and_hears_the_whisper_before_the_bridge(
    hotline: Hotline, engine: Engine, call: Call
) -> None:
    """op105 busy: op106 (level 3) is first rung at or after the step, and is rung; on answering, the
    whisper runs on op106's channel and ends before the citizen's channel enters the bridge; the
    citizen's channel never runs it; op106's phone saw the citizen's number."""
    [step] = hotline.dialplan.skill_groups[GROUP].widen_after  # one step: after it, every level
    caller = new_caller()
    workdir = hotline.workdir / "widening" / "operators"
    async with operator_phones(hotline, workdir, talk=step + 60.0) as phones, listening(engine) as events:
        busy = asyncio.create_task(keep_busy(hotline, BEST, step + 60.0))
        colleague = hotline.dialplan.operators[COLLEAGUE].extension
        await events.first("BridgeEnter", 30, CallerIDNum=colleague)  # op105 is on a call now
        # pressed twice: a key sent before the greeting starts is lost; in the queue it means nothing
        keys = (Key(MENU_KEY, after=3.0), Key(MENU_KEY, after=3.0))
        citizen = CitizenCall(caller, keys=keys, wait_for_end=step + 150.0)
        result = await call(citizen)
        busy.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await busy
    assert result.ok, result.errors
    joined = await events.first("QueueCallerJoin", 1, Queue=QUEUE, CallerIDNum=caller)
    rung = events.of("AgentCalled", Queue=QUEUE, CallerIDNum=caller)
    assert [e["MemberName"] for e in rung if e["MemberName"] == BEST] == [], "op105 was busy"
    lower = [e for e in rung if e["MemberName"] == LOWER]
    assert lower, "the lower level was never rung"
    assert ts(lower[0]) - ts(joined) >= step, "the lower level rang before the step"
    channel = joined["Channel"]
    whisper = events.of("UserEvent", UserEvent=c.USER_EVENT_WHISPER)
    on_operator = [e for e in whisper if e["Channel"].startswith(f"PJSIP/{LOWER}-")]
    assert [e["Stage"] for e in on_operator] == ["start", "end"]
    assert not [e for e in whisper if e["Channel"] == channel], "the caller's channel ran the whisper"
    bridged = events.of("BridgeEnter", Channel=channel)
    assert bridged, "the citizen was never bridged"
    assert ts(on_operator[-1]) <= ts(bridged[0])
    assert caller in phones[LOWER].phone.callers()  # the display shows the citizen's number


async def waiting_priority(engine: Engine, caller: str, earlier: set[str], limit: float = 60.0) -> str:
    """The queue priority Asterisk gives a call of `caller` while it waits in the group's queue
    (QueueStatus); a call whose uniqueid is in `earlier` is not this one (it may still be listed for a
    moment after its phone hung up). Adds this call's uniqueid to `earlier`."""
    for _ in range(int(limit * 2)):
        listed = await engine.ami.send_list_action({"Action": "QueueStatus", "Queue": QUEUE}, timeout=10)
        for item in listed:
            if (
                item.name == "QueueEntry"
                and item.get("CallerIDNum") == caller
                and item.get("Uniqueid") not in earlier
            ):
                earlier.add(item.get("Uniqueid", ""))
                return item["Priority"]
        await asyncio.sleep(0.5)
    raise AssertionError(f"{caller} never waited in {QUEUE}")


async def test_a_second_call_from_the_same_number_to_the_same_group_waits_with_the_repeat_priority(
    hotline: Hotline, engine: Engine, call: Call
) -> None:
    """The first call of the day waits with priority 0; the same number choosing the same group again
    waits with routing.repeat_priority (QUEUE_PRIO, as QueueStatus reports it)."""
    repeat = hotline.dialplan.routing.repeat_priority
    assert repeat > 0, "the admins' dialplan gives repeat callers no priority: nothing to observe"
    caller = new_caller()
    keys = (Key(MENU_KEY, after=3.0), Key(MENU_KEY, after=3.0))
    seen: list[str] = []
    calls: set[str] = set()
    for _ in range(2):
        citizen = CitizenCall(caller, keys=keys, hang_up_after=20.0)
        placed = asyncio.create_task(call(citizen))
        seen.append(await waiting_priority(engine, caller, calls))
        assert (await placed).ok
    assert seen == ["0", str(repeat)]
