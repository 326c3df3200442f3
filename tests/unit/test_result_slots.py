"""Where an attempt's result waits in AstDB: a bounded set of slots, the same one for the dialplan that
writes it and the engine that reads it back."""

from __future__ import annotations

from router.dispatcher import RESULT_SLOTS, result_slot


def test_an_attempt_has_one_slot_within_the_bound() -> None:
    """The same attempt always maps to the same slot, below RESULT_SLOTS, whatever its request id."""
    keys = [f"{i:032x}-{n}" for i in range(2000) for n in (1, 2, 3)]
    slots = [result_slot(key) for key in keys]
    assert slots == [result_slot(key) for key in keys]
    assert all(0 <= slot < RESULT_SLOTS for slot in slots)


def test_attempts_spread_over_the_slots() -> None:
    """6,000 attempts take most of the 4,096 slots: a slot is seldom reused within a lease's time."""
    slots = {result_slot(f"{i:032x}-{n}") for i in range(2000) for n in (1, 2, 3)}
    assert len(slots) > RESULT_SLOTS * 0.7
