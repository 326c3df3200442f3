"""Simulation agrees with the real thing: for a set of key sequences, the menu path and the end that
`hotline simulate` gives are those of a SIPp citizen pressing the same keys through the real Asterisk and
engine, as the call journal records them."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from harness import OPEN, Call, Hotline, journal_of, new_caller

from hotline.engine import Engine
from hotline.sandbox.sipp import CitizenCall, Key, OperatorPhone
from hotline.simulate import SILENCE, parse_keys, simulate
from ivr.menu import Step

pytestmark = pytest.mark.e2e

# Options of both submenus and of the main menu, a wrong key then a right one, and a farewell (hangup).
SEQUENCES = ["1 1", "2", "6 1", "8 2", "0", "6 3"]


def journal_path(path: Sequence[Step]) -> str:
    """The steps as the call journal writes them (`router.journal`): `main:8:invalid>main:2:chosen`."""
    return ">".join(f"{s.menu}:{s.key or '-'}:{s.result}" for s in path)


@pytest.mark.parametrize("keys", SEQUENCES)
async def test_the_simulated_path_and_end_are_those_of_the_real_call(
    keys: str, hotline: Hotline, engine: Engine, operators: dict[str, OperatorPhone], call: Call
) -> None:
    """Same keys, same hour (the engine's clock starts at OPEN): the journal of the real call holds the
    path, the end, its reason and the group that the simulation gives."""
    simulated = simulate(hotline.dialplan, keys, OPEN)
    pressed = parse_keys(keys)
    assert SILENCE not in pressed  # a real caller's silence is a pause; these sequences have none
    caller = new_caller()
    result = await call(CitizenCall(caller=caller, keys=tuple(Key(k, after=2.0) for k in pressed)))
    assert result.ok, result.errors or result.screen
    record = await journal_of(engine.journal, caller)
    o = simulated.outcome
    assert (record.path, record.ivr_outcome, record.reason, record.group) == (
        journal_path(o.path),
        o.kind,
        o.reason,
        o.group or "",
    )
