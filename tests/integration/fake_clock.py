"""A settable wall clock for the stores under test, so backoffs, leases and rate windows pass without
waiting real minutes."""

from __future__ import annotations


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
