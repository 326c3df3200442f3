"""Operators' presence feature codes on real phones (SIPp with digest auth) against the sandbox's
Asterisk: each code changes the operator's queue members as Asterisk reports them (QueueStatus), is
confirmed by its prompt, and the state survives a new engine and an Asterisk restart."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from pathlib import Path

import pytest
from harness import Call, Hotline, new_caller
from test_call_path import expected_group, who_answered
from test_emergency import Played, media_commands

from hotline.constants import queue_name
from hotline.dialplan import prompt_ids as ids
from hotline.dialplan.model import PAUSE_LOGGED_OUT
from hotline.engine import Engine
from hotline.errors import AmiError
from hotline.sandbox.sipp import (
    CitizenCall,
    Key,
    OperatorDial,
    OperatorPhone,
    SippResult,
    place_operator_dial,
)
from ivr.operator_flow import group_code

pytestmark = pytest.mark.e2e


async def dial(hotline: Hotline, operator: str, number: str, workdir: Path) -> SippResult:
    """The operator's phone (digest auth as that endpoint) dials `number` and waits for the hang-up."""
    call = OperatorDial(operator, hotline.secrets.operators[operator], number, wait_for_end=30.0)
    return await place_operator_dial(
        call, asterisk=hotline.settings.host, port=hotline.settings.sip_port, workdir=workdir
    )


async def members(engine: Engine, operator: str) -> dict[str, tuple[bool, str]]:
    """queue -> (paused, reason) of the operator's members, as Asterisk reports them now."""
    items = await engine.ami.send_list_action({"Action": "QueueStatus", "Member": f"PJSIP/{operator}"})
    return {
        m.get("Queue", ""): (m.get("Paused") == "1", m.get("PausedReason", ""))
        for m in items
        if m.name == "QueueMember"
    }


def heard(played: dict[str, list[Played]]) -> list[Played]:
    """The prompts Asterisk played to the end (STREAM FILE answered 0: played, no key, no failure)."""
    return [p for calls in played.values() for p in calls if p.reply.result == "0"]


def two_groups(hotline: Hotline) -> tuple[str, str, str]:
    """An operator with at least two groups, and two of them."""
    for op in hotline.dialplan.operators.values():
        if len(op.skills) >= 2:
            first, second = sorted(op.skills)[:2]
            return op.id, first, second
    raise AssertionError("the sandbox's dialplan has no operator with two groups")


