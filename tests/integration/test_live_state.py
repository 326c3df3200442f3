"""LiveState and Router against a real Redis, fed AMI event sequences shaped like Asterisk 22's."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Mapping

import pytest
from fake_ami import CORE_SHOW_CHANNELS, CORE_STATUS, QUEUE_STATUS, WAIT, FakeAmi, FakeSession, wire
from fake_ami import Action as FakeAction
from redis.asyncio import Redis

from hotline.constants import KEY_QUEUE_MEMBERS
from router.ami import AmiClient
from router.ami_wire import FrameParser, Message
from router.service import Router
from router.state import LiveState, QueueMember, QueueSnapshot, from_json, to_json

pytestmark = pytest.mark.redis

T0 = 1763761300.0  # 2025-11-21 21:41:40 UTC


class Clock:
    """A settable wall clock, so waits are exact."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


def frames(transcript: str, **values: str) -> list[Message]:
    """Parse a transcript with the client's own parser."""
    return FrameParser().feed(wire(transcript.format(**values)).encode())


async def feed(state: LiveState, transcript: str, **values: str) -> None:
    for event in frames(transcript, **values):
        await state.apply(event)


async def eventually(predicate: Callable[[], Awaitable[bool]]) -> None:
    """Wait until `await predicate()` holds (a guard against a hung test, not a speed bound)."""
    async with asyncio.timeout(WAIT):
        while not await predicate():  # noqa: ASYNC110 - polls Redis, written by other tasks
            await asyncio.sleep(0.01)


MEMBER_ADDED = """
Event: QueueMemberAdded
Privilege: agent,all
Queue: hotline-heating
MemberName: Ольга Петрова
Interface: PJSIP/op-olga
StateInterface: PJSIP/op-olga
Membership: dynamic
Penalty: 0
CallsTaken: 0
LastCall: 0
LastPause: 0
LoginTime: 1763761000
InCall: 0
Status: 1
Paused: 0
PausedReason:
Ringinuse: 0
Wrapuptime: 0
"""

CALLER_JOINS = """
Event: QueueCallerJoin
Privilege: agent,all
Channel: PJSIP/carrier-0000000{n}
ChannelState: 6
ChannelStateDesc: Up
CallerIDNum: 7916123456{n}
CallerIDName: {name}
ConnectedLineNum: <unknown>
ConnectedLineName: <unknown>
Language: ru
AccountCode:
Context: hotline-after-ivr
Exten: s
Priority: 4
Uniqueid: 1763761234.{n}
Linkedid: 1763761234.{n}
Queue: hotline-heating
Position: {position}
Count: {position}
"""

CALLER_LEAVES = """
Event: QueueCallerLeave
Privilege: agent,all
Channel: PJSIP/carrier-0000000{n}
ChannelState: 6
ChannelStateDesc: Up
CallerIDNum: 7916123456{n}
CallerIDName: {name}
Uniqueid: 1763761234.{n}
Linkedid: 1763761234.{n}
Queue: hotline-heating
Position: {position}
Count: {count}
"""

_AGENT_HEAD = """
Privilege: agent,all
Channel: PJSIP/carrier-00000001
ChannelState: 6
ChannelStateDesc: Up
CallerIDNum: 79161234561
CallerIDName: Иван
Uniqueid: 1763761234.1
Linkedid: 1763761234.1
DestChannel: PJSIP/op-olga-00000002
DestChannelState: 5
DestChannelStateDesc: Ringing
DestCallerIDNum: 1001
DestCallerIDName: Ольга Петрова
DestUniqueid: 1763761240.2
DestLinkedid: 1763761234.1
Queue: hotline-heating
MemberName: Ольга Петрова
Interface: PJSIP/op-olga"""

AGENT_CALLED = "Event: AgentCalled" + _AGENT_HEAD
AGENT_CONNECT = "Event: AgentConnect" + _AGENT_HEAD + "\nRingTime: 4\nHoldTime: 30"
AGENT_COMPLETE = "Event: AgentComplete" + _AGENT_HEAD + "\nHoldTime: 30\nTalkTime: 95\nReason: agent"

MEMBER_STATUS = """
Event: QueueMemberStatus
Privilege: agent,all
Queue: hotline-heating
MemberName: Ольга Петрова
Interface: PJSIP/op-olga
StateInterface: PJSIP/op-olga
Membership: dynamic
Penalty: 0
CallsTaken: {taken}
LastCall: {last_call}
LastPause: 0
LoginTime: 1763761000
InCall: {in_call}
Status: {status}
Paused: 0
PausedReason:
Ringinuse: 0
Wrapuptime: 0
"""

