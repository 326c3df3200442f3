"""When a callback is due and when its next attempt may be placed. Pure functions; time comes in.

All calendar arithmetic is done in the hotline's time zone with `zoneinfo`, so a quiet night across a
daylight-saving change is as long as the wall clock says (10 or 12 real hours for 21:00-09:00), and a
local time that does not exist (the hour skipped in spring) is read as the same wall time after the
skip.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from hotline.callbacks.model import Attempt, AttemptResult, Request, Source
from hotline.dialplan.calendar import SEARCH_DAYS, OpenHours
from hotline.dialplan.model import CallbackPolicy


def local(ts: float, tz: ZoneInfo) -> dt.datetime:
    return dt.datetime.fromtimestamp(ts, tz)


def at_local(day: dt.date, time: dt.time, tz: ZoneInfo, *, after: float | None = None) -> float:
    """The instant of a wall-clock time on a local date. Of a time that occurs twice (autumn), the first
    occurrence, or the second when the first is not later than `after`."""
    first = dt.datetime.combine(day, time, tzinfo=tz)
    ts = first.timestamp()
    if after is not None and ts <= after:
        second = first.replace(fold=1).timestamp()
        if second > after:
            return second
    return ts


def is_quiet(ts: float, policy: CallbackPolicy, tz: ZoneInfo) -> bool:
    """Whether `ts` falls in the policy's quiet hours, in the hotline's local time."""
    return policy.quiet_hours.contains(local(ts, tz).time())


def out_of_quiet(ts: float, policy: CallbackPolicy, tz: ZoneInfo) -> float:
    """`ts` itself, or the end of the quiet window it falls in."""
    if not is_quiet(ts, policy, tz):
        return ts
    quiet = policy.quiet_hours
    now = local(ts, tz)
    day = now.date()
    if quiet.start > quiet.end and now.time() >= quiet.start:  # the window crosses midnight: ends tomorrow
        day += dt.timedelta(days=1)
    return at_local(day, quiet.end, tz, after=ts)


def next_opening(after: float, hours: OpenHours, policy: CallbackPolicy, tz: ZoneInfo) -> float:
    """The first instant at or after `after` when `hours` are open (the line's or a skill group's, under
    the production calendar: holidays are skipped, short days close early) and it is not quiet hours.

    When opening hours and quiet hours never leave a common instant, the first opening moved out of
    the quiet hours; with no opening hours at all, `after` moved out of the quiet hours.
    """
    first_open: float | None = None
    start_day = local(after, tz).date()
    for offset in range(SEARCH_DAYS + 1):
        day = start_day + dt.timedelta(days=offset)
        for span in hours.day_ranges(day):
            begin = max(at_local(day, span.start, tz), after)
            end = at_local(day, span.end, tz)
            if begin >= end:
                continue
            if first_open is None:
                first_open = begin
            candidate = out_of_quiet(begin, policy, tz)
            if candidate < end:
                return candidate
    return out_of_quiet(after if first_open is None else first_open, policy, tz)


def due_at(
    created_at: float,
    sla_minutes: int,
    source: Source,
    *,
    policy: CallbackPolicy,
    tz: ZoneInfo,
    hours: OpenHours | None = None,
) -> float:
    """The deadline of a new request: created + the group's SLA; a request left while the hotline (or its
    group, `hours`) was closed is due at the next opening (when callbacks may be placed), first in line."""
    if source is Source.CLOSED and hours is not None:
        return next_opening(created_at, hours, policy, tz)
    return created_at + sla_minutes * 60.0


def retry_delay(policy: CallbackPolicy, request: Request) -> float:
    """Seconds to wait after the request's last attempt before the next one.

    After a counted attempt k: `backoff_minutes[k - 1]` (the last value repeats). After failures on our
    side (trunk, operator) the same steps, counted over the run of such failures, so a broken trunk is
    not hammered. An attempt that was never dialled (no ActionID written) is retried at once and does
    not lengthen that run.
    """
    last = request.last_attempt
    if last is None or _never_dialled(last):
        return 0.0
    if last.counts:
        step = request.counted_attempts
    else:
        step = 0
        for attempt in reversed(request.attempts):
            if attempt.counts:
                break
            step += not _never_dialled(attempt)
    steps = policy.backoff_minutes
    if not steps:
        return 0.0
    return steps[min(step, len(steps)) - 1] * 60.0


def _never_dialled(attempt: Attempt) -> bool:
    return attempt.result is AttemptResult.UNKNOWN and not attempt.action_id


def next_attempt_at(
    policy: CallbackPolicy,
    request: Request,
    now: float,
    tz: ZoneInfo,
    hours: OpenHours | None = None,
) -> float:
    """When the request's next attempt may be placed: after the backoff of its last attempt, never in
    quiet hours, and, when `hours` is given, only while the hotline is open. A request left while the
    hotline was closed has its first attempt at the next opening."""
    earliest = now + retry_delay(policy, request)
    if not request.attempts and request.source is Source.CLOSED:
        earliest = max(earliest, request.due_at)
    if hours is not None:
        return next_opening(earliest, hours, policy, tz)
    return out_of_quiet(earliest, policy, tz)


def deadline_slack(request: Request, now: float) -> float:
    """Seconds left until the request is due; negative when it is late."""
    return request.due_at - now


def local_day(ts: float, tz: ZoneInfo) -> tuple[str, float]:
    """The local date of `ts` (ISO) and the instant the next local day begins."""
    day = local(ts, tz).date()
    return day.isoformat(), at_local(day + dt.timedelta(days=1), dt.time(0), tz)
