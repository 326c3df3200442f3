"""Operator presence: who is logged in to which skill group and who is paused, kept in Redis and applied
to Asterisk's queue members.

Redis is the truth for what operators asked (by feature code on their phones); Asterisk is made to match
it at engine start, on every AMI (re)connection (an Asterisk restart brings static members back
unpaused) and after each change, and every correction is logged. The rules (what a code changes, how
each member should look) are pure functions in `router.presence_rules`.

Redis layout (key names in hotline.constants):
    KEY_PRESENCE        hash  per operator: logged_in (group ids, comma-separated), pause_reason ("" none),
                              pause_until (epoch s, "" none), since (epoch s). Absent: never changed, the
                              operator starts as `phones.start_logged_in` says.
    KEY_PRESENCE_TIMED  zset  operators in a timed pause (wrapup, rejected...) scored by its end

A timed pause ends by itself: `run_timed` (one task per engine) finds the due ones, and a Lua script
claims each atomically (ZREM, then clears the pause only if it is still the one that fell due), so with
several engines exactly one resumes it. Every change is a WATCH/MULTI read-modify-write, so two engines
changing the same operator never lose one of the changes.

Known window: the dispatcher's holds are read from Asterisk just before correcting; a hold placed between
that read and the correction is overwritten, and the dispatcher puts it back on its next pass.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping
from typing import Final

from redis.asyncio import Redis
from redis.exceptions import RedisError, WatchError

from hotline import constants as c
from hotline import tasks
from hotline.callbacks.layout import reply_texts
from hotline.dialplan.model import Dialplan, Operator
from hotline.errors import AmiError, HotlineError
from hotline.log import get_logger
from router import presence_rules as rules
from router.ami_wire import Message
from router.presence_rules import OperatorState
from router.redis_text import fields, text_hash
from router.state import AmiActions

__all__ = ["OperatorState", "Presence", "UnknownOperator"]

log = get_logger("router.presence")

# KEYS: timed zset, the operator's hash; ARGV: operator, now. 1 when this caller ended the pause.
_CLAIM_DUE: Final = """
local due = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not due or tonumber(due) > tonumber(ARGV[2]) then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
local until_ = redis.call('HGET', KEYS[2], 'pause_until')
if not until_ or until_ == '' or tonumber(until_) > tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[2], 'pause_reason', '', 'pause_until', '', 'since', ARGV[2])
return 1
"""


class UnknownOperator(HotlineError, LookupError):
    """The operator id is not one of the current dialplan's operators."""