async def test_logout_of_one_group_by_code_pauses_that_member_only_and_login_brings_it_back(
    hotline: Hotline, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """*22 + a group's code: the operator's member of that queue is paused "logged-out", the others are
    not, and op_logged_out is played; *21 + the code: the member is back."""
    played = media_commands(monkeypatch)
    operator, group, other = two_groups(hotline)
    phones = hotline.dialplan.phones
    code = group_code(hotline.dialplan, group)
    result = await dial(hotline, operator, phones.logout + code, tmp_path / "out")
    assert result.ok, result.errors or result.screen
    now = await members(engine, operator)
    assert now[queue_name(group)] == (True, PAUSE_LOGGED_OUT)
    assert now[queue_name(other)] == (False, "")
    prompts = [p.prompt for p in heard(played)]
    assert prompts[:2] == [ids.OP_LOGGED_OUT, ids.group_prompt(group)], played
    assert (await engine.presence.state(operator)).logged_in == frozenset(
        hotline.dialplan.operators[operator].skills
    ) - {group}

    result = await dial(hotline, operator, phones.login + code, tmp_path / "in")
    assert result.ok, result.errors or result.screen
    assert (await members(engine, operator))[queue_name(group)] == (False, "")


async def test_pause_with_a_reason_pauses_every_member_with_it_and_resume_ends_it(
    hotline: Hotline, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """*23 + 2: paused "lunch" in every queue of the operator (QueueStatus), op_paused then pause_lunch
    played; *24: unpaused everywhere."""
    played = media_commands(monkeypatch)
    operator, _, _ = two_groups(hotline)
    phones = hotline.dialplan.phones
    key, reason = next((k, r) for k, r in phones.pause_reasons.items() if r == "lunch")
    result = await dial(hotline, operator, phones.pause + key, tmp_path / "pause")
    assert result.ok, result.errors or result.screen
    assert set((await members(engine, operator)).values()) == {(True, reason)}
    names = [p.prompt for p in heard(played)]
    assert names[:2] == [ids.OP_PAUSED, ids.pause_prompt(reason)], played

    result = await dial(hotline, operator, phones.resume, tmp_path / "resume")
    assert result.ok, result.errors or result.screen
    assert set((await members(engine, operator)).values()) == {(False, "")}


@pytest.mark.parametrize("suffix", [",{victim}", "1,{victim}", "1,{victim},x", "1{victim}", "1a"])
async def test_digits_after_a_code_cannot_name_another_operator(
    hotline: Hotline, engine: Engine, tmp_path: Path, suffix: str
) -> None:
    """op101 dials the pause code + "1,op102" (Asterisk splits AGI arguments on commas after
    substitution, so the victim's name became the operator argument), or letters after the digits:
    nobody is paused, and the operator is the authenticated endpoint or nobody."""
    attacker, victim = "op101", "op102"
    pause = hotline.dialplan.phones.pause
    await dial(hotline, attacker, pause + suffix.format(victim=victim), tmp_path / "forged")
    assert set((await members(engine, victim)).values()) == {(False, "")}
    assert set((await members(engine, attacker)).values()) == {(False, "")}
    assert (await engine.presence.state(victim)).pause_reason is None


async def test_a_new_engine_puts_back_a_logout_that_asterisk_lost(
    hotline: Hotline, engine: Engine, tmp_path: Path
) -> None:
    """Logged out by code, then the member unpaused behind the engine's back (as an Asterisk restart
    does): a new engine's reconcile at its AMI login pauses it "logged-out" again."""
    operator, group, _ = two_groups(hotline)
    phones = hotline.dialplan.phones
    result = await dial(hotline, operator, phones.logout, tmp_path / "out")
    assert result.ok, result.errors or result.screen
    await engine.ami.send_action(
        {"Action": "QueuePause", "Interface": f"PJSIP/{operator}", "Paused": "false"}
    )
    assert (await members(engine, operator))[queue_name(group)] == (False, "")
    # a second engine beside the first (the sandbox's FastAGI port is the first one's): its AMI login
    # is what a restarted engine does
    settings = dataclasses.replace(hotline.settings, agi_port=0)
    fresh = Engine(settings, dialplan=hotline.dialplan, clock=engine.clock, grace=5)
    async with fresh:
        await fresh.ami.wait_connected(15)
        for _ in range(100):  # the reconcile runs in the AMI client's connected callbacks
            if set((await members(fresh, operator)).values()) == {(True, PAUSE_LOGGED_OUT)}:
                break
            await asyncio.sleep(0.2)
        assert set((await members(fresh, operator)).values()) == {(True, PAUSE_LOGGED_OUT)}


async def until_members(
    engine: Engine, operator: str, wanted: set[tuple[bool, str]], limit: float = 60
) -> None:
    """Wait (up to a generous `limit`) until the operator's members are all in `wanted`."""
    for _ in range(int(limit / 0.2)):
        with contextlib.suppress(AmiError):
            if set((await members(engine, operator)).values()) == wanted:
                return
        await asyncio.sleep(0.2)
    assert set((await members(engine, operator)).values()) == wanted


async def test_an_operator_logged_out_of_a_group_is_not_rung_and_rings_again_after_login(
    hotline: Hotline,
    engine: Engine,
    operators: dict[str, OperatorPhone],
    call: Call,
    tmp_path: Path,
) -> None:
    """The group's best operators log out of it by code: its caller is answered by another operator of
    the group; once they log in again by code, a caller of the group reaches one of them again."""
    keys = "4"  # the main menu's option of a group with operators at two levels
    group = expected_group(hotline, keys)
    skilled = {op.id: op.skills[group] for op in hotline.dialplan.operators_of(group)}
    best = {op for op, level in skilled.items() if level == min(skilled.values())}
    assert len(best) < len(skilled), f"group {group} needs operators at two levels: {skilled}"
    code = group_code(hotline.dialplan, group)

    async def every_best_dials(number: str, tag: str) -> None:
        for n, operator in enumerate(sorted(best)):
            result = await dial(hotline, operator, number, tmp_path / f"{tag}{n}")
            assert result.ok, result.errors or result.screen

    async def answered_by() -> str:
        caller = new_caller()
        result = await call(CitizenCall(caller=caller, keys=(Key(keys, after=2.0),)))
        assert result.ok, result.errors or result.screen
        answered = who_answered(operators, caller)
        assert len(answered) == 1, answered
        return answered[0]

    await every_best_dials(hotline.dialplan.phones.logout + code, "out")
    assert await answered_by() in set(skilled) - best
    await every_best_dials(hotline.dialplan.phones.login + code, "in")
    assert await answered_by() in best


async def test_a_pause_survives_an_asterisk_restart(hotline: Hotline, engine: Engine, tmp_path: Path) -> None:
    """Paused "training" by code; Asterisk restarts (its static members come back unpaused): once the
    engine has logged in again, every member of the operator is paused "training" again."""
    operator, _, _ = two_groups(hotline)
    phones = hotline.dialplan.phones
    key, reason = next((k, r) for k, r in phones.pause_reasons.items() if r == "training")
    result = await dial(hotline, operator, phones.pause + key, tmp_path / "pause")
    assert result.ok, result.errors or result.screen
    assert set((await members(engine, operator)).values()) == {(True, reason)}
    await asyncio.to_thread(hotline.sandbox.asterisk.stop)
    await asyncio.to_thread(hotline.sandbox.asterisk.start)
    await until_members(engine, operator, {(True, reason)}, limit=120)
    assert (await engine.presence.state(operator)).pause_reason == reason
