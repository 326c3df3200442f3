"""The menu engine walks a scripted caller through the default dialplan: keys, prompts, retries, hours."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from hotline.dialplan import load_dialplan
from hotline.dialplan.model import DTMF_KEYS, Action, Dialplan
from hotline.errors import CallHangup
from ivr.menu import MAX_MENU_VISITS, Outcome, Step, run_menu

DEFAULT = Path(__file__).resolve().parents[2] / "dialplans" / "hotline.yaml"
MSK = ZoneInfo("Europe/Moscow")
MONDAY_10 = dt.datetime(2024, 3, 4, 10, 0, tzinfo=MSK)
SUNDAY_NOON = dt.datetime(2024, 3, 10, 12, 0, tzinfo=MSK)
TUESDAY_23 = dt.datetime(2024, 3, 5, 23, 0, tzinfo=MSK)
ANY_KEY = DTMF_KEYS  # every key interrupts a menu prompt; a wrong one is answered at once


class ScriptedCaller:
    """A caller who answers each prompt and each wait, in order, from a script (None: no key).

    Like Asterisk, a key can only interrupt a prompt when it is one of the escape digits.
    Past the end of the script the caller stays silent.
    """

    def __init__(self, *answers: str | None, hang_up_after: int | None = None) -> None:
        self.answers = list(answers)
        self.log: list[tuple[str, str]] = []  # ("play", prompt id + escape digits) or ("wait", timeout)
        self.hang_up_after = hang_up_after

    async def play(self, prompt_id: str, escape_digits: str) -> str | None:
        self.log.append(("play", f"{prompt_id}/{escape_digits}"))
        key = self._next()
        assert key is None or key in escape_digits, f"{key!r} cannot interrupt {prompt_id}"
        return key

    async def wait_digit(self, timeout: float) -> str | None:  # noqa: ASYNC109 - CallerIO's signature
        self.log.append(("wait", str(timeout)))
        return self._next()

    async def set_language(self, language: str) -> None:
        self.log.append(("language", language))

    def _next(self) -> str | None:
        if self.hang_up_after is not None and len(self.log) > self.hang_up_after:
            raise CallHangup("the caller hung up")
        return self.answers.pop(0) if self.answers else None

    @property
    def played(self) -> list[str]:
        return [what.split("/")[0] for kind, what in self.log if kind == "play"]


@pytest.fixture(scope="module")
def default() -> Dialplan:
    return load_dialplan(DEFAULT)


def chosen(*steps: tuple[str, str]) -> tuple[Step, ...]:
    return tuple(Step(menu, key, "chosen") for menu, key in steps)


# --- choices -------------------------------------------------------------------------------------------

MAIN_MENU_GROUPS = {"2": "water", "3": "electricity", "4": "gas", "5": "management", "0": "general"}


@pytest.mark.parametrize(("key", "group"), MAIN_MENU_GROUPS.items())
async def test_each_main_menu_key_queues_for_its_group(default: Dialplan, key: str, group: str) -> None:
    """Pressing a key after the main menu prompt queues the caller for that key's group."""
    caller = ScriptedCaller(None, None, key)
    outcome = await run_menu(default, caller, MONDAY_10)
    assert outcome == Outcome("queue", "chosen", chosen(("main", key)), group=group)
    assert caller.log == [
        ("play", f"greeting/{ANY_KEY}"),
        ("play", f"main_menu/{ANY_KEY}"),
        ("wait", "5.0"),
        ("play", "transfer/"),
    ]


@pytest.mark.parametrize(("key", "group"), [("1", "heating"), ("2", "heating"), ("3", "management")])
async def test_a_submenu_key_queues_for_its_group(default: Dialplan, key: str, group: str) -> None:
    """1 in the main menu leads to the heating menu, whose keys queue for their groups."""
    caller = ScriptedCaller(None, "1", key)
    outcome = await run_menu(default, caller, MONDAY_10)
    assert outcome == Outcome("queue", "chosen", chosen(("main", "1"), ("heating", key)), group=group)
    assert caller.log == [
        ("play", f"greeting/{ANY_KEY}"),
        ("play", f"main_menu/{ANY_KEY}"),
        ("play", f"heating_menu/{ANY_KEY}"),
        ("play", "transfer/"),
    ]


