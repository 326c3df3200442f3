"""Abuse limits on a real Redis: a flood for one number, per-caller and global rates, the daily cap."""

from __future__ import annotations

import datetime as dt

import pytest
from fake_clock import MSK, Clock
from redis.asyncio import Redis
from structlog.testing import capture_logs

from hotline.callbacks.model import AttemptResult, Registration, Source, Status
from hotline.callbacks.store import CallbackStore
from hotline.dialplan.model import CallbackPolicy
from hotline.errors import CallbackError, CallbackRefused
from hotline.redact import mask

pytestmark = pytest.mark.redis

VICTIM = "79161234567"
POLICY = CallbackPolicy()  # 5 per caller ID per hour, 120 per minute in all, 6 attempts per number a day
LEASE = 30.0


@pytest.fixture
def store(redis: Redis, clock: Clock) -> CallbackStore:
    return CallbackStore(redis, clock=clock)


async def register(
    store: CallbackStore, number: str, caller: str, policy: CallbackPolicy = POLICY, group: str = "heating"
) -> Registration:
    return await store.register(
        number, group, Source.MENU, caller_display=caller, policy=policy, sla_minutes=10, tz=MSK
    )


async def test_a_flood_for_one_number_yields_one_request_and_the_limits_refuse_the_rest(
    store: CallbackStore, clock: Clock
) -> None:
    """1,000 requests for one number from 1,000 caller IDs of 50 prefixes in a minute: one open request,
    the shown callers' 120 admitted, the rest refused with one `callback.flood` alarm per limit; another
    citizen is accepted once the minute passes."""
    admitted: list[Registration] = []
    refused: list[CallbackRefused] = []
    with capture_logs() as logs:
        for i in range(1000):
            try:
                admitted.append(await register(store, VICTIM, caller=f"79{i % 50:03d}{i:06d}"))
            except CallbackRefused as exc:
                refused.append(exc)
    assert len(admitted) == POLICY.requests_per_minute
    assert len({r.request.id for r in admitted}) == 1
    assert sum(not r.merged for r in admitted) == 1
    assert len(refused) == 1000 - POLICY.requests_per_minute
    assert {exc.reason for exc in refused} == {"rate_global"}
    alarms = [e for e in logs if e["event"] == "callback.flood"]
    assert [(a["log_level"], a["reason"], a["number"]) for a in alarms] == [
        ("warning", "rate_global", mask(VICTIM))
    ]
    assert all(VICTIM not in str(e) for e in logs)
    assert [r.number for r in await store.list(Status.OPEN)] == [VICTIM]
    clock.now += 60
    later = await register(store, "79037654321", caller="79037654321")
    assert not later.merged


async def test_rotating_spoofed_caller_ids_cannot_use_up_the_limit_of_citizens_the_carrier_vouches_for(
    store: CallbackStore,
) -> None:
    """The review's attack: 130 rotating caller IDs in one minute with nothing asserted. They use up the
    shown callers' share (of their prefix first); a citizen whose number the carrier asserts is accepted
    in the same minute, and so is a genuine caller ID of another prefix while that bucket has room."""
    refused: list[str] = []
    for i in range(130):
        try:
            await register(store, f"7916555{i:04d}", caller=f"7916555{i:04d}")
        except CallbackRefused as exc:
            refused.append(exc.reason)
    share = POLICY.requests_per_minute // 4
    assert refused == ["rate_prefix"] * (130 - share)
    asserted = await store.register(
        "79031112233", "heating", Source.MENU, caller_display="79031112233", policy=POLICY,
        sla_minutes=10, tz=MSK, identity="79031112233",
    )  # fmt: skip
    assert not asserted.merged
    other_prefix = await register(store, "74951112233", caller="74951112233")
    assert not other_prefix.merged


async def test_an_asserted_identity_is_the_caller_whatever_caller_id_it_shows(store: CallbackStore) -> None:
    """The per-caller hourly limit follows the asserted number: new caller IDs do not reset it."""
    for i in range(POLICY.requests_per_caller_per_hour):
        await store.register(
            f"7916000000{i}", "heating", Source.MENU, caller_display=f"7999000000{i}", policy=POLICY,
            sla_minutes=10, tz=MSK, identity="79031112233",
        )  # fmt: skip
    with pytest.raises(CallbackRefused) as caught:
        await store.register(
            "79160000009", "heating", Source.MENU, caller_display="79990000009", policy=POLICY,
            sla_minutes=10, tz=MSK, identity="79031112233",
        )  # fmt: skip
    assert caught.value.reason == "rate_caller"


