"""Handling times over a sliding window, in a real Redis (`router.handle_times`)."""

from __future__ import annotations

import dataclasses

from fake_clock import Clock
from redis.asyncio import Redis
from small_dialplan import gas_dialplan

from hotline.dialplan.model import Dialplan
from router.ami_wire import Message
from router.handle_times import HandleTimes, HandleWindow


def dialplan(window_minutes: int = 10, wrapup: int = 10) -> Dialplan:
    d = gas_dialplan(wrapup=wrapup)
    return dataclasses.replace(
        d, routing=dataclasses.replace(d.routing, handle_window_minutes=window_minutes)
    )


def agent_complete(uniqueid: str, talk: str, queue: str = "hotline-gas") -> Message:
    return Message([("Event", "AgentComplete"), ("Queue", queue), ("Uniqueid", uniqueid), ("TalkTime", talk)])


async def test_each_completed_call_is_its_talk_time_plus_the_groups_wrapup(
    redis: Redis, clock: Clock
) -> None:
    """Two calls of 50 and 110 s talk, 10 s wrap-up: an average handling time of 90 s."""
    times = HandleTimes(redis, lambda: dialplan(), clock=clock)
    await times.on_event(agent_complete("1.1", "50"))
    await times.on_event(agent_complete("1.2", "110"))
    assert await times.window("gas") == HandleWindow(2, 90.0)


async def test_calls_that_ended_before_the_window_no_longer_count(redis: Redis, clock: Clock) -> None:
    """A 10-minute window: the call that ended 11 minutes ago is trimmed, the recent one stays."""
    times = HandleTimes(redis, lambda: dialplan(window_minutes=10, wrapup=0), clock=clock)
    await times.on_event(agent_complete("1.1", "600"))
    clock.advance(6 * 60)
    await times.on_event(agent_complete("1.2", "60"))
    assert await times.window("gas") == HandleWindow(2, 330.0)
    clock.advance(5 * 60)
    assert await times.window("gas") == HandleWindow(1, 60.0)
    clock.advance(10 * 60)
    assert await times.window("gas") == HandleWindow()


async def test_the_same_event_recorded_by_two_engines_counts_once(redis: Redis, clock: Clock) -> None:
    """Several engines see every AgentComplete: the call's uniqueid keeps one sample."""
    times = HandleTimes(redis, lambda: dialplan(wrapup=0), clock=clock)
    other = HandleTimes(redis, lambda: dialplan(wrapup=0), clock=clock)
    await times.on_event(agent_complete("1.1", "40"))
    clock.advance(0.5)  # the other engine's clock reads a little later
    await other.on_event(agent_complete("1.1", "40"))
    assert await times.window("gas") == HandleWindow(1, 40.0)


async def test_a_call_whose_caller_fields_asterisk_left_out_is_named_by_the_operators_leg(
    redis: Redis, clock: Clock
) -> None:
    """No Uniqueid (the caller's leg was already gone): DestLinkedid names the call, so two engines still
    keep one sample; an event that names no call at all still counts, once per event."""
    times = HandleTimes(redis, lambda: dialplan(wrapup=0), clock=clock)
    linked = Message(
        [("Event", "AgentComplete"), ("Queue", "hotline-gas"), ("DestLinkedid", "1.7"), ("TalkTime", "30")]
    )
    await times.on_event(linked)
    await times.on_event(linked)
    anonymous = Message([("Event", "AgentComplete"), ("Queue", "hotline-gas"), ("TalkTime", "30")])
    await times.on_event(anonymous)
    clock.advance(1)
    await times.on_event(anonymous)
    assert await times.window("gas") == HandleWindow(3, 30.0)


async def test_events_of_other_queues_or_without_a_talk_time_are_ignored(redis: Redis, clock: Clock) -> None:
    times = HandleTimes(redis, lambda: dialplan(), clock=clock)
    await times.on_event(agent_complete("1.1", "40", queue="somebody-elses"))
    await times.on_event(agent_complete("1.2", "not a number"))
    assert await times.window("gas") == HandleWindow()