async def test_nine_in_the_main_menu_asks_for_a_callback_without_a_transfer_prompt(
    default: Dialplan,
) -> None:
    """9 ends the menus with a callback request for general; nobody is connected, so no transfer prompt."""
    caller = ScriptedCaller(None, None, "9")
    outcome = await run_menu(default, caller, MONDAY_10)
    assert outcome == Outcome("callback", "chosen", chosen(("main", "9")), group="general")
    assert caller.log == [
        ("play", f"greeting/{ANY_KEY}"),
        ("play", f"main_menu/{ANY_KEY}"),
        ("wait", "5.0"),
    ]


async def test_a_key_during_the_greeting_may_ask_for_a_callback(default: Dialplan) -> None:
    """Type-ahead works for the callback option too: 9 during the greeting is the choice."""
    caller = ScriptedCaller("9")
    assert await run_menu(default, caller, MONDAY_10) == Outcome(
        "callback", "chosen", chosen(("main", "9")), group="general"
    )
    assert caller.played == ["greeting"]


async def test_nine_goes_back_to_the_main_menu(default: Dialplan) -> None:
    """9 in a submenu returns to the main menu, where a new choice is made."""
    caller = ScriptedCaller(None, "6", "9", "4")
    outcome = await run_menu(default, caller, MONDAY_10)
    assert outcome.path == chosen(("main", "6"), ("construction", "9"), ("main", "4"))
    assert (outcome.kind, outcome.group) == ("queue", "gas")
    assert caller.played == ["greeting", "main_menu", "construction_menu", "main_menu", "transfer"]


async def test_a_hangup_option_plays_its_farewell_and_hangs_up(default: Dialplan) -> None:
    """Construction, then 3: the written-consultation text is played whole, then the call ends."""
    caller = ScriptedCaller(None, "6", "3")
    outcome = await run_menu(default, caller, MONDAY_10)
    assert outcome == Outcome(
        "hangup", "chosen", chosen(("main", "6"), ("construction", "3")), farewell="written_consultation"
    )
    assert caller.log[-1] == ("play", "written_consultation/")


async def test_a_key_during_the_greeting_is_the_first_choice(default: Dialplan) -> None:
    """Type-ahead: 2 pressed during the greeting queues for water without playing the main menu."""
    caller = ScriptedCaller("2")
    outcome = await run_menu(default, caller, MONDAY_10)
    assert outcome == Outcome("queue", "chosen", chosen(("main", "2")), group="water")
    assert caller.played == ["greeting", "transfer"]


async def test_a_key_during_a_menu_prompt_interrupts_it(default: Dialplan) -> None:
    """A key pressed during the prompt is taken at once: no wait for a key follows."""
    caller = ScriptedCaller(None, "3")
    outcome = await run_menu(default, caller, MONDAY_10)
    assert (outcome.group, [kind for kind, _ in caller.log]) == ("electricity", ["play", "play", "play"])


# --- repeat, invalid keys, silence ---------------------------------------------------------------------


async def test_the_repeat_key_replays_the_menu_without_counting_an_attempt(default: Dialplan) -> None:
    """* replays the main menu prompt; three more wrong keys are still needed to fail."""
    caller = ScriptedCaller(None, None, "*", None, "3")
    outcome = await run_menu(default, caller, MONDAY_10)
    assert outcome.path == (Step("main", "*", "repeat"), Step("main", "3", "chosen"))
    assert caller.played == ["greeting", "main_menu", "main_menu", "transfer"]


