"""Abuse limits: registrations per caller ID per hour and of all callers per minute (fixed windows of
Redis counters that expire), and the daily cap on attempts per number (enforced inside the claim
script, `hotline.callbacks.store_lua`; its key is built here).

A flood of requests for one number from many caller IDs merges into one open request; the global limit
then refuses the excess and raises the `callback.flood` alarm once per window and limit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from redis.asyncio import Redis

from hotline.callbacks.numbers import normalise
from hotline.constants import CB_DAY, CB_RATE_CALLER, CB_RATE_GLOBAL, KEY_CB_PREFIX
from hotline.dialplan.model import CallbackPolicy, NumberRules
from hotline.errors import CallbackRefused, NumberRefused
from hotline.log import get_logger
from hotline.redact import mask

log = get_logger(__name__)

CALLER_WINDOW = 3600  # seconds
GLOBAL_WINDOW = 60  # seconds
ANONYMOUS = "anonymous"  # the caller-ID bucket of callers who withhold their number

# KEYS: caller counter, global counter. ARGV: caller limit, global limit, caller ttl, global ttl.
# Returns {code, count, limit}: code 0 accepted, 1 refused by the caller's limit, 2 by the global one.
# A refused registration still counts in the counter that refused it, so the count tells the first excess.
RATE_LUA = """
local caller = redis.call('INCR', KEYS[1])
if caller == 1 then redis.call('EXPIRE', KEYS[1], ARGV[3]) end
if caller > tonumber(ARGV[1]) then return {1, caller, tonumber(ARGV[1])} end
local all = redis.call('INCR', KEYS[2])
if all == 1 then redis.call('EXPIRE', KEYS[2], ARGV[4]) end
if all > tonumber(ARGV[2]) then return {2, all, tonumber(ARGV[2])} end
return {0, all, tonumber(ARGV[2])}
"""

_REFUSALS = {1: "rate_caller", 2: "rate_global"}


def caller_bucket(caller_display: str, rules: NumberRules) -> str:
    """The counter a caller ID counts in: the number normalised (so 8..., +7... and 7... are one caller),
    else its digits, else one shared bucket for callers who withhold their number."""
    try:
        return normalise(caller_display, rules)
    except NumberRefused:
        digits = "".join(c for c in caller_display if c.isascii() and c.isdigit())
        return digits or ANONYMOUS


def day_key(prefix: str, number: str, local_date: str) -> str:
    """The counter of attempts claimed for `number` on a local date (ISO)."""
    return prefix + CB_DAY.format(number=number, date=local_date)


class RateLimiter:
    """Counts registrations and refuses those over the policy's limits (`CallbackRefused`)."""

    def __init__(self, redis: Redis, *, clock: Callable[[], float], key_prefix: str = KEY_CB_PREFIX) -> None:
        self._redis = redis
        self._clock = clock
        self._prefix = key_prefix
        self._script = redis.register_script(RATE_LUA)

    async def admit(self, caller_display: str, number: str, group: str, policy: CallbackPolicy) -> None:
        """Count one registration; CallbackRefused (reason rate_caller or rate_global) when over a limit."""
        now = self._clock()
        caller = caller_bucket(caller_display, policy.numbers)
        keys = [
            self._prefix + CB_RATE_CALLER.format(caller=caller, window=int(now // CALLER_WINDOW)),
            self._prefix + CB_RATE_GLOBAL.format(window=int(now // GLOBAL_WINDOW)),
        ]
        args = [
            policy.requests_per_caller_per_hour,
            policy.requests_per_minute,
            CALLER_WINDOW + 60,
            GLOBAL_WINDOW + 60,
        ]
        answer: list[Any] = await self._script(keys=keys, args=args)
        code, count, limit = (int(v) for v in answer)
        if code == 0:
            return
        reason = _REFUSALS[code]
        fields = {
            "reason": reason,
            "caller": caller if caller == ANONYMOUS else mask(caller),
            "number": mask(number),
            "group": group,
            "limit": limit,
        }
        if count == limit + 1:  # the first refusal of this window: the alarm, once
            log.warning("callback.flood", **fields)
        else:
            log.info("callback.refused", count=count, **fields)
        per = "hour from this caller ID" if code == 1 else "minute from all callers"
        raise CallbackRefused(reason, f"more than {limit} callback requests per {per}")
