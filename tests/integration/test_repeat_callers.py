"""Repeat callers in a real Redis: one set per local date and group, expiring after that day."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from redis.asyncio import Redis

from ivr.repeats import EXPIRY_MARGIN, RepeatCallers, shown_number

TZ = "Europe/Moscow"
MOSCOW = ZoneInfo(TZ)


def at(hour: int, day: int = 4) -> float:
    return dt.datetime(2024, 3, day, hour, 0, tzinfo=MOSCOW).timestamp()


async def test_the_second_call_of_a_number_to_a_group_the_same_day_is_a_repeat(redis: Redis) -> None:
    now = at(9)
    repeats = RepeatCallers(redis, clock=lambda: now)
    assert await repeats("+79161234567", "heating", TZ) is False
    now = at(23)
    assert await repeats("79161234567", "heating", TZ) is True  # the + does not make another number
    assert await repeats("79161234567", "water", TZ) is False  # another group: a first call there


async def test_a_call_the_next_local_day_is_a_first_call_again(redis: Redis) -> None:
    """Moscow's day ends at 21:00 UTC: a call at 00:30 local is on the next date."""
    now = at(23)
    repeats = RepeatCallers(redis, clock=lambda: now)
    assert await repeats("79161234567", "heating", TZ) is False
    now = dt.datetime(2024, 3, 5, 0, 30, tzinfo=MOSCOW).timestamp()
    assert await repeats("79161234567", "heating", TZ) is False


async def test_hidden_numbers_never_count_as_repeats(redis: Redis) -> None:
    repeats = RepeatCallers(redis, clock=lambda: at(10))
    for hidden in ("", "anonymous", "Unknown", "12", "7916\r\n1234"):
        assert await repeats(hidden, "heating", TZ) is False
        assert await repeats(hidden, "heating", TZ) is False
    assert shown_number("anonymous") is None
    assert await redis.keys("*") == []


async def test_the_days_record_expires_after_the_local_day(redis: Redis) -> None:
    repeats = RepeatCallers(redis, clock=lambda: at(10))
    await repeats("79161234567", "heating", TZ)
    [key] = await redis.keys("*")
    assert key.endswith(":2024-03-04:heating")
    assert await redis.ttl(key) == 14 * 3600 + EXPIRY_MARGIN  # 10:00 to midnight, then the margin
