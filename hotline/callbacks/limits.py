"""Abuse limits: registrations per caller per hour and of all callers per minute (fixed windows of
Redis counters that expire), and the daily cap on attempts per number (enforced inside the claim
script, `hotline.callbacks.store_lua`; its key is built here).

A caller is their asserted identity where the carrier vouches for one (`hotline.callbacks.identity`),
else their caller ID. Callers with an asserted identity and callers with only a caller ID count in two
separate per-minute buckets, and caller IDs also per number prefix (a quarter of the minute's limit
each): 130 rotating spoofed caller IDs used up the one global limit and a genuine citizen in the same
minute was refused; now they use up their prefix's share, at most the shown callers' bucket, never the
asserted one.

A flood of requests for one number from many caller IDs merges into one open request; the limits then
refuse the excess and raise the `callback.flood` alarm once per window and limit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from redis.asyncio import Redis

from hotline.callbacks.numbers import normalise
from hotline.constants import CB_DAY, CB_RATE_CALLER, CB_RATE_GLOBAL, CB_RATE_PREFIX, KEY_CB_PREFIX
from hotline.dialplan.model import CallbackPolicy, NumberRules
from hotline.errors import CallbackRefused, NumberRefused
from hotline.log import get_logger
from hotline.redact import mask

log = get_logger(__name__)

CALLER_WINDOW = 3600  # seconds
GLOBAL_WINDOW = 60  # seconds
ANONYMOUS = "anonymous"  # the caller-ID bucket of callers who withhold their number

# KEYS: caller counter, prefix counter, global counter. ARGV: caller limit, prefix limit (0: no prefix
# bucket), global limit, caller ttl, minute ttl.
# Returns {code, count, limit}: code 0 accepted, 1 refused by the caller's limit, 2 by the global one, 3 by
# the prefix's. A refused registration still counts in the counter that refused it, so the count tells
# the first excess.
RATE_LUA = """
local caller = redis.call('INCR', KEYS[1])
if caller == 1 then redis.call('EXPIRE', KEYS[1], ARGV[4]) end
if caller > tonumber(ARGV[1]) then return {1, caller, tonumber(ARGV[1])} end
if tonumber(ARGV[2]) > 0 then
  local prefix = redis.call('INCR', KEYS[2])
  if prefix == 1 then redis.call('EXPIRE', KEYS[2], ARGV[5]) end
  if prefix > tonumber(ARGV[2]) then return {3, prefix, tonumber(ARGV[2])} end
end
local all = redis.call('INCR', KEYS[3])
if all == 1 then redis.call('EXPIRE', KEYS[3], ARGV[5]) end
if all > tonumber(ARGV[3]) then return {2, all, tonumber(ARGV[3])} end
return {0, all, tonumber(ARGV[3])}
"""

_REFUSALS = {1: "rate_caller", 2: "rate_global", 3: "rate_prefix"}
PREFIX_DIGITS = 5  # 7 + a three-digit code + one: a carrier's or a region's block of numbers
PREFIX_SHARE = 4  # a prefix's bucket holds a quarter of the minute's limit


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

    async def admit(
        self,
        caller_display: str,
        number: str,
        group: str,
        policy: CallbackPolicy,
        *,
        identity: str | None = None,
    ) -> None:
        """Count one registration; CallbackRefused (reason rate_caller, rate_prefix or rate_global) when
        over a limit. `identity`: the number the carrier asserts for the caller, if any."""
        now = self._clock()
        minute = int(now // GLOBAL_WINDOW)
        if identity:
            caller, kind, prefix_key, prefix_limit = identity, "asserted", "", 0
        else:
            caller, kind = caller_bucket(caller_display, policy.numbers), "shown"
            prefix_key = CB_RATE_PREFIX.format(prefix=caller[:PREFIX_DIGITS], window=minute)
            prefix_limit = max(1, policy.requests_per_minute // PREFIX_SHARE)
        keys = [
            self._prefix + CB_RATE_CALLER.format(caller=caller, window=int(now // CALLER_WINDOW)),
            self._prefix + (prefix_key or CB_RATE_PREFIX.format(prefix="-", window=minute)),
            self._prefix + CB_RATE_GLOBAL.format(kind=kind, window=minute),
        ]
        args = [
            policy.requests_per_caller_per_hour,
            prefix_limit,
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
            "asserted": bool(identity),
            "number": mask(number),
            "group": group,
            "limit": limit,
        }
        if count == limit + 1:  # the first refusal of this window: the alarm, once
            log.warning("callback.flood", **fields)
        else:
            log.info("callback.refused", count=count, **fields)
        per = {
            1: "hour from this caller",
            2: f"minute from all callers{'' if identity else ' without an asserted number'}",
            3: "minute from caller IDs starting like this one",
        }[code]
        raise CallbackRefused(reason, f"more than {limit} callback requests per {per}")
