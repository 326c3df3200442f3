"""The callback offered before the queue: a caller who chose a group whose wait is long hears the offer
(`cb_offer_before_queue`), 1 registers a `before_queue` request, anything else queues them as before.

The real IvrApp runs behind the real FastAgiServer; a fake Asterisk on a real TCP socket answers each
AGI command as res_agi.c does, pressing the keys the test gives for the prompts it names.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import shlex
from collections.abc import Awaitable, Callable
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import structlog
from fake_asterisk import scripted_call
from scripted_asterisk import Registered
from structlog.typing import EventDict

import ivr.app
from hotline.callbacks.model import Source
from hotline.dialplan import load_dialplan
from hotline.dialplan.model import Dialplan
from ivr.app import IvrApp
from router.estimate import WaitEstimate

DEFAULT = Path(__file__).resolve().parents[2] / "dialplans" / "hotline.yaml"
MONDAY_10 = dt.datetime(2024, 3, 4, 10, 0, tzinfo=ZoneInfo("Europe/Moscow"))
CALLER = "79161234567"  # agi_callerid of the recorded environment (fake_asterisk.ENV_22)
GENERAL = {"main_menu": "0"}  # 0 in the main menu: the general group's queue
CONFIRM = {"cb_offer_before_queue": "1", "cb_confirm_keys": "1"}  # take the offer, keep the number


class Citizen:
    """Asterisk's side of the call: presses `keys[prompt]` during that prompt (one of its escape
    digits), no key anywhere else; records the prompts played and the variables set."""

    def __init__(self, keys: dict[str, str]) -> None:
        self.keys = keys
        self.played: list[str] = []
        self.variables: dict[str, str] = {}

    def reply(self, line: str) -> str:
        words = shlex.split(line)
        command = " ".join(words[:2])
        if command == "STREAM FILE":
            prompt, escape = words[2].rsplit("/", 1)[-1], words[3]
            self.played.append(prompt)
            key = self.keys.get(prompt)
            assert key is None or key in escape, f"{key!r} cannot interrupt {prompt}"
            return f"200 result={ord(key) if key else 0} endpos=8000\n"
        if command == "SET VARIABLE":
            self.variables[words[2]] = words[3]
            return "200 result=1\n"
        if command == "GET VARIABLE":  # nothing asserted by a carrier in these calls
            return "200 result=0\n"
        assert line.startswith(("SAY DIGITS", "SAY NUMBER", "WAIT FOR DIGIT")), line
        return "200 result=0\n"


def estimate_of(
    result: WaitEstimate | Exception, asked: list[str]
) -> Callable[[str], Awaitable[WaitEstimate]]:
    async def estimate(group: str) -> WaitEstimate:
        asked.append(group)
        if isinstance(result, Exception):
            raise result
        return result

    return estimate


@pytest.fixture(scope="module")
def default() -> Dialplan:
    return load_dialplan(DEFAULT)


async def run_call(
    dialplan: Dialplan,
    citizen: Citizen,
    estimate: Callable[[str], Awaitable[WaitEstimate]],
    register: Registered,
) -> list[EventDict]:
    """One call through the menus; the log lines it wrote."""
    app = IvrApp(lambda: dialplan, "sounds", clock=lambda: MONDAY_10, register=register, estimate=estimate)
    with structlog.testing.capture_logs() as logs:
        await scripted_call(app.handle, citizen.reply)
    assert "HOTLINE_ERROR" not in citizen.variables
    return logs


def logged(logs: list[EventDict], name: str) -> EventDict:
    [entry] = [e for e in logs if e["event"] == name]
    return entry


async def test_a_long_wait_offers_a_callback_and_1_registers_it_as_before_queue(default: Dialplan) -> None:
    """Over offer_over_wait: the offer is played; 1, then 1 for the number read back, stores a
    before_queue request for the chosen group and the engine hangs up after the promise."""
    citizen, register, asked = Citizen(GENERAL | CONFIRM), Registered(), []
    logs = await run_call(default, citizen, estimate_of(WaitEstimate(600, 4, 1), asked), register)
    assert asked == ["general"]
    assert register.calls == [(CALLER, "general", Source.BEFORE_QUEUE)]
    assert citizen.played[citizen.played.index("cb_offer_before_queue") :] == [
        "cb_offer_before_queue",
        "cb_confirm_intro",
        "cb_confirm_keys",
        "cb_registered",
        "cb_minutes_many",  # 10 minutes: "десять минут"
        "cb_goodbye",
    ]
    assert (citizen.variables["HOTLINE_GROUP"], citizen.variables["HOTLINE_ACTION"]) == ("general", "hangup")
    estimate = logged(logs, "ivr.wait_estimate")
    assert (estimate["seconds"], estimate["ahead"], estimate["staffed"], estimate["offer"]) == (
        600,
        4,
        1,
        True,
    )
    assert logged(logs, "ivr.before_queue_offer")["accepted"] is True


async def test_a_short_wait_queues_the_caller_with_no_offer(default: Dialplan) -> None:
    """Under offer_over_wait: no offer, the caller is queued for the chosen group as before."""
    citizen, register, asked = Citizen(GENERAL), Registered(), []
    logs = await run_call(default, citizen, estimate_of(WaitEstimate(30, 1, 3), asked), register)
    assert asked == ["general"]
    assert "cb_offer_before_queue" not in citizen.played
    assert register.calls == []
    assert (citizen.variables["HOTLINE_QUEUE"], citizen.variables["HOTLINE_ACTION"]) == (
        "hotline-general",
        "queue",
    )
    assert logged(logs, "ivr.wait_estimate")["offer"] is False


async def test_an_estimate_that_raises_queues_the_caller(default: Dialplan) -> None:
    """Redis or the live state failing: a warning is logged and the caller is queued, never lost."""
    citizen, register, asked = Citizen(GENERAL | CONFIRM), Registered(), []
    logs = await run_call(default, citizen, estimate_of(ConnectionError("Redis is down"), asked), register)
    assert asked == ["general"]
    assert "cb_offer_before_queue" not in citizen.played
    assert register.calls == []
    assert citizen.variables["HOTLINE_ACTION"] == "queue"
    failed = logged(logs, "ivr.wait_estimate.failed")
    assert (failed["log_level"], failed["error"]) == ("warning", "ConnectionError: Redis is down")


async def test_a_slow_estimate_is_dropped_and_the_caller_queued(
    default: Dialplan, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An estimate that does not come in time leaves no silence: the caller is queued."""
    monkeypatch.setattr(ivr.app, "ESTIMATE_TIMEOUT", 0.05)

    async def never(group: str) -> WaitEstimate:
        await asyncio.sleep(5)
        raise AssertionError("not reached")

    citizen, register = Citizen(GENERAL | CONFIRM), Registered()
    logs = await run_call(default, citizen, never, register)
    assert "cb_offer_before_queue" not in citizen.played
    assert citizen.variables["HOTLINE_ACTION"] == "queue"
    assert logged(logs, "ivr.wait_estimate.failed")["error"].startswith("TimeoutError")


