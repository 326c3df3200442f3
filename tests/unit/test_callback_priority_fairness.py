"""Priorities in the callbacks' fairness: a callback of `routing.callback_priority` stands before the
waiting callers of lower priority whenever they joined, behind any of higher priority, and among equal
priorities by time (Asterisk's own order of a queue)."""

from __future__ import annotations

import math

from router import fairness
from router.fairness import GroupOperators, line_to_beat


def test_with_no_priorities_the_line_is_the_earliest_join_as_before() -> None:
    assert line_to_beat([(0, 50.0), (0, 20.0)], 0) == 20.0
    assert line_to_beat([], 0) is None


def test_a_prioritised_callback_stands_before_callers_of_lower_priority_whenever_they_joined() -> None:
    """Callback priority 5, callers of priority 0 who joined long before: nothing to beat."""
    assert line_to_beat([(0, 1.0), (1, 2.0)], 5) is None


def test_a_caller_of_higher_priority_keeps_every_callback_behind() -> None:
    """A repeat caller (priority 1) waits: no callback of priority 0 is ahead, even one due earlier."""
    line = line_to_beat([(1, 100.0), (0, 10.0)], 0)
    assert line == -math.inf
    assert fairness.callbacks_ahead([5.0, 6.0], line) == 0


def test_among_equal_priorities_the_callback_keeps_its_place_by_time() -> None:
    assert line_to_beat([(5, 30.0), (0, 1.0), (5, 40.0)], 5) == 30.0
    assert fairness.callbacks_ahead([10.0, 35.0], 30.0) == 1


def test_callers_of_lower_priority_still_keep_free_operators_for_the_queue() -> None:
    """Nobody to beat, but callers wait live: the callback is dialled only on a reserved operator, and a
    free one is reserved (held out of the queue) rather than raced for."""
    ops = GroupOperators(free=("op1",), busy=("op2",))
    line = line_to_beat([(0, 1.0)], 5)
    held = fairness.plan(ops, [100.0], line, live_waiting=True)
    assert (held.dial, held.reserve, held.ahead) == ((), ("op1",), 1)
    idle = fairness.plan(ops, [100.0], None)  # nobody waiting at all: dialled at once
    assert (idle.dial, idle.reserve) == (("op1",), ())
