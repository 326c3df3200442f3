"""Times of day as admins write them: one day's opening hours (`"08:00-20:00"`, `"08:00-12:00, 13:00-17:00"`,
`closed`), and the callbacks' quiet hours (`"21:00-09:00"`, which may cross midnight)."""

from __future__ import annotations

import datetime as dt
import itertools
import re

from hotline.dialplan.model import QuietHours, TimeRange

CLOSED = "closed"
_TIME = re.compile(r"([0-9]{2}):([0-9]{2})")
END_OF_DAY = "24:00"  # allowed as the end of a range only: open until midnight


class HoursError(ValueError):
    """The text is not a valid day of opening hours; the message says why, for the admin."""


def parse_day(text: str) -> tuple[TimeRange, ...]:
    """Parse one day's hours; `closed` gives no ranges. Ranges come back sorted; overlaps are refused.

    `24:00` is allowed as an end and stored as the last instant of the day (`datetime.time.max`).
    """
    spec = text.strip()
    if spec == CLOSED:
        return ()
    if not spec:
        raise HoursError("no hours given")
    ranges: list[TimeRange] = []
    for part in spec.split(","):
        start_text, sep, end_text = part.strip().partition("-")
        if not sep:
            raise HoursError(f"'{part.strip()}' is not a range like 08:00-20:00")
        start = _time(start_text.strip(), end=False)
        end = _time(end_text.strip(), end=True)
        if end <= start:
            raise HoursError(f"in '{part.strip()}' the end is not after the start")
        ranges.append(TimeRange(start, end))
    ranges.sort(key=lambda r: r.start)
    for before, after in itertools.pairwise(ranges):
        if after.start < before.end:
            raise HoursError(f"ranges overlap ({_show(before)} and {_show(after)})")
    return tuple(ranges)


def parse_quiet_hours(text: str) -> QuietHours:
    """One range `HH:MM-HH:MM` that may cross midnight (`21:00-09:00`); the start and the end differ.

    `24:00` is not accepted: `22:00-00:00` is quiet until midnight.
    """
    spec = text.strip()
    start_text, sep, end_text = spec.partition("-")
    if not sep:
        raise HoursError(f"'{spec}' is not a range like 21:00-09:00")
    start = _time(start_text.strip(), end=False)
    end = _time(end_text.strip(), end=False)
    if start == end:
        raise HoursError(f"in '{spec}' the start and the end are the same time: quiet all day, or never?")
    return QuietHours(start, end)


def _time(text: str, *, end: bool) -> dt.time:
    if end and text == END_OF_DAY:
        return dt.time.max
    match = _TIME.fullmatch(text)
    if not match:
        raise HoursError(f"'{text}' is not a time written HH:MM (two digits each, e.g. 08:00)")
    hour, minute = int(match[1]), int(match[2])
    if hour > 23 or minute > 59:
        raise HoursError(f"'{text}' is not a time of day (hours 00-23, minutes 00-59)")
    return dt.time(hour, minute)


def _show(r: TimeRange) -> str:
    end = END_OF_DAY if r.end == dt.time.max else r.end.strftime("%H:%M")
    return f"{r.start.strftime('%H:%M')}-{end}"
