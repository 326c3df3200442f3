"""`hotline status` reading a real Redis: the live state, presence, today's calls and open callbacks."""

from __future__ import annotations

import argparse
import dataclasses
import io
import json
from collections.abc import Mapping

import pytest
from fake_ami import CORE_SHOW_CHANNELS, CORE_STATUS, QUEUE_STATUS, wire
from redis.asyncio import Redis
from small_dialplan import gas_dialplan

from hotline import constants as c
from hotline.dialplan.model import PAUSE_MISSED, Dialplan, Operator, SkillGroup
from hotline.errors import HotlineError
from hotline.status_cli import MAYBE_STALE, NO_ENGINE, NO_STATE, collect, run
from router.ami_wire import FrameParser, Message
from router.calls_today import CallsToday
from router.presence import Presence
from router.state import LiveState

pytestmark = pytest.mark.redis

T0 = 1763761300.0  # 2025-11-21 21:41:40 UTC: the recorded transcripts' time


def frames(transcript: str, action_id: str) -> list[Message]:
    return FrameParser().feed(wire(transcript.format(action_id=action_id)).encode())


class RecordedAmi:
    """Answers the live state's resync with the recorded transcripts; any other action is refused."""

    async def send_action(self, action: Mapping[str, str]) -> Message:
        return frames(CORE_STATUS, "r-3")[0]

    async def send_list_action(self, action: Mapping[str, str]) -> list[Message]:
        if action["Action"] == "QueueStatus":
            return frames(QUEUE_STATUS, "r-1")[1:-1]
        if action["Action"] == "CoreShowChannels":
            return frames(CORE_SHOW_CHANNELS, "r-2")[1:-1]
        raise AssertionError(f"status must not send {action['Action']}")


def heating_dialplan() -> Dialplan:
    """The recorded transcripts' queue (heating) and its two members as the dialplan's operators."""
    base = gas_dialplan()
    return dataclasses.replace(
        base,
        skill_groups={"heating": SkillGroup(id="heating", title="Отопление")},
        operators={
            "op-olga": Operator(id="op-olga", name="Ольга Петрова", extension="1001", skills={"heating": 1}),
            "op-ivan": Operator(id="op-ivan", name="Иван Сидоров", extension="1002", skills={"heating": 1}),
        },
    )


def args(**given: object) -> argparse.Namespace:
    return argparse.Namespace(**{"once": True, "json": False, "every": 1.0, **given})


async def test_status_reads_queues_presence_and_calls_today_from_redis(redis: Redis) -> None:
    """olga talks (since 2m10s), ivan is paused 'missed' by the presence, one caller waits 42 s."""
    plan = heating_dialplan()
    clock = lambda: T0  # noqa: E731
    await LiveState(redis, clock=clock).resync(RecordedAmi())
    await Presence(redis, RecordedAmi(), lambda: plan, clock=clock).pause("op-ivan", PAUSE_MISSED)
    today = CallsToday(redis, lambda: plan, clock=clock)
    await today.on_event({"Event": "AgentConnect", "MemberName": "op-olga", "DestUniqueid": "1.1"})

    await redis.set(c.KEY_ENGINE_ALIVE.format(owner="host:1"), str(T0), ex=c.ENGINE_ALIVE_TTL)
    view = await collect(redis, plan, clock=clock)

    heating = view.groups[0]
    assert (heating.id, heating.waiting, heating.longest_wait) == ("heating", 1, 42)
    ops = {o.id: o for o in view.operators}
    assert ops["op-olga"].state == "in_call"
    assert ops["op-olga"].calls_today == 1
    assert ops["op-ivan"].state == "paused"
    assert ops["op-ivan"].pause_reason == PAUSE_MISSED
    assert view.state_rebuilt_at == T0
    assert view.notes == (MAYBE_STALE,)

    out = io.StringIO()
    assert await run(args(json=True), redis, plan, out=out, clock=clock) == 0
    data = json.loads(out.getvalue())
    assert data["operators"]["op-ivan"]["pause_reason"] == PAUSE_MISSED
    assert data["groups"]["heating"]["waiting"] == 1


async def test_a_state_left_by_a_stopped_engine_is_shown_as_such(redis: Redis) -> None:
    """A live state but no engine's heartbeat (the sandbox after a demo): the first note says no engine
    runs and that what follows is what the last one saw, so "in a call 490h" misleads nobody."""
    plan = heating_dialplan()
    clock = lambda: T0  # noqa: E731
    await LiveState(redis, clock=clock).resync(RecordedAmi())
    view = await collect(redis, plan, clock=clock)
    assert view.notes == (NO_ENGINE,)
    out = io.StringIO()
    assert await run(args(), redis, plan, out=out, clock=clock) == 0
    assert f"! {NO_ENGINE}" in out.getvalue().splitlines()[:3]


async def test_status_says_so_when_no_engine_ever_filled_the_live_state(redis: Redis) -> None:
    out = io.StringIO()
    assert await run(args(), redis, heating_dialplan(), out=out) == 0
    assert NO_STATE in out.getvalue()


async def test_status_without_redis_says_to_start_the_sandbox() -> None:
    nowhere = Redis(host="127.0.0.1", port=1, socket_connect_timeout=1)
    with pytest.raises(HotlineError, match="sandbox up"):
        await run(args(), nowhere, heating_dialplan(), out=io.StringIO())
    await nowhere.aclose()
