"""The repeat caller's priority: a caller whose number already queued for the same group today leaves
the IVR with HOTLINE_PRIORITY (the queue extension's QUEUE_PRIO); anyone else, or any failure of the
check, is queued as before.

The real IvrApp runs behind the real FastAgiServer; a fake Asterisk on a real TCP socket answers each
AGI command as res_agi.c does.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import shlex
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import structlog
from fake_asterisk import scripted_call
from structlog.typing import EventDict

from hotline.dialplan import load_dialplan
from hotline.dialplan.model import Dialplan
from ivr.app import IvrApp

DEFAULT = Path(__file__).resolve().parents[2] / "dialplans" / "hotline.yaml"
MONDAY_10 = dt.datetime(2024, 3, 4, 10, 0, tzinfo=ZoneInfo("Europe/Moscow"))
CALLER = "79161234567"  # agi_callerid of the recorded environment (fake_asterisk.ENV_22)


class Citizen:
    """Asterisk's side: 0 during the main menu (the general group), no key elsewhere; records variables."""

    def __init__(self) -> None:
        self.variables: dict[str, str] = {}

    def reply(self, line: str) -> str:
        words = shlex.split(line)
        if words[:2] == ["STREAM", "FILE"]:
            key = "0" if words[2].endswith("/main_menu") else ""
            return f"200 result={ord(key) if key else 0} endpos=8000\n"
        if words[:2] == ["SET", "VARIABLE"]:
            self.variables[words[2]] = words[3]
        return "200 result=1\n" if words[:2] == ["SET", "VARIABLE"] else "200 result=0\n"


class Marker:
    """A RepeatMarker that answers `repeat` (or raises it) and records what it was asked."""

    def __init__(self, repeat: bool | Exception) -> None:
        self.repeat = repeat
        self.asked: list[tuple[str, str, str]] = []

    async def __call__(self, caller_id: str, group: str, timezone: str) -> bool:
        self.asked.append((caller_id, group, timezone))
        if isinstance(self.repeat, Exception):
            raise self.repeat
        return self.repeat


@pytest.fixture(scope="module")
def default() -> Dialplan:
    return load_dialplan(DEFAULT)


async def run_call(dialplan: Dialplan, marker: Marker) -> tuple[Citizen, list[EventDict]]:
    citizen = Citizen()
    app = IvrApp(lambda: dialplan, "sounds", clock=lambda: MONDAY_10, repeats=marker)
    with structlog.testing.capture_logs() as logs:
        await scripted_call(app.handle, citizen.reply)
    assert citizen.variables["HOTLINE_ACTION"] == "queue"
    return citizen, logs


async def test_a_caller_who_queued_for_the_group_earlier_today_gets_the_repeat_priority(
    default: Dialplan,
) -> None:
    """The marker is asked with the displayed number, the group and the line's timezone."""
    dialplan = dataclasses.replace(default, routing=dataclasses.replace(default.routing, repeat_priority=7))
    marker = Marker(True)
    citizen, logs = await run_call(dialplan, marker)
    assert marker.asked == [(CALLER, "general", dialplan.hotline.timezone)]
    assert citizen.variables["HOTLINE_PRIORITY"] == "7"
    assert next(e for e in logs if e["event"] == "ivr.repeat_caller")["priority"] == 7


async def test_a_first_call_today_is_queued_without_a_priority(default: Dialplan) -> None:
    marker = Marker(False)
    citizen, _ = await run_call(default, marker)
    assert marker.asked == [(CALLER, "general", default.hotline.timezone)]
    assert "HOTLINE_PRIORITY" not in citizen.variables


async def test_a_failed_repeat_check_queues_the_caller_as_before(default: Dialplan) -> None:
    """Redis down: the caller is still queued (no priority) and the failure is logged."""
    citizen, logs = await run_call(default, Marker(ConnectionError("redis down")))
    assert "HOTLINE_PRIORITY" not in citizen.variables
    assert next(e for e in logs if e["event"] == "ivr.repeat_check.failed")["group"] == "general"


async def test_repeat_priority_zero_never_asks_nor_sets_a_priority(default: Dialplan) -> None:
    dialplan = dataclasses.replace(default, routing=dataclasses.replace(default.routing, repeat_priority=0))
    marker = Marker(True)
    citizen, _ = await run_call(dialplan, marker)
    assert marker.asked == []
    assert "HOTLINE_PRIORITY" not in citizen.variables
