"""The optional `calendar` section: the production calendar of the whole line (`model.Calendar`).

    calendar:
      holidays: ["2026-01-01", {date: "2026-01-09", note: moved from Sat Jan 3}]
      working_days: {"2027-01-09": mon}      # a weekend day worked with that weekday's hours
      short_days: ["2026-04-30"]             # pre-holiday days: closing short_by_minutes earlier
      short_by_minutes: 60

Dates are written YYYY-MM-DD, quoted or not. Checked here, each at its line: a date that is not one
(2026-02-30), a date listed twice, a date both a holiday and a working or short day, a working day
given its own weekday (which changes nothing). Against the hours (a working day on a weekday the line
is closed) is `calendar.lint`'s job.
"""

from __future__ import annotations

import datetime as dt
import re

from hotline.dialplan.draft import SectionReader
from hotline.dialplan.model import WEEKDAYS, Calendar, Span
from hotline.dialplan.strictyaml import Mapping, Node

CALENDAR_KEYS = ("holidays", "working_days", "short_days", "short_by_minutes")
DATED_REQUIRED, DATED_OPTIONAL = ("date",), ("note",)  # a date written {date: ..., note: ...}
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_DATE_HINT = "write the date as YYYY-MM-DD, such as 2026-01-09"


def read_calendar(r: SectionReader, node: Node) -> None:
    """Read `calendar` into `r.d.calendar`; problems go to `r.f`."""
    _CalendarReader(r.f, r.d).read(node)


class _CalendarReader(SectionReader):
    def read(self, node: Node) -> None:
        path = "calendar"
        if (m := self.f.mapping(node, path)) is None:
            return
        self.f.keys(m, path, (), CALENDAR_KEYS)
        self.seen: dict[dt.date, tuple[str, Span]] = {}  # date -> the list it was first written in, where
        holidays = self.dates(m, "holidays")
        short = self.dates(m, "short_days")
        working = self.working_days(m)
        minutes = self.number(m, "short_by_minutes", path, 1, 240, default=60)
        spans = {day: span for day, (_, span) in self.seen.items()}
        self.d.calendar = Calendar(frozenset(holidays), working, frozenset(short), minutes or 60, spans=spans)

    def dates(self, m: Mapping, key: str) -> list[dt.date]:
        """A list of dates, each written alone or as `{date: ..., note: ...}`."""
        path = f"calendar.{key}"
        if (node := m.get(key)) is None or (s := self.f.sequence(node, path)) is None:
            return []
        found: list[dt.date] = []
        for item in s.items:
            date_node: Node | None = item
            if isinstance(item, Mapping):
                self.f.keys(item, path, DATED_REQUIRED, DATED_OPTIONAL)
                if (note := item.get("note")) is not None:
                    self.f.text(note, f"{path}.note")
                date_node = item.get("date")  # None: reported by keys()
            day = None if date_node is None else self.date(date_node, path)
            if date_node is not None and day is not None and self.once(day, key, date_node.span):
                found.append(day)
        return found

    def working_days(self, m: Mapping) -> dict[dt.date, str]:
        path = "calendar.working_days"
        if (node := m.get("working_days")) is None or (wm := self.f.mapping(node, path)) is None:
            return {}
        working: dict[dt.date, str] = {}
        for key, value in wm.entries:
            day = self.date(key, path)
            weekday = self.f.choice(value, f"{path}.{key.text}", WEEKDAYS, "weekday", "weekdays")
            if day is None or weekday is None:
                continue
            if weekday == WEEKDAYS[day.weekday()]:
                self.f.problem(
                    value.span,
                    f"{path}: {day.isoformat()} is a {weekday} already: listing it changes nothing",
                    "check the date: a working day is usually a Saturday or a Sunday worked instead of "
                    "a day off",
                )
            elif self.once(day, "working_days", key.span):
                working[day] = weekday
        return working

    def date(self, node: Node, path: str) -> dt.date | None:
        """One date, YYYY-MM-DD, quoted or plain (the field makes the meaning plain)."""
        if (s := self.f.scalar(node, path)) is None:
            return None
        match = _DATE.fullmatch(s.text.strip())
        if match is None:
            self.f.problem(s.span, f"{path}: '{s.text}' is not a date written YYYY-MM-DD", _DATE_HINT)
            return None
        try:
            return dt.date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError as e:
            self.f.problem(
                s.span, f"{path}: '{s.text}' is not a real date ({e})", "check the month and the day"
            )
            return None

    def once(self, day: dt.date, key: str, span: Span) -> bool:
        """Record the date; False (reported) when the calendar has it already. A short day may also be a
        working day (a weekend day worked before a holiday)."""
        first = self.seen.get(day)
        if first is None:
            self.seen[day] = (key, span)
            return True
        if {first[0], key} == {"short_days", "working_days"}:
            return True
        where = "in the same list" if first[0] == key else f"in calendar.{first[0]}"
        self.f.problem(
            span,
            f"calendar.{key}: {day.isoformat()} is already listed {where} (line {first[1].line})",
            "list each date once: a holiday is closed, a working day is open, a short day closes early",
        )
        return False
