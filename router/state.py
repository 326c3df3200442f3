"""The live state of the hotline's queues, operators, waiting citizens and calls, mirrored in Redis.

Asterisk is the truth; this is a mirror that the supervisor view and the demo read without touching AMI.
It is fed by app_queue's and the core's AMI events (`apply`) and rebuilt whole from `QueueStatus` and
`CoreShowChannels` after every (re)connect (`resync`), because AMI never replays missed events.

Layout (key names in hotline.constants), every record JSON, never pickle:
    KEY_QUEUES                 set   queue names
    KEY_QUEUE                  hash  summary: strategy, max, completed, abandoned, holdtime, talktime
    KEY_QUEUE_MEMBERS          hash  interface -> QueueMember
    KEY_QUEUE_CALLERS          hash  uniqueid  -> QueuedCaller (position as reported, joined_at)
    KEY_CALLS                  hash  uniqueid  -> LiveCall
    KEY_STATE_META             hash  resynced_at, asterisk_started, counts

Consistency: each event is applied in one MULTI/EXEC, `resync` replaces everything in one MULTI/EXEC, and
readers read in one MULTI/EXEC, so no reader ever sees half an update or half a resync. There must be one
writer (one Router) per Redis namespace: member updates read, merge and write back.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Final, Protocol, TypeVar

from redis.asyncio import Redis
from redis.exceptions import WatchError

from hotline.constants import (
    KEY_CALLS,
    KEY_QUEUE,
    KEY_QUEUE_CALLERS,
    KEY_QUEUE_MEMBERS,
    KEY_QUEUES,
    KEY_STATE_META,
)
from hotline.errors import AmiActionFailed
from hotline.log import get_logger
from router.ami_wire import Message, channel_variable
from router.queue_events import caller_call_id
from router.redis_text import fields, text, text_hash, texts

log = get_logger("router.state")

# app_queue's numeric member status (AST_DEVICE_* in include/asterisk/devicestate.h).
DEVICE_STATES: Final = {
    0: "unknown",
    1: "not_inuse",
    2: "inuse",
    3: "busy",
    4: "invalid",
    5: "unavailable",
    6: "ringing",
    7: "ringinuse",
    8: "onhold",
}
NOT_IN_USE: Final = 1
ON_A_CALL: Final = frozenset({2, 3, 6, 7, 8})  # in use, busy, ringing, ringing while in use, on hold
UNREACHABLE: Final = frozenset({0, 4, 5})  # unknown, invalid, unavailable: no phone to ring there


class AmiActions(Protocol):
    """What `resync` needs from the AMI client (AmiClient satisfies it; tests pass recorded answers)."""

    async def send_action(self, action: Mapping[str, str]) -> Message: ...

    async def send_list_action(self, action: Mapping[str, str]) -> list[Message]: ...


# --- records (JSON in Redis) ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QueueMember:
    """An operator in a queue, as app_queue reports it, plus who they are ringing for or talking to."""

    interface: str  # PJSIP/op-olga: the member's key in its queue
    name: str = ""
    state_interface: str = ""
    membership: str = ""  # static | dynamic | realtime
    penalty: int = 0
    status: int = 0  # AST_DEVICE_* (see DEVICE_STATES)
    paused: bool = False
    paused_reason: str = ""
    in_call: bool = False
    calls_taken: int = 0
    last_call: int = 0  # epoch seconds of the end of the last call, 0 = never
    ringing_for: str = ""  # uniqueid of the citizen offered to this member (AgentCalled)
    talking_to: str = ""  # uniqueid of the citizen connected to this member (AgentConnect)

    @property
    def status_text(self) -> str:
        return DEVICE_STATES.get(self.status, "unknown")

    @property
    def reachable(self) -> bool:
        """Its phone is known and registered (not unknown, invalid or unavailable)."""
        return self.status not in UNREACHABLE

    @property
    def on_a_call(self) -> bool:
        """Its phone is on a call or ringing, by Asterisk's device state or by the queue's own view."""
        return self.status in ON_A_CALL or self.in_call or bool(self.talking_to or self.ringing_for)

    @property
    def idle(self) -> bool:
        """Its phone is free: not in use, no call, nothing ringing (paused or not)."""
        return self.status == NOT_IN_USE and not self.on_a_call


@dataclass(frozen=True, slots=True)
class QueuedCaller:
    """A waiting citizen as stored: the position Asterisk reported and when they joined."""

    uniqueid: str
    channel: str
    caller_id_num: str
    caller_id_name: str
    position: int
    joined_at: float  # epoch seconds
    priority: int = 0  # Asterisk's queue priority (QUEUE_PRIO): higher is served first


@dataclass(frozen=True, slots=True)
class LiveCall:
    """A channel that exists in Asterisk right now."""

    uniqueid: str
    linkedid: str
    channel: str
    state: str  # ChannelStateDesc: Ring, Ringing, Up...
    caller_id_num: str
    caller_id_name: str
    context: str
    exten: str
    started_at: float  # epoch seconds


@dataclass(frozen=True, slots=True)
class WaitingCaller:
    """A waiting citizen as read: the current position (1 = next) and the wait so far."""

    position: int
    uniqueid: str
    channel: str
    caller_id_num: str
    caller_id_name: str
    wait: int  # seconds
    joined_at: float = 0.0  # epoch seconds on the state's clock: the caller's place in line
    priority: int = 0  # Asterisk's queue priority: callers of higher priority are served first


@dataclass(frozen=True, slots=True)
class QueueSnapshot:
    """One queue as the supervisor sees it."""

    name: str
    strategy: str = ""
    completed: int = 0
    abandoned: int = 0
    holdtime: int = 0  # Asterisk's average hold time, seconds
    talktime: int = 0  # Asterisk's average talk time, seconds
    callers: tuple[WaitingCaller, ...] = ()
    members: tuple[QueueMember, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for member, raw in zip(self.members, data["members"], strict=True):
            raw["status_text"] = member.status_text
        return data


@dataclass(frozen=True, slots=True)
class ResyncSummary:
    queues: int
    members: int
    callers: int
    calls: int


Record = TypeVar("Record", QueueMember, QueuedCaller, LiveCall)


def to_json(record: QueueMember | QueuedCaller | LiveCall) -> str:
    return json.dumps(asdict(record), ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def from_json(kind: type[Record], raw: str) -> Record:
    data = json.loads(raw)
    if not isinstance(data, dict):
        raise ValueError(f"{kind.__name__} record is not a JSON object: {raw[:80]!r}")
    return kind(**data)


# --- reading AMI messages --------------------------------------------------------------------------------


def _int(value: str | None) -> int:
    try:
        return int(float(value or 0))
    except ValueError:
        return 0


def _bool(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def _duration(value: str | None) -> int:
    """CoreShowChannel's Duration, "HH:MM:SS", in seconds."""
    parts = (value or "").split(":")
    if len(parts) != 3:
        return 0
    hours, minutes, seconds = (_int(p) for p in parts)
    return hours * 3600 + minutes * 60 + seconds


