"""How an unanswered queue ring ended, from its ring time and the group's ring_timeout."""

from __future__ import annotations

import pytest

from router.ring_watch import RING_OUT_TOLERANCE_MS, RingEnd, ring_end


@pytest.mark.parametrize("ring_ms", [15_000, 15_004, 15_000 - RING_OUT_TOLERANCE_MS, 16_000])
def test_a_ring_that_ran_the_ring_timeout_was_missed(ring_ms: int) -> None:
    assert ring_end(ring_ms, 15) is RingEnd.MISSED


@pytest.mark.parametrize("ring_ms", [0, 120, 3_000, 15_000 - RING_OUT_TOLERANCE_MS - 1])
def test_a_ring_ended_well_before_the_ring_timeout_was_rejected(ring_ms: int) -> None:
    assert ring_end(ring_ms, 15) is RingEnd.REJECTED
