"""The callback requests in Redis: registration, EDF claims under lease and fence, outcomes.

The life of a request::

    register ──> open ──claim──> dispatching ──finish──> done | failed | open (retry later)
                  │                  │  lease expired: expired_claims ─> adopt ─> reconcile with
                  │                  │  Asterisk ─> resolve_unknown (never re-dialled before that)
                  └──cancel──> cancelled <── (a cancel while dispatching takes effect at finish)

Exactly once: `claim` is one Lua script that takes the group's earliest-due ready request, sets it
dispatching, bumps its fencing token and records the attempt, all before anything is dialled; a
dispatching request is never claimed again. Every later write under that claim (`record_action`,
`extend`, `finish`) checks the token inside a script, so an engine that lost its lease and was taken
over changes nothing (`StaleClaim`).

Time comes from the injected clock (the engines' clocks are assumed to agree within a second or two:
leases are meant to be tens of seconds).
"""

from __future__ import annotations

import builtins
import json
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any
from zoneinfo import ZoneInfo

from redis.asyncio import Redis
from redis.typing import EncodableT

from hotline.callbacks import schedule
from hotline.callbacks import store_lua as lua
from hotline.callbacks.layout import Keys, Row, from_fields, pairs, reply_texts, row_of_reply, to_fields
from hotline.callbacks.limits import RateLimiter
from hotline.callbacks.model import (
    PRIORITY_FIRST,
    PRIORITY_NORMAL,
    Attempt,
    AttemptResult,
    Claim,
    Registration,
    Request,
    Source,
    Status,
)
from hotline.callbacks.numbers import normalise
from hotline.constants import CB_RETENTION, KEY_CB_PREFIX
from hotline.dialplan.calendar import OpenHours
from hotline.dialplan.model import CallbackPolicy, NumberRules
from hotline.errors import NumberRefused, StaleClaim
from hotline.log import get_logger
from hotline.redact import mask
from router.redis_text import text, text_hash, texts

log = get_logger(__name__)

CALL_END_GRACE = 5.0  # seconds between the end of the citizen's call and the first attempt to call back
CALL_HOLD_SECONDS = 120.0  # the first attempt's latest hold, should the end of the call never be heard
ORIGIN_TTL = 3600  # seconds a request waits to hear that the call it was asked on has ended

DAY_COUNTER_TTL = 2 * 24 * 3600  # seconds: a local day plus any offset
CLAIM_LOOKAHEAD = 50  # most capped-out heads one claim puts back before giving up until the next call
TRUNK_FAILURES = (AttemptResult.UNREACHABLE, AttemptResult.CONGESTION)


