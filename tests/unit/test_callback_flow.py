"""The citizen's promise after a callback request: the SLA minutes said in the feminine nominative, then
the word for minutes in that number's plural form ("одна минута", "две минуты", "десять минут")."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from hotline.callbacks.model import Registration, Request, Source
from hotline.dialplan import load_dialplan
from hotline.dialplan.model import Dialplan
from ivr.callback_flow import request_callback

DEFAULT = Path(__file__).resolve().parents[2] / "dialplans" / "hotline.yaml"
CALLER = "79161234567"


class Caller:
    """The callback flow's view of the caller: keeps what was said, presses 1 to keep the number."""

    def __init__(self) -> None:
        self.said: list[str] = []

    async def play(self, prompt_id: str, escape_digits: str) -> str | None:
        self.said.append(prompt_id)
        return None

    async def say_digits(self, digits: str, escape_digits: str) -> str | None:
        self.said.append(f"digits:{digits}")
        return None

    async def say_number(self, number: int, gender: str = "") -> None:
        self.said.append(f"number:{number}:{gender}")

    async def read_digits(self, prompt_id: str, max_digits: int, timeout: float) -> str:  # noqa: ASYNC109
        raise AssertionError("the caller ID is a number we call back: nothing to type")

    async def wait_digit(self, timeout: float) -> str | None:  # noqa: ASYNC109 - the protocol's signature
        return "1"


def registrar(*, merged: bool = False, position: int = 1) -> Any:
    async def register(
        number: str, group: str, source: Source, caller_display: str, **_: Any
    ) -> Registration:
        request = Request("r1", number, group, source, caller_display, 0.0, 600.0, 0.0)
        return Registration(request, merged=merged, position=position)

    return register


@pytest.fixture(scope="module")
def default() -> Dialplan:
    return load_dialplan(DEFAULT)


def with_sla(dialplan: Dialplan, minutes: int) -> Dialplan:
    gas = dataclasses.replace(dialplan.skill_groups["gas"], callback_sla_minutes=minutes)
    return dataclasses.replace(dialplan, skill_groups={**dialplan.skill_groups, "gas": gas})


@pytest.mark.parametrize(
    ("minutes", "word"),
    [(1, "cb_minutes_one"), (21, "cb_minutes_one"), (3, "cb_minutes_few"), (22, "cb_minutes_few"),
     (10, "cb_minutes_many"), (11, "cb_minutes_many"), (12, "cb_minutes_many"), (25, "cb_minutes_many")],
)  # fmt: skip
async def test_the_promise_says_the_minutes_in_the_feminine_and_the_word_in_their_plural_form(
    default: Dialplan, minutes: int, word: str
) -> None:
    """After the number is confirmed and stored: cb_registered, the SLA with gender "f", the right word."""
    caller = Caller()
    outcome = await request_callback(
        caller, with_sla(default, minutes), registrar(), caller_id=CALLER, group="gas", source=Source.MENU
    )
    assert outcome.reason == "registered"
    assert caller.said[caller.said.index("cb_registered") :] == [
        "cb_registered",
        f"number:{minutes}:f",
        word,
        "cb_goodbye",
    ]


async def test_an_earlier_request_tells_the_place_in_line_without_minutes(default: Dialplan) -> None:
    """A merged request says the caller's place, with no gender (it counts no minutes)."""
    caller = Caller()
    await request_callback(
        caller, default, registrar(merged=True, position=3), caller_id=CALLER, group="gas", source=Source.MENU
    )
    assert caller.said[caller.said.index("cb_already_registered") :] == [
        "cb_already_registered",
        "number:3:",
        "cb_goodbye",
    ]


class SilentCaller(Caller):
    """A caller with a hidden number who types nothing when asked for one."""

    async def read_digits(self, prompt_id: str, max_digits: int, timeout: float) -> str:  # noqa: ASYNC109
        self.said.append(prompt_id)
        return ""


async def test_a_caller_who_types_nothing_is_asked_again_not_told_the_number_is_refused(
    default: Dialplan,
) -> None:
    caller = SilentCaller()
    outcome = await request_callback(
        caller, default, registrar(), caller_id="", group="general", source=Source.MENU
    )
    assert outcome.registered is None
    assert outcome.reason == "no_number"
    assert "cb_number_refused" not in caller.said
    assert caller.said.count("cb_enter_number") == 3