def _member(event: Message, previous: QueueMember | None) -> QueueMember:
    """A member from QueueStatus's QueueMember (Name, Location) or a QueueMember* event (MemberName...)."""
    in_call = _bool(event.get("InCall"))
    keep = previous or QueueMember(interface="")
    return QueueMember(
        interface=event.get("Interface") or event.get("Location", ""),
        name=event.get("MemberName") or event.get("Name", ""),
        state_interface=event.get("StateInterface", ""),
        membership=event.get("Membership", ""),
        penalty=_int(event.get("Penalty")),
        status=_int(event.get("Status")),
        paused=_bool(event.get("Paused")),
        paused_reason=event.get("PausedReason", ""),
        in_call=in_call,
        calls_taken=_int(event.get("CallsTaken")),
        last_call=_int(event.get("LastCall")),
        ringing_for=keep.ringing_for,
        talking_to=keep.talking_to if in_call else "",
    )


def _caller(event: Message, joined_at: float, priority: int) -> QueuedCaller:
    return QueuedCaller(
        uniqueid=event.get("Uniqueid", ""),
        channel=event.get("Channel", ""),
        caller_id_num=event.get("CallerIDNum", ""),
        caller_id_name=event.get("CallerIDName", ""),
        position=_int(event.get("Position")),
        joined_at=joined_at,
        priority=priority,
    )


