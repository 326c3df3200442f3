"""A settable wall clock for the stores under test, so backoffs, leases and rate windows pass without
waiting real minutes. It starts at T0, a Wednesday noon in Moscow (business hours, outside quiet hours,
on a minute boundary)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

MSK = ZoneInfo("Europe/Moscow")
T0 = dt.datetime(2025, 6, 11, 12, 0, tzinfo=MSK).timestamp()


class Clock:
    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
