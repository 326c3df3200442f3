"""The production calendar and the skill groups' own hours: who is open when, what a caller hears, and
when a callback request left while closed falls due."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from dialplan_edits import DEFAULT, loads

from hotline.callbacks import schedule
from hotline.callbacks.model import Source
from hotline.dialplan import load_dialplan
from hotline.dialplan.calendar import Schedule, group_schedule, line_schedule
from hotline.dialplan.model import WEEKDAYS, Calendar, CallbackPolicy, Dialplan, TimeRange, WeeklyHours
from hotline.simulate import simulate
from ivr.menu import Outcome, Step, run_menu

MSK = ZoneInfo("Europe/Moscow")
CALENDAR = """\
calendar:
  holidays: ["2026-11-04", {date: "2026-11-05", note: a test holiday}]
  working_days: {"2026-11-21": mon}
  short_days: ["2026-11-19"]
  short_by_minutes: 60

entry:
"""
CONSTRUCTION_HOURS = """\
  construction:
    title: Строительство и капитальный ремонт
    closed_prompt: construction_closed
    hours: {mon: "09:00-18:00", tue: "09:00-18:00", wed: "09:00-18:00", thu: "09:00-18:00",
            fri: "09:00-17:00", sat: closed, sun: closed}
"""
CONSTRUCTION_PROMPT = """\
prompts:
  construction_closed:
    ru: Отдел строительства работает по будням с девяти до восемнадцати часов.
    en: The construction desk works on weekdays from 9 am to 6 pm.
"""


def at(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=MSK)  # type: ignore[misc]  # year, month, day, hour[, minute]


class Caller:
    """Presses the scripted keys at the first prompt or wait; then stays silent."""

    def __init__(self, *keys: str) -> None:
        self.keys = list(keys)
        self.played: list[str] = []

    async def play(self, prompt_id: str, escape_digits: str) -> str | None:
        self.played.append(prompt_id)
        return self.keys.pop(0) if self.keys and self.keys[0] in escape_digits else None

    async def wait_digit(self, timeout: float) -> str | None:  # noqa: ASYNC109 - CallerIO's signature
        return self.keys.pop(0) if self.keys else None

    async def set_language(self, language: str) -> None:
        pass


@pytest.fixture(scope="module")
def shipped() -> Dialplan:
    """dialplans/ as shipped: hotline.yaml with calendar.yaml."""
    return load_dialplan(DEFAULT.parent)


@pytest.fixture
def dialplan(tmp_path: Path) -> Dialplan:
    """The default dialplan with a small calendar of November 2026 and construction open on weekdays only."""
    return loads(
        tmp_path,
        ("\nentry:\n", "\n" + CALENDAR),
        ("  construction:\n    title: Строительство и капитальный ремонт\n", CONSTRUCTION_HOURS),
        ("prompts:\n", CONSTRUCTION_PROMPT),
    )


# --- the shipped calendar -----------------------------------------------------------------------------------


def test_the_shipped_calendar_closes_the_2026_holidays_and_shortens_the_eves(shipped: Dialplan) -> None:
    """Jan 1-9, Feb 23, Mar 9, May 1 and 11, Jun 12, Nov 4 and Dec 31 2026 are closed; Apr 30, May 8,
    Jun 11 and Nov 3 close at 19:00 instead of 20:00."""
    line = line_schedule(shipped)
    closed = [dt.date(2026, 1, d) for d in range(1, 10)] + [
        dt.date(2026, m, d) for m, d in ((2, 23), (3, 9), (5, 1), (5, 11), (6, 12), (11, 4), (12, 31))
    ]
    assert [day for day in closed if line.day_ranges(day)] == []
    for day in (dt.date(2026, 4, 30), dt.date(2026, 5, 8), dt.date(2026, 6, 11), dt.date(2026, 11, 3)):
        assert line.day_ranges(day) == (TimeRange(dt.time(8), dt.time(19)),)
    assert line.day_ranges(dt.date(2026, 1, 12)) == (TimeRange(dt.time(8), dt.time(20)),)
    assert dt.date(2027, 1, 2) in shipped.calendar.holidays
    assert not shipped.calendar.working_days


# --- the line under the calendar ----------------------------------------------------------------------------


async def test_a_holiday_plays_entry_closed_instead_of_the_menu(dialplan: Dialplan) -> None:
    """Wednesday Nov 4 2026 at noon, within the weekly hours, is a holiday: the closed prompt, no menu."""
    caller = Caller("2")
    assert await run_menu(dialplan, caller, at(2026, 11, 4, 12)) == Outcome(
        "callback", "closed", (), "general"
    )
    assert caller.played == ["closed"]


async def test_a_working_saturday_has_the_hours_of_the_weekday_it_names(dialplan: Dialplan) -> None:
    """Saturday Nov 21 2026 works as a Monday: open at 17:00 (Saturdays close at 15:00), to the menu."""
    outcome = await run_menu(dialplan, Caller("4"), at(2026, 11, 21, 17))
    assert outcome == Outcome("queue", "chosen", (Step("main", "4", "chosen"),), "gas")
    assert not line_schedule(dialplan).is_open(at(2026, 11, 28, 17))  # the next Saturday: closed at 17:00


@pytest.mark.parametrize(
    ("when", "is_open"),
    [
        (at(2026, 11, 12, 18, 30), True),  # an ordinary Thursday
        (at(2026, 11, 12, 19, 30), True),
        (at(2026, 11, 19, 18, 30), True),  # the short Thursday
        (at(2026, 11, 19, 19, 0), False),
        (at(2026, 11, 19, 19, 30), False),
    ],
)
async def test_a_short_day_closes_an_hour_early(dialplan: Dialplan, when: dt.datetime, is_open: bool) -> None:
    """The line closes at 20:00; on a short day at 19:00: 18:30 is open, 19:30 is closed."""
    outcome = await run_menu(dialplan, Caller("4"), when)
    assert (outcome.reason != "closed") is is_open


def test_a_short_day_cuts_or_drops_the_ranges_past_the_earlier_closing() -> None:
    """08:00-12:00, 13:00-17:00 short by 5 hours is 08:00-12:00; `24:00` short by an hour is 23:00."""
    split = (TimeRange(dt.time(8), dt.time(12)), TimeRange(dt.time(13), dt.time(17)))
    day = dt.date(2026, 11, 19)
    cal = Calendar(short_days=frozenset({day}), short_by_minutes=300)
    assert Schedule(WeeklyHours(dict.fromkeys(WEEKDAYS, split)), cal).day_ranges(day) == split[:1]
    whole = (TimeRange(dt.time(0), dt.time.max),)
    cal = Calendar(short_days=frozenset({day}))
    assert Schedule(WeeklyHours(dict.fromkeys(WEEKDAYS, whole)), cal).day_ranges(day) == (
        TimeRange(dt.time(0), dt.time(23)),
    )


def test_the_next_opening_skips_holidays_and_weekends(dialplan: Dialplan) -> None:
    """From the holiday Wed Nov 4 2026: Thu Nov 5 is a holiday too, so Fri Nov 6 at 08:00; while open, now."""
    line = line_schedule(dialplan)
    assert line.next_opening(at(2026, 11, 4, 12)) == at(2026, 11, 6, 8)
    assert line.next_opening(at(2026, 11, 6, 7, 59)) == at(2026, 11, 6, 8)
    assert line.next_opening(at(2026, 11, 6, 9)) == at(2026, 11, 6, 9)
    assert line.next_opening(at(2026, 11, 6, 20)) == at(2026, 11, 7, 9)  # Saturday's hours


# --- a skill group with its own hours -----------------------------------------------------------------------


async def test_a_group_closed_while_the_line_is_open_offers_its_callback(dialplan: Dialplan) -> None:
    """Saturday 10:00, construction (weekdays only) is chosen: its closed prompt, then the closed-hours
    callback offer from construction; the other groups still queue."""
    saturday = at(2026, 11, 28, 10)
    caller = Caller("6", "1")
    outcome = await run_menu(dialplan, caller, saturday)
    path = (Step("main", "6", "chosen"), Step("construction", "1", "chosen"))
    assert outcome == Outcome("callback", "closed", path, group="construction")
    assert caller.played[-1] == "construction_closed"
    assert (await run_menu(dialplan, Caller("4"), saturday)).kind == "queue"
    assert group_schedule(dialplan, "gas") == line_schedule(dialplan)


async def test_a_group_closed_without_callbacks_plays_its_closed_prompt_and_hangs_up(
    tmp_path: Path,
) -> None:
    """With `entry.closed: {hangup: closed}` the caller hears the group's closed prompt as the farewell."""
    d = loads(
        tmp_path,
        (
            "    callback: general\n    prompt: closed\n\nmenu_defaults:",
            "    hangup: closed\n\nmenu_defaults:",
        ),
        ("  construction:\n    title: Строительство и капитальный ремонт\n", CONSTRUCTION_HOURS),
        ("prompts:\n", CONSTRUCTION_PROMPT),
    )
    outcome = await run_menu(d, Caller("6", "2"), at(2026, 11, 28, 10))
    assert (outcome.kind, outcome.reason, outcome.farewell) == ("hangup", "closed", "construction_closed")


