"""Emergency mode in Redis, shared by every engine process and the CLI, surviving their restarts.

- `KEY_EMERGENCY` holds the active announcement with a TTL equal to its expiry: it ends by itself even if
  nobody turns it off, and nothing has to run at that moment.
- `KEY_EMERGENCY_ARMED` holds the same document without a TTL. Whoever reads first (an engine at a call's
  start, `hotline emergency status`) and finds it without `KEY_EMERGENCY` knows the announcement expired:
  one script removes it and logs the expiry, so it is logged exactly once, stamped with the expiry time.
- `KEY_EMERGENCY_LOG` is a capped stream of every on, off and expiry, with who and when.

Each change is also a structlog line (`emergency.on`, `emergency.off`, `emergency.expired`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from redis.asyncio import Redis

from hotline import constants as c
from hotline.emergency.model import Announcement, Event, LogEntry
from hotline.log import get_logger

log = get_logger("hotline.emergency")

# KEYS: active, armed, log. ARGV: maxlen. Returns {active or false, expired or false}.
_CURRENT = """
local active = redis.call('GET', KEYS[1])
if active then return {active, false} end
local armed = redis.call('GET', KEYS[2])
if not armed then return {false, false} end
redis.call('DEL', KEYS[2])
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[1], '*', 'event', 'expired', 'by', 'expiry',
  'announcement', armed)
return {false, armed}
"""

# KEYS: active, armed, log. ARGV: maxlen, at, by. Returns the announcement turned off, or false.
_OFF = """
local active = redis.call('GET', KEYS[1])
if not active then return false end
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[1], '*', 'event', 'off', 'at', ARGV[2], 'by', ARGV[3],
  'announcement', active)
return active
"""


class EmergencyStore:
    """Turn emergency mode on and off, read it, read its log. Redis errors propagate to the caller."""

    def __init__(self, redis: Redis, *, clock: Callable[[], float] = time.time) -> None:
        self._redis = redis
        self.now = clock
        self._current = redis.register_script(_CURRENT)
        self._off = redis.register_script(_OFF)

    async def turn_on(self, announcement: Announcement) -> None:
        """Make `announcement` the one callers hear (replacing any other) until its `until`."""
        ttl_ms = int((announcement.until - self.now()) * 1000)
        if ttl_ms <= 0:
            raise ValueError("an announcement that has already expired cannot be turned on")
        entry = LogEntry(Event.ON, announcement.set_at, announcement.set_by, announcement)
        document = announcement.to_json()
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(c.KEY_EMERGENCY, document, px=ttl_ms)
            pipe.set(c.KEY_EMERGENCY_ARMED, document)
            pipe.xadd(
                c.KEY_EMERGENCY_LOG,
                entry.fields(),  # type: ignore[arg-type]  # redis-py's stub wants a dict of its own unions
                maxlen=c.EMERGENCY_LOG_MAXLEN,
                approximate=True,
            )
            await pipe.execute()
        log.info(
            "emergency.on",
            id=announcement.id,
            by=announcement.set_by,
            until=announcement.until,
            group=announcement.group,
            text=announcement.text,
            sound=announcement.sound,
        )

    async def turn_off(self, by: str) -> Announcement | None:
        """End the active announcement now; None when there was none (nothing is logged then)."""
        raw = await self._off(
            keys=[c.KEY_EMERGENCY, c.KEY_EMERGENCY_ARMED, c.KEY_EMERGENCY_LOG],
            args=[c.EMERGENCY_LOG_MAXLEN, repr(self.now()), by],
        )
        if not raw:
            return None
        announcement = Announcement.from_json(_text(raw))
        log.info("emergency.off", id=announcement.id, by=by, set_by=announcement.set_by)
        return announcement

    async def current(self) -> Announcement | None:
        """The active announcement, or None; logs the expiry of one that ended by itself unnoticed."""
        active, expired = await self._current(
            keys=[c.KEY_EMERGENCY, c.KEY_EMERGENCY_ARMED, c.KEY_EMERGENCY_LOG],
            args=[c.EMERGENCY_LOG_MAXLEN],
        )
        if expired:
            gone = Announcement.from_json(_text(expired))
            log.info("emergency.expired", id=gone.id, until=gone.until, set_by=gone.set_by)
        return Announcement.from_json(_text(active)) if active else None

    async def history(self, count: int = 20) -> list[LogEntry]:
        """The last `count` log entries, oldest first."""
        rows = await self._redis.xrevrange(c.KEY_EMERGENCY_LOG, count=count) or []
        entries = [
            LogEntry.from_fields({_text(k): _text(v) for k, v in (fields or {}).items()})
            for _, fields in rows
        ]
        return entries[::-1]


def _text(value: Any) -> str:
    """Redis's reply as text, whether the client decodes responses or not."""
    return value.decode() if isinstance(value, bytes) else str(value)
