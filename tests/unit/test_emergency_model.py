"""Emergency mode's pure rules: the expiry of `--until`/`--for`, the stored document, the PIN."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from hotline.emergency.model import Announcement, Event, LogEntry, expiry, parse_duration, parse_until
from hotline.emergency.pin import MAX_TRIES, PinGate, is_pin, new_pin, pin_matches
from hotline.errors import EmergencyError

MSK = ZoneInfo("Europe/Moscow")
NOW = dt.datetime(2026, 11, 24, 15, 0, tzinfo=MSK).timestamp()  # a Tuesday, 15:00 in Moscow
SAMPLE = Announcement(
    "a1", "Нет отопления", "ru", "/x/emergency/em-1", "heating", NOW, NOW + 3600, "cli:root"
)


def local(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, MSK).strftime("%Y-%m-%d %H:%M")


@pytest.mark.parametrize(("text", "seconds"), [("3h", 10800), ("90m", 5400), ("1h30m", 5400), ("2d", 172800)])
def test_for_reads_days_hours_and_minutes(text: str, seconds: int) -> None:
    """`--for` takes 3h, 90m, 1h30m, 2d."""
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "3", "h", "3 hours", "-1h"])
def test_for_refuses_what_is_not_a_duration(text: str) -> None:
    """Anything else is refused with an example."""
    with pytest.raises(EmergencyError, match="3h, 90m"):
        parse_duration(text)


def test_until_a_time_of_day_is_its_next_occurrence_in_the_hotlines_zone() -> None:
    """18:00 at 15:00 is today; 08:00 at 15:00 is tomorrow morning, in the hotline's time zone."""
    assert local(parse_until("18:00", NOW, MSK)) == "2026-11-24 18:00"
    assert local(parse_until("08:00", NOW, MSK)) == "2026-11-25 08:00"
    assert local(parse_until("2026-11-26 09:30", NOW, MSK)) == "2026-11-26 09:30"


def test_an_expiry_in_the_past_or_beyond_a_week_is_refused() -> None:
    """A date already gone, or more than 7 days away, is refused with a message that says why."""
    with pytest.raises(EmergencyError, match="in the past"):
        expiry(NOW, MSK, until="2026-11-24 14:00")
    with pytest.raises(EmergencyError, match="more than 7 days"):
        expiry(NOW, MSK, for_="8d")
    with pytest.raises(EmergencyError, match="not a time of day"):
        expiry(NOW, MSK, until="25:00")
    assert expiry(NOW, MSK, for_="7d") == NOW + 7 * 86400
    assert expiry(NOW, MSK, hours=4) == NOW + 4 * 3600


def test_an_announcement_and_its_log_entry_survive_json() -> None:
    """The stored document reads back the same; an expiry entry without `at` is stamped at `until`."""
    assert Announcement.from_json(SAMPLE.to_json()) == SAMPLE
    entry = LogEntry(Event.OFF, NOW + 5, "phone:op1", SAMPLE)
    assert LogEntry.from_fields(entry.fields()) == entry
    expired = LogEntry.from_fields({"event": "expired", "by": "expiry", "announcement": SAMPLE.to_json()})
    assert (expired.event, expired.at) == (Event.EXPIRED, SAMPLE.until)


def test_a_generated_pin_is_eight_random_digits() -> None:
    """The PIN is at least 8 digits; two PINs differ."""
    pins = {new_pin() for _ in range(5)}
    assert all(is_pin(p) and len(p) == 8 for p in pins)
    assert len(pins) > 1
    assert not is_pin("1234567")
    assert not is_pin("abcdefgh")
    assert not is_pin(None)


def test_the_pin_gate_locks_after_three_wrong_pins() -> None:
    """Wrong PINs count; after MAX_TRIES even the right one is refused."""
    gate = PinGate("12345678")
    assert not gate.check("1111")
    assert gate.check("12345678#")  # GET DATA may leave the #
    gate = PinGate("12345678")
    for _ in range(MAX_TRIES):
        assert not gate.check("00000000")
    assert gate.locked
    assert not gate.check("12345678")
    assert pin_matches("12345678", "12345678")
    assert not pin_matches("1234567", "12345678")


def test_without_a_pin_nobody_gets_in() -> None:
    """An empty or short PIN (secrets not generated) lets nobody in, not even an empty entry."""
    assert not PinGate("").check("")