async def test_an_invalid_key_plays_the_invalid_prompt_then_the_menu_again(default: Dialplan) -> None:
    """7 is no option: the caller hears "no such key", the menu again, and then chooses 4."""
    caller = ScriptedCaller(None, None, "7", None, None, "4")
    outcome = await run_menu(default, caller, MONDAY_10)
    assert outcome == Outcome(
        "queue", "chosen", (Step("main", "7", "invalid"), Step("main", "4", "chosen")), group="gas"
    )
    assert caller.log == [
        ("play", f"greeting/{ANY_KEY}"),
        ("play", f"main_menu/{ANY_KEY}"),
        ("wait", "5.0"),
        ("play", f"invalid_key/{ANY_KEY}"),
        ("play", f"main_menu/{ANY_KEY}"),
        ("wait", "5.0"),
        ("play", "transfer/"),
    ]


async def test_a_key_during_the_invalid_prompt_is_the_next_choice(default: Dialplan) -> None:
    """5 pressed while "no such key" plays is taken as the choice; the menu is not replayed."""
    caller = ScriptedCaller(None, None, "8", "5")
    outcome = await run_menu(default, caller, MONDAY_10)
    assert outcome.path == (Step("main", "8", "invalid"), Step("main", "5", "chosen"))
    assert caller.played == ["greeting", "main_menu", "invalid_key", "transfer"]


async def test_silence_exhausts_the_retries_and_queues_for_the_general_group(default: Dialplan) -> None:
    """No key at all: three timeouts, each with its prompt (the last one whole), then on_failure."""
    caller = ScriptedCaller()
    outcome = await run_menu(default, caller, MONDAY_10)
    assert outcome == Outcome(
        "queue", "retries_exhausted", (Step("main", None, "timeout"),) * 3, group="general"
    )
    assert caller.log == [
        ("play", f"greeting/{ANY_KEY}"),
        *[("play", f"main_menu/{ANY_KEY}"), ("wait", "5.0"), ("play", f"no_input/{ANY_KEY}")] * 2,
        ("play", f"main_menu/{ANY_KEY}"),
        ("wait", "5.0"),
        ("play", "no_input/"),
        ("play", "transfer/"),
    ]


async def test_invalid_keys_and_timeouts_count_together(default: Dialplan) -> None:
    """A wrong key, silence, a wrong key: three attempts, then on_failure."""
    caller = ScriptedCaller(None, "1", None, "8", None, None, None, None, None, "7")
    outcome = await run_menu(default, caller, MONDAY_10)
    assert outcome.reason == "retries_exhausted"
    assert [(s.menu, s.key, s.result) for s in outcome.path] == [
        ("main", "1", "chosen"),
        ("heating", "8", "invalid"),
        ("heating", None, "timeout"),
        ("heating", "7", "invalid"),
    ]
    assert caller.log[-2:] == [("play", "invalid_key/"), ("play", "transfer/")]


async def test_a_new_menu_starts_with_a_fresh_count_of_attempts(default: Dialplan) -> None:
    """Two wrong keys in the main menu do not count against the heating menu."""
    caller = ScriptedCaller(None, None, "7", None, None, "8", None, "1", None, "7", None, None, "7", "2")
    outcome = await run_menu(default, caller, MONDAY_10)
    assert (outcome.reason, outcome.group) == ("chosen", "heating")
    assert [(s.menu, s.key, s.result) for s in outcome.path] == [
        ("main", "7", "invalid"),
        ("main", "8", "invalid"),
        ("main", "1", "chosen"),
        ("heating", "7", "invalid"),
        ("heating", "7", "invalid"),
        ("heating", "2", "chosen"),
    ]


# --- business hours ------------------------------------------------------------------------------------


@pytest.mark.parametrize("now", [SUNDAY_NOON, TUESDAY_23, dt.datetime(2024, 3, 4, 20, 0, tzinfo=MSK)])
async def test_outside_business_hours_the_caller_hears_the_hours_then_goes_to_the_callback_offer(
    default: Dialplan, now: dt.datetime
) -> None:
    """Sunday, a weekday at 23:00 and 20:00 sharp are closed: the hours are played whole, no menu, and the
    call goes to the callback flow for general with the reason "closed" (the flow offers it first)."""
    caller = ScriptedCaller()
    outcome = await run_menu(default, caller, now)
    assert outcome == Outcome("callback", "closed", (), group="general")
    assert caller.log == [("play", "closed/")]