def joined_priority(event: Message) -> int:
    """The queue priority of a QueueCallerJoin: its own `Priority` is the dialplan's step, not the
    queue's, so the QUEUE_PRIO channel variable it carries (manager.conf `channelvars`) says it."""
    return _int(channel_variable(event, "QUEUE_PRIO"))


def _call(event: Message, started_at: float) -> LiveCall:
    return LiveCall(
        uniqueid=event.get("Uniqueid", ""),
        linkedid=event.get("Linkedid", ""),
        channel=event.get("Channel", ""),
        state=event.get("ChannelStateDesc", ""),
        caller_id_num=event.get("CallerIDNum", ""),
        caller_id_name=event.get("CallerIDName", ""),
        context=event.get("Context", ""),
        exten=event.get("Exten", ""),
        started_at=started_at,
    )


def _summary(event: Message) -> dict[str, str]:
    return {
        "strategy": event.get("Strategy", ""),
        "max": str(_int(event.get("Max"))),
        "completed": str(_int(event.get("Completed"))),
        "abandoned": str(_int(event.get("Abandoned"))),
        "holdtime": str(_int(event.get("Holdtime"))),
        "talktime": str(_int(event.get("TalkTime"))),
    }


def _summary_key(queue: str) -> str:
    return KEY_QUEUE.format(queue=queue)


def _members_key(queue: str) -> str:
    return KEY_QUEUE_MEMBERS.format(queue=queue)


def _callers_key(queue: str) -> str:
    return KEY_QUEUE_CALLERS.format(queue=queue)


@dataclass
class _Built:
    """A whole state built in memory from QueueStatus and CoreShowChannels, before it replaces Redis."""

    summaries: dict[str, dict[str, str]] = field(default_factory=dict)
    members: dict[str, dict[str, str]] = field(default_factory=dict)  # queue -> interface -> JSON
    callers: dict[str, dict[str, str]] = field(default_factory=dict)  # queue -> uniqueid -> JSON
    calls: dict[str, str] = field(default_factory=dict)  # uniqueid -> JSON

    def counts(self) -> ResyncSummary:
        return ResyncSummary(
            queues=len(self.summaries),
            members=sum(len(m) for m in self.members.values()),
            callers=sum(len(c) for c in self.callers.values()),
            calls=len(self.calls),
        )


def _talking_to(channels: list[Message]) -> dict[str, str]:
    """Member interface -> uniqueid of the channel bridged with it (CoreShowChannel's BridgeId)."""
    bridges: dict[str, list[Message]] = {}
    for channel in channels:
        if channel.get("BridgeId"):
            bridges.setdefault(channel["BridgeId"], []).append(channel)
    pairs: dict[str, str] = {}
    for members in bridges.values():
        if len(members) != 2:
            continue
        for this, other in (members, members[::-1]):
            device = this.get("Channel", "").rsplit("-", 1)[0]  # PJSIP/op-olga-00000006 -> PJSIP/op-olga
            pairs[device] = other.get("Uniqueid", "")
    return pairs


def _build_state(queue_items: Iterable[Message], channels: list[Message], now: float) -> _Built:
    built = _Built()
    talking = _talking_to(channels)
    for item in queue_items:
        queue = item.get("Queue", "")
        if not queue:
            continue
        if item.name == "QueueParams":
            built.summaries[queue] = _summary(item)
        elif item.name == "QueueMember":
            member = _member(item, None)
            if member.in_call and member.interface in talking:
                member = replace(member, talking_to=talking[member.interface])
            built.members.setdefault(queue, {})[member.interface] = to_json(member)
        elif item.name == "QueueEntry":
            caller = _caller(item, now - _int(item.get("Wait")), _int(item.get("Priority")))
            built.callers.setdefault(queue, {})[caller.uniqueid] = to_json(caller)
        built.summaries.setdefault(queue, _summary(Message([])))
    for channel in channels:
        call = _call(channel, now - _duration(channel.get("Duration")))
        built.calls[call.uniqueid] = to_json(call)
    return built


