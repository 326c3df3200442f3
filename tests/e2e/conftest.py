"""End-to-end fixtures: the real sandbox (Asterisk 22 in its Debian root, Redis), the engine in-process,
and SIPp playing operators and citizens.

The sandbox comes up once per session (`hotline sandbox up`, idempotent: it reuses a cached root and a
running Asterisk). The engine and the operators' phones are per test, so each test starts clean.
These tests need root (chroot); they fail rather than skip, so CI can never pass without running them.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from harness import OPEN, Call, Hotline, cancel_every_open_request, prompt_seconds, sandbox_redis

from hotline import constants as c
from hotline.callbacks.store import CallbackStore
from hotline.clock import running_from
from hotline.dialplan import prompt_ids as ids
from hotline.emergency.store import EmergencyStore
from hotline.engine import Engine
from hotline.sandbox.manage import Sandbox, in_own_loop
from hotline.sandbox.sipp import CitizenCall, OperatorPhone, Phone, SippResult, place_call
from hotline.settings import Settings

CITIZEN_TALK = 12.0


@pytest.fixture(scope="session")
def hotline(tmp_path_factory: pytest.TempPathFactory) -> Hotline:
    if os.geteuid() != 0:
        pytest.fail("end-to-end tests need root (Asterisk runs in a chroot): run `sudo ./run.sh test`")
    settings = Settings.from_env()
    sandbox = Sandbox(settings)
    dialplan, secrets = sandbox.up(lambda msg: print(msg, flush=True))
    # The sandbox's Asterisk outlives test sessions: calls still up and holds left by a run that was
    # killed mid-call are ended, so that every session starts with every operator free in the queues.
    sandbox.asterisk.hang_up_all(dialplan.operators)
    return Hotline(settings, sandbox, dialplan, secrets, tmp_path_factory.mktemp("e2e"))


@pytest.fixture(autouse=True)
def quiet_sandbox_after(hotline: Hotline) -> Iterator[None]:
    """After each test, once its engine has stopped: calls still up (a callback placed as the engine
    stopped, phones stopped mid-call) are hung up, operators' holds let go and callback requests left
    open cancelled, so that no test meets another's calls, holds or requests."""
    yield
    hotline.sandbox.asterisk.hang_up_all(hotline.dialplan.operators)
    in_own_loop(_cancel_open_requests(hotline))


async def _cancel_open_requests(hotline: Hotline) -> None:
    client = sandbox_redis(hotline)
    try:
        await cancel_every_open_request(CallbackStore(client, clock=time.time))
        # operators' presence (router.presence) and missed rings (router.ring_watch) forgotten, so that
        # the next test's operators start logged in with no ring held against them (hang_up_all has
        # unpaused every member already); repeat callers forgotten, so no test inherits a priority
        stale = [key async for key in client.scan_iter("hotline:presence:*")]
        stale += [key async for key in client.scan_iter("hotline:repeat:*")]
        await client.delete(c.KEY_MISSED_RINGS, *stale)
    finally:
        await client.aclose()


@pytest_asyncio.fixture
async def engine(hotline: Hotline) -> AsyncIterator[Engine]:
    """The engine in this test's event loop, with a clock at a time the line is open."""
    eng = Engine(hotline.settings, dialplan=hotline.dialplan, clock=running_from(OPEN), grace=5)
    async with eng:
        await eng.ami.wait_connected(15)
        await cancel_every_open_request(eng.callbacks)  # its dispatcher must not take operators away
        yield eng


@contextlib.asynccontextmanager
async def callback_engine(hotline: Hotline, **policy: Any) -> AsyncIterator[Engine]:
    """The engine at an open hour with the callback policy's fields in `policy` changed; the callback
    queue is left empty before and after, so no test dials another test's citizen."""
    changed = dataclasses.replace(hotline.dialplan.callbacks, **policy)
    dialplan = dataclasses.replace(hotline.dialplan, callbacks=changed)
    eng = Engine(hotline.settings, dialplan=dialplan, clock=running_from(OPEN), grace=5)
    async with eng:
        await eng.ami.wait_connected(15)
        await cancel_every_open_request(eng.callbacks)
        try:
            yield eng
        finally:
            await cancel_every_open_request(eng.callbacks)


@pytest_asyncio.fixture
async def cb_engine(hotline: Hotline) -> AsyncIterator[Engine]:
    """The engine at an open hour, with short thresholds: a call of 2 s is a success, and a caller who
    waited 3 s in a queue is called back when they hang up."""
    async with callback_engine(hotline, min_talk_seconds=2, abandoned_after=3) as eng:
        yield eng


