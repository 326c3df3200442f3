"""The announcer over a real Redis and a real live state (`router.announcer`), AMI recorded: who is
announced, when, and by which engine."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

from fake_clock import Clock
from redis.asyncio import Redis
from small_dialplan import gas_dialplan

from hotline import constants as c
from hotline.callbacks.store import CallbackStore
from hotline.dialplan.model import Dialplan
from router.ami_wire import Message
from router.announcer import Announcer
from router.handle_times import HandleTimes
from router.state import LiveState

EVERY = 30


class RecordedAmi:
    """Answers Getvar with the caller's language and records every action."""

    connected = True

    def __init__(self) -> None:
        self.actions: list[Mapping[str, str | Sequence[str]]] = []

    async def send_action(
        self,
        action: Mapping[str, str | Sequence[str]],
        *,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> Message:
        self.actions.append(action)
        if action["Action"] == "Getvar":
            return Message([("Response", "Success"), ("Value", "en")])
        return Message([("Response", "Success")])

    def originates(self) -> list[Mapping[str, str | Sequence[str]]]:
        return [a for a in self.actions if a["Action"] == "Originate"]


def dialplan() -> Dialplan:
    d = gas_dialplan()
    return dataclasses.replace(
        d,
        hotline=dataclasses.replace(d.hotline, languages=("ru", "en")),
        routing=dataclasses.replace(d.routing, announce_every=EVERY, min_samples=0),
    )


def announcer(redis: Redis, clock: Clock, ami: RecordedAmi, owner: str) -> Announcer:
    state = LiveState(redis, clock=clock)
    return Announcer(
        ami,
        redis,
        state,
        CallbackStore(redis, clock=clock),
        HandleTimes(redis, dialplan, clock=clock),
        dialplan,
        owner=owner,
    )


async def a_caller_waits(redis: Redis, clock: Clock, uniqueid: str = "1795330521.17") -> None:
    state = LiveState(redis, clock=clock)
    await state.apply(
        Message(
            [
                ("Event", "QueueMemberStatus"),
                ("Queue", "hotline-gas"),
                ("Interface", "PJSIP/op1"),
                ("MemberName", "op1"),
                ("Status", "2"),
                ("InCall", "1"),
            ]
        )
    )
    await state.apply(
        Message(
            [
                ("Event", "QueueCallerJoin"),
                ("Queue", "hotline-gas"),
                ("Uniqueid", uniqueid),
                ("Channel", "PJSIP/carrier-0000001a"),
                ("Position", "1"),
            ]
        )
    )


async def test_a_caller_is_first_announced_after_one_interval_then_once_per_interval(
    redis: Redis, clock: Clock
) -> None:
    """Nothing before announce_every seconds of waiting; then one announcement, none again within the
    interval, another once it has passed."""
    ami = RecordedAmi()
    engine = announcer(redis, clock, ami, "engine-1")
    await a_caller_waits(redis, clock)
    clock.advance(EVERY - 1)
    assert await engine.pass_once() == 0
    clock.advance(1)
    assert await engine.pass_once() == 1
    [first] = ami.originates()
    assert f"{c.VAR_ANN_POSITION}=1" in first["Variable"]
    assert f"{c.VAR_ANN_LANG}=en" in first["Variable"]  # the caller's language, read from the channel
    assert await engine.pass_once() == 0
    await redis.delete(c.KEY_ANNOUNCE_CLAIM.format(uniqueid="1795330521.17"))  # the claim's TTL ran out
    assert await engine.pass_once() == 1


async def test_two_engines_announce_a_caller_once_per_interval(redis: Redis, clock: Clock) -> None:
    """Both engines see the caller due; the Redis claim lets one of them announce."""
    ami_1, ami_2 = RecordedAmi(), RecordedAmi()
    one, two = announcer(redis, clock, ami_1, "engine-1"), announcer(redis, clock, ami_2, "engine-2")
    await a_caller_waits(redis, clock)
    clock.advance(EVERY)
    assert await one.pass_once() + await two.pass_once() == 1
    assert len(ami_1.originates()) + len(ami_2.originates()) == 1
