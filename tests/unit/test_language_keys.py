"""`entry.language_keys`: read and checked with the dialplan, taken by the menu engine during the greeting
and in the first menu, shown by `hotline simulate`, and spoken over AGI by the real IVR."""

from __future__ import annotations

import datetime as dt
import shlex
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from dialplan_edits import DEFAULT, Case, check, line_in_default, loads
from fake_asterisk import scripted_call

from hotline import constants as c
from hotline.dialplan import load_dialplan
from hotline.dialplan.model import Dialplan, LanguageKey
from hotline.simulate import Event, simulate
from ivr.app import CallSummary, IvrApp
from ivr.menu import Step, run_menu

MONDAY_10 = dt.datetime(2024, 3, 4, 10, 0, tzinfo=ZoneInfo("Europe/Moscow"))
KEYS_LINE = '  language_keys: {"#": en}'


@pytest.fixture(scope="module")
def default() -> Dialplan:
    return load_dialplan(DEFAULT)


class Caller:
    """Answers each prompt and wait from a script (None: no key); notes prompts with their language."""

    def __init__(self, *answers: str | None) -> None:
        self.answers = list(answers)
        self.language = "ru"
        self.heard: list[str] = []  # "<lang>/<prompt>"

    async def play(self, prompt_id: str, escape_digits: str) -> str | None:
        self.heard.append(f"{self.language}/{prompt_id}")
        key = self.answers.pop(0) if self.answers else None
        assert key is None or key in escape_digits
        return key

    async def wait_digit(self, timeout: float) -> str | None:  # noqa: ASYNC109 - CallerIO's signature
        return self.answers.pop(0) if self.answers else None

    async def set_language(self, language: str) -> None:
        self.language = language


# --- the YAML ------------------------------------------------------------------------------------------


def test_the_shipped_dialplan_offers_english_on_the_hash_key(default: Dialplan) -> None:
    """dialplans/hotline.yaml: "#" switches to English, and the Russian greeting says so in English."""
    assert {k: v.language for k, v in default.entry.language_keys.items()} == {"#": "en"}
    assert "For English, press the hash key." in default.prompts["greeting"].texts["ru"]


def test_without_language_keys_the_entry_has_none(tmp_path: Path) -> None:
    """The key is optional: without it no key switches the language."""
    assert loads(tmp_path, (KEYS_LINE + "     #", "  #")).entry.language_keys == {}


def test_a_language_key_is_located(default: Dialplan) -> None:
    """The key's place in the file is kept, for the problems about it."""
    choice = default.entry.language_keys["#"]
    assert isinstance(choice, LanguageKey)
    assert choice.span is not None
    assert choice.span.line == line_in_default("language_keys:")


# fmt: off
LANGUAGE_KEY_PROBLEMS = {
    "a key of the first menu": Case(KEYS_LINE, '  language_keys: {"2": en}', '"2": en', '"2"',
        "entry.language_keys: key '2' is also an option of the first menu 'main'",
        "the language key works during the greeting and in the first menu: choose a key that menu "
        "does not use"),
    "the repeat key": Case(KEYS_LINE, '  language_keys: {"*": en}', '"*": en', '"*"',
        "entry.language_keys: key '*' is also the repeat_key of the first menu 'main'"),
    "not a phone key": Case(KEYS_LINE, '  language_keys: {"12": en}', '"12": en', '"12"',
        "entry.language_keys: '12' is not a phone key"),
    "a language the hotline does not offer": Case(KEYS_LINE, '  language_keys: {"#": de}', "de}", "de",
        "entry.language_keys.#: 'de' is not in hotline.languages",
        "add de to hotline.languages, or choose one of: ru, en"),
    "a prompt without a text in the language": Case(
        "    en: There is no such key in this menu.\n", "", "  invalid_key:", "invalid_key",
        "prompts.invalid_key: no text in 'en', which entry.language_keys offers to callers",
        "add a line 'en: ...' to this prompt"),
    "not a mapping": Case(KEYS_LINE, "  language_keys: en", "keys: en ", "en",
        "entry.language_keys: expected a mapping (key: value lines), found a single value"),
}
# fmt: on


@pytest.mark.parametrize("case", LANGUAGE_KEY_PROBLEMS.values(), ids=LANGUAGE_KEY_PROBLEMS.keys())
def test_language_keys_are_checked(tmp_path: Path, case: Case) -> None:
    """A clash with the first menu, a wrong key or language, a missing text: one problem at its place."""
    check(tmp_path, case)


