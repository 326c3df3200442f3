"""The ring watcher against a real Redis: missed rings counted once each, a reject held, a call resets."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from redis.asyncio import Redis
from small_dialplan import gas_dialplan

from hotline.dialplan.model import PAUSE_MISSED, PAUSE_REJECTED, Dialplan
from router.calls_today import CallsToday
from router.ring_watch import RingEnd, RingWatch

NOW = 1_800_000_000.0


@dataclasses.dataclass
class Pauses:
    """Records the pauses asked of the presence."""

    asked: list[tuple[str, str, float | None]] = dataclasses.field(default_factory=list)

    async def pause(self, operator: str, reason: str, *, until: float | None = None) -> None:
        self.asked.append((operator, reason, until))


_legs = iter(range(10**6))


def no_answer(operator: str, ring_ms: int, *, leg: str | None = None) -> dict[str, str]:
    return {
        "Event": "AgentRingNoAnswer",
        "Uniqueid": "1795299709.22",
        "DestUniqueid": leg or f"1795299717.{next(_legs)}",
        "Queue": "hotline-gas",
        "Interface": f"PJSIP/{operator}",
        "MemberName": operator,
        "RingTime": str(ring_ms),
    }


def connect(operator: str) -> dict[str, str]:
    return {
        "Event": "AgentConnect",
        "Uniqueid": "1795299709.23",
        "DestUniqueid": f"1795299800.{next(_legs)}",
        "Queue": "hotline-gas",
        "Interface": f"PJSIP/{operator}",
        "MemberName": operator,
    }


def watch(redis: Redis, pauses: Pauses, plan: Dialplan) -> RingWatch:
    return RingWatch(redis, pauses, lambda: plan, clock=lambda: NOW)


async def test_operator_is_paused_missed_after_missed_rings_in_a_row(redis: Redis) -> None:
    """Two rings that ran the whole ring_timeout pause the operator "missed", with no end time."""
    pauses = Pauses()
    w = watch(redis, pauses, gas_dialplan(missed_rings=2))
    first = await w.handle(no_answer("op1", 10_002))
    assert first is not None
    assert (first.end, first.paused) == (RingEnd.MISSED, None)
    assert pauses.asked == []
    second = await w.handle(no_answer("op1", 10_001))
    assert second is not None
    assert second.paused == PAUSE_MISSED
    assert pauses.asked == [("op1", PAUSE_MISSED, None)]
    assert await w.missed_in_a_row("op1") == 0  # the run starts over once they are back


async def test_an_answered_call_ends_a_run_of_missed_rings(redis: Redis) -> None:
    """missed, answered, missed: never two in a row, so never paused."""
    pauses = Pauses()
    w = watch(redis, pauses, gas_dialplan(missed_rings=2))
    await w.on_event(no_answer("op1", 10_000))
    await w.on_event(connect("op1"))
    await w.on_event(no_answer("op1", 10_000))
    assert pauses.asked == []
    assert await w.missed_in_a_row("op1") == 1


async def test_a_ring_seen_by_two_engines_is_counted_once(redis: Redis) -> None:
    """Two engines receive the same event: the second one's claim fails and it counts nothing."""
    pauses = Pauses()
    one, two = (
        watch(redis, pauses, gas_dialplan(missed_rings=2)),
        watch(redis, pauses, gas_dialplan(missed_rings=2)),
    )
    event = no_answer("op1", 10_000)
    assert await one.handle(event) is not None
    assert await two.handle(event) is None
    assert await one.missed_in_a_row("op1") == 1
    assert pauses.asked == []


async def test_counts_are_per_operator(redis: Redis) -> None:
    pauses = Pauses()
    w = watch(redis, pauses, gas_dialplan(missed_rings=2))
    await w.on_event(no_answer("op1", 10_000))
    await w.on_event(no_answer("op2", 10_000))
    assert pauses.asked == []


async def test_missed_rings_zero_never_pauses(redis: Redis) -> None:
    pauses = Pauses()
    w = watch(redis, pauses, gas_dialplan(missed_rings=0))
    for _ in range(5):
        await w.on_event(no_answer("op1", 10_000))
    assert pauses.asked == []


async def test_a_declined_ring_pauses_the_operator_rejected_for_reject_pause(redis: Redis) -> None:
    """A ring that ended long before ring_timeout (486/603 from the phone) holds them reject_pause s."""
    pauses = Pauses()
    w = watch(redis, pauses, gas_dialplan(reject_pause=30))
    decision = await w.handle(no_answer("op2", 140))
    assert decision is not None
    assert decision.end is RingEnd.REJECTED
    assert pauses.asked == [("op2", PAUSE_REJECTED, NOW + 30)]
    assert await w.missed_in_a_row("op2") == 0  # a refusal is not a ring missed


async def test_reject_pause_zero_leaves_the_rejecter_in_the_queue(redis: Redis) -> None:
    pauses = Pauses()
    w = watch(redis, pauses, gas_dialplan(reject_pause=0))
    decision = await w.handle(no_answer("op2", 140))
    assert decision is not None
    assert (decision.end, decision.paused) == (RingEnd.REJECTED, None)
    assert pauses.asked == []


@pytest.mark.parametrize(
    "event",
    [
        {**no_answer("op9", 10_000), "MemberName": "op9"},  # not an operator of the dialplan
        {**no_answer("op1", 10_000), "Queue": "other-queue"},  # not a hotline queue
        {**no_answer("op1", 10_000), "DestUniqueid": ""},  # no leg to claim
    ],
)
async def test_events_of_unknown_members_or_queues_are_ignored(redis: Redis, event: dict[str, str]) -> None:
    pauses = Pauses()
    w = watch(redis, pauses, gas_dialplan(missed_rings=1))
    assert await w.handle(event) is None
    assert pauses.asked == []


async def test_calls_today_counts_each_answer_once_per_local_day(redis: Redis) -> None:
    """Two engines see the same AgentConnect: counted once; the next local day starts from zero."""
    now = [dt.datetime(2026, 11, 17, 23, 0, tzinfo=dt.UTC).timestamp()]  # 02:00 on the 18th in Moscow
    plan = gas_dialplan()
    one = CallsToday(redis, lambda: plan, clock=lambda: now[0])
    two = CallsToday(redis, lambda: plan, clock=lambda: now[0])
    event = connect("op1")
    await one.on_event(event)
    await two.on_event(event)
    await one.on_event(connect("op1"))
    await one.on_event(connect("op2"))
    assert await two.counts() == {"op1": 2, "op2": 1}
    now[0] += 22 * 3600  # 00:00 on the 19th in Moscow
    assert await one.counts() == {}
