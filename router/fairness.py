"""Callbacks keep their place among the citizens waiting live in the same group's queue.

A callback request stands in line at `Request.place_at` (when the citizen joined the queue, asked, or
falls due again). Live callers stand in line at the moment they joined the queue. Neither jumps the
other:

- While a caller who joined earlier is still waiting, the group's callbacks wait too: the next operator
  freed is the queue's, as it would have been without callbacks.
- While the callback at the head of the group's callbacks (earliest deadline first) stands before every
  waiting caller, the next operator freed must be its, not the queue's. An operator who is free now
  would be rung by the queue at any moment, and one on a call would be taken by the queue the moment
  they hang up. So the dispatcher *reserves* one: it pauses the operator in every queue with the reason
  `callback-next:<group>`, and dials the callback on them once they are idle. The pause is Asterisk's
  own state, so a restarted engine (or another one) finds its reservations where it left them.
- With nobody waiting live, a free operator takes the callback at once, and no operator is reserved.

Only idle operators who are held out of the queues (reserved) are dialled while callers wait, so a
callback never races the queue for the same phone. This module decides; the dispatcher acts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from hotline import constants as c
from hotline.dialplan.model import Operator
from router.state import QueueMember


def reserve_reason(group: str) -> str:
    """The pause reason that marks an operator held for the group's next callback."""
    return c.PAUSE_RESERVED + group


@dataclass(frozen=True, slots=True)
class GroupOperators:
    """A group's operators as the dispatcher sees them, each list best level first."""

    free: tuple[str, ...] = ()  # idle and not paused: the queue may ring them at any moment
    reserved_idle: tuple[str, ...] = ()  # held for this group's callbacks, idle: ready to be dialled
    reserved_busy: tuple[str, ...] = ()  # held for this group's callbacks, still on a call
    busy: tuple[str, ...] = ()  # not paused, on a call or ringing: may be held for the next callback

    @property
    def count(self) -> int:
        return len(self.free) + len(self.reserved_idle) + len(self.reserved_busy) + len(self.busy)


@dataclass(frozen=True, slots=True)
class Plan:
    """What to do for one group in one pass of the dispatcher."""

    dial: tuple[str, ...] = ()  # place the next callbacks (earliest due first) on these, in order
    reserve: tuple[str, ...] = ()  # pause these for the group's callbacks
    release: tuple[str, ...] = ()  # unpause these: no callback needs them any more
    ahead: int = 0  # callbacks standing before every caller waiting live


def classify(
    members: Iterable[QueueMember],
    group: str,
    operators: Mapping[str, Operator],
    dialling: Iterable[str] = (),
    *,
    wrapup: int = 0,
    now: float = 0.0,
) -> GroupOperators:
    """Sort a queue's members; `dialling`: operators a callback attempt is ringing or talking on now
    (they are nobody's to take). An operator whose last call ended less than the group's `wrapup`
    seconds before `now` (Asterisk's clock: epoch seconds) is still wrapping up: busy, not free."""
    taken = set(dialling)
    mine = reserve_reason(group)
    free: list[str] = []
    reserved_idle: list[str] = []
    reserved_busy: list[str] = []
    busy: list[str] = []
    for m in members:
        if m.name not in operators or m.name in taken:
            continue
        wrapping_up = bool(wrapup and m.last_call and now - m.last_call < wrapup)
        idle = m.idle and not wrapping_up
        on_a_call = m.on_a_call or (m.idle and wrapping_up)
        if m.paused and m.paused_reason == mine:
            (reserved_idle if idle else reserved_busy).append(m.name)
        elif m.paused:
            continue  # on a break, or held for a callback of another group or in flight
        elif idle:
            free.append(m.name)
        elif on_a_call:
            busy.append(m.name)

    def best_first(names: list[str]) -> tuple[str, ...]:
        return tuple(sorted(names, key=lambda op: (operators[op].skills.get(group, 9), op)))

    return GroupOperators(
        best_first(free), best_first(reserved_idle), best_first(reserved_busy), best_first(busy)
    )


def has_work(ops: GroupOperators, oldest_caller: float | None) -> bool:
    """Whether a pass could dial, reserve or release anyone in the group: False when every operator is
    busy with nobody waiting live and none is reserved (the group's requests need not be read)."""
    return bool(
        ops.free or ops.reserved_idle or ops.reserved_busy or (oldest_caller is not None and ops.busy)
    )


def callbacks_ahead(places: Sequence[float], oldest_caller: float | None) -> int:
    """How many of the group's callbacks, taken earliest due first as the claims take them, stand
    before every caller waiting live (`oldest_caller`: when the longest-waiting one joined, None if
    nobody waits). The count stops at the first callback that does not: the ones after it wait too."""
    if oldest_caller is None:
        return len(places)
    ahead = 0
    for place in places:
        if place >= oldest_caller:
            break
        ahead += 1
    return ahead


def line_to_beat(callers: Iterable[tuple[int, float]], priority: int) -> float | None:
    """Where a callback of `priority` must stand to be before every waiting caller, as Asterisk orders a
    queue (higher priority first, then by time): `callers` are (priority, joined) pairs. Callers of
    lower priority do not count; one of higher priority puts every callback behind (-inf); among equal
    ones the earliest join. None: nobody the callback must wait for. The result is `oldest_caller` for
    `callbacks_ahead` and `plan` (with `routing.callback_priority` 0 and nobody prioritised, exactly
    the earliest join, today's rule)."""
    joins: list[float] = []
    for caller_priority, joined in callers:
        if caller_priority > priority:
            return float("-inf")
        if caller_priority == priority:
            joins.append(joined)
    return min(joins, default=None)


def plan(
    ops: GroupOperators,
    places: Sequence[float],
    oldest_caller: float | None,
    *,
    live_waiting: bool | None = None,
) -> Plan:
    """One pass for one group: who is dialled, reserved and released.

    `places`: the `place_at` of the group's callbacks whose attempt time has come, earliest due first.
    `oldest_caller`: the line the callbacks must beat (`line_to_beat`); `live_waiting`: whether anyone
    waits live at all (the queue then rings free operators at any moment), by default whether there is
    such a line (with priorities, callers of lower priority wait without making one).
    """
    ahead = callbacks_ahead(places, oldest_caller)
    if live_waiting is None:
        live_waiting = oldest_caller is not None
    # while callers wait, a free operator is about to be rung by the queue: only reserved ones are dialled
    usable = ops.reserved_idle if live_waiting else ops.reserved_idle + ops.free
    dial = usable[:ahead]
    still_ahead = ahead - len(dial)
    held_idle = tuple(op for op in ops.reserved_idle if op not in dial)
    held = held_idle + ops.reserved_busy  # released in this order: an idle one goes back to the queue now
    # callers waiting: hold as many operators as callbacks stand before them; nobody waiting: nothing
    # races the callbacks for the next operator freed, so keep the holds already made but add none
    want = still_ahead if live_waiting else min(still_ahead, len(ops.reserved_busy))
    release = held[: max(0, len(held) - want)]
    candidates = (ops.free + ops.busy) if live_waiting else ()
    reserve = candidates[: max(0, want - len(held))]
    return Plan(dial=dial, reserve=reserve, release=release, ahead=ahead)