CALLER_ABANDONS = """
Event: QueueCallerAbandon
Privilege: agent,all
Channel: PJSIP/carrier-00000001
ChannelState: 6
ChannelStateDesc: Up
CallerIDNum: 79161234561
CallerIDName: Иван
Uniqueid: 1763761234.1
Linkedid: 1763761234.1
Queue: hotline-heating
Position: 1
OriginalPosition: 1
HoldTime: 75
"""

MEMBER_PAUSED = """
Event: QueueMemberPause
Privilege: agent,all
Queue: hotline-heating
MemberName: Ольга Петрова
Interface: PJSIP/op-olga
StateInterface: PJSIP/op-olga
Membership: dynamic
Penalty: 0
CallsTaken: 0
LastCall: 0
LastPause: 1763761290
LoginTime: 1763761000
InCall: 0
Status: 1
Paused: 1
PausedReason: обед
Ringinuse: 0
Wrapuptime: 0
"""

CHANNEL = """
Event: {event}
Privilege: call,all
Channel: PJSIP/carrier-00000001
ChannelState: {code}
ChannelStateDesc: {desc}
CallerIDNum: 79161234561
CallerIDName: Иван
ConnectedLineNum: <unknown>
ConnectedLineName: <unknown>
Language: ru
AccountCode:
Context: hotline-inbound
Exten: 565602
Priority: 1
Uniqueid: 1763761234.1
Linkedid: 1763761234.1
"""

HANGUP = CHANNEL + "Cause: 16\nCause-txt: Normal Clearing\n"


QUEUE_STATUS_AFTER_RELOAD = """
Response: Success
ActionID: {action_id}
EventList: start
Message: Queue status will follow

Event: QueueParams
Queue: hotline-general
Max: 0
Strategy: ringall
Calls: 0
Holdtime: 0
TalkTime: 0
Completed: 0
Abandoned: 0
ServiceLevel: 60
ServicelevelPerf: 0.0
ServicelevelPerf2: 0.0
Weight: 0
ActionID: {action_id}

Event: QueueStatusComplete
ActionID: {action_id}
EventList: Complete
ListItems: 1
"""


class RecordedAmi:
    """Answers resync's actions with the recorded transcripts, without a socket."""

    def __init__(self, queue_status: str = QUEUE_STATUS) -> None:
        self.queue_status = queue_status

    async def send_action(self, action: Mapping[str, str]) -> Message:
        return frames(CORE_STATUS, action_id="r-3")[0]

    async def send_list_action(self, action: Mapping[str, str]) -> list[Message]:
        transcript = self.queue_status if action["Action"] == "QueueStatus" else CORE_SHOW_CHANNELS
        return frames(transcript, action_id="r-1")[1:-1]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def state(redis: Redis, clock: Clock) -> LiveState:
    return LiveState(redis, clock=clock)


async def heating(state: LiveState) -> QueueSnapshot:
    snapshot = await state.queue("hotline-heating")
    assert snapshot is not None
    return snapshot


# --- events ------------------------------------------------------------------------------------------------


async def test_an_answered_citizen_goes_from_waiting_to_talking_to_counted(
    state: LiveState, clock: Clock
) -> None:
    """Join, ring, connect, complete: waiting with their wait, then with the operator, then one call taken."""
    await feed(state, MEMBER_ADDED)
    await feed(state, CALLER_JOINS, n="1", name="Иван", position="1")
    clock.now += 30
    snapshot = await heating(state)
    assert [(c.position, c.uniqueid, c.caller_id_name, c.wait) for c in snapshot.callers] == [
        (1, "1763761234.1", "Иван", 30)
    ]
    assert snapshot.members[0].status_text == "not_inuse"

    await feed(state, AGENT_CALLED)
    assert (await heating(state)).members[0].ringing_for == "1763761234.1"

    await feed(state, CALLER_LEAVES, n="1", name="Иван", position="1", count="0")
    await feed(state, AGENT_CONNECT)
    await feed(state, MEMBER_STATUS, taken="0", last_call="0", in_call="1", status="2")
    snapshot = await heating(state)
    assert snapshot.callers == ()
    olga = snapshot.members[0]
    assert (olga.ringing_for, olga.talking_to, olga.in_call, olga.status_text) == (
        "",
        "1763761234.1",
        True,
        "inuse",
    )

    await feed(state, AGENT_COMPLETE)
    await feed(state, MEMBER_STATUS, taken="1", last_call="1763761425", in_call="0", status="1")
    snapshot = await heating(state)
    olga = snapshot.members[0]
    assert (snapshot.completed, snapshot.abandoned) == (1, 0)
    assert (olga.talking_to, olga.in_call, olga.calls_taken, olga.last_call) == ("", False, 1, 1763761425)


