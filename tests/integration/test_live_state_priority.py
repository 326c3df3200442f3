"""A waiting caller's queue priority in the live state: from the QUEUE_PRIO channel variable that
QueueCallerJoin carries (its own `Priority` header is the dialplan's step), so that the callback
dispatcher's fairness knows who stands before a callback."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis

from router.ami_wire import Message
from router.state import LiveState, QueuedCaller, _build_state, from_json

pytestmark = pytest.mark.redis

T0 = 1763761300.0


def joined(n: int, *chan_vars: str) -> Message:
    headers = [
        ("Event", "QueueCallerJoin"),
        ("Channel", f"PJSIP/carrier-0000000{n}"),
        ("CallerIDNum", f"7916123456{n}"),
        ("CallerIDName", "<unknown>"),
        ("Context", "hotline-queues"),
        ("Exten", "heating"),
        ("Priority", "9"),  # the dialplan's step: never the queue priority
        ("Uniqueid", f"1763761234.{n}"),
        *(("ChanVariable", v) for v in chan_vars),
        ("Queue", "hotline-heating"),
        ("Position", str(n)),
        ("Count", str(n)),
    ]
    return Message(headers)


async def test_a_joining_callers_priority_comes_from_its_queue_prio_variable(redis: Redis) -> None:
    state = LiveState(redis, clock=lambda: T0)
    await state.apply(joined(1, "QUEUE_PRIO=2", "OTHER=5"))
    await state.apply(joined(2))  # manager.conf without channelvars: unknown, so ordinary (0)
    snapshot = await state.queue("hotline-heating")
    assert snapshot is not None
    assert [(w.caller_id_num, w.priority) for w in snapshot.callers] == [
        ("79161234561", 2),
        ("79161234562", 0),
    ]


def test_a_resync_reads_each_waiting_callers_priority_from_queue_status() -> None:
    """QueueEntry (QueueStatus's list after a reconnect) has the queue priority in `Priority`."""
    entry = Message(
        [
            ("Event", "QueueEntry"),
            ("Queue", "hotline-heating"),
            ("Position", "1"),
            ("Channel", "PJSIP/carrier-00000016"),
            ("Uniqueid", "1795299709.22"),
            ("CallerIDNum", "79161234567"),
            ("Wait", "12"),
            ("Priority", "3"),
        ]
    )
    built = _build_state([entry], [], T0)
    caller = from_json(QueuedCaller, built.callers["hotline-heating"]["1795299709.22"])
    assert (caller.priority, caller.joined_at) == (3, T0 - 12)