async def test_one_caller_id_is_limited_per_hour(store: CallbackStore, clock: Clock) -> None:
    """The sixth request from one caller ID within the hour is refused; the next hour it is accepted."""
    for i in range(POLICY.requests_per_caller_per_hour):
        await register(store, f"7916000000{i}", caller="+7 903 111-22-33")
    with capture_logs() as logs, pytest.raises(CallbackRefused) as caught:
        await register(store, "79160000009", caller="89031112233")
    assert caught.value.reason == "rate_caller"
    assert isinstance(caught.value, CallbackError)
    assert [(e["event"], e["caller"]) for e in logs] == [("callback.flood", mask("79031112233"))]
    assert await store.list(Status.OPEN, since=None) == await store.list(Status.OPEN)
    assert len(await store.list()) == POLICY.requests_per_caller_per_hour
    clock.now += 3600
    accepted = await register(store, "79160000009", caller="89031112233")
    assert not accepted.merged


async def test_callers_who_withhold_their_number_share_one_bucket(store: CallbackStore) -> None:
    """Anonymous callers together get one caller's allowance."""
    for i in range(POLICY.requests_per_caller_per_hour):
        await register(store, f"7916000000{i}", caller="anonymous")
    with pytest.raises(CallbackRefused) as caught:
        await register(store, "79160000009", caller="")
    assert caught.value.reason == "rate_caller"


async def test_the_daily_attempt_cap_defers_to_the_next_local_day(store: CallbackStore, clock: Clock) -> None:
    """Two attempts a day for one number, in any group: the third waits for 09:00 tomorrow; another
    number is called meanwhile; nothing is dropped."""
    policy = CallbackPolicy(attempts_per_number_per_day=2, max_attempts=10, backoff_minutes=(1,))
    victim = await register(store, VICTIM, caller="1", policy=policy)
    for _ in range(2):
        claim = await store.claim("heating", owner="e", lease_seconds=LEASE, policy=policy, tz=MSK)
        assert claim is not None
        assert claim.request.id == victim.request.id
        await store.finish(claim, AttemptResult.NO_ANSWER, reason="", policy=policy, tz=MSK)
        clock.now += 60
    in_water = await register(store, VICTIM, caller="2", policy=policy, group="water")
    other = await register(store, "79037654321", caller="3", policy=policy)
    claim = await store.claim("heating", owner="e", lease_seconds=LEASE, policy=policy, tz=MSK)
    assert claim is not None
    assert claim.request.id == other.request.id
    assert await store.claim("water", owner="e", lease_seconds=LEASE, policy=policy, tz=MSK) is None
    tomorrow = dt.datetime(2025, 6, 12, 9, 0, tzinfo=MSK).timestamp()
    for request_id in (victim.request.id, in_water.request.id):
        deferred = await store.get(request_id)
        assert deferred is not None
        assert (deferred.status, deferred.next_attempt_at) == (Status.OPEN, tomorrow)
    clock.now = tomorrow
    claimed = {
        claim.request.id
        for group in ("heating", "water")
        if (claim := await store.claim(group, owner="e", lease_seconds=LEASE, policy=policy, tz=MSK))
    }
    assert claimed == {victim.request.id, in_water.request.id}


async def test_forgetting_a_numbers_attempt_counts_lifts_its_daily_cap_and_no_other(
    store: CallbackStore, clock: Clock
) -> None:
    """The demo's reset (its clock shows the same day every run): the capped number is called again the
    same day; another number's count stays."""
    policy = CallbackPolicy(attempts_per_number_per_day=1, max_attempts=10, backoff_minutes=(1,))
    for number in (VICTIM, "79037654321"):
        await register(store, number, caller=number, policy=policy)
        claim = await store.claim("heating", owner="e", lease_seconds=LEASE, policy=policy, tz=MSK)
        assert claim is not None
        await store.finish(claim, AttemptResult.NO_ANSWER, reason="", policy=policy, tz=MSK)
    clock.now += 120

    assert await store.forget_attempt_counts([VICTIM]) == 1

    claim = await store.claim("heating", owner="e", lease_seconds=LEASE, policy=policy, tz=MSK)
    assert claim is not None
    assert claim.request.number == VICTIM
    assert await store.claim("heating", owner="e", lease_seconds=LEASE, policy=policy, tz=MSK) is None