@pytest.mark.parametrize("key", ["2", None])
async def test_an_unknown_wait_is_offered_and_2_or_silence_queues_the_caller(
    default: Dialplan, key: str | None
) -> None:
    """Nobody staffs the group (an unknown wait counts as long): the offer is played; 2 or no key
    keeps the caller on the line, queued, with nothing registered."""
    keys = GENERAL | ({"cb_offer_before_queue": key} if key else {})
    citizen, register, asked = Citizen(keys), Registered(), []
    logs = await run_call(default, citizen, estimate_of(WaitEstimate(None, 2, 0), asked), register)
    assert "cb_offer_before_queue" in citizen.played
    assert register.calls == []
    assert citizen.variables["HOTLINE_ACTION"] == "queue"
    assert logged(logs, "ivr.before_queue_offer")["accepted"] is False


async def test_offer_over_wait_0_never_asks_for_an_estimate(default: Dialplan) -> None:
    """With the offer turned off the estimate is not even computed."""
    dialplan = dataclasses.replace(
        default, callbacks=dataclasses.replace(default.callbacks, offer_over_wait=0)
    )
    citizen, register, asked = Citizen(GENERAL), Registered(), []
    await run_call(dialplan, citizen, estimate_of(WaitEstimate(None, 9, 0), asked), register)
    assert asked == []
    assert citizen.variables["HOTLINE_ACTION"] == "queue"
