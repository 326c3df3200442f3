"""Clocks the engine can run on. The real one, and one that starts at a chosen moment and then
advances in real time, for tests and demos that must not depend on the time of day they run at
(business hours, quiet hours). `hotline serve --as-if-open` (or `--clock`, or HOTLINE_CLOCK) runs on the
latter, so the sandbox can be tried in the evening; a real installation runs on the real clock."""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable
from zoneinfo import ZoneInfo

from hotline.errors import ConfigError, Problem

Clock = Callable[[], dt.datetime]
ENV = "HOTLINE_CLOCK"
# A Tuesday at 10:00 in Moscow, a working day: the shipped dialplan's line is open (the demo's clock).
OPEN_TUESDAY = dt.datetime(2026, 11, 17, 10, 0, tzinfo=ZoneInfo("Europe/Moscow"))


def real() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def running_from(start: dt.datetime) -> Clock:
    """Reads `start` now, then advances in real time (leases and backoffs still elapse)."""
    offset = start.timestamp() - time.time()
    return lambda: dt.datetime.fromtimestamp(time.time() + offset, tz=start.tzinfo)


def from_env() -> Clock:
    """HOTLINE_CLOCK=2026-11-17T10:00:00+03:00 starts the engine's clock there; unset: the real clock."""
    value = os.environ.get(ENV, "")
    return parse(value, ENV) if value else real


def parse(value: str, where: str = "--clock") -> Clock:
    """A clock that starts at `value` (ISO date and time with its offset) and runs in real time."""
    try:
        start = dt.datetime.fromisoformat(value)
    except ValueError:
        start = None
    if start is None or start.tzinfo is None:
        raise ConfigError(
            [
                Problem(
                    "environment" if where == ENV else "command line",
                    0,
                    0,
                    f"{where}={value!r} is not an ISO date and time with its offset",
                    "e.g. 2026-11-17T10:00:00+03:00; leave it out for the real clock",
                )
            ]
        )
    return running_from(start)
