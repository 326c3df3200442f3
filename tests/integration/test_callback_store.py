"""The callback store on a real Redis: registration and merging, EDF claims, exactly once under two
engines, leases and fencing, retries to failure, quiet hours, cancelling, restarts and the summary."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator

import pytest
from fake_clock import MSK, T0, Clock
from redis.asyncio import Redis
from structlog.testing import capture_logs

from hotline.callbacks import report
from hotline.callbacks.model import Attempt, AttemptResult, Request, Source, Status
from hotline.callbacks.store import CallbackStore
from hotline.dialplan.model import WEEKDAYS, CallbackPolicy, TimeRange, WeeklyHours
from hotline.errors import StaleClaim
from hotline.redact import mask

pytestmark = pytest.mark.redis

NUMBER = "79161234567"
POLICY = CallbackPolicy(requests_per_caller_per_hour=10_000, requests_per_minute=10_000)
LEASE = 30.0


@pytest.fixture
def store(redis: Redis, clock: Clock) -> CallbackStore:
    return CallbackStore(redis, clock=clock)


@pytest.fixture
async def other_client(redis_server: str, redis: Redis) -> AsyncIterator[Redis]:
    """A second connection to the same Redis (after `redis` has emptied it): a second engine process."""
    client = Redis.from_url(redis_server, decode_responses=True)
    yield client
    await client.aclose()


async def register(
    store: CallbackStore, number: str = NUMBER, group: str = "heating", *, sla: int = 10
) -> Request:
    """Register an in-queue request with the test policy; the stored request."""
    registration = await store.register(
        number, group, Source.IN_QUEUE, caller_display=number, policy=POLICY, sla_minutes=sla, tz=MSK
    )
    return registration.request


async def finish(store: CallbackStore, group: str, result: AttemptResult, talk: float = 0.0) -> Request:
    claim = await store.claim(group, owner="engine-1", lease_seconds=LEASE, policy=POLICY, tz=MSK)
    assert claim is not None
    return await store.finish(claim, result, reason=result.value, talk_seconds=talk, policy=POLICY, tz=MSK)


async def test_a_request_is_stored_before_register_returns_and_a_repeat_merges(store: CallbackStore) -> None:
    """The second request for the same number and group merges into the first, which keeps its source."""
    first = await store.register(
        "8 916 123-45-67",
        "heating",
        Source.ABANDONED,
        caller_display="+79161234567",
        policy=POLICY,
        sla_minutes=10,
        tz=MSK,
    )
    assert (first.merged, first.position) == (False, 1)
    assert await store.get(first.request.id) == first.request
    assert first.request.due_at == T0 + 600
    again = await store.register(
        "+7 (916) 123-45-67",
        "heating",
        Source.IN_QUEUE,
        caller_display="84951112233",
        policy=POLICY,
        sla_minutes=10,
        tz=MSK,
    )
    assert again.merged
    assert again.request.id == first.request.id
    assert again.request.source is Source.ABANDONED
    other_group = await register(store, group="water")
    assert other_group.id != first.request.id
    assert len(await store.list(Status.OPEN)) == 2


async def test_concurrent_registers_for_one_pair_create_exactly_one_request(
    store: CallbackStore, other_client: Redis, clock: Clock
) -> None:
    """Forty registrations at once from two clients: one request, thirty-nine merges."""
    second = CallbackStore(other_client, clock=clock)
    results = await asyncio.gather(
        *(
            (store if i % 2 else second).register(
                NUMBER,
                "heating",
                Source.IN_QUEUE,
                caller_display=f"7495{i:07d}",
                policy=POLICY,
                sla_minutes=10,
                tz=MSK,
            )
            for i in range(40)
        )
    )
    assert len({r.request.id for r in results}) == 1
    assert sum(not r.merged for r in results) == 1
    assert len(await store.list()) == 1


async def test_positions_and_claims_follow_the_earliest_deadline_in_each_group(
    store: CallbackStore, clock: Clock
) -> None:
    """Positions count earlier-due requests of the same group only; claims take the earliest due first,
    so a request of a group with a shorter SLA overtakes an older one."""
    slow = await register(store, "79160000001", sla=30)
    clock.advance(10)
    water = await store.register(
        "79160000002", "water", Source.MENU, caller_display="", policy=POLICY, sla_minutes=10, tz=MSK
    )
    clock.advance(10)
    fast = await store.register(
        "79160000003", "heating", Source.IN_QUEUE, caller_display="", policy=POLICY, sla_minutes=5, tz=MSK
    )
    assert water.position == 1
    assert fast.position == 1  # due T0+320, before slow's T0+1800
    slow_again = await store.register(
        "79160000001", "heating", Source.MENU, caller_display="", policy=POLICY, sla_minutes=30, tz=MSK
    )
    assert (slow_again.merged, slow_again.request.id, slow_again.position) == (True, slow.id, 2)
    order = []
    while (
        claim := await store.claim("heating", owner="e", lease_seconds=LEASE, policy=POLICY, tz=MSK)
    ) is not None:
        order.append(claim.request.id)
    assert order == [fast.request.id, slow.id]
    assert await store.in_flight("heating") == 2
    assert await store.in_flight("water") == 0


async def test_a_closed_hours_request_is_first_in_line_at_the_opening(
    store: CallbackStore, clock: Clock
) -> None:
    """Left at night, it is due at the opening; registrations after the opening come after it."""
    hours = WeeklyHours({day: (TimeRange(dt.time(9), dt.time(18)),) for day in WEEKDAYS})
    clock.now = dt.datetime(2025, 6, 11, 23, 0, tzinfo=MSK).timestamp()
    night = await store.register(
        NUMBER,
        "heating",
        Source.CLOSED,
        caller_display=NUMBER,
        policy=POLICY,
        sla_minutes=10,
        tz=MSK,
        hours=hours,
    )
    opening = dt.datetime(2025, 6, 12, 9, 0, tzinfo=MSK).timestamp()
    assert night.request.due_at == night.request.next_attempt_at == opening
    assert await store.claim("heating", owner="e", lease_seconds=LEASE, policy=POLICY, tz=MSK) is None
    clock.now = opening + 1
    morning = await register(store, "79160000009")
    assert (
        await store.register(
            "79160000009", "heating", Source.MENU, caller_display="", policy=POLICY, sla_minutes=10, tz=MSK
        )
    ).position == 2
    first = await store.claim("heating", owner="e", lease_seconds=LEASE, policy=POLICY, tz=MSK)
    assert first is not None
    assert first.request.id == night.request.id
    assert morning.id != night.request.id


async def test_two_engines_racing_for_claims_never_take_the_same_request(
    store: CallbackStore, other_client: Redis, clock: Clock
) -> None:
    """Fifty times, two stores on two connections claim at once: exactly one of them wins each time."""
    second = CallbackStore(other_client, clock=clock)
    for i in range(50):
        request = await register(store, f"7916{i:07d}")
        won = await asyncio.gather(
            store.claim("heating", owner="engine-a", lease_seconds=LEASE, policy=POLICY, tz=MSK),
            second.claim("heating", owner="engine-b", lease_seconds=LEASE, policy=POLICY, tz=MSK),
        )
        claims = [c for c in won if c is not None]
        assert len(claims) == 1
        assert claims[0].request.id == request.id
        assert claims[0].attempt.owner == claims[0].owner
    assert await store.in_flight("heating") == 50
    assert all(len(r.attempts) == 1 for r in await store.list(Status.DISPATCHING))


async def test_the_attempt_and_its_action_id_are_recorded_before_dialling(store: CallbackStore) -> None:
    """Claim records attempt 1 with its fence and owner; record_action adds the ActionID."""
    request = await register(store)
    claim = await store.claim("heating", owner="engine-1", lease_seconds=LEASE, policy=POLICY, tz=MSK)
    assert claim is not None
    assert claim.fence == 1
    assert claim.attempt_n == 1
    stored = await store.get(request.id)
    assert stored is not None
    assert stored.status is Status.DISPATCHING
    assert stored.attempts == (Attempt(n=1, fence=1, owner="engine-1", started_at=T0),)
    claim = await store.record_action(claim, "cb-1-1")
    assert claim.attempt.action_id == "cb-1-1"
    history = await store.history(request.id)
    assert history is not None
    assert history[0].action_id == "cb-1-1"


async def test_an_expired_lease_shows_up_and_the_request_is_not_claimed_again(
    store: CallbackStore, clock: Clock
) -> None:
    """A heartbeat keeps the lease; without one it expires and the outcome-unknown attempt waits."""
    await register(store)
    claim = await store.claim("heating", owner="engine-1", lease_seconds=LEASE, policy=POLICY, tz=MSK)
    assert claim is not None
    clock.advance(20)
    claim = await store.extend(claim, LEASE)
    clock.advance(20)
    assert await store.expired_claims() == []
    clock.advance(11)
    expired = await store.expired_claims()
    assert [(c.request.id, c.fence, c.owner, c.attempt_n) for c in expired] == [
        (claim.request.id, 1, "engine-1", 1)
    ]
    assert await store.claim("heating", owner="engine-2", lease_seconds=LEASE, policy=POLICY, tz=MSK) is None


async def test_a_stale_claim_cannot_finish_extend_or_record_after_a_take_over(
    store: CallbackStore, other_client: Redis, clock: Clock
) -> None:
    """After the lease expired and another engine adopted the request, the old claim changes nothing."""
    request = await register(store)
    old = await store.claim("heating", owner="engine-1", lease_seconds=LEASE, policy=POLICY, tz=MSK)
    assert old is not None
    old = await store.record_action(old, "cb-1")
    clock.advance(LEASE + 1)
    second = CallbackStore(other_client, clock=clock)
    [expired] = await second.expired_claims()
    new = await second.adopt(expired, owner="engine-2", lease_seconds=LEASE)
    assert new.fence == old.fence + 1
    before = await store.get(request.id)
    with pytest.raises(StaleClaim):
        await store.finish(old, AttemptResult.ANSWERED, reason="", talk_seconds=60, policy=POLICY, tz=MSK)
    with pytest.raises(StaleClaim):
        await store.extend(old, LEASE)
    with pytest.raises(StaleClaim):
        await store.record_action(old, "cb-again")
    with pytest.raises(StaleClaim):
        await store.adopt(expired, owner="engine-3", lease_seconds=LEASE)  # someone else was first
    assert await store.get(request.id) == before
    resolved = await second.resolve_unknown(
        new, AttemptResult.NO_ANSWER, reason="NO ANSWER", policy=POLICY, tz=MSK
    )
    assert resolved.status is Status.OPEN
    assert resolved.attempts[0].result is AttemptResult.NO_ANSWER
    assert resolved.attempts[0].counts


async def test_a_live_lease_cannot_be_adopted(store: CallbackStore) -> None:
    """Only an expired claim is taken over."""
    await register(store)
    claim = await store.claim("heating", owner="engine-1", lease_seconds=LEASE, policy=POLICY, tz=MSK)
    assert claim is not None
    with pytest.raises(StaleClaim, match="not expired"):
        await store.adopt(claim, owner="engine-2", lease_seconds=LEASE)


async def test_an_unknown_outcome_with_no_trace_reopens_without_using_an_attempt(
    store: CallbackStore, clock: Clock
) -> None:
    """No ActionID written: retried at once; ActionID written but no trace: after the first backoff."""
    request = await register(store)
    claim = await store.claim("heating", owner="engine-1", lease_seconds=LEASE, policy=POLICY, tz=MSK)
    assert claim is not None
    clock.advance(LEASE + 1)
    [expired] = await store.expired_claims()
    adopted = await store.adopt(expired, owner="engine-2", lease_seconds=LEASE)
    reopened = await store.resolve_unknown(adopted, None, policy=POLICY, tz=MSK)
    assert reopened.status is Status.OPEN
    assert reopened.next_attempt_at == clock.now
    assert (reopened.attempts[0].result, reopened.attempts[0].reason) == (
        AttemptResult.UNKNOWN,
        "not_dialled",
    )
    assert reopened.counted_attempts == 0
    claim = await store.claim("heating", owner="engine-2", lease_seconds=LEASE, policy=POLICY, tz=MSK)
    assert claim is not None
    assert claim.attempt_n == 2
    assert claim.fence == 3
    claim = await store.record_action(claim, "cb-2")
    gone = await store.resolve_unknown(claim, None, policy=POLICY, tz=MSK)
    assert gone.attempts[1].reason == "no_trace"
    assert gone.next_attempt_at == clock.now + 120
    assert (await store.get(request.id)) == gone


async def test_retries_follow_the_backoff_until_failed_with_every_reason(
    store: CallbackStore, clock: Clock
) -> None:
    """Busy, no answer, too short: three counted attempts, then failed; the pair is free again."""
    request = await register(store)
    after_busy = await finish(store, "heating", AttemptResult.BUSY)
    assert after_busy.status is Status.OPEN
    assert after_busy.next_attempt_at == T0 + 120
    assert await store.claim("heating", owner="e", lease_seconds=LEASE, policy=POLICY, tz=MSK) is None
    clock.advance(120)
    after_no_answer = await finish(store, "heating", AttemptResult.NO_ANSWER)
    assert after_no_answer.next_attempt_at == clock.now + 300
    clock.advance(300)
    failed = await finish(store, "heating", AttemptResult.ANSWERED, talk=4)
    assert failed.status is Status.FAILED
    assert [a.result for a in failed.attempts] == [
        AttemptResult.BUSY,
        AttemptResult.NO_ANSWER,
        AttemptResult.TOO_SHORT,
    ]
    assert failed.failure_reasons() == ["busy (busy)", "no_answer (no_answer)", "too_short (answered)"]
    assert await store.get(request.id) == failed
    assert await store.list(Status.FAILED) == [failed]
    fresh = await register(store)
    assert fresh.id != request.id


async def test_an_answered_call_long_enough_is_done(store: CallbackStore) -> None:
    """Answered with at least min_talk_seconds: done, nothing left to claim."""
    await register(store)
    done = await finish(store, "heating", AttemptResult.ANSWERED, talk=POLICY.min_talk_seconds)
    assert done.status is Status.DONE
    assert await store.in_flight("heating") == 0
    assert await store.claim("heating", owner="e", lease_seconds=LEASE, policy=POLICY, tz=MSK) is None


async def test_trunk_and_operator_failures_do_not_use_up_the_citizens_attempts(
    store: CallbackStore, clock: Clock
) -> None:
    """Unreachable and congestion raise an alarm; none of the three counts against the citizen."""
    await register(store)
    with capture_logs() as logs:
        for result in (AttemptResult.UNREACHABLE, AttemptResult.CONGESTION, AttemptResult.OPERATOR_NO_ANSWER):
            reopened = await finish(store, "heating", result)
            assert reopened.status is Status.OPEN
            assert reopened.counted_attempts == 0
            clock.now = reopened.next_attempt_at
    alarms = [e for e in logs if e["event"] == "callback.trunk_failure"]
    assert [a["result"] for a in alarms] == ["unreachable", "congestion"]
    assert all(a["number"] == mask("79161234567") for a in alarms)
    assert all(NUMBER not in str(e) for e in logs)
    for _ in range(POLICY.max_attempts):
        last = await finish(store, "heating", AttemptResult.NO_ANSWER)
        clock.now = last.next_attempt_at
    assert last.status is Status.FAILED
    assert len(last.attempts) == 6


async def test_a_retry_that_falls_in_quiet_hours_is_deferred_to_the_morning(
    store: CallbackStore, clock: Clock
) -> None:
    """Finished at 20:59 with no answer: not tried at 21:01 or 08:59, tried at 09:00, never dropped."""
    clock.now = dt.datetime(2025, 6, 11, 20, 59, tzinfo=MSK).timestamp()
    request = await register(store)
    reopened = await finish(store, "heating", AttemptResult.NO_ANSWER)
    morning = dt.datetime(2025, 6, 12, 9, 0, tzinfo=MSK).timestamp()
    assert reopened.next_attempt_at == morning
    for now in (clock.now + 120, morning - 60):
        clock.now = now
        assert await store.claim("heating", owner="e", lease_seconds=LEASE, policy=POLICY, tz=MSK) is None
    clock.now = morning
    claim = await store.claim("heating", owner="e", lease_seconds=LEASE, policy=POLICY, tz=MSK)
    assert claim is not None
    assert claim.request.id == request.id
    assert claim.attempt_n == 2


async def test_nothing_is_claimed_in_quiet_hours_even_when_overdue(
    store: CallbackStore, clock: Clock
) -> None:
    """A request still waiting at 21:00 stays open until 09:00."""
    clock.now = dt.datetime(2025, 6, 11, 20, 55, tzinfo=MSK).timestamp()
    await register(store)
    clock.advance(10 * 60)
    assert await store.claim("heating", owner="e", lease_seconds=LEASE, policy=POLICY, tz=MSK) is None
    assert len(await store.list(Status.OPEN)) == 1


async def test_cancel_and_cancel_open_for(store: CallbackStore) -> None:
    """Cancelled requests are never claimed; a citizen who got through has all their requests cancelled."""
    heating = await register(store)
    water = await register(store, group="water")
    other = await register(store, "79160000001")
    cancelled = await store.cancel(other.id, "supervisor")
    assert cancelled is not None
    assert (cancelled.status, cancelled.cancel_reason) == (
        Status.CANCELLED,
        "supervisor",
    )
    assert await store.cancel("no-such-id", "x") is None
    only_water = await store.cancel_open_for("8 (916) 123-45-67", "water")
    assert [r.id for r in only_water] == [water.id]
    rest = await store.cancel_open_for("+7 916 123 45 67")
    assert [(r.id, r.status, r.cancel_reason) for r in rest] == [
        (heating.id, Status.CANCELLED, "got_through")
    ]
    assert await store.cancel_open_for("anonymous") == []
    assert await store.list(Status.OPEN) == []
    for group in ("heating", "water"):
        assert await store.claim(group, owner="e", lease_seconds=LEASE, policy=POLICY, tz=MSK) is None


async def test_a_cancel_during_dispatch_takes_effect_when_the_attempt_ends(store: CallbackStore) -> None:
    """Cancelled if the attempt failed; done if it reached the citizen anyway."""
    for result, talk, status in (
        (AttemptResult.NO_ANSWER, 0, Status.CANCELLED),
        (AttemptResult.ANSWERED, 60, Status.DONE),
    ):
        request = await register(store)
        claim = await store.claim("heating", owner="e", lease_seconds=LEASE, policy=POLICY, tz=MSK)
        assert claim is not None
        pending = await store.cancel_open_for(NUMBER)
        assert [(r.id, r.status, r.cancel_reason) for r in pending] == [
            (request.id, Status.DISPATCHING, "got_through")
        ]
        ended = await store.finish(claim, result, reason="", talk_seconds=talk, policy=POLICY, tz=MSK)
        assert ended.status is status


async def test_asking_again_during_dispatch_withdraws_a_pending_cancel(store: CallbackStore) -> None:
    """The citizen got through, then asked for a callback again: the request is not cancelled."""
    request = await register(store)
    claim = await store.claim("heating", owner="e", lease_seconds=LEASE, policy=POLICY, tz=MSK)
    assert claim is not None
    await store.cancel(request.id, "got_through")
    again = await store.register(
        NUMBER, "heating", Source.IN_QUEUE, caller_display=NUMBER, policy=POLICY, sla_minutes=10, tz=MSK
    )
    assert (again.merged, again.position, again.request.cancel_reason) == (True, 1, "")
    ended = await store.finish(claim, AttemptResult.BUSY, reason="", policy=POLICY, tz=MSK)
    assert ended.status is Status.OPEN


def test_a_request_round_trips_through_json() -> None:
    """Every field, attempts included, survives to_json and from_json."""
    request = Request(
        id="abc",
        number=NUMBER,
        group="heating",
        source=Source.LINES_BUSY,
        caller_display="+7 916 123-45-67",
        created_at=T0 + 0.123456,
        due_at=T0 + 600.5,
        next_attempt_at=T0 + 720.25,
        status=Status.OPEN,
        attempts=(
            Attempt(
                1,
                1,
                "engine-1",
                T0 + 1.5,
                "cb-1",
                T0 + 30.25,
                AttemptResult.BUSY,
                "USER_BUSY",
                "op101",
                0.0,
                True,
            ),
            Attempt(2, 3, "engine-2", T0 + 200.0),
        ),
        cancel_reason="",
        priority=0,
    )
    assert Request.from_json(request.to_json()) == request


async def test_a_restarted_engine_finds_everything_where_it_was_left(
    store: CallbackStore, redis_server: str, clock: Clock
) -> None:
    """A new store on a new connection sees the open and the dispatching requests and can go on."""
    waiting = await register(store, "79160000001")
    clock.advance(1)
    dialling = await register(store, "79160000002", sla=5)
    claim = await store.claim("heating", owner="engine-1", lease_seconds=LEASE, policy=POLICY, tz=MSK)
    assert claim is not None
    assert claim.request.id == dialling.id
    await store.record_action(claim, "cb-x")
    client = Redis.from_url(redis_server, decode_responses=False)  # bytes replies work too
    try:
        restarted = CallbackStore(client, clock=clock)
        assert [r.id for r in await restarted.list(Status.OPEN)] == [waiting.id]
        assert [r.id for r in await restarted.list(Status.DISPATCHING)] == [dialling.id]
        assert await restarted.get(waiting.id) == await store.get(waiting.id)
        clock.advance(LEASE + 1)
        [expired] = await restarted.expired_claims()
        assert expired.attempt.action_id == "cb-x"
        adopted = await restarted.adopt(expired, owner="engine-1b", lease_seconds=LEASE)
        await restarted.resolve_unknown(
            adopted, AttemptResult.ANSWERED, talk_seconds=42, policy=POLICY, tz=MSK
        )
        nxt = await restarted.claim("heating", owner="engine-1b", lease_seconds=LEASE, policy=POLICY, tz=MSK)
        assert nxt is not None
        assert nxt.request.id == waiting.id
    finally:
        await client.aclose()


async def test_the_summary_reports_sla_share_first_attempt_times_reach_and_failures(
    store: CallbackStore, clock: Clock
) -> None:
    """One reached on time, one failed busy, one cancelled, one still open and not yet due."""
    on_time = await register(store, "79160000001")
    failing = await register(store, "79160000002", group="water")
    cancelled = await register(store, "79160000003", group="gas")
    clock.advance(60)
    done = await finish(store, "heating", AttemptResult.ANSWERED, talk=30)
    for _ in range(POLICY.max_attempts):
        last = await finish(store, "water", AttemptResult.BUSY)
        clock.now = max(clock.now, last.next_attempt_at)
    await store.cancel(cancelled.id, "got_through")
    await register(store, "79160000004")
    summary = await report.summary(store, since=T0)
    assert done.id == on_time.id
    assert last.id == failing.id
    assert summary.requests == 4
    assert summary.by_status == {"done": 1, "failed": 1, "cancelled": 1, "open": 1}
    assert (summary.within_sla, summary.sla_decided, summary.within_sla_share) == (1, 2, 0.5)
    assert summary.first_attempt_p50 == summary.first_attempt_p90 == 60
    assert (summary.first_attempt_reached, summary.first_attempt_ended) == (1, 2)
    assert summary.failed_by_reason == {"busy": 1}


async def test_stores_under_different_prefixes_do_not_see_each_other(redis: Redis, clock: Clock) -> None:
    """A second hotline (or a test) on the same Redis keeps its own requests."""
    first = CallbackStore(redis, clock=clock)
    second = CallbackStore(redis, clock=clock, key_prefix="other:cb:")
    mine = await register(first)
    theirs = await register(second)
    assert theirs.id != mine.id
    assert [r.id for r in await first.list()] == [mine.id]
    assert [r.id for r in await second.list(Status.OPEN)] == [theirs.id]
    assert all(key.startswith(("hotline:cb:", "other:cb:")) for key in await redis.keys("*"))


async def test_a_caller_who_waited_in_the_queue_keeps_their_place_in_the_stored_request(
    store: CallbackStore, clock: Clock
) -> None:
    registration = await store.register(
        NUMBER,
        "heating",
        Source.IN_QUEUE,
        caller_display=NUMBER,
        policy=POLICY,
        sla_minutes=10,
        tz=MSK,
        waited=75.0,
    )
    stored = await store.get(registration.request.id)
    assert stored is not None
    assert stored.waiting_since == T0 - 75.0
    assert stored.place_at == T0 - 75.0
    assert stored.due_at == T0 + 600  # the promise still counts from when they asked


async def test_ready_lists_the_requests_whose_time_has_come_earliest_due_first(
    store: CallbackStore, clock: Clock
) -> None:
    """Without claiming: a retry whose backoff has passed is listed again, a later one is not."""
    first = await register(store, "79161110001", sla=10)
    second = await register(store, "79161110002", sla=5)
    await register(store, "79161110003", group="water")
    assert [r.id for r in await store.ready("heating", 10)] == [second.id, first.id]
    assert [r.id for r in await store.ready("heating", 1)] == [second.id]
    retried = await finish(store, "heating", AttemptResult.NO_ANSWER)  # `second`, back in 2 minutes
    assert [r.id for r in await store.ready("heating", 10)] == [first.id]
    clock.advance(121)
    assert {r.id for r in await store.ready("heating", 10)} == {first.id, retried.id}
    assert await store.ready("heating", 0) == []


async def test_a_hold_is_exclusive_across_engines_until_released_or_expired(
    store: CallbackStore, other_client: Redis, clock: Clock
) -> None:
    other = CallbackStore(other_client, clock=clock)
    assert await store.hold("op:op101", "engine-1", 30)
    assert not await other.hold("op:op101", "engine-2", 30)
    assert await store.hold("op:op101", "engine-1", 30)  # renewed by its owner
    await other.unhold("op:op101", "engine-2")  # not engine-2's to release
    assert not await other.hold("op:op101", "engine-2", 30)
    await store.unhold("op:op101", "engine-1")
    assert await other.hold("op:op101", "engine-2", 0.05)
    await asyncio.sleep(0.2)  # Redis expires it by its own clock
    assert await store.hold("op:op101", "engine-1", 30)
