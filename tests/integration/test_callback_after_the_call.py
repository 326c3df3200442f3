"""A callback asked for during a call waits for that call to end: the citizen's one line is busy until
then (found with a real softphone: the first attempt rang while they still heard the goodbye)."""

from __future__ import annotations

import pytest
from fake_clock import MSK, Clock
from redis.asyncio import Redis

from hotline.callbacks.model import Source
from hotline.callbacks.store import CALL_END_GRACE, CALL_HOLD_SECONDS, CallbackStore
from hotline.dialplan.model import CallbackPolicy

pytestmark = pytest.mark.redis

POLICY = CallbackPolicy(requests_per_caller_per_hour=10_000, requests_per_minute=10_000)
CALL = "1796667563.42"


async def ask(store: CallbackStore, call_id: str = CALL, number: str = "79161234567") -> str:
    registration = await store.register(
        number, "heating", Source.MENU, caller_display=number, policy=POLICY, sla_minutes=10, tz=MSK,
        call_id=call_id,
    )  # fmt: skip
    return registration.request.id


async def claimable(store: CallbackStore) -> bool:
    claim = await store.claim("heating", owner="engine-1", lease_seconds=30, policy=POLICY, tz=MSK)
    return claim is not None


async def test_no_attempt_while_the_citizen_is_still_on_the_call_they_asked_on(
    redis: Redis, clock: Clock
) -> None:
    """Registered during the call: not claimable while it lasts; claimable CALL_END_GRACE seconds
    after its end is heard, not before."""
    store = CallbackStore(redis, clock=clock)
    request_id = await ask(store)
    assert not await claimable(store)
    clock.advance(30)  # the citizen listens to the goodbye, then hangs up
    assert not await claimable(store)
    assert await store.call_ended(CALL) == request_id
    clock.advance(CALL_END_GRACE - 0.5)
    assert not await claimable(store)
    clock.advance(1)
    assert await claimable(store)


async def test_a_call_end_that_is_never_heard_holds_the_request_for_a_bounded_time(
    redis: Redis, clock: Clock
) -> None:
    """An engine restarted during the call never sees its hangup: the first attempt comes all the same,
    CALL_HOLD_SECONDS after the request."""
    store = CallbackStore(redis, clock=clock)
    await ask(store)
    clock.advance(CALL_HOLD_SECONDS - 1)
    assert not await claimable(store)
    clock.advance(2)
    assert await claimable(store)


async def test_other_calls_ending_change_nothing_and_a_request_is_released_once(
    redis: Redis, clock: Clock
) -> None:
    """Every channel's hangup is looked up: those of other calls find no request, and the end of the
    same call heard by a second engine finds it no more."""
    store = CallbackStore(redis, clock=clock)
    request_id = await ask(store)
    assert await store.call_ended("1796667563.99") is None
    assert await store.call_ended(CALL) == request_id
    assert await store.call_ended(CALL) is None


async def test_a_request_already_dialled_or_cancelled_is_left_alone_when_the_call_ends(
    redis: Redis, clock: Clock
) -> None:
    """Cancelled by the supervisor during the call: its end does not bring the request back."""
    store = CallbackStore(redis, clock=clock)
    request_id = await ask(store)
    await store.cancel(request_id, "supervisor")
    await store.call_ended(CALL)
    clock.advance(CALL_HOLD_SECONDS + 1)
    assert not await claimable(store)
    request = await store.get(request_id)
    assert request is not None
    assert request.status.value == "cancelled"
