"""The events of a real queue call (captured from Asterisk 22) applied to the live state and the call
journal in a real Redis: what the supervisor and the demo read back."""

from __future__ import annotations

import json
from pathlib import Path

from redis.asyncio import Redis

from ivr.app import CallSummary
from ivr.menu import Outcome, Step
from router.ami_wire import FrameParser, Message
from router.journal import CallJournal
from router.state import LiveState

CAPTURE = Path(__file__).resolve().parent.parent / "unit" / "ami_transcripts" / "asterisk22_queue_call.json"
CALLER = "1795299709.22"  # the citizen's channel: the call id


def recorded_events() -> list[Message]:
    stream = b"".join(
        e["data"].encode("utf-8") for e in json.loads(CAPTURE.read_text("utf-8")) if e["dir"] == "in"
    )
    _, _, frames = stream.partition(b"\r\n")  # the banner line
    return [m for m in FrameParser().feed(frames) if m.is_event and not m.action_id]


async def test_the_journal_tells_who_answered_after_how_long_and_who_hung_up(redis: Redis) -> None:
    """The IVR's decision, then Asterisk's own account: op101 answered, and hung up first."""
    journal = CallJournal(redis)
    outcome = Outcome(
        "queue", "chosen", (Step("main", "1", "chosen"), Step("heating", "1", "chosen")), group="heating"
    )
    await journal.record_ivr(CallSummary(CALLER, "79161234567", outcome, "ru", started=0.0, ivr_seconds=7.5))
    for event in recorded_events():
        await journal.on_event(event)
    record = await journal.get(CALLER)
    assert record is not None
    assert (record.path, record.group, record.queue) == (
        "main:1:chosen>heating:1:chosen",
        "heating",
        "hotline-heating",
    )
    assert (record.operator, record.ended_by, record.hung_up) == ("op101", "agent", True)
    assert record.wait is not None
    assert record.talk is not None
    assert [r.call_id for r in await journal.find_by_caller("79161234567")] == [CALLER]


CALLER_FIELDS = frozenset(
    {
        "channel",
        "channelstate",
        "channelstatedesc",
        "calleridnum",
        "calleridname",
        "connectedlinenum",
        "connectedlinename",
        "language",
        "accountcode",
        "context",
        "exten",
        "priority",
        "uniqueid",
        "linkedid",
    }
)


def without_callers_leg(event: Message) -> Message:
    """The event as Asterisk sends it when the caller's channel snapshot is already gone."""
    if event.name != "AgentComplete":
        return event
    return Message([(k, v) for k, v in event.headers if k.lower() not in CALLER_FIELDS])


async def test_the_journal_still_tells_who_hung_up_when_asterisk_left_the_callers_leg_out(
    redis: Redis,
) -> None:
    """AgentComplete without the caller's fields (they hung up at the same moment): the operator's
    leg, linked to the call, still names it."""
    journal = CallJournal(redis)
    outcome = Outcome("queue", "chosen", (Step("main", "1", "chosen"),), group="heating")
    await journal.record_ivr(CallSummary(CALLER, "79161234567", outcome, "ru", started=0.0, ivr_seconds=7.5))
    events = [without_callers_leg(e) for e in recorded_events()]
    assert any(e.name == "AgentComplete" and "Uniqueid" not in e for e in events)
    for event in events:
        await journal.on_event(event)
    record = await journal.get(CALLER)
    assert record is not None
    assert (record.operator, record.ended_by, record.hung_up) == ("op101", "agent", True)
    assert record.talk is not None


async def test_the_live_state_follows_the_call_from_waiting_to_talking_to_done(redis: Redis) -> None:
    """While ringing the caller waits; once connected op101 talks to them; after the call nobody waits."""
    state = LiveState(redis)
    events = recorded_events()
    names = [e.name for e in events]
    connect = next(
        i for i, e in enumerate(events) if e.name == "AgentConnect" and e.get("Uniqueid") == CALLER
    )
    ringing = names.index("AgentCalled")

    for event in events[: ringing + 1]:
        await state.apply(event)
    queue = await state.queue("hotline-heating")
    assert queue is not None
    assert [c.caller_id_num for c in queue.callers] == ["79161234567"]

    for event in events[ringing + 1 : connect + 1]:
        await state.apply(event)
    queue = await state.queue("hotline-heating")
    assert queue is not None
    assert queue.callers == ()
    assert {m.name: m.talking_to for m in queue.members}.get("op101") == CALLER

    for event in events[connect + 1 :]:
        await state.apply(event)
    queue = await state.queue("hotline-heating")
    assert queue is not None
    assert queue.callers == ()
    assert all(not m.talking_to and not m.ringing_for for m in queue.members)


async def test_the_live_state_frees_the_operator_when_asterisk_left_the_callers_leg_out(
    redis: Redis,
) -> None:
    """AgentComplete without the caller's fields ends op101's call all the same (the operator's leg,
    linked to the call, names it): they are not shown talking to a citizen who is gone."""
    state = LiveState(redis)
    events = [without_callers_leg(e) for e in recorded_events()]
    complete = next(i for i, e in enumerate(events) if e.name == "AgentComplete")
    for event in events[: complete + 1]:
        await state.apply(event)
    queue = await state.queue("hotline-heating")
    assert queue is not None
    [op101] = [m for m in queue.members if m.name == "op101"]
    assert (op101.talking_to, op101.in_call) == ("", False)
