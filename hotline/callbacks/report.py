"""How well the hotline keeps its callback promise: the summary supervisors read.

- within the SLA: a request counts as called back within the SLA when the attempt that reached the
  citizen started no later than its due time. Its share is taken over the requests that are decided or
  already late (done, failed, or still open or dispatching past their due time); cancelled requests (the
  citizen got through otherwise) and requests not yet due are left out.
- time to first attempt: from when the request could first be called (its creation; for one left
  while the hotline was closed, its due time, the opening) to its first attempt; p50 and p90.
- first-attempt reach rate: the share of requests whose first ended attempt reached the citizen
  (answered, even too briefly); failures on our side (trunk, operator) count as not reached.
- failed by reason: failed requests by the result of their last attempt.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

from hotline.callbacks.model import AttemptResult, Request, Source, Status
from hotline.callbacks.store import CallbackStore

REACHED = (AttemptResult.ANSWERED, AttemptResult.TOO_SHORT)


@dataclass(frozen=True, slots=True)
class Summary:
    since: float
    until: float
    requests: int
    by_status: dict[str, int]
    within_sla: int
    sla_decided: int  # the denominator of `within_sla_share`
    first_attempt_p50: float | None  # seconds
    first_attempt_p90: float | None
    first_attempt_reached: int
    first_attempt_ended: int  # the denominator of `first_attempt_reach_rate`
    failed_by_reason: dict[str, int] = field(default_factory=dict)

    @property
    def within_sla_share(self) -> float | None:
        return self.within_sla / self.sla_decided if self.sla_decided else None

    @property
    def first_attempt_reach_rate(self) -> float | None:
        return self.first_attempt_reached / self.first_attempt_ended if self.first_attempt_ended else None


def percentile(values: list[float], p: float) -> float | None:
    """The nearest-rank percentile (p in 0..100) of `values`; None when there are none."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def _within_sla(request: Request) -> bool:
    return request.status is Status.DONE and any(
        a.result is AttemptResult.ANSWERED and a.started_at <= request.due_at for a in request.attempts
    )


def _sla_decided(request: Request, now: float) -> bool:
    if request.status is Status.CANCELLED:
        return False
    return not request.status.active or request.due_at <= now


def summarise(requests: list[Request], since: float, now: float) -> Summary:
    """The summary of these requests, as of `now` (pure; `summary` reads them from the store)."""
    waits: list[float] = []
    reached = ended = 0
    failed: Counter[str] = Counter()
    for request in requests:
        if request.attempts:
            callable_from = request.due_at if request.source is Source.CLOSED else request.created_at
            waits.append(max(0.0, request.attempts[0].started_at - callable_from))
        first = next((a for a in request.attempts if a.result is not None), None)
        if first is not None:
            ended += 1
            reached += first.result in REACHED
        if request.status is Status.FAILED:
            last = request.last_attempt
            failed[last.result.value if last is not None and last.result is not None else "unknown"] += 1
    return Summary(
        since=since,
        until=now,
        requests=len(requests),
        by_status=dict(Counter(r.status.value for r in requests)),
        within_sla=sum(1 for r in requests if _within_sla(r)),
        sla_decided=sum(1 for r in requests if _sla_decided(r, now)),
        first_attempt_p50=percentile(waits, 50),
        first_attempt_p90=percentile(waits, 90),
        first_attempt_reached=reached,
        first_attempt_ended=ended,
        failed_by_reason=dict(failed),
    )


async def summary(store: CallbackStore, since: float) -> Summary:
    """The summary of the requests created since `since` (epoch seconds), as of the store's clock."""
    return summarise(await store.list(since=since), since, store.now())
