"""`hotline status` knows whether an engine runs: the live state of a stopped engine is labelled so."""

from __future__ import annotations

import dataclasses

import pytest
from harness import OPEN, Hotline, sandbox_redis

from hotline.clock import running_from
from hotline.engine import Engine
from hotline.status_cli import MAYBE_STALE, NO_ENGINE, collect

pytestmark = pytest.mark.e2e


async def test_status_tells_a_running_engine_from_the_state_a_stopped_one_left(hotline: Hotline) -> None:
    """While an engine runs, its heartbeat is in Redis and the view says the state is kept current;
    once it has stopped, the first note says no engine runs (the README's "op104 in a call 490h")."""
    settings = dataclasses.replace(hotline.settings, agi_port=0)
    engine = Engine(settings, dialplan=hotline.dialplan, clock=running_from(OPEN), grace=1)
    async with engine:
        await engine.ami.wait_connected(15)
        view = await collect(engine.redis, hotline.dialplan)
        assert view.notes == (MAYBE_STALE,)
    reader = sandbox_redis(hotline)
    try:
        view = await collect(reader, hotline.dialplan)
    finally:
        await reader.aclose()
    assert view.notes == (NO_ENGINE,)