async def test_a_closed_line_may_just_play_its_hours_and_hang_up(default: Dialplan) -> None:
    """With `closed: {hangup: closed}` only the closed prompt is played and the call ends."""
    dialplan = dataclasses.replace(
        default, entry=dataclasses.replace(default.entry, closed=Action("hangup", "closed", prompt="closed"))
    )
    caller = ScriptedCaller()
    assert await run_menu(dialplan, caller, SUNDAY_NOON) == Outcome("hangup", "closed", (), farewell="closed")
    assert caller.log == [("play", "closed/")]


async def test_a_closed_callback_without_a_prompt_plays_nothing(default: Dialplan) -> None:
    """`closed: {callback: general}`: no prompt of the menus at all (not the transfer prompt either)."""
    dialplan = dataclasses.replace(
        default, entry=dataclasses.replace(default.entry, closed=Action("callback", "general"))
    )
    caller = ScriptedCaller()
    assert await run_menu(dialplan, caller, SUNDAY_NOON) == Outcome("callback", "closed", (), group="general")
    assert caller.log == []


async def test_business_hours_are_those_of_the_hotline_time_zone(default: Dialplan) -> None:
    """Saturday 06:30 UTC is 09:30 in Moscow: open, although 06:30 would be closed."""
    caller = ScriptedCaller("0")
    outcome = await run_menu(default, caller, dt.datetime(2024, 3, 9, 6, 30, tzinfo=dt.UTC))
    assert (outcome.reason, outcome.group) == ("chosen", "general")


async def test_a_closed_line_may_queue_instead_of_hanging_up(default: Dialplan) -> None:
    """With `closed: {queue: general}` the caller hears the transfer prompt and is queued."""
    dialplan = dataclasses.replace(
        default, entry=dataclasses.replace(default.entry, closed=Action("queue", "general"))
    )
    caller = ScriptedCaller()
    assert await run_menu(dialplan, caller, SUNDAY_NOON) == Outcome("queue", "closed", (), group="general")
    assert caller.played == ["transfer"]


async def test_a_time_without_a_time_zone_is_refused(default: Dialplan) -> None:
    """A naive datetime cannot say whether the line is open."""
    with pytest.raises(ValueError, match="timezone-aware"):
        await run_menu(default, ScriptedCaller(), dt.datetime(2024, 3, 4, 10, 0))


# --- prompts of actions, loops, hangups ----------------------------------------------------------------


def with_options(dialplan: Dialplan, menu: str, **changes: Action) -> Dialplan:
    old = dialplan.menus[menu]
    options = {**old.options, **{key.removeprefix("k"): action for key, action in changes.items()}}
    return dataclasses.replace(
        dialplan, menus={**dialplan.menus, menu: dataclasses.replace(old, options=options)}
    )


async def test_an_action_prompt_replaces_the_transfer_prompt(default: Dialplan) -> None:
    """`{queue: water, prompt: fallback}` plays its own prompt before queueing, not the transfer prompt."""
    dialplan = with_options(default, "main", k2=Action("queue", "water", prompt="fallback"))
    caller = ScriptedCaller(None, "2")
    assert (await run_menu(dialplan, caller, MONDAY_10)).group == "water"
    assert caller.log[-1] == ("play", "fallback/")


async def test_a_callback_action_plays_its_own_prompt_whole(default: Dialplan) -> None:
    """`{callback: heating, prompt: cb_lines_busy}` plays that prompt (no key can stop it), then ends."""
    dialplan = with_options(default, "heating", k3=Action("callback", "heating", prompt="cb_lines_busy"))
    caller = ScriptedCaller(None, "1", "3")
    outcome = await run_menu(dialplan, caller, MONDAY_10)
    assert outcome == Outcome("callback", "chosen", chosen(("main", "1"), ("heating", "3")), group="heating")
    assert caller.log[-1] == ("play", "cb_lines_busy/")
    assert "transfer" not in caller.played


