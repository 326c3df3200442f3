"""Operators who let a queue call ring out, or decline it: paused, so callers are not sent to them again.

app_queue ends every ring of an operator's phone that does not become a call with one
`AgentRingNoAnswer` event, whose `RingTime` (milliseconds) says how long the phone rang:

- the whole group's `ring_timeout`: nobody was there. One more ring missed in a row; after the group's
  `missed_rings` the operator is paused with reason "missed" until they resume on their phone, so the
  queue stops offering callers to an empty desk;
- clearly less: the phone said no (a 486 Busy Here or a 603 Decline ends in the same event, with a short
  ring). The operator is paused "rejected" for the group's `reject_pause` seconds, so the queue's next
  try (every `retry` seconds) goes to someone else instead of ringing them again for the same caller.

An answered call (`AgentConnect`) ends a run of missed rings. Counts live in Redis, so several engines and
a restart agree; each ring is counted once, by the engine that claims its operator leg's uniqueid first.
The pause itself goes through the operators' presence (`Pauser`), which knows what else the operator asked
for and keeps Asterisk in line with it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Final, Protocol

from redis.asyncio import Redis

from hotline import constants as c
from hotline.dialplan.model import PAUSE_MISSED, PAUSE_REJECTED, Dialplan, SkillGroup
from hotline.log import get_logger

log = get_logger("router.ring_watch")

# AMI events the watcher listens to (the `agent` read class).
EVENTS: Final = ("AgentRingNoAnswer", "AgentConnect")

# A ring that ended this much before the group's ring_timeout was ended by the phone, not by the queue:
# app_queue's timer ends a ring out within a few milliseconds of the timeout.
RING_OUT_TOLERANCE_MS: Final = 1500


class Pauser(Protocol):
    """What the watcher needs from the operators' presence (router.presence.Presence satisfies it)."""

    async def pause(self, operator: str, reason: str, *, until: float | None = None) -> object: ...


class RingEnd(Enum):
    MISSED = "missed"  # rang the whole ring_timeout
    REJECTED = "rejected"  # the phone declined it


def ring_end(ring_ms: int, ring_timeout: int) -> RingEnd:
    """How a ring that was not answered ended, from how long it rang (ms) and the group's timeout (s)."""
    if ring_ms >= ring_timeout * 1000 - RING_OUT_TOLERANCE_MS:
        return RingEnd.MISSED
    return RingEnd.REJECTED


@dataclass(frozen=True, slots=True)
class Decision:
    """What the watcher did about one ring (returned for logs and tests)."""

    operator: str
    end: RingEnd
    missed_in_a_row: int  # after this ring; 0 once the operator was paused for it
    paused: str | None  # the pause reason given, None if the operator was not paused
    until: float | None  # when that pause ends by itself; None: until the operator resumes


def operator_of(event: Mapping[str, str], dialplan: Dialplan) -> str | None:
    """The operator an agent event is about: the member name (queues.conf names members by operator
    id), else the endpoint of the member's interface; None for a member the dialplan does not know."""
    name = event.get("MemberName", "")
    if name in dialplan.operators:
        return name
    interface = event.get("Interface", "")
    endpoint = interface.partition("/")[2]
    return endpoint if endpoint in dialplan.operators else None


def group_of(event: Mapping[str, str], dialplan: Dialplan) -> SkillGroup | None:
    group = c.group_of_queue(event.get("Queue", ""))
    return dialplan.skill_groups.get(group) if group is not None else None


class RingWatch:
    """Feed it the queues' `EVENTS` (`on_event`); it pauses operators through `pauser`."""

    def __init__(
        self,
        redis: Redis,
        pauser: Pauser,
        dialplan: Callable[[], Dialplan],
        *,
        clock: Callable[[], float],
    ) -> None:
        self.redis = redis
        self.pauser = pauser
        self.dialplan = dialplan
        self.clock = clock

    async def on_event(self, event: Mapping[str, str]) -> None:
        """The AMI subscription's callback."""
        await self.handle(event)

    async def handle(self, event: Mapping[str, str]) -> Decision | None:
        """Act on one event; what was decided about a ring that was not answered, else None."""
        name = event.get("Event", "")
        if name == "AgentConnect":
            await self._answered(event)
        elif name == "AgentRingNoAnswer":
            return await self._not_answered(event)
        return None

    async def missed_in_a_row(self, operator: str) -> int:
        """Queue rings the operator let ring out since they last answered or were paused for it."""
        value = await self.redis.hget(c.KEY_MISSED_RINGS, operator)
        return int(value) if value else 0

    async def _answered(self, event: Mapping[str, str]) -> None:
        operator = operator_of(event, self.dialplan())
        if operator is not None and await self.redis.hdel(c.KEY_MISSED_RINGS, operator):
            log.debug("ring_watch.missed.reset", operator=operator, call_id=event.get("Uniqueid", ""))

    async def _not_answered(self, event: Mapping[str, str]) -> Decision | None:
        dialplan = self.dialplan()
        operator = operator_of(event, dialplan)
        group = group_of(event, dialplan)
        leg = event.get("DestUniqueid", "")
        if operator is None or group is None or not leg:
            return None
        bound = log.bind(call_id=event.get("Uniqueid", ""), operator=operator, group=group.id, leg=leg)
        claimed = await self.redis.set(c.KEY_RING_SEEN.format(uniqueid=leg), "1", nx=True, ex=c.SEEN_TTL)
        if not claimed:  # another engine counted this ring
            return None
        ring_ms = int(event.get("RingTime", "0") or 0)
        end = ring_end(ring_ms, group.ring_timeout)
        if end is RingEnd.REJECTED:
            if group.reject_pause <= 0:
                bound.info("ring_watch.rejected", ring_ms=ring_ms, paused=False)
                return Decision(operator, end, await self.missed_in_a_row(operator), None, None)
            until = self.clock() + group.reject_pause
            await self.pauser.pause(operator, PAUSE_REJECTED, until=until)
            bound.info("ring_watch.rejected", ring_ms=ring_ms, paused=True, seconds=group.reject_pause)
            return Decision(operator, end, await self.missed_in_a_row(operator), PAUSE_REJECTED, until)
        if group.missed_rings <= 0:
            bound.info("ring_watch.missed", ring_ms=ring_ms, counted=False)
            return Decision(operator, end, 0, None, None)
        count = int(await self.redis.hincrby(c.KEY_MISSED_RINGS, operator, 1))
        if count < group.missed_rings:
            bound.info("ring_watch.missed", ring_ms=ring_ms, in_a_row=count, limit=group.missed_rings)
            return Decision(operator, end, count, None, None)
        await self.pauser.pause(operator, PAUSE_MISSED, until=None)
        await self.redis.hdel(c.KEY_MISSED_RINGS, operator)  # after the pause: a failed one is tried again
        bound.warning(
            "ring_watch.paused_missed",
            ring_ms=ring_ms,
            in_a_row=count,
            hint="the operator is back in the queues once they resume on their phone",
        )
        return Decision(operator, end, 0, PAUSE_MISSED, None)
