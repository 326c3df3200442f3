"""A waiting caller's place and expected wait (`router.estimate`), and what they hear of it
(`router.announcement`): pure, table-driven."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from router.announcement import Announcement, choose, clear_of_offer, minutes_of
from router.estimate import CallerEstimate, caller_position, estimate_for_caller
from router.state import QueueMember, QueueSnapshot, WaitingCaller

NOT_INUSE, INUSE, UNAVAILABLE = 1, 2, 5


def member(n: int, status: int = NOT_INUSE, **changes: Any) -> QueueMember:
    return replace(QueueMember(interface=f"PJSIP/op{n}", name=f"op{n}", status=status), **changes)


def free(n: int) -> QueueMember:
    return member(n)


def busy(n: int) -> QueueMember:
    return member(n, INUSE, in_call=True, talking_to=f"citizen-{n}")


def paused(n: int, reason: str = "logged-out") -> QueueMember:
    return member(n, INUSE, in_call=True, paused=True, paused_reason=reason)


def caller(i: int, joined_at: float) -> WaitingCaller:
    return WaitingCaller(
        position=i,
        uniqueid=f"c{i}",
        channel="",
        caller_id_num="",
        caller_id_name="",
        wait=0,
        joined_at=joined_at,
    )


def queue(*members: QueueMember, callers: tuple[WaitingCaller, ...] = ()) -> QueueSnapshot:
    return QueueSnapshot(name="hotline-gas", callers=callers, members=members)


THREE_WAITING = (caller(1, 100.0), caller(2, 200.0), caller(3, 300.0))


@pytest.mark.parametrize(
    ("uniqueid", "callback_places", "expected"),
    [
        ("c1", [], 1),  # first in line
        ("c3", [], 3),  # two callers joined before
        ("c1", [50.0], 2),  # a callback placed before the caller joined stands before them
        ("c1", [150.0, 250.0], 1),  # callbacks placed after the caller joined wait behind them
        ("c3", [50.0, 250.0, 350.0], 5),  # 2 callers + the 2 callbacks placed before 300
        ("nobody", [], None),  # not (or no longer) in the queue
    ],
)
def test_a_callers_position_counts_callers_and_callbacks_that_stand_before_them(
    uniqueid: str, callback_places: list[float], expected: int | None
) -> None:
    """Callers ahead in Asterisk's order plus the open callbacks whose place is before the caller's join."""
    assert caller_position(queue(busy(1), callers=THREE_WAITING), uniqueid, callback_places) == expected


@pytest.mark.parametrize(
    ("members", "position", "samples", "average", "expected"),
    [
        # nobody staffed: paused (logged out, on a break) or an unreachable phone
        (
            (paused(1), paused(2, "break"), member(3, UNAVAILABLE)),
            1,
            10,
            120.0,
            CallerEstimate(1, None, 0, True),
        ),
        # operators in calls: one handling time shared by the staffed operators per place
        ((busy(1), busy(2)), 1, 10, 120.0, CallerEstimate(1, 60, 2, False)),
        ((busy(1), busy(2)), 3, 10, 120.0, CallerEstimate(3, 180, 2, False)),
        # a logged-out operator no longer shares the work
        ((busy(1), paused(2)), 3, 10, 120.0, CallerEstimate(3, 360, 1, False)),
        # a free operator takes the first place at once
        ((free(1), busy(2)), 1, 10, 120.0, CallerEstimate(1, 0, 2, False)),
        ((free(1), busy(2)), 2, 10, 120.0, CallerEstimate(2, 60, 2, False)),
        # paused by the callback dispatcher: still on duty
        ((busy(1), paused(2, "callback-next:gas")), 1, 10, 100.0, CallerEstimate(1, 50, 2, False)),
        # too few calls in the window: the default handle time (180 s), and the estimate is poor
        ((busy(1),), 1, 2, 30.0, CallerEstimate(1, 180, 1, True)),
        # no call at all in the window
        ((busy(1),), 2, 0, None, CallerEstimate(2, 360, 1, True)),
    ],
)
def test_a_callers_estimate_follows_staffing_and_the_handling_window(
    members: tuple[QueueMember, ...],
    position: int,
    samples: int,
    average: float | None,
    expected: CallerEstimate,
) -> None:
    """ceil(max(0, position - free) * handle / staffed), poor without staff or with too few samples."""
    assert estimate_for_caller(queue(*members), position, samples, average, min_samples=3) == expected


def test_min_samples_zero_never_makes_an_estimate_poor_for_lack_of_history() -> None:
    """Admins who trust the default handle time set min_samples to 0."""
    assert estimate_for_caller(queue(busy(1)), 1, 0, None, min_samples=0) == CallerEstimate(1, 180, 1, False)


def test_an_impossible_position_is_refused() -> None:
    with pytest.raises(ValueError, match="position"):
        estimate_for_caller(queue(busy(1)), 0, 0, None, min_samples=0)


@pytest.mark.parametrize(
    ("estimate", "key", "expected"),
    [
        (CallerEstimate(2, 150, 2, False), "1", Announcement("estimate", 2, 3, "few")),
        (CallerEstimate(1, 0, 2, False), "1", Announcement("estimate", 1, 1, "one")),  # never "0 minutes"
        (CallerEstimate(1, 301, 1, False), "1", Announcement("callback", 1, 10, "many", "1")),  # over max
        (CallerEstimate(1, 60, 1, True), "1", Announcement("callback", 1, 10, "many", "1")),  # poor
        (
            CallerEstimate(4, None, 0, True),
            "1",
            Announcement("callback", 4, 10, "many", "1"),
        ),  # nobody staffed
        (
            CallerEstimate(4, None, 0, True),
            None,
            Announcement("position", 4, 0, "many"),
        ),  # no key: place only
    ],
)
def test_what_the_caller_hears_is_the_estimate_or_else_the_callback_offer(
    estimate: CallerEstimate, key: str | None, expected: Announcement
) -> None:
    """A believable estimate within max_estimate is said; otherwise the callback SLA and the key."""
    assert choose(estimate, max_estimate=300, queue_key=key, sla_minutes=10, language="ru") == expected


def test_minutes_are_rounded_up_and_never_zero() -> None:
    assert [minutes_of(s) for s in (0, 1, 60, 61, 180)] == [1, 1, 1, 2, 3]


@pytest.mark.parametrize(
    ("waited", "offer_every", "clear"),
    [
        (20, 45, True),  # well before Asterisk's first offer at 45 s
        (33, 45, True),  # the announcement ends before the offer starts
        (34, 45, False),  # it would still play at 45 s
        (50, 45, False),  # the offer (45 s) is playing
        (57, 45, True),  # the offer is over, the next one is at 90 s
        (80, 45, False),
        (80, 0, True),  # no periodic offer (no callback key in the queue)
        (10, 20, True),  # an interval too short to keep clear of: never blocks
    ],
)
def test_announcements_keep_clear_of_asterisks_own_periodic_offer(
    waited: int, offer_every: int, clear: bool
) -> None:
    """The offer plays at the join + k * queue_offer_every; an announcement starts GUARD s clear of it."""
    assert clear_of_offer(waited, offer_every) is clear