class CallbackStore:
    """Callback requests in Redis. Safe to use from several engine processes at once."""

    def __init__(
        self,
        redis: Redis,
        *,
        clock: Callable[[], float] = time.time,
        key_prefix: str = KEY_CB_PREFIX,
        retention: int = CB_RETENTION,
    ) -> None:
        self._redis = redis
        self._clock = clock
        self._keys = Keys(key_prefix)
        self._retention = retention
        self._limiter = RateLimiter(redis, clock=clock, key_prefix=key_prefix)
        self._register = redis.register_script(lua.REGISTER)
        self._claim = redis.register_script(lua.CLAIM)
        self._fenced_set = redis.register_script(lua.FENCED_SET)
        self._adopt = redis.register_script(lua.ADOPT)
        self._finish = redis.register_script(lua.FINISH)
        self._cancel = redis.register_script(lua.CANCEL)
        self._ready = redis.register_script(lua.READY)
        self._hold = redis.register_script(lua.HOLD)
        self._unhold = redis.register_script(lua.UNHOLD)
        self._start_at = redis.register_script(lua.START_AT)

    def now(self) -> float:
        """The store's clock (the injected one)."""
        return self._clock()

    # --- registering and cancelling -------------------------------------------------------------------

    async def register(
        self,
        number: str,
        group: str,
        source: Source,
        *,
        caller_display: str,
        policy: CallbackPolicy,
        sla_minutes: int,
        tz: ZoneInfo,
        hours: OpenHours | None = None,
        waited: float = 0.0,
        call_id: str = "",
        identity: str | None = None,
    ) -> Registration:
        """Store a request for `number` (normalised here) and `group`, or merge into the open or
        dispatching one of the same pair (which keeps its source; a pending cancel of it is withdrawn).
        Stored before it returns: only then may the IVR promise. Atomic: concurrent registrations for
        one pair make one request.

        `position`: 1 + the group's open requests due earlier (1 while a call to the citizen is being
        placed). NumberRefused when the number cannot be called back; CallbackRefused over a rate
        limit (merges count too). With `hours`, attempts are placed only while the hotline is open.
        `waited`: seconds the citizen had already waited in a queue when they asked (their place there is
        kept: `Request.place_at`). `call_id`: the citizen's own call, still up while they ask: no attempt
        starts before `call_ended` says it is over (or, should that never be heard, CALL_HOLD_SECONDS
        from now): the first attempt would find their one line busy. `identity`: the number the carrier
        asserts for the caller (`hotline.callbacks.identity`), which the rate limits count them by.
        """
        number = normalise(number, policy.numbers)
        await self._limiter.admit(caller_display, number, group, policy, identity=identity)
        now = self._clock()
        due = schedule.due_at(now, sla_minutes, source, policy=policy, tz=tz, hours=hours)
        draft = Request(
            id=uuid.uuid4().hex,
            number=number,
            group=group,
            source=source,
            caller_display=caller_display,
            created_at=now,
            due_at=due,
            next_attempt_at=now,
            priority=PRIORITY_FIRST if source is Source.CLOSED else PRIORITY_NORMAL,
            waiting_since=now - waited if waited > 0 else None,
        )
        own_time = schedule.next_attempt_at(policy, draft, now, tz, hours)
        held = max(own_time, now + CALL_HOLD_SECONDS) if call_id else own_time
        request = replace(draft, next_attempt_at=held)
        k = self._keys
        keys = [k.active(number), k.open(group), k.ready(group), k.later(group), k.all, k.groups, k.seq]
        priority = min(max(request.priority, 0), 99)
        args: list[EncodableT] = [k.request_head, group, request.id, priority, repr(request.due_at)]
        args += [repr(request.next_attempt_at), repr(now), repr(now), repr(now - self._retention)]
        args += [repr(held) if call_id else "0"]
        answer: list[Any] = await self._register(keys=keys, args=[*args, *pairs(to_fields(request))])
        merged, request_id, position = bool(int(answer[0])), text(answer[1]), int(answer[2])
        # the attempt time the end of the call gives back: the new request's, or that of the open one it
        # merged into (also held now); none for a request being dialled at this moment
        own = own_time if not merged else float(text(answer[3])) if text(answer[3]) else None
        if call_id and own is not None:
            await self._redis.set(k.origin(call_id), f"{request_id} {group} {own!r}", ex=ORIGIN_TTL)
        if merged:
            stored = await self.get(request_id)
            if stored is None:  # expired between the script and this read: only with a tiny retention
                raise LookupError(f"callback request {request_id} vanished")
            request = stored
        log.info(
            "callback.merged" if merged else "callback.registered",
            request_id=request.id,
            number=mask(number),
            group=group,
            source=request.source.value,
            position=position,
            due_in=round(request.due_at - now),
        )
        return Registration(request, merged, position)

    async def cancel(self, request_id: str, reason: str) -> Request | None:
        """Cancel a request. An open one is cancelled at once; a dispatching one keeps its attempt and
        ends cancelled unless that attempt reaches the citizen; a finished one is left as it is.
        Returns the request as it is afterwards, None for an unknown id."""
        row = await self._row(request_id)
        if row is None:
            return None
        req = row.request
        k = self._keys
        keys = [
            k.request(req.id),
            k.active(req.number),
            k.open(req.group),
            k.ready(req.group),
            k.later(req.group),
        ]
        outcome = await self._cancel(keys=keys, args=[req.id, req.group, reason, self._retention])
        if outcome is not None and text(outcome) in ("cancelled", "pending"):
            log.info(
                "callback.cancelled",
                request_id=req.id,
                number=mask(req.number),
                reason=reason,
                pending=text(outcome) == "pending",
            )
        return await self.get(req.id)

    async def cancel_open_for(
        self,
        number: str,
        group: str | None = None,
        reason: str = "got_through",
        *,
        rules: NumberRules | None = None,
    ) -> builtins.list[Request]:
        """Cancel the citizen's open or dispatching requests (of one group, or all): they got through to
        an operator on a later call. A number that cannot be normalised has none. Returns them."""
        try:
            number = normalise(number, rules or NumberRules())
        except NumberRefused:
            return []
        active = text_hash(await self._redis.hgetall(self._keys.active(number)))
        cancelled: builtins.list[Request] = []
        for request_group, request_id in sorted(active.items()):
            if group is None or request_group == group:
                request = await self.cancel(request_id, reason)
                if request is not None:
                    cancelled.append(request)
        return cancelled

    # --- dispatching ------------------------------------------------------------------------------------

    async def claim(
        self, group: str, *, owner: str, lease_seconds: float, policy: CallbackPolicy, tz: ZoneInfo
    ) -> Claim | None:
        """Take the group's earliest-due request whose attempt time has come, for `owner`, and record
        its attempt; None when there is none, and always in quiet hours. Atomic: two engines never take
        the same request. A number whose attempts of the local day are used up is put back for the
        next day (never dropped)."""
        now = self._clock()
        if schedule.is_quiet(now, policy, tz):
            return None
        local_date, next_day = schedule.local_day(now, tz)
        day_head, day_tail = self._keys.day_parts(local_date)
        lease_expires_at = now + lease_seconds
        k = self._keys
        keys = [k.ready(group), k.later(group), k.open(group), k.leases, k.inflight(group)]
        args: list[EncodableT] = [k.request_head, repr(now), owner, repr(lease_expires_at)]
        args += [day_head, day_tail]
        args += [policy.attempts_per_number_per_day, repr(schedule.out_of_quiet(next_day, policy, tz))]
        args += [DAY_COUNTER_TTL, CLAIM_LOOKAHEAD, json.dumps(owner, ensure_ascii=False)]
        answer: list[Any] | None = await self._claim(keys=keys, args=args)
        if not answer:
            return None
        row = row_of_reply(answer[3])
        claim = Claim(row.request, int(answer[1]), int(answer[2]), lease_expires_at, owner)
        log.info(
            "callback.claimed",
            request_id=row.request.id,
            number=mask(row.request.number),
            group=group,
            attempt=claim.attempt_n,
            fence=claim.fence,
            owner=owner,
            slack=round(schedule.deadline_slack(row.request, now)),
        )
        return claim

    async def record_action(self, claim: Claim, action_id: str) -> Claim:
        """Write the AMI ActionID of the attempt's Originate; call it BEFORE sending the Originate, so
        that a crash right after leaves a trace to reconcile. StaleClaim when the claim is not current."""
        row = await self._current(claim)
        attempt = replace(_attempt_of(row.request, claim), action_id=action_id)
        await self._set_fenced(claim, {f"a:{attempt.n}": attempt.to_json()})
        return replace(claim, request=row.request.with_attempt(attempt))

    async def extend(self, claim: Claim, lease_seconds: float) -> Claim:
        """Renew the lease while the call is up (a heartbeat). StaleClaim when the claim is not current."""
        expires = self._clock() + lease_seconds
        await self._set_fenced(claim, {}, lease_expires_at=expires)
        return replace(claim, lease_expires_at=expires)

    async def finish(
        self,
        claim: Claim,
        result: AttemptResult,
        *,
        reason: str,
        operator: str = "",
        talk_seconds: float = 0.0,
        counts: bool | None = None,
        policy: CallbackPolicy,
        tz: ZoneInfo,
        hours: OpenHours | None = None,
    ) -> Request:
        """Record how the claimed attempt ended and what happens next; fenced (StaleClaim changes nothing).

        answered with at least `min_talk_seconds` -> done (answered with less is recorded as too_short).
        A counted failure that uses up `max_attempts` -> failed, every attempt keeping its reason.
        Otherwise -> open again, its next attempt after the backoff and outside quiet hours. `counts`
        overrides whether the attempt uses up one of the citizen's attempts (default: the result's own
        `counts`; trunk, operator and unknown outcomes do not). A pending cancel ends it cancelled
        unless the citizen was reached.
        """
        row = await self._current(claim)
        now = self._clock()
        if result is AttemptResult.ANSWERED and talk_seconds < policy.min_talk_seconds:
            result = AttemptResult.TOO_SHORT
        ended = replace(
            _attempt_of(row.request, claim),
            ended_at=now,
            result=result,
            reason=reason,
            operator=operator,
            talk_seconds=float(talk_seconds),
            counts=result.counts if counts is None else counts,
        )
        request = row.request.with_attempt(ended)
        next_at = request.next_attempt_at
        if result is AttemptResult.ANSWERED:
            status = Status.DONE
        elif ended.counts and request.counted_attempts >= policy.max_attempts:
            status = Status.FAILED
        else:
            status = Status.OPEN
            next_at = schedule.next_attempt_at(policy, request, now, tz, hours)
        k, req = self._keys, request
        keys = [k.request(req.id), k.active(req.number), k.open(req.group), k.ready(req.group)]
        keys += [k.later(req.group), k.leases, k.inflight(req.group)]
        args: list[EncodableT] = [claim.fence, req.id, req.group, status.value, repr(next_at), repr(now)]
        args.append(f"a:{ended.n}")
        written = await self._finish(keys=keys, args=[*args, ended.to_json(), self._retention])
        if written is None:
            raise self._stale(claim)
        request = replace(request, status=Status(text(written)), next_attempt_at=next_at)
        fields = {"request_id": req.id, "number": mask(req.number), "group": req.group, "attempt": ended.n}
        if result in TRUNK_FAILURES:
            log.warning("callback.trunk_failure", result=result.value, reason=reason, **fields)
        log.info(
            "callback.finished",
            result=result.value,
            reason=reason,
            counts=ended.counts,
            status=request.status.value,
            next_in=round(next_at - now) if request.status is Status.OPEN else None,
            **fields,
        )
        if request.status is Status.FAILED:
            log.warning("callback.failed", reasons=request.failure_reasons(), **fields)
        return request

    # --- after a crash ----------------------------------------------------------------------------------

    async def expired_claims(self) -> builtins.list[Claim]:
        """Dispatching requests whose lease has expired: their engine died mid-dispatch (or stalled).

        Such a request is never claimed again by itself. The dispatcher `adopt`s it, looks for the
        attempt's call in Asterisk's own state (by its ActionID) and then calls `resolve_unknown`.
        """
        now = self._clock()
        ids = reply_texts(await self._redis.zrangebyscore(self._keys.leases, "-inf", repr(now)))
        claims: builtins.list[Claim] = []
        for row in await self._rows(sorted(ids)):
            if row.request.status is Status.DISPATCHING and row.lease_expires_at <= now:
                last = row.request.last_attempt
                n = last.n if last is not None else 0
                claims.append(Claim(row.request, n, row.fence, row.lease_expires_at, row.lease_owner))
        return claims

    async def adopt(self, expired: Claim, *, owner: str, lease_seconds: float) -> Claim:
        """Take over an expired claim for reconciliation: a new fencing token, so the old owner, should
        it wake up, can change nothing. The attempt stays the same one; nothing is dialled.
        StaleClaim when someone else took it first, or when the lease has not expired."""
        now = self._clock()
        expires = now + lease_seconds
        k = self._keys
        keys = [k.request(expired.request.id), k.leases]
        args: list[EncodableT] = [expired.fence, repr(now), owner, repr(expires), expired.request.id]
        fence = int(await self._adopt(keys=keys, args=args))
        if fence < 0:
            raise StaleClaim(
                f"callback request {expired.request.id}: "
                + ("its lease has not expired" if fence == -2 else "already taken over or finished")
            )
        log.warning(
            "callback.adopted",
            request_id=expired.request.id,
            attempt=expired.attempt_n,
            previous_owner=expired.owner,
            owner=owner,
            fence=fence,
        )
        return replace(expired, fence=fence, lease_expires_at=expires, owner=owner)

    async def resolve_unknown(
        self,
        claim: Claim,
        found: AttemptResult | None,
        *,
        reason: str = "",
        operator: str = "",
        talk_seconds: float = 0.0,
        policy: CallbackPolicy,
        tz: ZoneInfo,
        hours: OpenHours | None = None,
    ) -> Request:
        """End an attempt whose outcome the engine lost, once Asterisk's own state has been consulted.

        `found`: what Asterisk says happened to the attempt's call (its CDR or channel, found by the
        ActionID) -> recorded as by `finish`. None: Asterisk has no trace -> recorded as `unknown`, not
        counted against the citizen, and the request reopens: at once when no ActionID was written (the
        Originate was never sent), after the first backoff step otherwise. Fenced like `finish`.
        """
        if found is not None:
            return await self.finish(
                claim,
                found,
                reason=reason,
                operator=operator,
                talk_seconds=talk_seconds,
                policy=policy,
                tz=tz,
                hours=hours,
            )
        attempt = _attempt_of((await self._current(claim)).request, claim)
        why = reason or ("no_trace" if attempt.action_id else "not_dialled")
        return await self.finish(
            claim, AttemptResult.UNKNOWN, reason=why, counts=False, policy=policy, tz=tz, hours=hours
        )

    # --- reading ----------------------------------------------------------------------------------------

    async def next_due(self, group: str) -> float | None:
        """When the group's next waiting attempt falls due (its `next_attempt_at`), None if none waits.

        Requests already moved to the ready set are due now and are taken by every `claim`; they are
        not reported here, so a dispatcher that sleeps until `next_due` never spins on a request it
        cannot claim yet (quiet hours, a number's daily cap, no free operator)."""
        later = await self._redis.zrange(self._keys.later(group), 0, 0, withscores=True)
        return float(later[0][1]) if later else None

    async def ready(self, group: str, limit: int) -> builtins.list[Request]:
        """Up to `limit` of the group's requests whose attempt time has come, earliest due first: the
        ones the next claims take, in that order."""
        if limit <= 0:
            return []
        k = self._keys
        answer: list[Any] = await self._ready(
            keys=[k.ready(group), k.later(group)], args=[k.request_head, repr(self._clock()), limit]
        )
        return [row_of_reply(reply).request for reply in answer]

    async def call_ended(self, call_id: str, grace: float = CALL_END_GRACE) -> str | None:
        """The citizen's call `call_id` has ended: the request they asked for on it may be dialled
        `grace` seconds from now (or at its own time, if later). The request's id, or None when no
        request waited for that call (every other call of the hotline)."""
        held = await self._redis.getdel(self._keys.origin(call_id))
        if held is None:
            return None
        request_id, group, own_time = text(held).split(" ")
        now = self._clock()
        at = max(float(own_time), now + grace)
        keys = [self._keys.request(request_id), self._keys.later(group)]
        moved = bool(await self._start_at(keys=keys, args=[repr(at)]))
        log.info(
            "callback.call_ended", request_id=request_id, first_attempt_in=round(at - now, 1), moved=moved
        )
        return request_id

    async def hold(self, name: str, owner: str, seconds: float) -> bool:
        """Take (or renew) a short exclusive hold shared by every engine: an operator being dialled for
        a callback, a group whose reservations one engine manages. False when another owner has it."""
        ms = max(1, int(seconds * 1000))
        return bool(await self._hold(keys=[self._keys.hold(name)], args=[owner, ms]))

    async def unhold(self, name: str, owner: str) -> None:
        """Let go of a hold this owner has (another owner's hold is left alone)."""
        await self._unhold(keys=[self._keys.hold(name)], args=[owner])

    async def in_flight(self, group: str) -> int:
        """How many of the group's requests are dispatching."""
        return int(await self._redis.scard(self._keys.inflight(group)))

    async def get(self, request_id: str) -> Request | None:
        row = await self._row(request_id)
        return None if row is None else row.request

    async def history(self, request_id: str) -> tuple[Attempt, ...] | None:
        """The request's attempts, oldest first; None for an unknown id."""
        request = await self.get(request_id)
        return None if request is None else request.attempts

    async def forget_attempt_counts(self, numbers: Iterable[str]) -> int:
        """Forget the daily attempt counts of `numbers`, every date; how many counters there were. For
        the demo, whose clock shows the same day on every run (its citizens would otherwise reach the
        daily cap and be put back to the next day), never for a hotline in service."""
        head, _ = self._keys.day_parts("")
        keys: builtins.list[str] = []
        for number in numbers:
            keys += [key async for key in self._redis.scan_iter(match=f"{head}{number}:*")]
        return int(await self._redis.delete(*keys)) if keys else 0

    async def cancel_every_active(self, reason: str) -> int:
        """Cancel every open or dispatching request (`cancel`); how many there were. For a sandbox
        started afresh (the demo, a test), never for a hotline in service."""
        active = [*await self.list(Status.OPEN), *await self.list(Status.DISPATCHING)]
        for request in active:
            await self.cancel(request.id, reason)
        return len(active)

    async def list(
        self, status: Status | None = None, group: str | None = None, *, since: float | None = None
    ) -> builtins.list[Request]:
        """Requests, optionally of one status, one group, created since an instant; earliest due first."""
        k = self._keys
        indexed = status in (Status.OPEN, Status.DISPATCHING) and since is None
        if indexed:
            groups = [group] if group is not None else sorted(texts(await self._redis.smembers(k.groups)))
            ids: set[str] = set()
            for g in groups:
                if status is Status.OPEN:
                    ids |= {
                        m.rsplit(":", 1)[-1] for m in reply_texts(await self._redis.zrange(k.open(g), 0, -1))
                    }
                else:
                    ids |= texts(await self._redis.smembers(k.inflight(g)))
        else:
            low = "-inf" if since is None else repr(since)
            ids = reply_texts(await self._redis.zrangebyscore(k.all, low, "+inf"))
        rows = await self._rows(sorted(ids))
        gone = ids - {row.request.id for row in rows}
        if gone and not indexed:
            await self._redis.zrem(k.all, *gone)  # finished requests past their retention
        requests = [
            row.request
            for row in rows
            if (status is None or row.request.status is status)
            and (group is None or row.request.group == group)
        ]
        return sorted(requests, key=lambda r: (r.due_at, r.priority, r.created_at, r.id))

    # --- internals --------------------------------------------------------------------------------------

    async def _row(self, request_id: str) -> Row | None:
        raw = text_hash(await self._redis.hgetall(self._keys.request(request_id)))
        return from_fields(raw) if raw else None

    async def _rows(self, ids: builtins.list[str]) -> builtins.list[Row]:
        if not ids:
            return []
        async with self._redis.pipeline(transaction=False) as pipe:
            for request_id in ids:
                pipe.hgetall(self._keys.request(request_id))
            answers = await pipe.execute()
        return [from_fields(text_hash(raw)) for raw in answers if raw]

    async def _current(self, claim: Claim) -> Row:
        row = await self._row(claim.request.id)
        if row is None or row.fence != claim.fence or row.request.status is not Status.DISPATCHING:
            raise self._stale(claim)
        return row

    async def _set_fenced(
        self, claim: Claim, values: dict[str, str], *, lease_expires_at: float | None = None
    ) -> None:
        keys = [self._keys.request(claim.request.id), self._keys.leases]
        lease = "" if lease_expires_at is None else repr(lease_expires_at)
        done = await self._fenced_set(keys=keys, args=[claim.fence, claim.request.id, lease, *pairs(values)])
        if not int(done):
            raise self._stale(claim)

    def _stale(self, claim: Claim) -> StaleClaim:
        log.warning("callback.stale_claim", request_id=claim.request.id, fence=claim.fence, owner=claim.owner)
        return StaleClaim(
            f"callback request {claim.request.id}: the claim with fence {claim.fence} is no longer current "
            "(taken over or finished); nothing was changed"
        )

    async def open_count(self, group: str) -> int:
        """How many of the group's requests are open (waiting for an operator, due or not yet)."""
        return int(await self._redis.zcard(self._keys.open(group)))


def _attempt_of(request: Request, claim: Claim) -> Attempt:
    """The attempt a claim placed, as recorded in `request`."""
    for attempt in request.attempts:
        if attempt.n == claim.attempt_n:
            return attempt
    raise StaleClaim(f"callback request {request.id} has no attempt {claim.attempt_n}")
