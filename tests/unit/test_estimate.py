"""The wait estimate of a caller joining a queue now, from the live state's snapshot of that queue."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from router.estimate import DEFAULT_HANDLE_SECONDS, WaitEstimate, estimate_wait
from router.state import QueueMember, QueueSnapshot, WaitingCaller

NOT_INUSE, INUSE, INVALID, UNAVAILABLE, UNKNOWN, RINGING = 1, 2, 4, 5, 0, 6


def member(n: int, status: int = NOT_INUSE, **changes: Any) -> QueueMember:
    return replace(QueueMember(interface=f"PJSIP/op{n}", name=f"op{n}", status=status), **changes)


def busy(n: int) -> QueueMember:
    return member(n, INUSE, in_call=True, talking_to=f"citizen-{n}")


def waiting(count: int) -> tuple[WaitingCaller, ...]:
    return tuple(
        WaitingCaller(position=i, uniqueid=f"c{i}", channel="", caller_id_num="", caller_id_name="", wait=10)
        for i in range(1, count + 1)
    )


def queue(*members: QueueMember, callers: int = 0, talktime: int = 0) -> QueueSnapshot:
    return QueueSnapshot(name="hotline-gas", talktime=talktime, callers=waiting(callers), members=members)


def test_no_staffed_operator_gives_an_unknown_wait() -> None:
    """Paused operators and phones that are unavailable, invalid or unknown staff nothing."""
    snapshot = queue(
        member(1, paused=True), member(2, UNAVAILABLE), member(3, INVALID), member(4, UNKNOWN), callers=2
    )
    assert estimate_wait(snapshot, 1) == WaitEstimate(seconds=None, ahead=3, staffed=0)


def test_an_empty_queue_gives_an_unknown_wait() -> None:
    """A queue without members has nobody to answer."""
    assert estimate_wait(queue(), 0) == WaitEstimate(None, 0, 0)


def test_a_free_operator_and_nobody_ahead_means_no_wait() -> None:
    """The caller is put through at once."""
    assert estimate_wait(queue(member(1), busy(2)), 0) == WaitEstimate(0, 0, 2)


def test_free_operators_take_the_people_ahead_at_once() -> None:
    """Three free operators, two callers waiting: the caller is the third one taken at once."""
    assert estimate_wait(queue(member(1), member(2), member(3), callers=2), 0).seconds == 0


def test_every_operator_busy_waits_one_handling_time_per_operator() -> None:
    """Nobody ahead, two busy operators handling 120 s calls: one frees up in about 60 s."""
    assert estimate_wait(queue(busy(1), busy(2), talktime=120), 0) == WaitEstimate(60, 0, 2)


def test_people_ahead_beyond_the_free_operators_are_served_at_the_operators_rate() -> None:
    """One free of two staffed, 4 callers waiting, talk time 100 s: 4 + 1 - 1 = 4 rounds of 50 s."""
    assert estimate_wait(queue(member(1), busy(2), callers=4, talktime=100), 0) == WaitEstimate(200, 4, 2)


def test_open_callback_requests_count_as_people_ahead() -> None:
    """Two callback requests are served before a new caller, like callers already waiting."""
    assert estimate_wait(queue(busy(1), callers=1, talktime=60), 2) == WaitEstimate(240, 3, 1)


def test_without_history_the_default_handling_time_is_used() -> None:
    """Asterisk's talk time is 0 until a call completes: the given default stands in for it."""
    assert estimate_wait(queue(busy(1)), 0).seconds == DEFAULT_HANDLE_SECONDS
    assert estimate_wait(queue(busy(1)), 0, default_handle_seconds=90).seconds == 90


def test_a_ringing_or_paused_operator_is_not_free() -> None:
    """Ringing for a caller, in a call, or paused: only the idle, unpaused phone takes the next caller."""
    snapshot = queue(
        member(1, RINGING, ringing_for="c9"),
        member(2, NOT_INUSE, in_call=True),
        member(3, paused=True),
        talktime=30,
    )
    assert estimate_wait(snapshot, 0) == WaitEstimate(15, 0, 2)


def test_an_operator_held_by_the_callback_dispatcher_is_on_duty_but_not_free() -> None:
    """Paused for a callback (dialling one, or reserved for the next one): staffed and busy, unlike a
    pause of the operator's own."""
    snapshot = queue(
        member(1, paused=True, paused_reason="callback"),
        member(2, paused=True, paused_reason="callback-next:gas"),
        member(3, paused=True, paused_reason="lunch"),
        talktime=60,
    )
    assert estimate_wait(snapshot, 0) == WaitEstimate(30, 0, 2)


def test_a_fraction_of_a_second_is_rounded_up() -> None:
    """100 s over 3 operators is 34 s, never 33."""
    assert estimate_wait(queue(busy(1), busy(2), busy(3), talktime=100), 0).seconds == 34


@pytest.mark.parametrize(("pending", "default"), [(-1, 180), (0, 0)])
def test_a_negative_count_or_a_zero_default_is_refused(pending: int, default: int) -> None:
    """Nonsense in, an error out (never a made-up estimate)."""
    with pytest.raises(ValueError, match="pending_callbacks"):
        estimate_wait(queue(member(1)), pending, default_handle_seconds=default)
