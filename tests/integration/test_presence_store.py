"""`router.presence` against a real Redis and a small in-memory Asterisk (its queue members, as
QueueStatus reports them and QueuePause changes them): what is stored, what Asterisk is made to look
like, timed pauses ended once across engines, and the dispatcher's holds left alone."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Mapping
from pathlib import Path

import pytest
from fake_clock import Clock
from redis.asyncio import Redis

from hotline import constants as c
from hotline.dialplan import load_dialplan
from hotline.dialplan.model import PAUSE_LOGGED_OUT, PAUSE_WRAPUP, Dialplan, PhonePolicy
from router.ami_wire import Message
from router.presence import Presence, UnknownOperator

DIALPLAN = Path(__file__).resolve().parents[2] / "dialplans" / "hotline.yaml"
OP = "op101"


class Queues:
    """Asterisk's static queue members: (queue, interface) -> (paused, reason), every one unpaused at
    start (as after an Asterisk restart); records each QueuePause."""

    def __init__(self, dialplan: Dialplan) -> None:
        self.members = {
            (c.queue_name(g), f"PJSIP/{op.id}"): (False, "")
            for op in dialplan.operators.values()
            for g in op.skills
        }
        self.pauses: list[dict[str, str]] = []

    def of(self, operator: str) -> dict[str, tuple[bool, str]]:
        return {q: v for (q, i), v in self.members.items() if i == f"PJSIP/{operator}"}

    async def send_action(self, action: Mapping[str, str]) -> Message:
        assert action["Action"] == "QueuePause"
        self.pauses.append(dict(action))
        paused = action["Paused"] == "true"
        for queue, interface in self.members:
            if interface == action["Interface"] and action.get("Queue", queue) == queue:
                self.members[(queue, interface)] = (paused, action.get("Reason", "") if paused else "")
        return Message([("Response", "Success")])

    async def send_list_action(self, action: Mapping[str, str]) -> list[Message]:
        assert action["Action"] == "QueueStatus"
        return [
            Message(
                [
                    ("Event", "QueueMember"),
                    ("Queue", queue),
                    ("Location", interface),
                    ("Paused", "1" if paused else "0"),
                    ("PausedReason", reason),
                ]
            )
            for (queue, interface), (paused, reason) in self.members.items()
            if action.get("Member", interface) == interface
        ]


@pytest.fixture
def dialplan() -> Dialplan:
    return load_dialplan(DIALPLAN)


@pytest.fixture
def queues(dialplan: Dialplan) -> Queues:
    return Queues(dialplan)


@pytest.fixture
def presence(redis: Redis, queues: Queues, dialplan: Dialplan, clock: Clock) -> Presence:
    return Presence(redis, queues, lambda: dialplan, clock=clock)


async def test_an_operator_never_seen_is_logged_in_to_every_group_and_not_paused(
    presence: Presence, dialplan: Dialplan
) -> None:
    state = await presence.state(OP)
    assert state.logged_in == frozenset(dialplan.operators[OP].skills)
    assert state.pause_reason is None


async def test_logout_of_one_group_is_stored_and_pauses_that_member_only(
    presence: Presence, queues: Queues, redis: Redis, clock: Clock
) -> None:
    await presence.logout(OP, "water")
    assert queues.of(OP) == {
        c.queue_name("general"): (False, ""),
        c.queue_name("heating"): (False, ""),
        c.queue_name("water"): (True, PAUSE_LOGGED_OUT),
    }
    stored = await redis.hgetall(c.KEY_PRESENCE.format(operator=OP))
    assert stored["logged_in"] == "general,heating"
    assert float(stored["since"]) == clock.now


async def test_the_state_survives_a_new_presence_and_a_restarted_asterisk(
    redis: Redis, dialplan: Dialplan, clock: Clock, presence: Presence
) -> None:
    """What a new engine finds: Redis has the state, Asterisk's members came back unpaused; reconcile
    corrects each of them, and a second reconcile has nothing left to do."""
    await presence.logout(OP, "water")
    await presence.pause(OP, "lunch")
    restarted = Queues(dialplan)
    fresh = Presence(redis, restarted, lambda: dialplan, clock=clock)
    assert await fresh.reconcile() == 3
    assert restarted.of(OP) == {
        c.queue_name("general"): (True, "lunch"),
        c.queue_name("heating"): (True, "lunch"),
        c.queue_name("water"): (True, PAUSE_LOGGED_OUT),
    }
    assert await fresh.reconcile() == 0


async def test_resume_unpauses_the_logged_in_groups_and_keeps_the_logout(
    presence: Presence, queues: Queues
) -> None:
    await presence.logout(OP, "water")
    await presence.pause(OP, "break")
    await presence.resume(OP)
    assert set(queues.of(OP).items()) == {
        (c.queue_name("general"), (False, "")),
        (c.queue_name("heating"), (False, "")),
        (c.queue_name("water"), (True, PAUSE_LOGGED_OUT)),
    }


async def test_a_dispatcher_hold_is_left_until_the_dispatcher_restores_the_operator(
    presence: Presence, queues: Queues
) -> None:
    await queues.send_action(
        {"Action": "QueuePause", "Interface": f"PJSIP/{OP}", "Paused": "true", "Reason": c.PAUSE_CALLBACK}
    )
    await presence.logout(OP, "water")
    assert set(queues.of(OP).values()) == {(True, c.PAUSE_CALLBACK)}
    await presence.restore(OP)
    assert queues.of(OP)[c.queue_name("water")] == (True, PAUSE_LOGGED_OUT)
    assert queues.of(OP)[c.queue_name("general")] == (False, "")


async def test_a_timed_pause_is_ended_by_exactly_one_of_two_engines_when_due(
    redis: Redis, dialplan: Dialplan, clock: Clock, presence: Presence, queues: Queues
) -> None:
    other = Presence(redis, queues, lambda: dialplan, clock=clock)
    await presence.pause(OP, PAUSE_WRAPUP, until=clock.now + 60)
    assert await presence.end_due_pauses() == []
    assert set(queues.of(OP).values()) == {(True, PAUSE_WRAPUP)}
    clock.advance(60)
    ended = await asyncio.gather(presence.end_due_pauses(), other.end_due_pauses())
    assert sorted(ended) == [[], [OP]]
    assert (await presence.state(OP)).pause_reason is None
    assert set(queues.of(OP).values()) == {(False, "")}


async def test_a_pause_given_again_before_the_timed_one_ends_is_not_ended_by_it(
    presence: Presence, clock: Clock
) -> None:
    await presence.pause(OP, PAUSE_WRAPUP, until=clock.now + 60)
    await presence.pause(OP, "lunch")
    clock.advance(120)
    assert await presence.end_due_pauses() == []
    assert (await presence.state(OP)).pause_reason == "lunch"


async def test_operators_start_logged_out_when_the_phones_policy_says_so(
    redis: Redis, dialplan: Dialplan, clock: Clock, queues: Queues
) -> None:
    closed = dataclasses.replace(dialplan, phones=PhonePolicy(start_logged_in=False))
    presence = Presence(redis, queues, lambda: closed, clock=clock)
    await presence.reconcile()
    assert set(queues.of(OP).values()) == {(True, PAUSE_LOGGED_OUT)}


async def test_an_unknown_operator_is_refused(presence: Presence) -> None:
    with pytest.raises(UnknownOperator):
        await presence.login("op999")