async def test_a_citizen_who_hangs_up_while_waiting_is_counted_as_abandoned(state: LiveState) -> None:
    """QueueCallerAbandon (then Leave) removes the caller and counts one abandoned call."""
    await feed(state, CALLER_JOINS, n="1", name="Иван", position="1")
    await feed(state, CALLER_ABANDONS)
    await feed(state, CALLER_LEAVES, n="1", name="Иван", position="1", count="0")
    snapshot = await heating(state)
    assert snapshot.callers == ()
    assert (snapshot.completed, snapshot.abandoned) == (0, 1)


async def test_positions_move_up_when_a_citizen_ahead_leaves(state: LiveState) -> None:
    """With the first of three gone and a fourth joined, positions read 1, 2, 3 in queue order."""
    for n, name in ((1, "Иван"), (2, "Мария"), (3, "Пётр")):
        await feed(state, CALLER_JOINS, n=str(n), name=name, position=str(n))
    await feed(state, CALLER_LEAVES, n="1", name="Иван", position="1", count="2")
    await feed(state, CALLER_JOINS, n="4", name="Анна", position="3")
    snapshot = await heating(state)
    assert [(c.position, c.caller_id_name) for c in snapshot.callers] == [
        (1, "Мария"),
        (2, "Пётр"),
        (3, "Анна"),
    ]


async def test_a_paused_operator_shows_paused_with_the_reason(state: LiveState) -> None:
    """QueueMemberPause carries the pause and its reason."""
    await feed(state, MEMBER_ADDED)
    await feed(state, MEMBER_PAUSED)
    olga = (await heating(state)).members[0]
    assert (olga.paused, olga.paused_reason, olga.name) == (True, "обед", "Ольга Петрова")


async def test_a_removed_operator_disappears_from_the_queue(state: LiveState) -> None:
    """QueueMemberRemoved deletes the member."""
    await feed(state, MEMBER_ADDED)
    await feed(state, MEMBER_ADDED.replace("QueueMemberAdded", "QueueMemberRemoved"))
    assert (await heating(state)).members == ()


async def test_live_calls_follow_newchannel_newstate_and_hangup(state: LiveState, clock: Clock) -> None:
    """A channel appears on Newchannel, changes state on Newstate and goes on Hangup."""
    await feed(state, CHANNEL, event="Newchannel", code="4", desc="Ring")
    clock.now += 5
    await feed(state, CHANNEL, event="Newstate", code="6", desc="Up")
    calls = await state.calls()
    assert [(c.uniqueid, c.state, c.started_at, c.exten) for c in calls] == [
        ("1763761234.1", "Up", T0, "565602")
    ]
    await feed(state, HANGUP, event="Hangup", code="6", desc="Up")
    assert await state.calls() == []


async def test_events_the_state_does_not_follow_are_ignored(state: LiveState) -> None:
    """apply() says False for other events and writes nothing."""
    assert not await state.apply(frames("Event: VarSet\nVariable: HOTLINE_LANG\nValue: ru")[0])
    assert await state.queues() == []


# --- resync ------------------------------------------------------------------------------------------------


async def test_resync_replaces_stale_state_with_asterisks_snapshot(state: LiveState, redis: Redis) -> None:
    """Stale queues, callers and calls vanish; the snapshot's queues, members, callers and calls appear."""
    await feed(
        state, CALLER_JOINS.replace("hotline-heating", "hotline-old"), n="9", name="Призрак", position="1"
    )
    await feed(state, CHANNEL, event="Newchannel", code="6", desc="Up")
    counts = await state.resync(RecordedAmi())

    assert (counts.queues, counts.members, counts.callers, counts.calls) == (2, 2, 1, 3)
    assert [q.name for q in await state.queues()] == ["hotline-general", "hotline-heating"]
    snapshot = await heating(state)
    assert (snapshot.strategy, snapshot.completed, snapshot.abandoned, snapshot.holdtime) == (
        "rrmemory",
        7,
        2,
        12,
    )
    assert [(c.position, c.uniqueid, c.wait) for c in snapshot.callers] == [(1, "1763761234.21", 42)]
    ivan, olga = snapshot.members
    assert (olga.name, olga.in_call, olga.talking_to) == ("Ольга Петрова", True, "1763761100.15")
    assert (ivan.paused, ivan.paused_reason, ivan.calls_taken) == (True, "обед", 3)
    calls = await state.calls()
    assert [c.uniqueid for c in calls] == ["1763761100.15", "1763761101.16", "1763761234.21"]
    assert calls[0].started_at == T0 - 134
    meta = await state.meta()
    assert meta["asterisk_started"] == "2025-11-21 21:50:03"
    assert float(meta["resynced_at"]) == T0
    assert await state.queue("hotline-old") is None
    assert not await redis.exists("hotline:queue:hotline-old:callers")


