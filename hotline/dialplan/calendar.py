"""Opening hours on real dates: the weekly hours of the line or of a skill group under the production
calendar (`calendar` section: holidays, working days moved onto a weekend, short pre-holiday days).

The one place that answers "is it open at this local time, for this group?" (`Schedule.is_open`) and
"when does it next open?" (`Schedule.next_opening`). The IVR, the simulator and the callback scheduler
(`hotline.callbacks.schedule`, which also keeps out of quiet hours) all ask it. Also the checks of the
calendar and the groups' hours against the rest of the dialplan (`lint`, called by `validate`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Protocol

from hotline.dialplan.draft import Draft
from hotline.dialplan.model import WEEKDAYS, Calendar, Dialplan, Span, TimeRange, WeeklyHours
from hotline.errors import Problem

SEARCH_DAYS = 62  # how far ahead an opening is looked for: the longest run of holidays, with room to spare
_MINUTES_PER_DAY = 24 * 60


class OpenHours(Protocol):
    """Opening hours date by date: `Schedule`, or plain `WeeklyHours` (no calendar)."""

    def day_ranges(self, day: dt.date) -> tuple[TimeRange, ...]: ...

    def is_open(self, local: dt.datetime) -> bool: ...


@dataclass(frozen=True, slots=True)
class Schedule:
    """Weekly hours under the production calendar. Times are the hotline's local wall-clock times."""

    weekly: WeeklyHours
    calendar: Calendar = field(default_factory=Calendar)

    def day_ranges(self, day: dt.date) -> tuple[TimeRange, ...]:
        """The opening ranges of a date: none on a holiday; a working day's weekday's hours; a short day's
        hours closing `short_by_minutes` earlier (ranges that would end later are cut, or dropped)."""
        cal = self.calendar
        if day in cal.holidays:
            return ()
        ranges = self.weekly.days.get(cal.working_days.get(day, WEEKDAYS[day.weekday()]), ())
        if day not in cal.short_days or not ranges:
            return ranges
        close = _minutes(ranges[-1].end) - cal.short_by_minutes
        return tuple(
            TimeRange(r.start, min(r.end, _time(close))) for r in ranges if _minutes(r.start) < close
        )

    def is_open(self, local: dt.datetime) -> bool:
        """Open at this local time (naive, or aware in the hotline's time zone)?"""
        t = local.time()
        return any(r.contains(t) for r in self.day_ranges(local.date()))

    def next_opening(self, local: dt.datetime) -> dt.datetime | None:
        """`local` itself when open, else the start of the next opening range; None when it does not open
        within `SEARCH_DAYS`. Wall-clock arithmetic: the result has `local`'s tzinfo."""
        now = local.time()
        for offset in range(SEARCH_DAYS + 1):
            day = local.date() + dt.timedelta(days=offset)
            for r in self.day_ranges(day):
                if offset == 0 and r.contains(now):
                    return local
                if offset > 0 or r.start > now:
                    return dt.datetime.combine(day, r.start, local.tzinfo)
        return None


def line_schedule(d: Dialplan) -> Schedule:
    """The whole line's hours under the calendar."""
    return Schedule(d.hours, d.calendar)


def group_schedule(d: Dialplan, group: str) -> Schedule:
    """A skill group's hours (its own, else the line's) under the line's calendar."""
    g = d.skill_groups.get(group)
    return Schedule(g.hours if g is not None and g.hours is not None else d.hours, d.calendar)


def _minutes(t: dt.time) -> int:
    return _MINUTES_PER_DAY if t == dt.time.max else t.hour * 60 + t.minute


def _time(minutes: int) -> dt.time:
    return dt.time.max if minutes >= _MINUTES_PER_DAY else dt.time(minutes // 60, minutes % 60)


# --- checks across sections (validate) ------------------------------------------------------------------


def lint(d: Draft) -> list[Problem]:
    """The groups' hours against the line's, and the calendar's working days against the line's hours."""
    return [*_groups_never_open(d), *_idle_working_days(d)]


def _problem(span: Span | None, message: str, hint: str) -> Problem:
    where = span or Span("", 0, 0)
    return Problem(where.file, where.line, where.column, message, hint)


def _groups_never_open(d: Draft) -> list[Problem]:
    """A group with its own hours must be open at some time when the line is open too."""
    if d.hours is None:
        return []
    problems = []
    for gid, g in d.skill_groups.items():
        if g.hours is None:
            continue
        if not any(g.hours.days.get(day) for day in WEEKDAYS):
            problems.append(
                _problem(
                    g.span,
                    f"skill_groups.{gid}.hours: the group is closed every day",
                    "give it the hours of at least one day, or remove 'hours' to use the line's hours",
                )
            )
        elif not any(_overlap(g.hours.days.get(day, ()), d.hours.days.get(day, ())) for day in WEEKDAYS):
            problems.append(
                _problem(
                    g.span,
                    f"skill_groups.{gid}.hours: the group is never open while the line is open",
                    "a caller reaches a group only within the line's hours: let them overlap",
                )
            )
    return problems


def _overlap(a: tuple[TimeRange, ...], b: tuple[TimeRange, ...]) -> bool:
    return any(x.start < y.end and y.start < x.end for x in a for y in b)


def _idle_working_days(d: Draft) -> list[Problem]:
    """A working day takes a weekday's hours: the line must be open on that weekday."""
    if d.hours is None:
        return []
    return [
        _problem(
            d.calendar.spans.get(day),
            f"calendar.working_days: {day.isoformat()} works with the hours of {weekday}, "
            f"but the line is closed on {weekday}",
            "name a weekday the line is open, usually mon, or remove the date",
        )
        for day, weekday in sorted(d.calendar.working_days.items())
        if not d.hours.days.get(weekday)
    ]
