"""Emergency mode's records and the pure rules about them: the announcement, its log entries, its expiry.

Timestamps are epoch seconds (float). An announcement is stored as one JSON document (never pickle); a log
entry as a Redis stream entry of text fields.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from hotline.errors import EmergencyError

MAX_SECONDS = 7 * 24 * 3600  # an announcement lasts at most a week: a forgotten one must end by itself
MIN_SECONDS = 60  # and at least a minute
_DURATION = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?")
_CLOCK = re.compile(r"([0-9]{1,2}):([0-9]{2})")
_DATE_CLOCK = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})[ T]([0-9]{1,2}):([0-9]{2})")


class Event(enum.StrEnum):
    ON = "on"  # turned on (or replaced by a new announcement)
    OFF = "off"  # turned off before its expiry
    EXPIRED = "expired"  # ended by itself at its expiry


@dataclass(frozen=True, slots=True)
class Announcement:
    """What every caller hears before the menus while emergency mode is on."""

    id: str
    text: str  # its words ("" for one recorded from an operator's phone)
    language: str
    sound: str  # the sound file as Asterisk plays it: a path without its extension
    group: str  # the skill group that calls back the callers who ask
    set_at: float
    until: float  # when it ends by itself
    set_by: str  # who turned it on: "cli:<user>" or "phone:<endpoint>" (never a caller ID)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"))

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "text": self.text,
            "language": self.language,
            "sound": self.sound,
            "group": self.group,
            "set_at": self.set_at,
            "until": self.until,
            "set_by": self.set_by,
        }

    @classmethod
    def from_json(cls, text: str) -> Announcement:
        """ValueError (or KeyError, TypeError) for a document that is not an announcement."""
        raw = json.loads(text)
        if not isinstance(raw, dict):
            raise ValueError("an announcement is a JSON object")
        return cls(
            id=str(raw["id"]),
            text=str(raw.get("text", "")),
            language=str(raw["language"]),
            sound=str(raw["sound"]),
            group=str(raw["group"]),
            set_at=float(raw["set_at"]),
            until=float(raw["until"]),
            set_by=str(raw.get("set_by", "")),
        )


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One line of emergency mode's log: what happened, when, by whom, to which announcement."""

    event: Event
    at: float
    by: str  # who: "cli:<user>", "phone:<endpoint>"; "expiry" for one that ended by itself
    announcement: Announcement

    def fields(self) -> dict[str, str]:
        """The stream entry's fields."""
        return {
            "event": self.event.value,
            "at": repr(self.at),
            "by": self.by,
            "announcement": self.announcement.to_json(),
        }

    @classmethod
    def from_fields(cls, raw: Mapping[str, str]) -> LogEntry:
        """An expiry is written by a script that leaves `at` out: it happened at the announcement's end."""
        announcement = Announcement.from_json(raw["announcement"])
        at = raw.get("at")
        return cls(
            Event(raw["event"]), float(at) if at else announcement.until, raw.get("by", ""), announcement
        )


def parse_duration(text: str) -> int:
    """`3h`, `90m`, `1h30m`, `2d`: seconds. EmergencyError for anything else."""
    m = _DURATION.fullmatch(text.strip().lower())
    if not text.strip() or m is None or not any(m.groups()):
        raise EmergencyError(f"--for {text!r}: write a duration such as 3h, 90m, 1h30m or 2d")
    days, hours, minutes = (int(g or 0) for g in m.groups())
    return days * 86400 + hours * 3600 + minutes * 60


def parse_until(text: str, now: float, tz: ZoneInfo) -> float:
    """`18:00` (the next time the hotline's clock shows it: today, or tomorrow when already past) or
    `2026-11-22 18:00` (that day), local time of `tz`, as epoch seconds. EmergencyError for anything else."""
    local_now = dt.datetime.fromtimestamp(now, tz)
    if m := _CLOCK.fullmatch(text.strip()):
        hour, minute = int(m[1]), int(m[2])
        if hour > 23 or minute > 59:
            raise EmergencyError(f"--until {text!r}: not a time of day (00:00 to 23:59)")
        when = local_now.replace(hour=hour, minute=minute, second=0, microsecond=0)
        if when <= local_now:
            when = (local_now + dt.timedelta(days=1)).replace(
                hour=hour, minute=minute, second=0, microsecond=0
            )
        return when.timestamp()
    if m := _DATE_CLOCK.fullmatch(text.strip()):
        try:
            when = dt.datetime(int(m[1]), int(m[2]), int(m[3]), int(m[4]), int(m[5]), tzinfo=tz)
        except ValueError as exc:
            raise EmergencyError(f"--until {text!r}: {exc}") from None
        return when.timestamp()
    raise EmergencyError(f"--until {text!r}: write a local time such as 18:00 or '2026-11-22 18:00'")


def check_expiry(until: float, now: float, tz: ZoneInfo) -> float:
    """`until`, or EmergencyError when it is in the past, under a minute away or more than 7 days away."""
    shown = dt.datetime.fromtimestamp(until, tz).strftime("%Y-%m-%d %H:%M")
    if until <= now:
        raise EmergencyError(f"the expiry {shown} is in the past: give a later time")
    if until - now < MIN_SECONDS:
        raise EmergencyError(f"the expiry {shown} is less than a minute away: give a later time")
    if until - now > MAX_SECONDS:
        raise EmergencyError(
            f"the expiry {shown} is more than 7 days away: emergency mode lasts at most a week "
            "(turn it on again when the week is over)"
        )
    return until


def expiry(
    now: float, tz: ZoneInfo, *, until: str | None = None, for_: str | None = None, hours: int = 0
) -> float:
    """The expiry of an announcement turned on at `now`: from `--until`, else `--for`, else `hours`."""
    if until is not None:
        return check_expiry(parse_until(until, now, tz), now, tz)
    if for_ is not None:
        return check_expiry(now + parse_duration(for_), now, tz)
    return check_expiry(now + hours * 3600, now, tz)