def test_simulate_tells_whether_the_line_is_open_under_the_calendar(dialplan: Dialplan) -> None:
    """`hotline simulate --at` on a holiday: the line is closed."""
    assert not simulate(dialplan, "2", at(2026, 11, 4, 12)).open
    assert simulate(dialplan, "2", at(2026, 11, 3, 12)).open


# --- callbacks deferred to the next opening -----------------------------------------------------------------


def test_a_request_left_on_a_holiday_is_due_at_the_next_working_opening(dialplan: Dialplan) -> None:
    """Left on the holidays Nov 4-5 2026: due Friday Nov 6 at 09:00 (opening 08:00, quiet until 09:00)."""
    left = at(2026, 11, 4, 12).timestamp()
    policy = dialplan.callbacks
    due = schedule.due_at(left, 10, Source.CLOSED, policy=policy, tz=MSK, hours=line_schedule(dialplan))
    assert due == at(2026, 11, 6, 9).timestamp()


def test_a_request_for_a_closed_group_is_due_at_the_groups_own_opening(dialplan: Dialplan) -> None:
    """Construction, asked on Saturday Nov 28 at 10:00 (line open): due Monday Nov 30 at 09:00."""
    left = at(2026, 11, 28, 10).timestamp()
    hours = group_schedule(dialplan, "construction")
    due = schedule.due_at(left, 10, Source.CLOSED, policy=CallbackPolicy(), tz=MSK, hours=hours)
    assert due == at(2026, 11, 30, 9).timestamp()


def test_the_long_new_year_holidays_are_skipped(shipped: Dialplan) -> None:
    """Left on Dec 30 2026 at 21:00: Dec 31 2026 to Jan 8 2027 are closed, so the request is due on
    Saturday Jan 9 2027 at 09:00 (the shipped calendar leaves Jan 9 to the 2027 decree)."""
    left = at(2026, 12, 30, 21).timestamp()
    opening = schedule.next_opening(left, line_schedule(shipped), shipped.callbacks, MSK)
    assert opening == at(2027, 1, 9, 9).timestamp()