@pytest_asyncio.fixture
async def store(hotline: Hotline) -> AsyncIterator[CallbackStore]:
    """The sandbox's callback store on a clock at an open hour, for tests that run the engine as
    `hotline serve` processes; its queue is left empty before and after."""
    clock = running_from(OPEN)
    client = sandbox_redis(hotline)
    store = CallbackStore(client, clock=lambda: clock().timestamp())
    await cancel_every_open_request(store)
    try:
        yield store
    finally:
        await cancel_every_open_request(store)
        await client.aclose()


@contextlib.asynccontextmanager
async def operator_phones(
    hotline: Hotline,
    workdir: Path,
    talk: float,
    *,
    rings_out: frozenset[str] = frozenset(),
    rejects: frozenset[str] = frozenset(),
) -> AsyncIterator[dict[str, OperatorPhone]]:
    """Every operator of the dialplan on a registered SIPp phone that answers and talks `talk` seconds;
    those in `rings_out` never answer, those in `rejects` decline (486)."""
    phones = {
        op: OperatorPhone(
            op,
            hotline.secrets.operators[op],
            hotline.settings.host,
            hotline.settings.sip_port,
            workdir / op,
            talk_seconds=talk,
            answers=op not in rings_out and op not in rejects,
            rejects=op in rejects,
        )
        for op in hotline.dialplan.operators
    }
    await asyncio.gather(*(phone.start() for phone in phones.values()))
    try:
        yield phones
    finally:
        await asyncio.gather(*(phone.stop() for phone in phones.values()))


@pytest_asyncio.fixture
async def operators(
    hotline: Hotline, request: pytest.FixtureRequest
) -> AsyncIterator[dict[str, OperatorPhone]]:
    """Operators whose phones answer and talk for 3 s once the whisper is over (it plays first, on the
    operator's channel, before the citizen is bridged: an operator hanging up during it never talks)."""
    talk = whisper_seconds(hotline) + 3.0
    async with operator_phones(hotline, hotline.workdir / request.node.name / "operators", talk) as phones:
        yield phones


def whisper_seconds(hotline: Hotline) -> float:
    """The longest whisper of a call from a queue: a group's name, "waited", a number said by Asterisk
    (counted 1.5 s) and the word for minutes."""
    group = max(prompt_seconds(hotline, ids.group_prompt(g)) for g in hotline.dialplan.skill_groups)
    words = prompt_seconds(hotline, ids.Q_WHISPER_WAITED)
    minutes = max(prompt_seconds(hotline, p) for p in ids.plural_prompts(ids.CB_MINUTES))
    return group + words + 1.5 + minutes


@pytest_asyncio.fixture
async def long_talking_operators(
    hotline: Hotline, request: pytest.FixtureRequest
) -> AsyncIterator[dict[str, OperatorPhone]]:
    """Operators whose phones stay on the line long enough to hear the whisper and talk to the citizen."""
    async with operator_phones(hotline, hotline.workdir / request.node.name / "operators", 30.0) as phones:
        yield phones


@pytest.fixture
def call(hotline: Hotline, request: pytest.FixtureRequest) -> Call:
    """Place one citizen's call from the carrier's address and wait until it ends."""
    count = iter(range(1000))

    async def place(citizen: CitizenCall) -> SippResult:
        workdir = hotline.workdir / request.node.name / f"citizen-{next(count)}"
        return await place_call(
            citizen,
            asterisk=hotline.settings.host,
            port=hotline.settings.sip_port,
            local_ip=hotline.settings.carrier_address,
            workdir=workdir,
        )

    return place


@pytest_asyncio.fixture
async def citizen_phone(hotline: Hotline, request: pytest.FixtureRequest) -> AsyncIterator[Phone]:
    """Where the outbound trunk rings citizens in the sandbox: answers, talks 12 s (longer than the
    default policy's min_talk_seconds), hangs up."""
    phone = Phone(
        "citizen",
        hotline.workdir / request.node.name / "citizen-phone",
        local_ip=hotline.settings.carrier_address,
        port=hotline.settings.carrier_port,
        talk_seconds=CITIZEN_TALK,
    )
    await phone.start()
    try:
        yield phone
    finally:
        await phone.stop()


@pytest_asyncio.fixture
async def emergency(hotline: Hotline) -> AsyncIterator[EmergencyStore]:
    """The sandbox's emergency state on the real clock; emergency mode is off before and after."""
    client = sandbox_redis(hotline)
    store = EmergencyStore(client)
    await store.turn_off("test")
    try:
        yield store
    finally:
        await store.turn_off("test")
        await client.aclose()