def test_the_operators_whisper_needs_no_text_in_the_callers_language(tmp_path: Path) -> None:
    """The whisper is heard by the operator: an English caller does not make it need an English text."""
    dialplan = loads(tmp_path, ("    en: A callback.\n", ""))
    assert "en" not in dialplan.prompts["cb_whisper_intro"].texts


# --- the menu engine -----------------------------------------------------------------------------------


async def test_the_key_during_the_greeting_switches_the_language(default: Dialplan) -> None:
    """# cuts the greeting: the main menu is played in English, and its key then chooses as usual."""
    caller = Caller("#", "2")
    outcome = await run_menu(default, caller, MONDAY_10)
    assert caller.heard == ["ru/greeting", "en/main_menu", "en/transfer"]
    assert outcome.path == (Step("main", "#", "language"), Step("main", "2", "chosen"))
    assert (outcome.kind, outcome.group) == ("queue", "water")


async def test_the_key_in_the_first_menu_is_no_attempt(default: Dialplan) -> None:
    """# in the main menu's wait replays it in English without using up an attempt."""
    caller = Caller(None, None, "#", None, None, None, None, None, None, None, None)
    outcome = await run_menu(default, caller, MONDAY_10)
    assert [s.result for s in outcome.path] == ["language", "timeout", "timeout", "timeout"]
    assert caller.heard[:3] == ["ru/greeting", "ru/main_menu", "en/main_menu"]


async def test_the_key_in_another_menu_is_a_wrong_key(default: Dialplan) -> None:
    """Past the first menu the key means nothing: in the heating menu # is an invalid key."""
    caller = Caller("1", "#", None, "1")
    outcome = await run_menu(default, caller, MONDAY_10)
    assert outcome.path[:2] == (Step("main", "1", "chosen"), Step("heating", "#", "invalid"))
    assert all(heard.startswith("ru/") for heard in caller.heard)


def test_simulate_shows_the_switch_and_the_english_words(default: Dialplan) -> None:
    """`hotline simulate '#' 2`: a language event, then the main menu's English text."""
    t = simulate(default, "# 2", MONDAY_10)
    assert t.events[1:4] == (
        Event("key", "#", during="greeting"),
        Event("language", "en"),
        Event("prompt", "main_menu", t.events[3].text),
    )
    assert t.events[3].text.startswith("For heating and hot water press 1.")
    assert t.path == "main:#>main:2"


# --- over AGI ------------------------------------------------------------------------------------------


class Asterisk:
    """Asterisk's side: presses `keys[path]` during STREAM FILE of that sound path, notes every command."""

    def __init__(self, keys: dict[str, str]) -> None:
        self.keys = keys
        self.commands: list[list[str]] = []

    def reply(self, line: str) -> str:
        words = shlex.split(line)
        self.commands.append(words)
        if words[:2] == ["STREAM", "FILE"]:
            key = self.keys.get(words[2])
            return f"200 result={ord(key) if key else 0} endpos=8000\n"
        return "200 result=1\n" if words[:2] == ["SET", "VARIABLE"] else "200 result=0\n"

    @property
    def streamed(self) -> list[str]:
        return [words[2] for words in self.commands if words[:2] == ["STREAM", "FILE"]]


async def test_the_key_over_agi_plays_english_and_sets_the_channels_language(default: Dialplan) -> None:
    """# during the greeting: the next STREAM FILE is the English main menu, HOTLINE_LANG and
    CHANNEL(language) are set to en before it, and the call summary records en."""
    asterisk = Asterisk({"sounds/ru/greeting": "#", "sounds/en/main_menu": "0"})
    summaries: list[CallSummary] = []

    async def on_summary(summary: CallSummary) -> None:
        summaries.append(summary)

    app = IvrApp(lambda: default, "sounds", clock=lambda: MONDAY_10, on_summary=on_summary)
    await scripted_call(app.handle, asterisk.reply)
    assert asterisk.streamed[:2] == ["sounds/ru/greeting", "sounds/en/main_menu"]
    assert asterisk.streamed[-1] == "sounds/en/transfer"
    switch = asterisk.commands.index(["STREAM", "FILE", "sounds/en/main_menu", "0123456789*#"])
    assert ["SET", "VARIABLE", c.VAR_LANG, "en"] in asterisk.commands[:switch]
    assert ["SET", "VARIABLE", "CHANNEL(language)", "en"] in asterisk.commands[:switch]
    [summary] = summaries
    assert summary.language == "en"
