"""A citizen's call through the real Asterisk: carrier trunk → FastAGI menus → skill-group queue →
an operator's SIP phone. Asserted from the far end: which SIPp operator received the INVITE, and the
citizen's SIPp saw the call end only when the operator hung up (the two were bridged)."""

from __future__ import annotations

import asyncio

import pytest
from harness import CLOSED, Call, Hotline, journal_of, new_caller
from structlog.contextvars import merge_contextvars
from structlog.testing import capture_logs

from hotline.clock import running_from
from hotline.engine import Engine
from hotline.sandbox.sipp import CitizenCall, Key, OperatorPhone

pytestmark = pytest.mark.e2e


def who_answered(phones: dict[str, OperatorPhone], caller: str) -> list[str]:
    return [op for op, phone in phones.items() if phone.invites_from(caller)]


def expected_group(hotline: Hotline, keys: str) -> str:
    """Follow the keys through the YAML, as the admins wrote it, to the skill group they lead to."""
    menu = hotline.dialplan.menus[hotline.dialplan.entry.menu]
    for key in keys:
        action = menu.options[key]
        if action.kind == "menu":
            menu = hotline.dialplan.menus[action.target]
        else:
            assert action.kind == "queue"
            return action.target
    raise AssertionError(f"keys {keys} do not reach a queue")


# Every option of the main menu; a submenu is followed by its first option.
MAIN_MENU_PATHS = ["11", "2", "3", "4", "5", "61", "0"]


@pytest.mark.parametrize("keys", MAIN_MENU_PATHS)
async def test_each_main_menu_option_reaches_an_operator_of_its_skill_group(
    keys: str, hotline: Hotline, engine: Engine, operators: dict[str, OperatorPhone], call: Call
) -> None:
    """Pressing the option's keys rings an operator of that group, who answers and is bridged."""
    group = expected_group(hotline, keys)
    caller = new_caller()
    result = await call(CitizenCall(caller=caller, keys=tuple(Key(k, after=2.0) for k in keys)))
    assert result.ok, result.errors or result.screen
    answered = who_answered(operators, caller)
    assert len(answered) == 1, f"expected one operator to ring, got {answered}"
    assert group in hotline.dialplan.operators[answered[0]].skills
    record = await journal_of(engine.journal, caller)
    assert (record.ivr_outcome, record.group, record.queue) == ("queue", group, f"hotline-{group}")
    assert record.operator == answered[0]  # Asterisk reports the same operator connected (bridged)
    assert record.ended_by == "agent"  # the operator hung up; the citizen's BYE came through the bridge


async def test_an_invalid_key_is_reprompted_and_the_caller_can_still_choose(
    hotline: Hotline, engine: Engine, operators: dict[str, OperatorPhone], call: Call
) -> None:
    """8 is not in the main menu: the caller hears it, then presses 2 and reaches cold water."""
    caller = new_caller()
    result = await call(CitizenCall(caller=caller, keys=(Key("8", 2.0), Key("2", 2.5))))
    assert result.ok, result.errors or result.screen
    record = await journal_of(engine.journal, caller)
    assert record.path == "main:8:invalid>main:2:chosen"
    assert record.group == "water"
    answered = who_answered(operators, caller)
    assert len(answered) == 1
    assert "water" in hotline.dialplan.operators[answered[0]].skills


async def test_no_key_at_all_leads_to_the_general_queue_after_the_retries(
    hotline: Hotline, engine: Engine, operators: dict[str, OperatorPhone], call: Call
) -> None:
    """A caller who presses nothing hears the menu again each time, then reaches any operator."""
    caller = new_caller()
    result = await call(CitizenCall(caller=caller, wait_for_end=240))
    assert result.ok, result.errors or result.screen
    record = await journal_of(engine.journal, caller)
    main = hotline.dialplan.menus["main"]
    assert record.path == ">".join(["main:-:timeout"] * main.retries)
    assert (record.reason, record.group) == ("retries_exhausted", hotline.dialplan.hotline.general_group)
    assert len(who_answered(operators, caller)) == 1


async def test_a_caller_hanging_up_in_the_menu_ends_cleanly_and_leaves_nothing_behind(
    hotline: Hotline, engine: Engine, call: Call
) -> None:
    """The hangup is the ordinary end of a call: logged as such, no error, no task or socket left."""
    tasks_before = asyncio.all_tasks()
    caller = new_caller()
    with capture_logs(processors=[merge_contextvars]) as logs:
        result = await call(CitizenCall(caller=caller, hang_up_after=3.0))
        assert result.ok, result.errors or result.screen
        for _ in range(100):  # Asterisk tells the engine of the hangup right away; give it a moment
            if engine.agi.active_calls == 0 and any(e["event"] == "agi.call.end" for e in logs):
                break
            await asyncio.sleep(0.1)
    ends = [e for e in logs if e["event"] == "agi.call.end"]
    assert len(ends) == 1
    assert ends[0]["outcome"] == "caller_hung_up"
    call_lines = [e for e in logs if e.get("call_id")]
    assert call_lines
    assert {e["call_id"] for e in call_lines} == {ends[0]["call_id"]}
    assert not [e for e in logs if e["log_level"] in ("error", "critical")]
    assert engine.agi.active_calls == 0
    assert not engine.agi.tasks
    new_tasks = asyncio.all_tasks() - tasks_before
    left = [t for t in new_tasks if "/ivr/" in t.get_coro().cr_code.co_filename]  # type: ignore[union-attr]
    assert not left, left  # (the AMI client may have started its event worker meanwhile: not the call's)
    record = await journal_of(engine.journal, caller)
    assert record.ivr_outcome == "caller_hung_up"
    assert record.reason.startswith("during:")


async def test_closed_hours_tell_the_hours_offer_a_callback_and_say_goodbye(
    hotline: Hotline,
    engine: Engine,
    operators: dict[str, OperatorPhone],
    call: Call,
) -> None:
    """On a Sunday a caller who presses nothing hears the hours and the offer, then the engine hangs up;
    no operator rings and nothing is registered."""
    engine.clock = running_from(CLOSED)
    caller = new_caller()
    result = await call(CitizenCall(caller=caller, wait_for_end=90))
    assert result.ok, result.errors or result.screen  # Asterisk hung up on the citizen
    record = await journal_of(engine.journal, caller)
    assert (record.ivr_outcome, record.reason) == ("callback", "closed")
    assert who_answered(operators, caller) == []
    assert [r for r in await engine.callbacks.list() if r.number == caller] == []


async def test_with_the_engine_down_asterisk_announces_and_queues_to_the_general_group(
    hotline: Hotline, operators: dict[str, OperatorPhone], call: Call
) -> None:
    """No FastAGI server: Asterisk's fallback plays its prompt and an operator of the general group
    answers. The caller is never left in silence."""
    caller = new_caller()
    result = await call(CitizenCall(caller=caller))
    assert result.ok, result.errors or result.screen
    answered = who_answered(operators, caller)
    assert len(answered) == 1
    assert hotline.dialplan.hotline.general_group in hotline.dialplan.operators[answered[0]].skills
