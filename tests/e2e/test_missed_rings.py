"""Operators whose phone rings out, or declines, against the real Asterisk: the engine pauses them.

The gas group (key 4) rings op104 (level 1) before op103 (level 2) every time op104 is free, so without
the engine's pauses a phone that never answers, or always declines, would be offered the caller again
and again; with them the caller reaches op103. Asserted from the far end (the INVITEs each SIPp phone
received) and from Asterisk's own QueueStatus.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import sys
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from conftest import operator_phones
from harness import OPEN, Call, Hotline, new_caller

from hotline import constants as c
from hotline.clock import running_from
from hotline.dialplan.model import PAUSE_MISSED, PAUSE_REJECTED
from hotline.engine import Engine
from hotline.sandbox.sipp import CitizenCall, Key, SippResult

pytestmark = pytest.mark.e2e

GROUP = "gas"
FIRST, SECOND = "op104", "op103"  # level 1 and level 2 of the gas group


@contextlib.asynccontextmanager
async def gas_engine(hotline: Hotline, **group: int) -> AsyncIterator[Engine]:
    """The engine at an open hour with the gas group's engine-side settings in `group` changed; the
    operators' presence and ring counts are left as a fresh sandbox has them, before and after."""
    changed = dataclasses.replace(hotline.dialplan.skill_groups[GROUP], **group)  # type: ignore[arg-type]
    dialplan = dataclasses.replace(
        hotline.dialplan, skill_groups={**hotline.dialplan.skill_groups, GROUP: changed}
    )
    eng = Engine(hotline.settings, dialplan=dialplan, clock=running_from(OPEN), grace=5)
    async with eng:
        await eng.ami.wait_connected(15)
        await clean_presence(eng)
        try:
            yield eng
        finally:
            await clean_presence(eng)


async def clean_presence(engine: Engine) -> None:
    for op in engine.dialplan.operators:
        await engine.presence.resume(op)
    await engine.redis.delete(c.KEY_MISSED_RINGS)


async def member_pauses(engine: Engine, operator: str) -> dict[str, tuple[bool, str]]:
    """Queue -> (paused, reason) of the operator's members, as Asterisk reports them now."""
    listed = await engine.ami.send_list_action({"Action": "QueueStatus", "Member": f"PJSIP/{operator}"})
    return {
        m.get("Queue", ""): (m.get("Paused") == "1", m.get("PausedReason", ""))
        for m in listed
        if m.get("Event") == "QueueMember" and m.get("Name") == operator
    }


async def until(condition: Callable[[], Awaitable[bool]], what: str, limit: float = 60.0) -> None:
    """Wait (at most `limit` s, a guard against a hung test) until `condition()` is true."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while not await condition():
        assert loop.time() < deadline, f"still not true after {limit:g}s: {what}"
        await asyncio.sleep(0.5)


def gas_call(caller: str) -> CitizenCall:
    return CitizenCall(caller=caller, keys=(Key("4", 2.0),), wait_for_end=180)


async def test_an_operator_who_lets_missed_rings_ring_out_is_paused_missed_and_not_rung_again(
    hotline: Hotline, call: Call, request: pytest.FixtureRequest
) -> None:
    """op104's phone rings out twice for the same caller: op104 is paused "missed" in every queue
    (QueueStatus says so, and so does `hotline status`), the caller reaches op103, and the next caller
    goes straight to op103."""
    workdir = hotline.workdir / request.node.name
    async with (
        gas_engine(hotline, missed_rings=2) as engine,
        operator_phones(hotline, workdir, 3.0, rings_out=frozenset({FIRST})) as ops,
    ):
        caller = new_caller()
        result = await call(gas_call(caller))
        assert result.ok, result.errors or result.screen
        assert ops[FIRST].invites_from(caller) == 2  # missed_rings rings, then no more
        assert ops[SECOND].invites_from(caller) == 1  # who answered in the end
        pauses = await member_pauses(engine, FIRST)
        assert pauses, "op104 is in no queue"
        assert all(p == (True, PAUSE_MISSED) for p in pauses.values()), pauses
        assert (await engine.presence.state(FIRST)).pause_reason == PAUSE_MISSED

        status = await hotline_status_json(hotline)
        assert status["operators"][FIRST]["pause_reason"] == PAUSE_MISSED

        after = new_caller()
        result = await call(gas_call(after))
        assert result.ok, result.errors or result.screen
        assert ops[FIRST].invites_from(after) == 0
        assert ops[SECOND].invites_from(after) == 1


async def test_an_operator_who_declines_is_not_rung_again_for_that_caller_until_reject_pause_ends(
    hotline: Hotline, call: Call, request: pytest.FixtureRequest
) -> None:
    """op104 declines (486) while op103 is on a break: the queue's retries do not ring op104 again for
    that caller; the caller reaches op103 once back. After reject_pause, op104 is rung again."""
    workdir = hotline.workdir / request.node.name
    reject_pause = 12
    async with (
        gas_engine(hotline, reject_pause=reject_pause, missed_rings=2) as engine,
        operator_phones(hotline, workdir, 3.0, rejects=frozenset({FIRST})) as ops,
    ):
        await engine.presence.pause(SECOND, "break")
        caller = new_caller()
        placed: asyncio.Future[SippResult] = asyncio.ensure_future(call(gas_call(caller)))

        async def declined() -> bool:
            return ops[FIRST].invites_from(caller) >= 1

        await until(declined, "op104 rang for the caller")

        async def rejected() -> bool:
            return (await engine.presence.state(FIRST)).pause_reason == PAUSE_REJECTED

        await until(rejected, "op104 paused 'rejected'", limit=10)
        await asyncio.sleep(6)  # three of the queue's retries (every 2 s) that must not ring op104
        assert ops[FIRST].invites_from(caller) == 1
        await engine.presence.resume(SECOND)
        result = await placed
        assert result.ok, result.errors or result.screen
        assert ops[FIRST].invites_from(caller) == 1
        assert ops[SECOND].invites_from(caller) == 1

        async def back() -> bool:
            if (await engine.presence.state(FIRST)).pause_reason is not None:
                return False
            return not any(paused for paused, _ in (await member_pauses(engine, FIRST)).values())

        await until(
            back, "op104's 'rejected' pause ended by itself, in Asterisk too", limit=reject_pause + 30
        )
        again = new_caller()
        result = await call(gas_call(again))
        assert result.ok, result.errors or result.screen
        assert ops[FIRST].invites_from(again) == 1  # rung again (and declined again)
        assert ops[SECOND].invites_from(again) == 1


async def hotline_status_json(hotline: Hotline) -> dict[str, dict[str, dict[str, object]]]:
    """`hotline status --once --json`, run as an administrator would."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "hotline.cli",
        "status",
        "--once",
        "--json",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    parsed: dict[str, dict[str, dict[str, object]]] = json.loads(out)
    return parsed
