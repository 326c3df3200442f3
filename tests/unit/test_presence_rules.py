"""Operator presence as pure rules (`router.presence_rules`) and the feature codes' meaning and
confirmations (`ivr.operator_flow`), with a recording presence instead of Redis and Asterisk."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from hotline import constants as c
from hotline.dialplan import prompt_ids as ids
from hotline.dialplan.model import PAUSE_LOGGED_OUT, PAUSE_WRAPUP, Dialplan, PhonePolicy
from hotline.render.operator_codes import render_operator_codes
from hotline.settings import Settings
from ivr.operator_flow import Code, Refused, group_code, parse_code, run_code
from router import presence_rules as rules
from router.presence_rules import MemberWanted, OperatorState

NOW = 1_000_000.0


def state(logged_in: set[str], reason: str | None = None, until: float | None = None) -> OperatorState:
    return OperatorState("op1", frozenset(logged_in), reason, until, NOW)


# --- which member is paused with which reason -------------------------------------------------------


def test_a_group_logged_out_of_is_paused_logged_out_and_the_others_are_not(tiny: Dialplan) -> None:
    """op1 (heating, general) logged out of heating only: that member alone is paused "logged-out"."""
    wanted = rules.wanted_members(state({"general"}), tiny.operators["op1"], NOW)
    assert wanted == [
        MemberWanted(c.queue_name("general"), "PJSIP/op1", False, ""),
        MemberWanted(c.queue_name("heating"), "PJSIP/op1", True, PAUSE_LOGGED_OUT),
    ]


def test_a_pause_applies_its_reason_in_the_logged_in_groups_and_logout_wins_elsewhere(tiny: Dialplan) -> None:
    wanted = rules.wanted_members(state({"general"}, "lunch"), tiny.operators["op1"], NOW)
    assert [(w.queue, w.reason) for w in wanted] == [
        (c.queue_name("general"), "lunch"),
        (c.queue_name("heating"), PAUSE_LOGGED_OUT),
    ]


def test_a_timed_pause_that_is_due_counts_as_over_before_it_is_resumed(tiny: Dialplan) -> None:
    due = state({"general", "heating"}, PAUSE_WRAPUP, until=NOW)
    assert due.paused_at(NOW) is None
    assert due.paused_at(NOW - 1) == PAUSE_WRAPUP
    assert not any(w.paused for w in rules.wanted_members(due, tiny.operators["op1"], NOW))


@pytest.mark.parametrize("hold", [c.PAUSE_CALLBACK, c.PAUSE_RESERVED + "general"])
def test_a_dispatcher_hold_is_never_corrected_by_presence(hold: str) -> None:
    assert not rules.needs_change(MemberWanted("q", "PJSIP/op1", False, ""), True, hold)
    assert not rules.needs_change(MemberWanted("q", "PJSIP/op1", True, "lunch"), True, hold)


def test_a_member_paused_with_another_reason_is_corrected() -> None:
    assert rules.needs_change(MemberWanted("q", "PJSIP/op1", True, "lunch"), True, "break")
    assert rules.needs_change(MemberWanted("q", "PJSIP/op1", False, ""), True, "break")
    assert not rules.needs_change(MemberWanted("q", "PJSIP/op1", False, ""), False, "")


def test_login_and_logout_without_a_group_mean_every_group_of_the_operator(tiny: Dialplan) -> None:
    op = tiny.operators["op1"]
    out = rules.logged_out(state({"general", "heating"}, "lunch"), op, None, NOW + 1)
    assert (out.logged_in, out.pause_reason, out.since) == (frozenset(), "lunch", NOW + 1)
    back = rules.logged_in(out, op, "heating", NOW + 2)
    assert back.logged_in == frozenset({"heating"})
    assert rules.logged_in(back, op, None, NOW + 3).logged_in == frozenset({"heating", "general"})


def test_an_operator_never_seen_starts_as_the_phones_policy_says(tiny: Dialplan) -> None:
    op = tiny.operators["op1"]
    assert rules.initial_state(op, tiny, NOW).logged_in == frozenset(op.skills)
    closed = dataclasses.replace(tiny, phones=PhonePolicy(start_logged_in=False))
    assert rules.initial_state(op, closed, NOW).logged_in == frozenset()


# --- what a code means --------------------------------------------------------------------------------


def test_a_group_without_its_own_code_is_named_by_its_position(tiny: Dialplan) -> None:
    assert [group_code(tiny, g) for g in tiny.skill_groups] == ["1", "2"]
    coded = dataclasses.replace(
        tiny,
        skill_groups={
            **tiny.skill_groups,
            "heating": dataclasses.replace(tiny.skill_groups["heating"], code="7"),
        },
    )
    assert parse_code(coded, "op1", "logout", "7") == Code("logout", "heating")


@pytest.mark.parametrize(
    ("operator", "action", "digits", "meant"),
    [
        ("op1", "login", "", Code("login")),
        ("op1", "logout", "2", Code("logout", "heating")),
        ("op2", "login", "2", Refused("not_your_group")),
        ("op1", "login", "9", Refused("unknown_group")),
        ("op1", "pause", "2", Code("pause", reason="lunch")),
        ("op1", "pause", "", Code("pause", reason="break")),
        ("op1", "pause", "9", Refused("unknown_code")),
        ("op1", "resume", "", Code("resume")),
        ("op1", "resume", "5", Refused("unknown_code")),
        ("op1", "dance", "", Refused("unknown_code")),
        ("op99", "login", "", Refused("unknown_operator")),
        ("op1", "pause", "1,op2", Refused("unknown_code")),
        ("op1", "login", "invalid", Refused("unknown_code")),
        ("op1", "pause", "١", Refused("unknown_code")),  # a digit, but not an ASCII one
    ],
)
def test_what_each_code_means(
    tiny: Dialplan, operator: str, action: str, digits: str, meant: Code | Refused
) -> None:
    assert parse_code(tiny, operator, action, digits) == meant


# --- acting and confirming --------------------------------------------------------------------------


class Recorder:
    """A presence that records the calls, and a phone that records the prompts played."""

    def __init__(self, fail: bool = False) -> None:
        self.calls: list[tuple[object, ...]] = []
        self.played: list[str] = []
        self.fail = fail

    def _done(self, *call: object) -> OperatorState:
        if self.fail:
            raise RedisConnectionError("down")
        self.calls.append(call)
        return state(set())

    async def login(self, operator: str, group: str | None = None) -> OperatorState:
        return self._done("login", operator, group)

    async def logout(self, operator: str, group: str | None = None) -> OperatorState:
        return self._done("logout", operator, group)

    async def pause(self, operator: str, reason: str, *, until: float | None = None) -> OperatorState:
        return self._done("pause", operator, reason, until)

    async def resume(self, operator: str) -> OperatorState:
        return self._done("resume", operator)

    async def play(self, prompt_id: str, escape_digits: str) -> str | None:
        self.played.append(prompt_id)
        return None


async def test_logout_of_one_group_is_confirmed_with_the_groups_name(tiny: Dialplan) -> None:
    rec = Recorder()
    done = await run_code(rec, rec, tiny, operator="op1", action="logout", digits="2", now=NOW)
    assert done == "logout"
    assert rec.calls == [("logout", "op1", "heating")]
    assert rec.played == [ids.OP_LOGGED_OUT, ids.group_prompt("heating")]


async def test_a_pause_is_confirmed_with_its_reason_when_the_reason_has_a_prompt(tiny: Dialplan) -> None:
    rec = Recorder()
    await run_code(rec, rec, tiny, operator="op1", action="pause", digits="1", now=NOW)
    assert rec.played == [ids.OP_PAUSED]  # tiny has no pause_break prompt: the reason is not said
    said = dataclasses.replace(tiny, prompts={**tiny.prompts, "pause_break": tiny.prompts["main"]})
    rec = Recorder()
    await run_code(rec, rec, said, operator="op1", action="pause", digits="1", now=NOW)
    assert rec.calls == [("pause", "op1", "break", None)]
    assert rec.played == [ids.OP_PAUSED, "pause_break"]


async def test_more_wrapup_time_is_a_timed_wrapup_pause_counted_from_the_code(tiny: Dialplan) -> None:
    rec = Recorder()
    await run_code(rec, rec, tiny, operator="op1", action="wrapup", digits="", now=NOW)
    assert rec.calls == [("pause", "op1", PAUSE_WRAPUP, NOW + tiny.phones.wrapup_extend)]
    assert rec.played == [ids.OP_WRAPUP_EXTENDED]


async def test_a_code_that_means_nothing_changes_nothing_and_says_so(tiny: Dialplan) -> None:
    rec = Recorder()
    assert (
        await run_code(rec, rec, tiny, operator="op2", action="login", digits="2", now=NOW)
        == "not_your_group"
    )
    assert (
        await run_code(rec, rec, tiny, operator="op1", action="login", digits="9", now=NOW) == "unknown_group"
    )
    assert rec.calls == []
    assert rec.played == [ids.OP_NOT_YOUR_GROUP, ids.OP_UNKNOWN_CODE]


async def test_a_change_redis_could_not_store_is_not_confirmed(tiny: Dialplan) -> None:
    rec = Recorder(fail=True)
    assert await run_code(rec, rec, tiny, operator="op1", action="resume", digits="", now=NOW) == "failed"
    assert rec.played == [ids.OP_FAILED]


# --- the rendered codes ---------------------------------------------------------------------------------


def test_each_code_is_rendered_with_only_digits_and_the_authenticated_endpoint(
    tiny: Dialplan, tmp_path: Path
) -> None:
    """The operator is `${CHANNEL(endpoint)}`, never the caller ID; only digits after the code reach the
    AGI arguments (1 or 2 by pattern, filtered again); anything else is passed as `invalid`."""
    settings = Settings.from_env({"HOTLINE_STATE_DIR": str(tmp_path)})
    text = "\n".join(render_operator_codes(tiny, settings))
    url = f"agi://{settings.host}:{settings.agi_port}/{c.AGI_OPERATOR}"
    assert "exten => _*22X,1,Answer()" in text
    assert "exten => _*22XX,1,Answer()" in text
    assert f"AGI({url},logout,${{FILTER(0-9,${{EXTEN:3}})}},${{CHANNEL(endpoint)}})" in text
    assert "exten => _*22X.,1,Answer()" in text
    assert f"AGI({url},logout,invalid,${{CHANNEL(endpoint)}})" in text
    assert "exten => *24,1,Answer()" in text
    assert "_*24X" not in text  # resume takes no digits
    assert "CALLERID" not in text
    unfiltered = [
        ln for ln in text.splitlines() if "AGI(" in ln and re.search(r"(?<!FILTER\(0-9,)\$\{EXTEN", ln)
    ]
    assert unfiltered == []
