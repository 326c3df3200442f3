"""Calls each operator answered today (the hotline's local day), for `hotline status`.

Counted from app_queue's `AgentConnect` (a queue call answered), in Redis, so that every engine and the
status command see the same figures; each answer is counted once, by the engine that claims the
operator leg's uniqueid first. A day's counts are kept a few days, then expire.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Final
from zoneinfo import ZoneInfo

from redis.asyncio import Redis

from hotline import constants as c
from hotline.dialplan.model import Dialplan
from hotline.log import get_logger
from router.ring_watch import operator_of

log = get_logger("router.calls_today")

EVENTS: Final = ("AgentConnect",)
KEPT_SECONDS: Final = 3 * 24 * 3600  # a day's counts outlive the day by this much


def local_day(timestamp: float, timezone: str) -> str:
    """The hotline's local date of an epoch time, as YYYY-MM-DD."""
    return dt.datetime.fromtimestamp(timestamp, ZoneInfo(timezone)).date().isoformat()


class CallsToday:
    def __init__(self, redis: Redis, dialplan: Callable[[], Dialplan], *, clock: Callable[[], float]) -> None:
        self.redis = redis
        self.dialplan = dialplan
        self.clock = clock

    def _key(self) -> str:
        return c.KEY_CALLS_TODAY.format(date=local_day(self.clock(), self.dialplan().hotline.timezone))

    async def on_event(self, event: Mapping[str, str]) -> None:
        if event.get("Event", "") != "AgentConnect":
            return
        operator = operator_of(event, self.dialplan())
        leg = event.get("DestUniqueid", "")
        if operator is None or not leg:
            return
        if not await self.redis.set(c.KEY_CONNECT_SEEN.format(uniqueid=leg), "1", nx=True, ex=c.SEEN_TTL):
            return  # another engine counted it
        key = self._key()
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hincrby(key, operator, 1)
            pipe.expire(key, KEPT_SECONDS)
            await pipe.execute()
        log.debug("calls_today.counted", operator=operator, call_id=event.get("Uniqueid", ""))

    async def counts(self) -> dict[str, int]:
        """Operator -> calls answered since the local midnight (operators with none are absent)."""
        raw = await self.redis.hgetall(self._key())
        return {str(k): int(v) for k, v in raw.items()}