# --- the state -------------------------------------------------------------------------------------------


class LiveState:
    """Reads and writes the mirror. `apply(event)` for live events, `resync(ami)` after a (re)connect."""

    HANDLED_EVENTS: Final = frozenset(
        {
            "QueueCallerJoin",
            "QueueCallerLeave",
            "QueueCallerAbandon",
            "QueueMemberAdded",
            "QueueMemberRemoved",
            "QueueMemberStatus",
            "QueueMemberPause",
            "AgentCalled",
            "AgentConnect",
            "AgentComplete",
            "AgentRingNoAnswer",
            "Newchannel",
            "Newstate",
            "Hangup",
        }
    )

    def __init__(self, redis: Redis, *, clock: Callable[[], float] = time.time) -> None:
        self._redis = redis
        self._clock = clock
        self._handlers: dict[str, Callable[[Message], Awaitable[None]]] = {
            "queuecallerjoin": self._caller_joined,
            "queuecallerleave": self._caller_left,
            "queuecallerabandon": self._caller_abandoned,
            "queuememberadded": self._member_changed,
            "queuememberstatus": self._member_changed,
            "queuememberpause": self._member_changed,
            "queuememberremoved": self._member_removed,
            "agentcalled": self._agent_called,
            "agentringnoanswer": self._agent_ring_no_answer,
            "agentconnect": self._agent_connected,
            "agentcomplete": self._agent_completed,
            "newchannel": self._channel_created,
            "newstate": self._channel_changed,
            "hangup": self._channel_gone,
        }

    # --- writing ---------------------------------------------------------------------------------------

    async def apply(self, event: Message) -> bool:
        """Apply one AMI event; False when it is not one the state follows."""
        handler = self._handlers.get(event.name.lower())
        if handler is None:
            return False
        await handler(event)
        return True

    async def resync(self, ami: AmiActions) -> ResyncSummary:
        """Rebuild everything from Asterisk and replace the old state in one transaction."""
        queue_items = await ami.send_list_action({"Action": "QueueStatus"})
        channels = await ami.send_list_action({"Action": "CoreShowChannels"})
        meta: dict[str, str] = {}
        try:
            core = await ami.send_action({"Action": "CoreStatus"})
            meta["asterisk_started"] = _when(core, "CoreStartup")
            meta["asterisk_reloaded"] = _when(core, "CoreReload")
        except AmiActionFailed as exc:  # CoreStatus needs write=system or reporting; the state works without
            log.warning("state.core_status.refused", error=str(exc))
        now = self._clock()
        built = _build_state(queue_items, channels, now)
        counts = built.counts()
        meta.update(
            resynced_at=f"{now:.3f}",
            queues=str(counts.queues),
            callers=str(counts.callers),
            calls=str(counts.calls),
        )
        await self._replace(built, meta)
        return counts

    async def _replace(self, built: _Built, meta: dict[str, str]) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            while True:
                try:
                    await pipe.watch(KEY_QUEUES)
                    old = texts(await pipe.smembers(KEY_QUEUES))
                    pipe.multi()  # type: ignore[no-untyped-call]  # redis-py leaves Pipeline.multi unannotated
                    names = old | built.summaries.keys()
                    stale = [key for name in names for key in _queue_keys(name)]
                    pipe.delete(KEY_QUEUES, KEY_CALLS, KEY_STATE_META, *stale)
                    for queue, summary in built.summaries.items():
                        pipe.hset(_summary_key(queue), mapping=fields(summary))
                    for queue, members in built.members.items():
                        pipe.hset(_members_key(queue), mapping=fields(members))
                    for queue, callers in built.callers.items():
                        pipe.hset(_callers_key(queue), mapping=fields(callers))
                    if built.summaries:
                        pipe.sadd(KEY_QUEUES, *built.summaries)
                    if built.calls:
                        pipe.hset(KEY_CALLS, mapping=fields(built.calls))
                    pipe.hset(KEY_STATE_META, mapping=fields(meta))
                    await pipe.execute()
                    return
                except WatchError:
                    continue  # a queue appeared meanwhile (another writer?): build the delete list again

    async def _member_record(self, queue: str, interface: str) -> QueueMember | None:
        return _load(QueueMember, await self._redis.hget(_members_key(queue), interface))

    async def _put_member(
        self, queue: str, member: QueueMember, *, extra: Callable[[Any], object] | None = None
    ) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.sadd(KEY_QUEUES, queue)
            pipe.hset(_members_key(queue), member.interface, to_json(member))
            if extra is not None:
                extra(pipe)
            await pipe.execute()

    async def _caller_joined(self, event: Message) -> None:
        queue = event.get("Queue", "")
        caller = _caller(event, self._clock(), joined_priority(event))
        if not queue or not caller.uniqueid:
            return
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.sadd(KEY_QUEUES, queue)
            pipe.hset(_callers_key(queue), caller.uniqueid, to_json(caller))
            await pipe.execute()

    async def _caller_left(self, event: Message) -> None:
        if event.get("Queue") and event.get("Uniqueid"):
            await self._redis.hdel(_callers_key(event["Queue"]), event["Uniqueid"])

    async def _caller_abandoned(self, event: Message) -> None:
        queue = event.get("Queue", "")
        if not queue:
            return
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.sadd(KEY_QUEUES, queue)
            pipe.hdel(_callers_key(queue), event.get("Uniqueid", ""))
            pipe.hincrby(_summary_key(queue), "abandoned", 1)
            await pipe.execute()

    async def _member_changed(self, event: Message) -> None:
        queue, interface = event.get("Queue", ""), event.get("Interface", "")
        if queue and interface:
            await self._put_member(queue, _member(event, await self._member_record(queue, interface)))

    async def _member_removed(self, event: Message) -> None:
        if event.get("Queue") and event.get("Interface"):
            await self._redis.hdel(_members_key(event["Queue"]), event["Interface"])

    async def _agent_event(self, event: Message) -> tuple[str, QueueMember] | None:
        queue, interface = event.get("Queue", ""), event.get("Interface", "")
        if not queue or not interface:
            return None
        member = await self._member_record(queue, interface)
        return queue, member or QueueMember(interface=interface, name=event.get("MemberName", ""))

    async def _agent_called(self, event: Message) -> None:
        found = await self._agent_event(event)
        if found is not None:
            queue, member = found
            await self._put_member(queue, replace(member, ringing_for=event.get("Uniqueid", "")))

    async def _agent_ring_no_answer(self, event: Message) -> None:
        found = await self._agent_event(event)
        if found is not None:
            queue, member = found
            if member.ringing_for in ("", event.get("Uniqueid")):
                await self._put_member(queue, replace(member, ringing_for=""))

    async def _agent_connected(self, event: Message) -> None:
        found = await self._agent_event(event)
        if found is None:
            return
        queue, member = found
        uniqueid = event.get("Uniqueid", "")
        connected = replace(member, ringing_for="", talking_to=uniqueid, in_call=True)
        await self._put_member(queue, connected, extra=lambda pipe: pipe.hdel(_callers_key(queue), uniqueid))

    async def _agent_completed(self, event: Message) -> None:
        found = await self._agent_event(event)
        if found is None:
            return
        queue, member = found
        if member.talking_to in ("", caller_call_id(event)):
            member = replace(member, talking_to="", in_call=False)
        done = member
        count = _summary_key(queue)
        await self._put_member(queue, done, extra=lambda pipe: pipe.hincrby(count, "completed", 1))

    async def _channel_created(self, event: Message) -> None:
        call = _call(event, self._clock())
        if call.uniqueid:
            await self._redis.hset(KEY_CALLS, call.uniqueid, to_json(call))

    async def _channel_changed(self, event: Message) -> None:
        uniqueid = event.get("Uniqueid", "")
        if not uniqueid:
            return
        known = _load(LiveCall, await self._redis.hget(KEY_CALLS, uniqueid))
        call = _call(event, known.started_at if known else self._clock())
        await self._redis.hset(KEY_CALLS, uniqueid, to_json(call))

    async def _channel_gone(self, event: Message) -> None:
        if event.get("Uniqueid"):
            await self._redis.hdel(KEY_CALLS, event["Uniqueid"])

    # --- reading ---------------------------------------------------------------------------------------

    async def queues(self) -> list[QueueSnapshot]:
        """Every queue, sorted by name, read in one transaction."""
        names: list[str] = []
        results: list[Any] = []
        for _ in range(5):  # retry if a queue appeared or vanished between listing and reading
            names = sorted(texts(await self._redis.smembers(KEY_QUEUES)))
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.smembers(KEY_QUEUES)
                for name in names:
                    pipe.hgetall(_summary_key(name))
                    pipe.hgetall(_members_key(name))
                    pipe.hgetall(_callers_key(name))
                results = await pipe.execute()
            if texts(results[0]) == set(names):
                break
        now = self._clock()
        hashes = [text_hash(raw) for raw in results[1:]]
        return [
            _snapshot(name, hashes[3 * i], hashes[3 * i + 1], hashes[3 * i + 2], now)
            for i, name in enumerate(names)
        ]

    async def queue(self, name: str) -> QueueSnapshot | None:
        """One queue, or None when Asterisk does not know it."""
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.sismember(KEY_QUEUES, name)
            pipe.hgetall(_summary_key(name))
            pipe.hgetall(_members_key(name))
            pipe.hgetall(_callers_key(name))
            known, summary, members, callers = await pipe.execute()
        if not known:
            return None
        return _snapshot(name, text_hash(summary), text_hash(members), text_hash(callers), self._clock())

    async def calls(self) -> list[LiveCall]:
        """Every live channel, oldest first."""
        raw = text_hash(await self._redis.hgetall(KEY_CALLS))
        calls = [call for text in raw.values() if (call := _load(LiveCall, text)) is not None]
        return sorted(calls, key=lambda c: (c.started_at, c.uniqueid))

    async def meta(self) -> dict[str, str]:
        """When the state was last rebuilt, when Asterisk started, and the counts then."""
        return text_hash(await self._redis.hgetall(KEY_STATE_META))