class Presence:
    def __init__(
        self,
        redis: Redis,
        ami: AmiActions,
        dialplan: Callable[[], Dialplan],
        *,
        clock: Callable[[], float],
        timed_every: float = 1.0,
    ) -> None:
        self._redis = redis
        self._ami = ami
        self._dialplan = dialplan
        self._clock = clock
        self._timed_every = timed_every
        self._claim_due = redis.register_script(_CLAIM_DUE)
        self._task: asyncio.Task[None] | None = None

    # --- reading ------------------------------------------------------------------------------------

    def _operator(self, operator: str) -> Operator:
        found = self._dialplan().operators.get(operator)
        if found is None:
            raise UnknownOperator(f"no operator {operator!r} in the dialplan")
        return found

    async def state(self, operator: str) -> OperatorState:
        """The operator's stored state (the default of `phones.start_logged_in` when never stored)."""
        op = self._operator(operator)
        raw = text_hash(await self._redis.hgetall(_key(operator)))
        return self._decode(op, raw)

    async def states(self) -> dict[str, OperatorState]:
        """Every operator of the current dialplan, read in one round trip."""
        operators = list(self._dialplan().operators.values())
        async with self._redis.pipeline(transaction=False) as pipe:
            for op in operators:
                pipe.hgetall(_key(op.id))
            replies = await pipe.execute()
        return {op.id: self._decode(op, text_hash(raw)) for op, raw in zip(operators, replies, strict=True)}

    def _decode(self, op: Operator, raw: Mapping[str, str]) -> OperatorState:
        if not raw:
            return rules.initial_state(op, self._dialplan(), 0.0)
        groups = frozenset(g for g in raw.get("logged_in", "").split(",") if g)
        until = raw.get("pause_until", "")
        return OperatorState(
            operator=op.id,
            logged_in=groups & frozenset(op.skills),  # a group the dialplan no longer gives them is gone
            pause_reason=raw.get("pause_reason") or None,
            pause_until=float(until) if until else None,
            since=float(raw.get("since") or 0.0),
        )

    # --- changes ------------------------------------------------------------------------------------

    async def login(self, operator: str, group: str | None = None) -> OperatorState:
        """Log in to `group`, or (None) to every group of the operator."""
        op = self._operator(operator)
        return await self._change(op, "login", lambda s, now: rules.logged_in(s, op, group, now), group=group)

    async def logout(self, operator: str, group: str | None = None) -> OperatorState:
        """Log out of `group`, or (None) of every group of the operator."""
        op = self._operator(operator)
        return await self._change(
            op, "logout", lambda s, now: rules.logged_out(s, op, group, now), group=group
        )

    async def pause(self, operator: str, reason: str, *, until: float | None = None) -> OperatorState:
        """Pause in every queue the operator is logged in to; `until`: the pause ends by itself then."""
        op = self._operator(operator)
        return await self._change(
            op, "pause", lambda s, now: rules.paused(s, reason, until, now), reason=reason, until=until
        )

    async def resume(self, operator: str) -> OperatorState:
        op = self._operator(operator)
        return await self._change(op, "resume", lambda s, now: rules.resumed(s, now))

    async def _change(
        self,
        op: Operator,
        action: str,
        change: Callable[[OperatorState, float], OperatorState],
        **details: object,
    ) -> OperatorState:
        """Store the change (a WATCH/MULTI read-modify-write), then apply it to Asterisk. An AMI failure
        after the state is stored is logged only: the next (re)connection's reconcile applies it."""
        key = _key(op.id)
        while True:
            try:
                async with self._redis.pipeline(transaction=True) as pipe:
                    await pipe.watch(key)
                    now = self._clock()
                    before = self._decode(op, text_hash(await pipe.hgetall(key)))
                    after = change(before, now)
                    pipe.multi()  # type: ignore[no-untyped-call]  # redis-py leaves Pipeline.multi unannotated
                    pipe.hset(key, mapping=fields(_encode(after)))
                    if after.pause_until is not None:
                        pipe.zadd(c.KEY_PRESENCE_TIMED, {op.id: after.pause_until})
                    else:
                        pipe.zrem(c.KEY_PRESENCE_TIMED, op.id)
                    await pipe.execute()
                    break
            except WatchError:
                continue
        log.info(
            "presence.changed",
            operator=op.id,
            action=action,
            logged_in=sorted(after.logged_in),
            pause_reason=after.pause_reason,
            pause_until=after.pause_until,
            **details,
        )
        try:
            await self._apply(op, after, await self._members(op.id))
        except AmiError as exc:
            log.warning("presence.apply_deferred", operator=op.id, action=action, error=str(exc))
        return after

    # --- Asterisk -----------------------------------------------------------------------------------

    async def restore(self, operator: str) -> None:
        """Make Asterisk match the stored state for this operator: what the dispatcher calls instead of
        a plain unpause when it lets an operator go (its own hold is replaced by the stored state)."""
        if operator not in self._dialplan().operators:  # gone in a reload: nothing of theirs to restore
            interface = rules.interface_of(operator)
            await self._ami.send_action({"Action": "QueuePause", "Interface": interface, "Paused": "false"})
            return
        op = self._operator(operator)
        state = await self.state(operator)
        members = await self._members(operator)
        # the dispatcher is letting go of its hold: its reason is overridden here, and only here
        released = {k: (True, "") if rules.is_dispatcher_hold(v[1]) else v for k, v in members.items()}
        await self._apply(op, state, released)

    async def reconcile(self) -> int:
        """Make every operator's queue members match the stored states; the number of corrections."""
        items = await self._ami.send_list_action({"Action": "QueueStatus"})
        members = _members_of(items)
        states = await self.states()
        count = 0
        for op in self._dialplan().operators.values():
            mine = {k: v for k, v in members.items() if k[1] == rules.interface_of(op.id)}
            count += await self._apply(op, states[op.id], mine)
        log.info("presence.reconciled", corrections=count, operators=len(states))
        return count

    async def _members(self, operator: str) -> dict[tuple[str, str], tuple[bool, str]]:
        items = await self._ami.send_list_action(
            {"Action": "QueueStatus", "Member": rules.interface_of(operator)}
        )
        return _members_of(items)

    async def _apply(
        self, op: Operator, state: OperatorState, members: Mapping[tuple[str, str], tuple[bool, str]]
    ) -> int:
        """Correct each member that differs from the state; a member Asterisk does not have (a queue not
        rendered yet) is skipped. Returns the number of corrections, each one logged."""
        count = 0
        for wanted in rules.wanted_members(state, op, self._clock()):
            current = members.get((wanted.queue, wanted.interface))
            if current is None or not rules.needs_change(wanted, *current):
                continue
            action = {
                "Action": "QueuePause",
                "Queue": wanted.queue,
                "Interface": wanted.interface,
                "Paused": "true" if wanted.paused else "false",
            }
            if wanted.paused:
                action["Reason"] = wanted.reason
            await self._ami.send_action(action)
            count += 1
            log.info(
                "presence.corrected",
                operator=op.id,
                queue=wanted.queue,
                paused=wanted.paused,
                reason=wanted.reason,
                was_paused=current[0],
                was_reason=current[1],
            )
        return count

    async def on_connected(self, retries: int = 5, delay: float = 2.0) -> None:
        """After every AMI login (an Asterisk restart brings static members back unpaused): reconcile,
        retrying a while when Redis or the link fails (a later login reconciles again anyway)."""
        for attempt in range(1, retries + 1):
            try:
                await self.reconcile()
                return
            except (RedisError, AmiError) as exc:
                log.warning(
                    "presence.reconcile_failed", attempt=attempt, error=f"{type(exc).__name__}: {exc}"
                )
            await asyncio.sleep(delay)

    # --- timed pauses -------------------------------------------------------------------------------

    async def start(self) -> None:
        self._task = asyncio.create_task(self.run_timed(), name="presence.timed")

    async def close(self) -> None:
        await tasks.stop([self._task], what="presence")
        self._task = None

    async def run_timed(self) -> None:
        """End the timed pauses that are due, forever; Redis or AMI outages are logged and retried."""
        while True:
            try:
                await self.end_due_pauses()
            except RedisError as exc:
                log.warning("presence.redis_unavailable", error=f"{type(exc).__name__}: {exc}")
            except AmiError as exc:
                log.warning("presence.ami_unavailable", error=str(exc))
            await asyncio.sleep(self._timed_every)

    async def end_due_pauses(self) -> list[str]:
        """Resume the operators whose timed pause is due and that this process claimed first."""
        now = self._clock()
        due = sorted(reply_texts(await self._redis.zrangebyscore(c.KEY_PRESENCE_TIMED, "-inf", repr(now))))
        ended = []
        for operator in due:
            claimed = await self._claim_due(keys=[c.KEY_PRESENCE_TIMED, _key(operator)], args=[operator, now])
            if not claimed:
                continue
            ended.append(operator)
            log.info("presence.changed", operator=operator, action="timed_resume")
            if operator in self._dialplan().operators:
                await self.restore(operator)
        return ended


def _key(operator: str) -> str:
    return c.KEY_PRESENCE.format(operator=operator)


def _encode(state: OperatorState) -> dict[str, str]:
    return {
        "logged_in": ",".join(sorted(state.logged_in)),
        "pause_reason": state.pause_reason or "",
        "pause_until": "" if state.pause_until is None else repr(state.pause_until),
        "since": repr(state.since),
    }


def _members_of(items: Iterable[Message]) -> dict[tuple[str, str], tuple[bool, str]]:
    """(queue, interface) -> (paused, reason) from QueueStatus's QueueMember items."""
    members = {}
    for item in items:
        if item.name != "QueueMember":
            continue
        interface = item.get("Location") or item.get("Interface", "")
        members[(item.get("Queue", ""), interface)] = (
            item.get("Paused") == "1",
            item.get("PausedReason", ""),
        )
    return members
