"""The callback dispatcher: turns due callback requests into calls, each attempt placed exactly once.

For each skill group it releases the earliest-due request only when an operator of that group is free,
and never more requests than free operators. Requests keep their place among the callers waiting live
in the group's queue (`router.fairness`): a callback waits behind callers who joined before it, and an
operator is reserved (paused with the reason `callback-next:<group>`) for one that stands before every
waiting caller. The operator is held out of every queue (QueuePause, reason `callback`) while the attempt
rings them, so a queue call cannot take them at the same moment; with several engines, a short hold in
Redis per operator keeps two of them from dialling the same operator.

An attempt, step by step (each step is a named fault point for the crash tests, `HOTLINE_FAULT`):
1. `claim`: the store atomically hands the request to this engine with a lease and a fencing token and
   records the attempt (fault point `after_claim`).
2. the Originate's ActionID is stored, then the Originate is written (`after_originate_written`); its
   answer comes back (`after_originate_response`).
3. the attempt's result arrives from the dialplan (a UserEvent sent by a hangup handler) or from the
   OriginateResponse when the operator did not answer, and is stored (`before_result_stored`) under the
   fencing token.
If the engine dies anywhere in between, the lease expires. Whoever finds it (this engine after a restart,
or another one) reconciles it from Asterisk's own channels, where every attempt's channels carry the
account code `cb-<request>-<attempt>`. A call still up is adopted and awaited; no trace means the outcome
is unknown and the attempt ends as `unknown`, which does not use up one of the citizen's attempts. The
same attempt is never dialled twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import signal
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from redis.exceptions import RedisError

from hotline import constants as c
from hotline import tasks
from hotline.callbacks import schedule
from hotline.callbacks.model import AttemptResult, Claim
from hotline.callbacks.numbers import dial_form
from hotline.callbacks.store import CallbackStore
from hotline.dialplan.model import Dialplan
from hotline.errors import AmiActionFailed, AmiError, AmiOutcomeUnknown, StaleClaim
from hotline.log import get_logger
from hotline.redact import mask
from hotline.render.callback_contexts import CB_DB_FAMILY
from hotline.render.trunk import CARRIER_OUT
from router import fairness
from router.ami import AmiClient
from router.state import LiveState

log = get_logger("router.dispatcher")

FAULT_POINTS = ("after_claim", "after_originate_written", "after_originate_response", "before_result_stored")
# OriginateResponse reasons (Asterisk's AST_CONTROL_*): the operator's phone did not take the call
_ORIGINATE_REASONS = {0: "no such channel", 1: "hung up", 3: "no answer", 5: "busy", 8: "congestion"}
_DIALSTATUS = {
    "BUSY": AttemptResult.BUSY,
    "NOANSWER": AttemptResult.NO_ANSWER,
    "CHANUNAVAIL": AttemptResult.UNREACHABLE,
    "CONGESTION": AttemptResult.CONGESTION,
}


def fault(point: str) -> None:
    """Die here, as `kill -9` would, when HOTLINE_FAULT names this point (crash tests only); with
    HOTLINE_FAULT=point:stop, freeze here instead (SIGSTOP, as a stalled machine would) until SIGCONT."""
    name, _, how = os.environ.get("HOTLINE_FAULT", "").partition(":")
    if name == point:
        log.warning("dispatcher.fault_injected", point=point, how=how or "kill")
        if how == "stop":
            del os.environ["HOTLINE_FAULT"]  # once: the thawed engine then works on as any other
            os.kill(os.getpid(), signal.SIGSTOP)
        else:
            os.kill(os.getpid(), signal.SIGKILL)


def account_code(request_id: str, attempt: int) -> str:
    return f"cb-{request_id}-{attempt}"


RESULT_SLOTS = 4096  # AstDB keys the dialplan's results take at most (`hotline-cb/slot-N`)


def result_slot(attempt_key: str) -> int:
    """The AstDB slot of an attempt's result ("<request>-<n>"): a later attempt may reuse it, which the
    value's own key tells (the attempt is then resolved as unknown, never taken for another's result)."""
    return int(hashlib.sha256(attempt_key.encode()).hexdigest()[:8], 16) % RESULT_SLOTS


@dataclass
class InFlight:
    claim: Claim
    operator: str  # endpoint id, e.g. op101
    action_id: str
    answered: bool = False  # the OriginateResponse said the first leg answered


def attempt_result(event: Mapping[str, str], min_talk_seconds: int) -> tuple[AttemptResult, str, float]:
    """What the dialplan's report says about the attempt: result, reason for supervisors, talk time."""
    stage = event.get("Stage", "")
    status = event.get("DialStatus", "")
    talk = float(event.get("AnsweredTime") or 0)
    cause = event.get("Cause", "")
    reason = f"{status or 'no dial'} at {stage or '?'} (cause {cause or '?'})"
    if stage in ("citizen", "operator") and status == "ANSWER":
        result = AttemptResult.ANSWERED if talk >= min_talk_seconds else AttemptResult.TOO_SHORT
        return result, reason, talk
    if stage == "citizen" and status in _DIALSTATUS:
        return _DIALSTATUS[status], reason, 0.0
    # the operator hung up during the whisper or while the citizen's phone rang: not the citizen's doing
    return AttemptResult.OPERATOR_NO_ANSWER, reason, 0.0