def _queue_keys(queue: str) -> tuple[str, str, str]:
    return _summary_key(queue), _members_key(queue), _callers_key(queue)


def _when(core: Message, prefix: str) -> str:
    """CoreStatus's date and time fields ("CoreStartupDate", "CoreStartupTime") as one string."""
    return f"{core.get(prefix + 'Date', '')} {core.get(prefix + 'Time', '')}".strip()


def _load(kind: type[Record], raw: bytes | str | None) -> Record | None:
    if raw is None:
        return None
    try:
        return from_json(kind, text(raw))
    except (ValueError, TypeError) as exc:
        log.error("state.record.unreadable", kind=kind.__name__, error=str(exc))
        return None


def _snapshot(
    name: str, summary: dict[str, str], members: dict[str, str], callers: dict[str, str], now: float
) -> QueueSnapshot:
    stored = [c for text in callers.values() if (c := _load(QueuedCaller, text)) is not None]
    # Asterisk moves everyone behind a leaving caller up one place: the stored positions keep the order.
    stored.sort(key=lambda c: (c.position, c.joined_at, c.uniqueid))
    waiting = tuple(
        WaitingCaller(
            position=index,
            uniqueid=c.uniqueid,
            channel=c.channel,
            caller_id_num=c.caller_id_num,
            caller_id_name=c.caller_id_name,
            wait=max(0, int(now - c.joined_at)),
            joined_at=c.joined_at,
            priority=c.priority,
        )
        for index, c in enumerate(stored, start=1)
    )
    people = sorted(
        (m for text in members.values() if (m := _load(QueueMember, text)) is not None),
        key=lambda m: m.interface,
    )
    return QueueSnapshot(
        name=name,
        strategy=summary.get("strategy", ""),
        completed=_int(summary.get("completed")),
        abandoned=_int(summary.get("abandoned")),
        holdtime=_int(summary.get("holdtime")),
        talktime=_int(summary.get("talktime")),
        callers=waiting,
        members=tuple(people),
    )