async def test_on_failure_may_be_a_callback(default: Dialplan) -> None:
    """A silent caller whose menu fails to `{callback: general}` ends with it (reason retries_exhausted)."""
    main = dataclasses.replace(default.menus["main"], on_failure=Action("callback", "general"))
    dialplan = dataclasses.replace(default, menus={**default.menus, "main": main})
    caller = ScriptedCaller()
    outcome = await run_menu(dialplan, caller, MONDAY_10)
    assert outcome == Outcome(
        "callback", "retries_exhausted", (Step("main", None, "timeout"),) * 3, group="general"
    )
    assert caller.log[-1] == ("play", "no_input/")


async def test_a_key_during_the_prompt_of_a_menu_action_chooses_in_that_menu(default: Dialplan) -> None:
    """`{menu: heating, prompt: transfer}`: a key pressed during that prompt is the heating menu's choice."""
    dialplan = with_options(default, "main", k1=Action("menu", "heating", prompt="transfer"))
    caller = ScriptedCaller(None, "1", "3")
    outcome = await run_menu(dialplan, caller, MONDAY_10)
    assert outcome.path == chosen(("main", "1"), ("heating", "3"))
    assert caller.log[1:] == [
        ("play", f"main_menu/{ANY_KEY}"),
        ("play", f"transfer/{ANY_KEY}"),
        ("play", "transfer/"),
    ]


async def test_a_caller_going_round_in_circles_is_queued_by_the_loop_guard(default: Dialplan) -> None:
    """1, 9, 1, 9...: past 30 menu visits the caller is sent to on_failure."""
    caller = ScriptedCaller(None, *["1", "9"] * (MAX_MENU_VISITS // 2))
    outcome = await run_menu(default, caller, MONDAY_10)
    assert (outcome.kind, outcome.reason, outcome.group) == ("queue", "loop_guard", "general")
    assert len(outcome.path) == MAX_MENU_VISITS
    assert caller.played.count("main_menu") + caller.played.count("heating_menu") == MAX_MENU_VISITS


async def test_pressing_the_repeat_key_forever_ends_in_the_loop_guard(default: Dialplan) -> None:
    """Repeats are visits too: a stuck * key cannot hold a line forever."""
    caller = ScriptedCaller(None, *["*"] * MAX_MENU_VISITS)
    outcome = await run_menu(default, caller, MONDAY_10)
    assert (outcome.reason, outcome.group) == ("loop_guard", "general")
    assert outcome.path == (Step("main", "*", "repeat"),) * MAX_MENU_VISITS


async def test_a_cycle_of_on_failure_menus_ends_in_the_general_group(default: Dialplan) -> None:
    """main fails to heating and heating to main: a silent caller is queued for general by the loop guard."""
    menus = {
        "main": dataclasses.replace(default.menus["main"], on_failure=Action("menu", "heating")),
        "heating": dataclasses.replace(default.menus["heating"], on_failure=Action("menu", "main")),
    }
    dialplan = dataclasses.replace(default, menus={**default.menus, **menus})
    outcome = await run_menu(dialplan, ScriptedCaller(), MONDAY_10)
    assert (outcome.kind, outcome.reason, outcome.group) == ("queue", "loop_guard", "general")
    assert len(outcome.path) == 3 * MAX_MENU_VISITS


async def test_a_hangup_during_the_menus_is_not_caught(default: Dialplan) -> None:
    """The caller's hangup surfaces from run_menu as CallHangup, the ordinary end of a call."""
    with pytest.raises(CallHangup):
        await run_menu(default, ScriptedCaller(hang_up_after=2), MONDAY_10)


async def test_a_wrong_key_during_the_greeting_is_answered_at_once(default: Dialplan) -> None:
    """8 is no option of the main menu: it stops the greeting and the caller hears so, then chooses 2."""
    io = ScriptedCaller("8", None, "2")
    outcome = await run_menu(default, io, MONDAY_10)
    assert (outcome.kind, outcome.group) == ("queue", "water")
    assert [step.result for step in outcome.path] == ["invalid", "chosen"]
    assert io.log[:3] == [
        ("play", f"greeting/{ANY_KEY}"),
        ("play", f"invalid_key/{ANY_KEY}"),
        ("play", f"main_menu/{ANY_KEY}"),
    ]