class Dispatcher:
    def __init__(
        self,
        ami: AmiClient,
        state: LiveState,
        store: CallbackStore,
        dialplan: Callable[[], Dialplan],
        *,
        owner: str,
        clock: Callable[[], float] = time.time,
        lease_seconds: float = 90.0,
        ring_seconds: int = 30,
        tick: float = 1.0,
        release: Callable[[str], Awaitable[None]] | None = None,
    ) -> None:
        self.ami = ami
        self.state = state
        self.store = store
        self._dialplan = dialplan
        self.owner = owner
        self.clock = clock
        self.lease_seconds = lease_seconds
        self.ring_seconds = ring_seconds
        self.tick = tick
        # letting an operator go: the engine gives `presence.restore` (their own pause or logout comes
        # back); alone, a plain unpause
        self._release: Callable[[str], Awaitable[None]] = release or self._unpause
        self.in_flight: dict[str, InFlight] = {}  # by ActionID
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        ami.on_event(["OriginateResponse", "UserEvent"], self._on_result)
        ami.on_event(["QueueMemberStatus", "AgentComplete", "QueueMemberPause"], lambda _e: self.wake())

    def wake(self) -> None:
        self._wake.set()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="callback-dispatcher")

    async def close(self) -> None:
        self._closing = True
        await tasks.stop([self._task], what="callback dispatcher")
        self._task = None

    # --- the loop -----------------------------------------------------------------------------------

    async def _run(self) -> None:
        """One pass per wake-up: an AMI event that may free an operator, a new request, a result, or the
        next due time (never later than `tick`, so a request another engine registered is seen too)."""
        while not self._closing:
            self._wake.clear()  # before the pass: a wake-up during the pass leads to another pass
            sleep = self.tick
            pass_started = self.clock()
            try:
                if self.ami.connected:
                    await self.reconcile_expired()
                    await self.extend_leases()
                    idle = [g for g in self._dialplan().skill_groups if await self.dispatch_group(g)]
                    sleep = await self._until_next_due(idle, pass_started)
            except AmiError as exc:
                log.warning("dispatcher.ami_unavailable", error=str(exc))
            except RedisError as exc:  # Redis restarting or unreachable: every request is still there
                log.warning("dispatcher.redis_unavailable", error=f"{type(exc).__name__}: {exc}")
            if sleep > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), sleep)

    async def _until_next_due(self, groups: list[str], pass_started: float) -> float:
        """Seconds until the earliest due attempt of `groups` (those left with a free operator), at most
        `tick`; 0 when one fell due while the pass ran. One that was due before the pass and was not
        claimed (quiet hours, a number's daily cap) waits for an event or the tick, never in a busy loop.
        A group without a free operator needs no timer: an operator freed is an AMI event, a wake-up."""
        now = self.clock()
        soonest = self.tick
        for group in groups:
            due = await self.store.next_due(group)
            if due is not None and pass_started < due and due - now < soonest:
                soonest = max(0.0, due - now)
        return soonest

    async def dispatch_group(self, group: str) -> bool:
        """Place the group's due requests on its operators, keeping their place among the callers
        waiting live (`router.fairness`); True if an operator is left free with nobody waiting."""
        snapshot = await self.state.queue(c.queue_name(group))
        if snapshot is None:
            return False
        dialplan = self._dialplan()
        policy, tz = dialplan.callbacks, ZoneInfo(dialplan.hotline.timezone)
        dialling = [f.operator for f in self.in_flight.values()]
        wrapup = dialplan.skill_groups[group].wrapup
        # LastCall is Asterisk's own epoch time, so wrap-up is measured on the machine's clock
        ops = fairness.classify(
            snapshot.members, group, dialplan.operators, dialling, wrapup=wrapup, now=time.time()
        )
        now = self.clock()
        # the state and this dispatcher share the engine's clock: places in line compare exactly
        live = bool(snapshot.callers)
        oldest_caller = min(w.joined_at for w in snapshot.callers) if live else None
        if not fairness.has_work(ops, oldest_caller):
            return False  # a pass per AMI event: skip the store when nobody could be dialled or held
        quiet = schedule.is_quiet(now, policy, tz)
        ready = [] if quiet else await self.store.ready(group, ops.count + 1)
        # routing.callback_priority: the callbacks stand before callers of lower priority, behind higher
        line = fairness.line_to_beat(
            [(w.priority, w.joined_at) for w in snapshot.callers], dialplan.routing.callback_priority
        )
        plan = fairness.plan(ops, [r.place_at for r in ready], line, live_waiting=live)
        for operator in plan.dial:
            # another engine may be dialling this very operator: one hold per operator across engines
            if not await self.store.hold(_operator_hold(operator), self.owner, self.lease_seconds):
                continue
            claim = await self.store.claim(
                group, owner=self.owner, lease_seconds=self.lease_seconds, policy=policy, tz=tz
            )
            if claim is None:
                await self.store.unhold(_operator_hold(operator), self.owner)
                break
            fault("after_claim")
            try:
                await self.place(claim, operator)
            except StaleClaim:  # this engine stalled past its lease and another one took the request over
                log.warning("callback.stale_claim", request=claim.request.id, attempt=claim.attempt_n)
                await self.store.unhold(_operator_hold(operator), self.owner)
        if (plan.reserve or plan.release) and await self.store.hold(
            f"reserve:{group}", self.owner, 2 * self.tick
        ):  # one engine at a time manages a group's reservations
            await self._reserve(group, plan, waiting=len(snapshot.callers))
        return oldest_caller is None and any(op not in plan.dial for op in ops.free)

    async def _reserve(self, group: str, plan: fairness.Plan, *, waiting: int) -> None:
        for operator in plan.release:
            await self._release(operator)
        for operator in plan.reserve:
            await self._pause(operator, fairness.reserve_reason(group))
        log.info(
            "callback.reservations",
            group=group,
            reserved=list(plan.reserve),
            released=list(plan.release),
            callbacks_ahead=plan.ahead,
            callers_waiting=waiting,
        )

    async def _unpause(self, operator: str) -> None:
        await self._pause(operator, None)

    async def _pause(self, operator: str, reason: str | None) -> None:
        """Hold the operator out of every queue with `reason`, or (None) let the queues have them again."""
        action = {"Action": "QueuePause", "Interface": f"PJSIP/{operator}", "Paused": "false"}
        if reason is not None:
            action |= {"Paused": "true", "Reason": reason}
        await self.ami.send_action(action)

    async def place(self, claim: Claim, operator: str) -> None:
        request = claim.request
        dialplan = self._dialplan()
        order = dialplan.callback_order(request.group)
        action_id = self.ami.new_action_id()
        await self.store.record_action(claim, action_id)
        flight = InFlight(claim, operator, action_id)
        self.in_flight[action_id] = flight
        interface = f"PJSIP/{operator}"
        ago = max(0, int((self.clock() - request.created_at) // 60))  # minutes, for the whisper
        dialled = dial_form(request.number, dialplan.dial_format, dialplan.callbacks.numbers)
        variables = [
            f"{c.VAR_CB_ID}={request.id}",
            f"{c.VAR_CB_ATTEMPT}={claim.attempt_n}",
            f"{c.VAR_CB_FENCE}={claim.fence}",
            f"{c.VAR_CB_SLOT}={result_slot(f'{request.id}-{claim.attempt_n}')}",
            f"{c.VAR_CB_NUMBER}={dialled}",
            f"{c.VAR_CB_GROUP}={request.group}",
            f"{c.VAR_CB_AGO}={ago}",
            f"{c.VAR_CB_AGO_FORM}={dialplan.plural_form(ago)}",
            f"{c.VAR_CB_RING}={self.ring_seconds}",
            f"{c.VAR_CB_OPERATOR}={interface}",
        ]
        first = interface if order == "operator_first" else f"PJSIP/{dialled}@{CARRIER_OUT}"
        originate = {
            "Action": "Originate",
            "Channel": first,
            "Context": c.CTX_CALLBACK,
            "Exten": "operator-first" if order == "operator_first" else "citizen-first",
            "Priority": "1",
            "Timeout": str(self.ring_seconds * 1000),
            # the operator's display shows the citizen's number; the citizen's shows the hotline's
            "CallerID": f"Callback <{request.number}>"
            if order == "operator_first"
            else f"Hotline <{dialplan.hotline.number}>",
            "Account": account_code(request.id, claim.attempt_n),
            "Async": "true",
            "Variable": variables,
        }
        log.info(
            "callback.dispatch",
            request=request.id,
            attempt=claim.attempt_n,
            group=request.group,
            operator=operator,
            number=mask(request.number),
            order=order,
            action_id=action_id,
        )
        try:
            await self._pause(operator, c.PAUSE_CALLBACK)
            sent = asyncio.create_task(self.ami.send_action(originate, action_id=action_id))
            if os.environ.get("HOTLINE_FAULT") == "after_originate_written":
                # Let Asterisk read the action first. Dying with unread events in its socket makes the
                # kernel send a reset, which may discard the action in Asterisk's socket before it is
                # read: that attempt would have left no trace and be retried later, not the case tested.
                await asyncio.sleep(0.5)
                fault("after_originate_written")
            await sent
            fault("after_originate_response")
        except AmiOutcomeUnknown:
            # the link dropped after the Originate was written: it may be ringing. Never resend; the lease
            # expires and reconciliation looks for the attempt's channels in Asterisk.
            log.warning("callback.outcome_unknown", request=request.id, attempt=claim.attempt_n)
        except AmiError as exc:
            self.in_flight.pop(action_id, None)
            await self._finish(flight, AttemptResult.UNKNOWN, f"not placed: {exc}", 0.0)

    # --- results ------------------------------------------------------------------------------------

    async def _on_result(self, event: Mapping[str, str]) -> None:
        name = event.get("Event", "")
        if name == "OriginateResponse":
            flight = self.in_flight.get(event.get("ActionID", ""))
            if flight is None:
                return
            if event.get("Response", "").lower() == "success":
                flight.answered = True
                return
            code = int(event.get("Reason") or 0)
            self.in_flight.pop(flight.action_id, None)
            first = (
                "operator"
                if self._dialplan().callback_order(flight.claim.request.group) == ("operator_first")
                else "citizen"
            )
            if first == "operator":
                result = AttemptResult.OPERATOR_NO_ANSWER
            else:
                result = {5: AttemptResult.BUSY, 3: AttemptResult.NO_ANSWER, 8: AttemptResult.CONGESTION}.get(
                    code, AttemptResult.UNREACHABLE
                )
            await self._finish(flight, result, f"{first}: {_ORIGINATE_REASONS.get(code, code)}", 0.0)
        elif name == "UserEvent" and event.get("UserEvent") == c.USER_EVENT_CALLBACK:
            key = (event.get("Id", ""), event.get("Attempt", ""))
            flight = next(
                (f for f in self.in_flight.values() if (f.claim.request.id, str(f.claim.attempt_n)) == key),
                None,
            )
            if flight is None:
                return
            self.in_flight.pop(flight.action_id, None)
            result, reason, talk = attempt_result(event, self._dialplan().callbacks.min_talk_seconds)
            await self._finish(flight, result, reason, talk)

    async def _finish(self, flight: InFlight, result: AttemptResult, reason: str, talk: float) -> None:
        dialplan = self._dialplan()
        fault("before_result_stored")
        try:
            request = await self.store.finish(
                flight.claim,
                result,
                reason=reason,
                operator=flight.operator,
                talk_seconds=talk,
                policy=dialplan.callbacks,
                tz=ZoneInfo(dialplan.hotline.timezone),
            )
            log.info(
                "callback.attempt_ended",
                request=flight.claim.request.id,
                attempt=flight.claim.attempt_n,
                result=result.value,
                reason=reason,
                status=request.status.value,
            )
        except StaleClaim:
            log.warning(
                "callback.stale_claim", request=flight.claim.request.id, attempt=flight.claim.attempt_n
            )
        finally:
            await self._let_go(flight.operator)
            self.wake()

    async def _let_go(self, operator: str) -> None:
        """An attempt is over, whatever became of it: its operator is back in the queues (Asterisk may be
        gone; its restart has no pauses) and no longer held for a callback by this engine."""
        if not operator:
            return
        with contextlib.suppress(AmiError):
            await self._release(operator)
        await self.store.unhold(_operator_hold(operator), self.owner)

    # --- leases and crashes -------------------------------------------------------------------------

    async def _reported_result(self, code: str) -> dict[str, str] | None:
        """The result the dialplan's hangup handler left in AstDB for an attempt, if the call ended."""
        attempt_key = code.removeprefix("cb-")
        slot = f"slot-{result_slot(attempt_key)}"
        try:
            items = await self.ami.send_list_action({"Action": "DBGet", "Family": CB_DB_FAMILY, "Key": slot})
        except AmiActionFailed:
            return None  # "Database entry not found": the call never reached the hangup handler
        value = next((m.get("Val", "") for m in items if m.name == "DBGetResponse"), "")
        whose, stage, status, answered, cause = [*value.split("|"), "", "", "", "", ""][:5]
        if whose != attempt_key:
            return None  # no result, or a later attempt's in the same slot
        return {"Stage": stage, "DialStatus": status, "AnsweredTime": answered, "Cause": cause}

    async def extend_leases(self) -> None:
        for flight in list(self.in_flight.values()):
            if flight.claim.lease_expires_at - self.clock() < self.lease_seconds / 2:
                try:
                    flight.claim = await self.store.extend(flight.claim, self.lease_seconds)
                    await self.store.hold(_operator_hold(flight.operator), self.owner, self.lease_seconds)
                except StaleClaim:
                    self.in_flight.pop(flight.action_id, None)

    async def reconcile_expired(self) -> None:
        """Attempts whose engine died: adopt the ones still up in Asterisk, end the others as unknown."""
        expired = await self.store.expired_claims()
        if not expired:
            return
        channels = await self.ami.send_list_action({"Action": "CoreShowChannels"})
        live_accounts = {ch.get("AccountCode", "") for ch in channels}
        for stale in expired:
            code = account_code(stale.request.id, stale.attempt_n)
            try:
                claim = await self.store.adopt(stale, owner=self.owner, lease_seconds=self.lease_seconds)
            except StaleClaim:
                continue  # another engine took it first
            attempt = claim.attempt
            flight = InFlight(
                claim,
                attempt.operator or _operator_of(channels, code),
                attempt.action_id or f"adopted-{code}",
            )
            if code in live_accounts:
                log.info("callback.adopted_live_call", request=claim.request.id, attempt=claim.attempt_n)
                self.in_flight[flight.action_id] = flight
                continue
            await self._resolve_gone(flight, code)

    async def on_connected(self) -> None:
        """After every AMI login and FullyBooted (Asterisk restarted, maybe killed): an attempt in flight
        whose call Asterisk no longer has ended while the link was down, and its result will never come.
        It is resolved now; before, its lease was extended for ever and the citizen never called back."""
        if not self.in_flight:
            return
        channels = await self.ami.send_list_action({"Action": "CoreShowChannels"})
        live_accounts = {ch.get("AccountCode", "") for ch in channels}
        for flight in list(self.in_flight.values()):
            code = account_code(flight.claim.request.id, flight.claim.attempt_n)
            if code in live_accounts:
                continue  # still up: its result will come
            self.in_flight.pop(flight.action_id, None)
            await self._resolve_gone(flight, code)
        self.wake()

    async def _resolve_gone(self, flight: InFlight, code: str) -> None:
        """An attempt whose call Asterisk no longer has, and whose result never reached this engine: the
        result the dialplan left in AstDB, else `unknown` (not counted, the request reopens)."""
        claim, dialplan = flight.claim, self._dialplan()
        reported = await self._reported_result(code)
        result: AttemptResult | None = None
        reason, talk = "", 0.0
        if reported is not None:
            result, reason, talk = attempt_result(reported, dialplan.callbacks.min_talk_seconds)
            log.info(
                "callback.result_recovered",
                request=claim.request.id,
                attempt=claim.attempt_n,
                result=result.value,
            )
        else:
            log.warning(
                "callback.outcome_unknown_reconciled", request=claim.request.id, attempt=claim.attempt_n
            )
        try:
            await self.store.resolve_unknown(
                claim,
                result,
                reason=reason,
                operator=flight.operator,
                talk_seconds=talk,
                policy=dialplan.callbacks,
                tz=ZoneInfo(dialplan.hotline.timezone),
            )
        except StaleClaim:
            log.warning("callback.stale_claim", request=claim.request.id, attempt=claim.attempt_n)
        finally:
            await self._let_go(flight.operator)


def _operator_hold(operator: str) -> str:
    return f"op:{operator}"


def _operator_of(channels: Sequence[Mapping[str, str]], code: str) -> str:
    """The operator whose phone carries the attempt's account code, if any."""
    for ch in channels:
        name = ch.get("Channel", "")
        if ch.get("AccountCode") == code and name.startswith("PJSIP/op"):
            return name.split("/", 1)[1].rsplit("-", 1)[0]
    return ""
