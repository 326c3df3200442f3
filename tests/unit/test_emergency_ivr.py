"""Emergency mode on real FastAGI calls: the announcement before the greeting, its callback offer, and
the operators' feature code with its PIN.

The real IvrApp runs behind the real FastAgiServer; a fake Asterisk on a real TCP socket answers each AGI
command, pressing the keys the test gives for the prompts it names. The store is an in-memory stand-in
(the Redis one is tested in tests/integration/test_emergency_store.py).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import cast
from zoneinfo import ZoneInfo

import pytest
import structlog
from fake_asterisk import ENV_22, scripted_call
from scripted_asterisk import Asterisk, Registered
from structlog.typing import EventDict

from hotline.callbacks.model import Source
from hotline.dialplan import load_dialplan
from hotline.dialplan.model import Dialplan
from hotline.emergency.model import Announcement
from hotline.emergency.store import EmergencyStore
from ivr.app import IvrApp
from ivr.emergency_flow import EmergencyAccess

DEFAULT = Path(__file__).resolve().parents[2] / "dialplans" / "hotline.yaml"
MONDAY_10 = dt.datetime(2024, 3, 4, 10, 0, tzinfo=ZoneInfo("Europe/Moscow"))
PIN = "24681357"
SOUND = "/var/lib/hotline/emergency/em-20240304-abc"
ACTIVE = Announcement("a1", "Нет отопления", "ru", SOUND, "heating", 0.0, 9e9, "cli:root")
FEATURE_ENV = ENV_22.replace(b"agi_network_script: hotline", b"agi_network_script: emergency").replace(
    b"PJSIP/carrier-00000003", b"PJSIP/op1-0000002a"
)


class Store:
    """The emergency store's surface, in memory; `fail` makes every read raise, `slow` hang."""

    def __init__(
        self, current: Announcement | None = None, *, fail: bool = False, slow: bool = False
    ) -> None:
        self.active, self.fail, self.slow = current, fail, slow
        self.changes: list[tuple[str, str]] = []

    def now(self) -> float:
        return MONDAY_10.timestamp()

    async def current(self) -> Announcement | None:
        if self.slow:
            await asyncio.sleep(30)
        if self.fail:
            raise ConnectionError("Redis is down")
        return self.active

    async def turn_on(self, a: Announcement) -> None:
        self.active = a
        self.changes.append(("on", a.set_by))

    async def turn_off(self, by: str) -> Announcement | None:
        gone, self.active = self.active, None
        self.changes.append(("off", by))
        return gone


@pytest.fixture(scope="module")
def default() -> Dialplan:
    return load_dialplan(DEFAULT)


async def run_call(
    dialplan: Dialplan, asterisk: Asterisk, store: Store, register: Registered, env: bytes = ENV_22
) -> list[EventDict]:
    access = EmergencyAccess(cast(EmergencyStore, store), PIN)
    app = IvrApp(lambda: dialplan, "sounds", clock=lambda: MONDAY_10, register=register, emergency=access)
    with structlog.testing.capture_logs() as logs:
        await scripted_call(app.handle, asterisk.reply, env=env)
    assert "HOTLINE_ERROR" not in asterisk.variables
    return logs


async def test_an_active_announcement_is_played_before_the_greeting(default: Dialplan) -> None:
    """The announcement's own file, then the offer, then the greeting and the menus as usual."""
    asterisk = Asterisk({"main_menu": "0"})
    await run_call(default, asterisk, Store(ACTIVE), Registered())
    assert asterisk.played[:3] == [SOUND, "em_callback_offer", "greeting"]
    assert asterisk.variables["HOTLINE_ACTION"] == "queue"


async def test_1_after_the_announcement_registers_an_emergency_callback(default: Dialplan) -> None:
    """1 during the offer, 1 for the number read back: an `emergency` request for the announcement's group."""
    asterisk, register = Asterisk({"em_callback_offer": "1", "cb_confirm_keys": "1"}), Registered()
    await run_call(default, asterisk, Store(ACTIVE), register)
    assert register.calls == [("79161234567", "heating", Source.EMERGENCY)]
    assert "greeting" not in asterisk.played
    assert (asterisk.variables["HOTLINE_PATH"], asterisk.variables["HOTLINE_ACTION"]) == (
        "emergency:1",
        "hangup",
    )


@pytest.mark.parametrize("store", [Store(fail=True), Store(slow=True)], ids=["redis down", "redis slow"])
async def test_a_failing_or_slow_redis_plays_no_announcement(default: Dialplan, store: Store) -> None:
    """The call goes on to the greeting at once (within the 1 s bound), with a warning in the log."""
    asterisk = Asterisk({"main_menu": "0"})
    logs = await asyncio.wait_for(run_call(default, asterisk, store, Registered()), 5)
    assert asterisk.played[0] == "greeting"
    assert [e for e in logs if e["event"] == "emergency.read_failed"]


async def test_the_feature_code_with_the_pin_records_and_turns_emergency_mode_on(default: Dialplan) -> None:
    """PIN, 1, the recording played back, 1: on for default_hours, set by the operator's endpoint."""
    asterisk = Asterisk({"em_enter_pin": PIN, "em_menu": "1", "em_confirm": "1"})
    store = Store()
    await run_call(default, asterisk, store, Registered(), env=FEATURE_ENV)
    assert store.changes == [("on", "phone:op1")]
    assert store.active is not None
    assert store.active.sound == asterisk.recorded[0]
    assert asterisk.recorded[0].startswith("emergency/em-")  # beside the prompts' directory "sounds"
    assert store.active.until - store.active.set_at == 4 * 3600
    assert asterisk.played[-1] == "em_on"


async def test_the_feature_code_turns_emergency_mode_off(default: Dialplan) -> None:
    """PIN, then 2: off, logged as the operator's endpoint."""
    asterisk, store = Asterisk({"em_enter_pin": PIN, "em_menu": "2"}), Store(ACTIVE)
    await run_call(default, asterisk, store, Registered(), env=FEATURE_ENV)
    assert store.changes == [("off", "phone:op1")]
    assert store.active is None


async def test_three_wrong_pins_end_the_call_with_a_warning(default: Dialplan) -> None:
    """Nothing changes; the warning names the endpoint, never the caller ID."""
    asterisk, store = Asterisk({"em_enter_pin": "1,2,3"}), Store(ACTIVE)
    logs = await run_call(default, asterisk, store, Registered(), env=FEATURE_ENV)
    assert store.changes == []
    assert "em_menu" not in asterisk.played
    [warning] = [e for e in logs if e["event"] == "emergency.pin_refused"]
    assert (warning["by"], warning["log_level"]) == ("op1", "warning")
