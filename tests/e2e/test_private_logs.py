"""No citizen's number, typed digit or PIN in the engine's log, at any level, on real calls."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from harness import Call, Hotline, new_caller, prompt_seconds
from structlog.testing import capture_logs
from test_emergency import dial_feature_code, typed

from hotline.emergency.model import Announcement
from hotline.emergency.store import EmergencyStore
from hotline.engine import Engine
from hotline.sandbox.sipp import CitizenCall, Key

pytestmark = pytest.mark.e2e

HIDDEN_CALLER = "12345"  # not a number the hotline calls back: the citizen is asked to type one


def appears(digits: str, text: str) -> bool:
    """`digits` as a whole token of the log (not inside a longer number such as a call id)."""
    return re.search(rf"(?<![0-9]){re.escape(digits)}(?![0-9])", text) is not None


async def test_a_typed_number_a_pin_and_the_callers_number_never_reach_the_log(
    hotline: Hotline, engine: Engine, emergency: EmergencyStore, call: Call, tmp_path: Path
) -> None:
    """A citizen types the number to be called back on; an operator types the emergency PIN. The whole
    log of both calls (debug included) holds none of those digits, nor the caller's number."""
    typed_number = "8" + new_caller()[1:]  # as a citizen types it: 8, then the ten digits
    intro = prompt_seconds(hotline, "cb_confirm_intro")
    keys = (Key("9", 2.0), *typed(typed_number, 3.0), Key("1", intro + 2.0))
    with capture_logs() as logs:
        result = await call(CitizenCall(caller=HIDDEN_CALLER, keys=keys, wait_for_end=60))
        assert result.ok, result.errors or result.screen
        now = emergency.now()  # on only now: the citizen's call was not to hear it
        on = Announcement("e2e-logs", "", "ru", "/nowhere/em-test", "general", now, now + 3600, "cli:test")
        await emergency.turn_on(on)
        pin_keys = (*typed(hotline.secrets.emergency_pin, 2.0), Key("2", 2.0))
        dialled = await dial_feature_code(hotline, "op101", pin_keys, tmp_path / "sipp")
        assert dialled.ok, dialled.errors or dialled.screen
    text = "\n".join(json.dumps(e, default=str, ensure_ascii=False) for e in logs)
    assert any(e["event"] == "agi.command" for e in logs), "the debug lines were not captured"
    assert any(e["event"] == "emergency.pin_accepted" for e in logs), "the PIN was not taken"
    registered = [r for r in await engine.callbacks.list() if r.number == "7" + typed_number[1:]]
    assert registered, "the typed number was not registered"
    national = typed_number[1:]
    for secret in (typed_number, national, "7" + national, hotline.secrets.emergency_pin):
        assert not appears(secret, text), f"{secret} is in the log"
    assert not appears(HIDDEN_CALLER, text)
