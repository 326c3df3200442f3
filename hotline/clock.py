"""Clocks the engine can run on. The real one, and one that starts at a chosen moment and then
advances in real time, for tests and demos that must not depend on the time of day they run at
(business hours, quiet hours). `hotline serve` takes the latter from HOTLINE_CLOCK (tests only)."""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable

from hotline.errors import ConfigError, Problem

Clock = Callable[[], dt.datetime]
ENV = "HOTLINE_CLOCK"


def real() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def running_from(start: dt.datetime) -> Clock:
    """Reads `start` now, then advances in real time (leases and backoffs still elapse)."""
    offset = start.timestamp() - time.time()
    return lambda: dt.datetime.fromtimestamp(time.time() + offset, tz=start.tzinfo)


def from_env() -> Clock:
    """HOTLINE_CLOCK=2026-11-17T10:00:00+03:00 starts the engine's clock there; unset: the real clock."""
    value = os.environ.get(ENV, "")
    if not value:
        return real
    try:
        start = dt.datetime.fromisoformat(value)
    except ValueError:
        start = None
    if start is None or start.tzinfo is None:
        raise ConfigError(
            [
                Problem(
                    "environment",
                    0,
                    0,
                    f"{ENV}={value!r} is not an ISO date and time with its offset",
                    "e.g. 2026-11-17T10:00:00+03:00; unset it for the real clock",
                )
            ]
        )
    return running_from(start)
