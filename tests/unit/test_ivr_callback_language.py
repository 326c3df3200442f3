"""A callback asked for from the queue speaks the language the caller chose in the menus."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

from fake_asterisk import ENV_22, scripted_call
from scripted_asterisk import Asterisk, Registered

from hotline.callbacks.model import Source
from hotline.dialplan import load_dialplan
from ivr.app import IvrApp

SHIPPED = Path(__file__).resolve().parents[2] / "dialplans"
MONDAY_10 = dt.datetime(2024, 3, 4, 10, 0, tzinfo=ZoneInfo("Europe/Moscow"))


def callback_env(language: str) -> bytes:
    """The environment of `agi://.../callback` from the menus for `water`, on a channel in `language`."""
    env = ENV_22.replace(b"agi_network_script: hotline", b"agi_network_script: callback")
    env = env.replace(b"agi_language: ru", b"agi_language: " + language.encode())
    return env.replace(b"\n\n", b"\nagi_arg_1: menu\nagi_arg_2: water\n\n")


async def prompts_of_a_callback(language: str) -> tuple[list[str], Registered]:
    dialplan = load_dialplan(SHIPPED)
    asterisk, register = Asterisk({"cb_confirm_keys": "1"}), Registered()
    app = IvrApp(lambda: dialplan, "sounds", clock=lambda: MONDAY_10, register=register)
    await scripted_call(app.handle, asterisk.reply, env=callback_env(language))
    return asterisk.paths, register


async def test_a_caller_who_chose_english_is_asked_to_confirm_the_number_in_english() -> None:
    """The channel's language (set when the caller pressed the language key) picks the prompts."""
    paths, register = await prompts_of_a_callback("en")
    assert paths
    assert all(p.startswith("sounds/en/") for p in paths), paths
    assert register.calls == [("79161234567", "water", Source.MENU)]


async def test_a_language_the_hotline_does_not_offer_falls_back_to_the_default_one() -> None:
    """A channel language outside hotline.languages (Asterisk's default `en` on a bare line is offered;
    `de` is not) is not trusted: the prompts stay in hotline.language."""
    paths, _ = await prompts_of_a_callback("de")
    assert all(p.startswith("sounds/ru/") for p in paths), paths
