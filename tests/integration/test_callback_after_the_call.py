"""A callback asked for during a call waits for that call to end: the citizen's one line is busy until
then (found with a real softphone: the first attempt rang while they still heard the goodbye)."""

from __future__ import annotations

import pytest
from fake_clock import MSK, Clock
from redis.asyncio import Redis

from hotline.callbacks.model import Source
from hotline.callbacks.store import CALL_END_GRACE, CALL_HOLD_SECONDS, CallbackStore
from hotline.dialplan.model import CallbackPolicy, Dialplan
from router.ami_wire import Message
from router.callback_sources import CallbackSources

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


async def test_a_request_merged_into_during_a_call_waits_for_that_call_too(
    redis: Redis, clock: Clock
) -> None:
    """A request already due (an abandoned wait, say) and the citizen calls again and asks once more:
    the two are one request, and it is not dialled while that second call lasts, but after it."""
    store = CallbackStore(redis, clock=clock)
    first = await ask(store, call_id="")
    clock.advance(60)
    second = await ask(store, call_id=CALL)
    assert second == first
    assert not await claimable(store)
    clock.advance(30)
    assert not await claimable(store)
    assert await store.call_ended(CALL) == first
    clock.advance(CALL_END_GRACE + 1)
    assert await claimable(store)


async def test_a_request_being_dialled_when_the_citizen_asks_again_is_not_held(
    redis: Redis, clock: Clock
) -> None:
    """Merged into while its attempt is under way: nothing to hold, and the end of the call finds
    nothing either."""
    store = CallbackStore(redis, clock=clock)
    await ask(store, call_id="")
    assert await claimable(store)
    await ask(store, call_id=CALL)
    assert await store.call_ended(CALL) is None


def no_dialplan() -> Dialplan:
    raise AssertionError("a Hangup needs no dialplan")


async def no_registration(*args: object, **kwargs: object) -> object:
    raise AssertionError("a Hangup registers nothing")


async def test_only_the_end_of_the_citizens_own_call_releases_their_request(
    redis: Redis, clock: Clock
) -> None:
    """Hangups of operators' and callbacks' channels are not looked up, even with the unique id of the
    citizen's call; the end of the call from the carrier's endpoint releases the request and wakes the
    dispatcher."""
    store = CallbackStore(redis, clock=clock)
    await ask(store)
    woken: list[bool] = []
    sources = CallbackSources(store, no_dialplan, no_registration, wake=lambda: woken.append(True))

    def hangup(channel: str) -> Message:
        return Message([("Event", "Hangup"), ("Channel", channel), ("Uniqueid", CALL)])

    for channel in ("PJSIP/op101-00000007", "PJSIP/carrier-out-00000008", "Local/s@cb-0000;1"):
        await sources.on_event(hangup(channel))
    clock.advance(CALL_END_GRACE + 1)
    assert not woken
    assert not await claimable(store)

    await sources.on_event(hangup("PJSIP/carrier-00000006"))
    assert woken == [True]
    clock.advance(CALL_END_GRACE + 1)
    assert await claimable(store)
