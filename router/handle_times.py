"""Each skill group's average handling time over a sliding window, kept in Redis from AMI events.

Asterisk's own `talktime` average (QueueParams) weighs every call since the queue was loaded, so it
answers slowly when the work changes (a storm of short calls, a shift of new operators). The estimate
of the wait wants the recent calls only: each AgentComplete adds one sample, the call's talk time plus
the group's wrap-up (the operator is not rung again before it ends), and samples older than the window
are trimmed whenever the group is written or read.

Layout: `KEY_HANDLE_TIMES` per group, a sorted set of `<uniqueid>:<seconds>` scored by the time the call
ended (epoch seconds): one sample per call, even when several engines record the same event.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from redis.asyncio import Redis

from hotline import constants as c
from hotline.callbacks.layout import reply_texts
from hotline.dialplan.model import Dialplan
from hotline.log import get_logger
from router.ami_wire import Message
from router.queue_events import caller_call_id

log = get_logger("router.handle_times")

EVENTS = ("AgentComplete",)
KEEP_SECONDS = 24 * 3600  # a group nobody writes to expires: the window is never longer than this


@dataclass(frozen=True, slots=True)
class HandleWindow:
    """The calls of a group ended within the window: how many, and their average handling time (s)."""

    samples: int = 0
    average: float | None = None  # None: no call ended in the window


def _key(group: str) -> str:
    return c.KEY_HANDLE_TIMES.format(group=group)


def _seconds(member: str) -> float | None:
    _, _, seconds = member.rpartition(":")
    try:
        value = float(seconds)
    except ValueError:
        return None
    return value if value >= 0 else None


class HandleTimes:
    """Records handling times from AgentComplete and reads a group's window."""

    def __init__(
        self, redis: Redis, dialplan: Callable[[], Dialplan], *, clock: Callable[[], float] = time.time
    ) -> None:
        self._redis = redis
        self._dialplan = dialplan
        self._clock = clock

    async def record(self, group: str, uniqueid: str, seconds: float) -> None:
        """One call of the group ended now after `seconds` of handling (talk + wrap-up)."""
        now = self._clock()
        window = self._dialplan().routing.handle_window_minutes * 60
        key = _key(group)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zadd(
                key, {f"{uniqueid}:{seconds:g}": now}, nx=True
            )  # a call already recorded stays as it is
            pipe.zremrangebyscore(key, "-inf", f"({now - window!r}")
            pipe.expire(key, max(window, KEEP_SECONDS))
            await pipe.execute()

    async def window(self, group: str) -> HandleWindow:
        """The group's calls ended within `routing.handle_window_minutes` before now."""
        now = self._clock()
        window = self._dialplan().routing.handle_window_minutes * 60
        key = _key(group)
        # a read only: `record` trims what fell out of the window, and the range leaves it out meanwhile
        members = reply_texts(await self._redis.zrangebyscore(key, now - window, "+inf"))
        values = [v for v in (_seconds(m) for m in members) if v is not None]
        if not values:
            return HandleWindow()
        return HandleWindow(len(values), sum(values) / len(values))

    async def on_event(self, event: Message) -> None:
        """AgentComplete of a hotline queue: its TalkTime plus the group's wrap-up is one sample."""
        group = c.group_of_queue(event.get("Queue", ""))
        if group is None or event.name.lower() != "agentcomplete":
            return
        skill = self._dialplan().skill_groups.get(group)
        try:
            talk = int(event.get("TalkTime", ""))
        except ValueError:
            log.warning("handle_times.bad_talktime", queue=event.get("Queue"), talktime=event.get("TalkTime"))
            return
        # a call is one sample; an event that names no call still counts, as a sample of its own
        uniqueid = caller_call_id(event) or f"unnamed-{self._clock()!r}"
        seconds = max(0, talk) + (skill.wrapup if skill is not None else 0)
        await self.record(group, uniqueid, seconds)
        log.debug("handle_times.recorded", group=group, call_id=uniqueid, seconds=seconds)
