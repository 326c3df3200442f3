"""How long a caller who joined a skill group's queue now would wait: the IVR's "before the queue" offer.

Pure: it reads a `QueueSnapshot` of the live state and a count of callback requests, nothing else.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from hotline import constants as c
from router.state import QueueMember, QueueSnapshot

DEFAULT_HANDLE_SECONDS: Final = 180  # a call's handling time while Asterisk has no history (talktime 0)


@dataclass(frozen=True, slots=True)
class WaitEstimate:
    """The expected wait of a caller joining the queue now.

    `seconds` is None when nobody staffs the group (the wait is unknown: treat it as long). `ahead` is
    the people served before the caller (callers waiting + the group's open callback requests), `staffed`
    the operators on duty (not paused, or paused by the callback dispatcher; their phone known and
    reachable).
    """

    seconds: int | None
    ahead: int
    staffed: int


def is_staffed(member: QueueMember) -> bool:
    """On duty: not paused (or paused by the callback dispatcher, for a callback), and the phone is
    registered and known."""
    on_duty = not member.paused or member.paused_reason.startswith((c.PAUSE_CALLBACK, c.PAUSE_RESERVED))
    return on_duty and member.reachable


def is_free(member: QueueMember) -> bool:
    """Not paused, and the phone is idle."""
    return not member.paused and member.idle


def estimate_wait(
    snapshot: QueueSnapshot, pending_callbacks: int, default_handle_seconds: int = DEFAULT_HANDLE_SECONDS
) -> WaitEstimate:
    """The wait of a caller who would join `snapshot`'s queue now.

    With `ahead` = waiting callers + `pending_callbacks`, `free` the idle staffed operators and `handle`
    Asterisk's average talk time (`default_handle_seconds` while it is 0, before any call completed)::

        unknown (None)                                     when staffed == 0
        ceil(max(0, ahead + 1 - free) * handle / staffed)  otherwise

    The free operators take the first `free` people at once (the caller included: 0 when
    `ahead < free`); every later one, the caller last, waits for an operator to finish a call, and
    the staffed operators finish `staffed / handle` calls a second.
    """
    if pending_callbacks < 0 or default_handle_seconds <= 0:
        raise ValueError("pending_callbacks must be >= 0 and default_handle_seconds > 0")
    ahead = len(snapshot.callers) + pending_callbacks
    staffed = sum(1 for m in snapshot.members if is_staffed(m))
    if staffed == 0:
        return WaitEstimate(None, ahead, 0)
    free = sum(1 for m in snapshot.members if is_free(m))
    handle = snapshot.talktime if snapshot.talktime > 0 else default_handle_seconds
    rounds = max(0, ahead + 1 - free)
    return WaitEstimate(math.ceil(rounds * handle / staffed), ahead, staffed)


@dataclass(frozen=True, slots=True)
class CallerEstimate:
    """What one waiting caller is told: their place in line (1 = next) and when an operator takes them.

    `seconds` is None when nobody staffs the group. `poor` says the figure is a guess: nobody staffed,
    or fewer calls ended in the handling-time window than `min_samples` (the default handle time was
    used); the caller is then offered a callback rather than a number.
    """

    position: int
    seconds: int | None
    staffed: int
    poor: bool


def caller_position(snapshot: QueueSnapshot, uniqueid: str, callback_places: Sequence[float]) -> int | None:
    """The caller's place in line (1 = next): the callers who joined before them (Asterisk's order),
    plus the group's open callback requests whose place (`Request.place_at`) is before the caller's
    join time (`router.fairness`: neither jumps the other). None when the caller is not in the queue."""
    me = next((w for w in snapshot.callers if w.uniqueid == uniqueid), None)
    if me is None:
        return None
    callers_ahead = sum(1 for w in snapshot.callers if w.position < me.position)
    callbacks_before = sum(1 for place in callback_places if place < me.joined_at)
    return callers_ahead + callbacks_before + 1


def estimate_for_caller(
    snapshot: QueueSnapshot,
    position: int,
    samples: int,
    average_handle: float | None,
    *,
    min_samples: int,
    default_handle_seconds: int = DEFAULT_HANDLE_SECONDS,
) -> CallerEstimate:
    """The wait of the caller at `position` (1 = next) in `snapshot`'s queue, from the group's handling
    time window (`samples` calls ended in it, `average_handle` their mean)::

        unknown (None), poor                                  when staffed == 0
        ceil(max(0, position - free) * handle / staffed)      otherwise

    as in `estimate_wait`: the free operators take the first `free` people at once, the others wait for
    an operator to finish a call. `handle` is the window's average when it holds at least `min_samples`
    calls (and one at least); otherwise `default_handle_seconds`, and with fewer than `min_samples` the
    estimate is poor.
    """
    if position < 1 or samples < 0 or default_handle_seconds <= 0:
        raise ValueError("position must be >= 1, samples >= 0 and default_handle_seconds > 0")
    staffed = sum(1 for m in snapshot.members if is_staffed(m))
    if staffed == 0:
        return CallerEstimate(position, None, 0, poor=True)
    enough = samples >= min_samples
    known = average_handle is not None and samples > 0 and enough
    handle = average_handle if known and average_handle is not None else float(default_handle_seconds)
    free = sum(1 for m in snapshot.members if is_free(m))
    rounds = max(0, position - free)
    return CallerEstimate(position, math.ceil(rounds * handle / staffed), staffed, poor=not enough)
