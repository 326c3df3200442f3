"""Repeat callers: a number that already queued for the same skill group earlier the same local day
goes ahead of first-time callers (`routing.repeat_priority`, an Asterisk queue priority).

The number is the caller ID as displayed: anyone can show any number, so a repeat only moves a caller
up the line, it never proves who they are nor opens anything. A hidden or unusable number never
counts. Redis keeps one set per local date and group, expiring after that day (with a margin for clocks
and for a reload that changes the timezone), so the check and the mark are one atomic SADD.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable
from typing import Protocol
from zoneinfo import ZoneInfo

from redis.asyncio import Redis

from hotline.constants import KEY_REPEAT

EXPIRY_MARGIN = 3600  # seconds a day's set outlives the day's end
_SHOWN = re.compile(r"\+?[0-9]{3,20}")  # a displayed number; anything else is hidden or unusable


class RepeatMarker(Protocol):
    async def __call__(self, caller_id: str, group: str, timezone: str) -> bool:
        """Note that `caller_id` queued for `group` now; True when it already did earlier today."""
        ...


def shown_number(caller_id: str) -> str | None:
    """The digits of a displayed caller number (a leading + dropped), None for a hidden one."""
    text = caller_id.strip()
    if not _SHOWN.fullmatch(text):
        return None
    return text.lstrip("+")


def day_and_ttl(now: float, tz: ZoneInfo) -> tuple[str, int]:
    """The local date of `now` (ISO) and the seconds its set is kept: to the day's end, plus a margin.
    Relative (EXPIRE, not EXPIREAT), so that Redis's own clock does not matter."""
    local = dt.datetime.fromtimestamp(now, tz)
    next_day = dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(), tz)
    return local.date().isoformat(), max(1, int(next_day.timestamp() - now)) + EXPIRY_MARGIN


class RepeatCallers:
    """The Redis record of which numbers queued for which group today."""

    def __init__(self, redis: Redis, *, clock: Callable[[], float] = time.time) -> None:
        self._redis = redis
        self._clock = clock

    async def __call__(self, caller_id: str, group: str, timezone: str) -> bool:
        number = shown_number(caller_id)
        if number is None:
            return False
        date, ttl = day_and_ttl(self._clock(), ZoneInfo(timezone))
        key = KEY_REPEAT.format(date=date, group=group)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.sadd(key, number)
            pipe.expire(key, ttl)
            added, _ = await pipe.execute()
        return int(added) == 0
