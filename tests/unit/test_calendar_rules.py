"""The `calendar` section and the skill groups' `hours` as the admins write them: what is read, and each
mistake reported once, at its line."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from dialplan_edits import Case, check, line_in_default, loads

from hotline.dialplan.model import TimeRange

GROUP = "  construction:\n    title: Строительство и капитальный ремонт\n"
FIRST = line_in_default("\nentry:\n") + 2  # the first line of the added calendar section


def calendar(body: str) -> tuple[str, str]:
    """An edit that adds a `calendar` section (its lines indented by two) before `entry`."""
    return "\nentry:\n", "\ncalendar:\n" + body + "\nentry:\n"


def test_dates_are_read_plain_or_quoted_with_or_without_a_note(tmp_path: Path) -> None:
    """Holidays, working days and short days; a short day may also be a working day."""
    d = loads(
        tmp_path,
        calendar(
            "  holidays: [2026-11-04, {date: '2026-11-05', note: moved from Sat Nov 7}]\n"
            '  working_days: {"2026-11-07": fri}\n'
            "  short_days: ['2026-11-07']\n"
            "  short_by_minutes: 30\n"
        ),
    )
    cal = d.calendar
    assert cal.holidays == {dt.date(2026, 11, 4), dt.date(2026, 11, 5)}
    assert cal.working_days == {dt.date(2026, 11, 7): "fri"}
    assert (cal.short_days, cal.short_by_minutes) == ({dt.date(2026, 11, 7)}, 30)


def test_a_group_may_have_its_own_hours_and_closed_prompt(tmp_path: Path) -> None:
    """Absent, a group follows the line's hours (`hours` None)."""
    d = loads(
        tmp_path,
        (
            GROUP,
            GROUP + '    closed_prompt: closed\n    hours: {mon: "10:00-12:00", tue: closed, wed: closed,'
            " thu: closed, fri: closed, sat: closed, sun: closed}\n",
        ),
    )
    group = d.skill_groups["construction"]
    assert group.hours is not None
    assert group.hours.days["mon"] == (TimeRange(dt.time(10), dt.time(12)),)
    assert group.closed_prompt == "closed"
    assert d.skill_groups["gas"].hours is None


CASES = [
    Case(
        *calendar('  holidays: ["2026-02-30"]\n'),
        '"2026-02-30"',
        None,
        "calendar.holidays: '2026-02-30' is not a real date (day is out of range for month)",
        "check the month and the day",
    ),
    Case(
        *calendar("  short_days: [30.04.2026]\n"),
        "30.04.2026",
        None,
        "calendar.short_days: '30.04.2026' is not a date written YYYY-MM-DD",
        "write the date as YYYY-MM-DD, such as 2026-01-09",
    ),
    Case(
        *calendar('  holidays: ["2026-11-04", {date: "2026-11-04", note: again}]\n'),
        '{date: "2026-11-04", note: again}',
        '"2026-11-04", note',
        f"calendar.holidays: 2026-11-04 is already listed in the same list (line {FIRST})",
    ),
    Case(
        *calendar('  holidays: ["2026-11-07"]\n  working_days: {"2026-11-07": mon}\n'),
        '{"2026-11-07": mon}',
        '"2026-11-07"',
        f"calendar.working_days: 2026-11-07 is already listed in calendar.holidays (line {FIRST})",
    ),
    Case(
        *calendar('  working_days: {"2026-11-10": tue}\n'),
        "tue}",
        None,
        "calendar.working_days: 2026-11-10 is a tue already: listing it changes nothing",
    ),
    Case(
        *calendar('  working_days: {"2026-11-07": sun}\n'),
        '"2026-11-07"',
        None,
        "calendar.working_days: 2026-11-07 works with the hours of sun, but the line is closed on sun",
    ),
    Case(
        *calendar('  working_days: {"2026-11-07": monday}\n'),
        "monday",
        None,
        "calendar.working_days.2026-11-07: unknown weekday 'monday'",
        "did you mean 'mon'?",
    ),
    Case(
        *calendar("  short_by_minutes: 0\n"),
        "short_by_minutes: 0",
        "0",
        "calendar.short_by_minutes: expected a whole number from 1 to 240, found '0'",
    ),
    Case(
        GROUP,
        GROUP + "    hours: {mon: closed, tue: closed, wed: closed, thu: closed, fri: closed, sat: closed,"
        " sun: closed}\n",
        GROUP,
        "construction",
        "skill_groups.construction.hours: the group is closed every day",
    ),
    Case(
        GROUP,
        GROUP + "    hours: {mon: closed, tue: closed, wed: closed, thu: closed, fri: closed, sat: closed,"
        ' sun: "10:00-12:00"}\n',
        GROUP,
        "construction",
        "skill_groups.construction.hours: the group is never open while the line is open",
    ),
    Case(
        GROUP,
        GROUP + '    hours: {mon: "9-18", tue: closed, wed: closed, thu: closed, fri: closed, sat: closed,'
        " sun: closed}\n",
        '"9-18"',
        None,
        "skill_groups.construction.hours.mon: '9' is not a time written HH:MM (two digits each, e.g. 08:00)",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.message[:60] for c in CASES])
def test_each_calendar_or_group_hours_mistake_is_reported_once_at_its_place(
    tmp_path: Path, case: Case
) -> None:
    """A wrong date, a date listed twice, a useless working day, a group that never opens."""
    check(tmp_path, case)