async def test_readers_never_see_half_a_resync(state: LiveState) -> None:
    """While many stale queues are replaced, every concurrent read shows all-old or all-new queues."""
    old = {f"hotline-old-{n:02d}" for n in range(40)}
    for name in sorted(old):
        await feed(state, CALLER_JOINS.replace("hotline-heating", name), n="1", name="Иван", position="1")
    new = {"hotline-general", "hotline-heating"}
    seen: list[frozenset[str]] = []
    done = asyncio.Event()

    async def read_until_done() -> None:
        while not done.is_set():
            seen.append(frozenset(q.name for q in await state.queues()))
            await asyncio.sleep(0)

    reader = asyncio.create_task(read_until_done())
    await asyncio.sleep(0)
    await state.resync(RecordedAmi())
    done.set()
    await reader
    seen.append(frozenset(q.name for q in await state.queues()))
    assert seen[-1] == new
    assert set(seen) <= {frozenset(old), frozenset(new)}


async def test_records_round_trip_through_json_in_redis(state: LiveState, redis: Redis) -> None:
    """Members are stored as plain JSON (never pickle) and read back equal."""
    await feed(state, MEMBER_PAUSED)
    raw = await redis.hget(KEY_QUEUE_MEMBERS.format(queue="hotline-heating"), "PJSIP/op-olga")
    assert isinstance(raw, str)
    stored = json.loads(raw)
    assert (stored["name"], stored["paused_reason"], stored["paused"]) == ("Ольга Петрова", "обед", True)
    member = from_json(QueueMember, raw)
    assert from_json(QueueMember, to_json(member)) == member == (await heating(state)).members[0]
    assert (
        json.loads(json.dumps((await heating(state)).to_dict()))["members"][0]["status_text"] == "not_inuse"
    )


# --- the Router --------------------------------------------------------------------------------------------


async def test_the_router_rebuilds_the_state_after_every_reconnect(state: LiveState) -> None:
    """Snapshot at login, live events on top, and after the link drops a new snapshot replaces it all."""
    async with FakeAmi() as fake:
        ami = AmiClient(
            username=fake.username,
            secret=fake.secret,
            port=fake.port,
            action_timeout=1.0,
            ping_interval=60.0,
            reconnect_delay=(0.02, 0.1),
        )
        router = Router(ami, state, resync_retry_delay=0.05)
        await router.start()  # starts the client: its first login resyncs
        try:
            await eventually(lambda: _callers(state, ["1763761234.21"]))
            await fake.broadcast(CALLER_JOINS, n="3", name="Пётр", position="2")
            await eventually(lambda: _callers(state, ["1763761234.21", "1763761234.3"]))

            async def only_general(session: FakeSession, action: FakeAction) -> None:
                await session.send(QUEUE_STATUS_AFTER_RELOAD, action_id=action.action_id)

            fake.on("QueueStatus", only_general)
            fake.drop_all()
            await fake.wait_logins(2)
            await eventually(lambda: _names(state, ["hotline-general"]))
        finally:
            await router.close()
        assert not ami.started


async def test_the_router_skips_events_read_before_its_snapshot(state: LiveState) -> None:
    """An event read before the snapshot was requested is not replayed over it; a later one is applied."""
    async with FakeAmi() as fake:
        ami = AmiClient(username=fake.username, secret=fake.secret, port=fake.port, ping_interval=60.0)
        router = Router(ami, state)
        await ami.start()
        try:
            await router.start()  # the client is already connected: start() resyncs at once
            loop = asyncio.get_running_loop()
            old, new = frames(CALLER_JOINS, n="5", name="Старое", position="2") + frames(
                CALLER_JOINS, n="6", name="Новое", position="2"
            )
            await router._on_event(Message(old.headers, received_at=loop.time() - 3600))
            await router._on_event(Message(new.headers, received_at=loop.time()))
            assert await _callers(state, ["1763761234.21", "1763761234.6"])
        finally:
            await router.close()
            await ami.close()


async def _callers(state: LiveState, expected: list[str]) -> bool:
    snapshot = await state.queue("hotline-heating")
    return snapshot is not None and [c.uniqueid for c in snapshot.callers] == expected


async def _names(state: LiveState, expected: list[str]) -> bool:
    return [q.name for q in await state.queues()] == expected
