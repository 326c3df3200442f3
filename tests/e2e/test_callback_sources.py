"""Where callback requests come from, end to end: a caller beyond the hotline's line capacity, two engine
processes sharing the queue, and a flood for one number while real citizens wait for their callbacks.

The citizens called back are a SIPp phone on the outbound trunk's address, whose received INVITEs are
counted; operators are SIPp phones that answer and stay on the line."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import datetime as dt
import itertools
import re
import shutil
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from harness import (
    Call,
    Hotline,
    ask_to_be_called_back,
    journal_of,
    many_callers,
    new_caller,
    pause_operators,
    prompt_seconds,
    serve,
    settled,
    settled_request,
    stop,
    until_started,
)
from structlog.testing import capture_logs

from hotline import constants as c
from hotline.callbacks.limits import GLOBAL_WINDOW
from hotline.callbacks.model import Attempt, AttemptResult, Registration, Request, Source, Status
from hotline.callbacks.store import CallbackStore
from hotline.clock import running_from
from hotline.engine import Engine
from hotline.errors import CallbackRefused
from hotline.sandbox.manage import Sandbox
from hotline.sandbox.ports import free_tcp_port
from hotline.sandbox.sipp import CitizenCall, Key, OperatorPhone, Phone
from ivr.app import AgiCallerIO

pytestmark = pytest.mark.e2e

MSK = ZoneInfo("Europe/Moscow")


# --- all lines busy --------------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def hotline_capacity(hotline: Hotline, lines: int, workdir: Path) -> AsyncIterator[None]:
    """The running Asterisk with `hotline.capacity: <lines>` in a copy of the admins' YAML, applied as
    `hotline sandbox up` applies a change (render, reload); the session's configuration is back after."""
    changed = workdir / "dialplans"
    shutil.copytree(hotline.settings.dialplan_path, changed)
    yaml = changed / "hotline.yaml"
    text, found = re.subn(
        r"^(  capacity:) *\d+", rf"\g<1> {lines}", yaml.read_text(encoding="utf-8"), count=1, flags=re.M
    )
    assert found == 1, "no hotline.capacity in the YAML"
    yaml.write_text(text, encoding="utf-8")
    entry = f"dialplan show {hotline.dialplan.hotline.number}@{c.CTX_INBOUND}"
    try:
        narrow = Sandbox(dataclasses.replace(hotline.settings, dialplan_path=changed))
        await asyncio.to_thread(narrow.up, lambda _: None)
        assert f"> {lines}]" in hotline.sandbox.asterisk.cli(entry)
        yield
    finally:
        await asyncio.to_thread(hotline.sandbox.up, lambda _: None)  # every other test needs the real one
        assert f"> {hotline.dialplan.hotline.capacity}]" in hotline.sandbox.asterisk.cli(entry)


def prompts_heard(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """The prompts the engine had Asterisk play over FastAGI, by caller ID, in order."""
    heard: dict[str, list[str]] = collections.defaultdict(list)
    play = AgiCallerIO.play

    async def spy(io: AgiCallerIO, prompt_id: str, escape_digits: str) -> str | None:
        heard[io.channel.env.callerid].append(prompt_id)
        return await play(io, prompt_id, escape_digits)

    monkeypatch.setattr(AgiCallerIO, "play", spy)
    return heard


async def test_a_caller_beyond_the_hotlines_capacity_is_told_the_lines_are_busy_and_called_back(
    hotline: Hotline,
    cb_engine: Engine,
    long_talking_operators: dict[str, OperatorPhone],
    citizen_phone: Phone,
    call: Call,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """Capacity 1: while citizen A is in the menus, citizen B is answered, told that every line is busy,
    confirms the number read back and is registered with source lines_busy; once operators are free,
    B's phone rings once and the request ends done. A is neither registered nor called."""
    heard = prompts_heard(monkeypatch)
    first, second = new_caller(), new_caller()
    await pause_operators(cb_engine, hotline, paused=True)  # B's callback waits for the usual configuration
    try:
        async with hotline_capacity(hotline, 1, tmp_path):
            # A hangs up after 30 s, still in the main menu (greeting and menu alone play for 32 s)
            holding = asyncio.ensure_future(call(CitizenCall(caller=first, hang_up_after=30.0)))
            try:
                loop = asyncio.get_running_loop()
                deadline = loop.time() + 15
                while cb_engine.agi.active_calls == 0:  # A holds the only line
                    assert loop.time() < deadline, "citizen A's call did not reach the engine"
                    await asyncio.sleep(0.1)
                told = prompt_seconds(hotline, "cb_lines_busy") + prompt_seconds(hotline, "cb_confirm_intro")
                keys = (Key("1", told + 2.0),)
                result = await call(CitizenCall(caller=second, keys=keys, wait_for_end=60))
            finally:
                held = await holding
            assert result.ok, result.errors or result.screen  # the engine said goodbye after the promise
            assert held.ok, held.errors or held.screen
        [request] = [r for r in await cb_engine.callbacks.list() if r.number == second]
        assert (request.source, request.group, request.status) == (Source.LINES_BUSY, "general", Status.OPEN)
        assert citizen_phone.invites() == 0  # every operator paused: nobody dialled yet
    finally:
        await pause_operators(cb_engine, hotline, paused=False)
    assert heard[second][:2] == ["cb_lines_busy", "cb_confirm_intro"], heard[second]
    assert "cb_registered" in heard[second]
    done = await settled(cb_engine, second)
    assert done.status is Status.DONE, done.failure_reasons()
    assert [a.result for a in done.attempts] == [AttemptResult.ANSWERED]
    assert citizen_phone.invites(rf"INVITE sip:{second}@") == 1
    assert citizen_phone.invites(rf"INVITE sip:{first}@") == 0
    assert [r for r in await cb_engine.callbacks.list() if r.number == first] == []
    record = await journal_of(cb_engine.journal, first)
    assert record.ivr_outcome == "caller_hung_up"  # A was in the menus, holding the line, all along


# --- two engine processes --------------------------------------------------------------------------------


def overlapping(requests: list[Request], slack: float = 2.0) -> list[tuple[str, str, str]]:
    """Pairs of attempts that had the same operator's phone at once (by more than `slack` seconds, the
    two engines' clocks being started apart): (operator, attempt owner, other attempt owner)."""
    by_operator: dict[str, list[Attempt]] = collections.defaultdict(list)
    for request in requests:
        for attempt in request.attempts:
            by_operator[attempt.operator].append(attempt)
    found = []
    for operator, attempts in by_operator.items():
        attempts.sort(key=lambda a: a.started_at)
        for a, b in itertools.pairwise(attempts):
            if a.ended_at is None or a.ended_at - b.started_at > slack:
                found.append((operator, a.owner, b.owner))
    return found


async def test_with_two_engine_processes_running_each_request_is_dialled_by_exactly_one_of_them(
    hotline: Hotline,
    store: CallbackStore,
    long_talking_operators: dict[str, OperatorPhone],
    citizen_phone: Phone,
) -> None:
    """Two `hotline serve` processes (the second on its own FastAGI port) on one Redis and one Asterisk,
    six requests and six operators: each citizen's phone rings once, each request ends done after one
    attempt placed by one of the two, no operator's phone is dialled for two attempts at once, and both
    engines ran from before the first request to after the last."""
    logs = [hotline.workdir / "serve-two-engines-1.log", hotline.workdir / "serve-two-engines-2.log"]
    lease = hotline.settings.callback_lease_seconds
    other_port = {"HOTLINE_AGI_PORT": str(free_tcp_port(hotline.settings.host))}
    engines = [
        await serve(hotline, store, logs[0].name, lease=lease),
        await serve(hotline, store, logs[1].name, lease=lease, settings=other_port),
    ]
    try:
        for engine, log in zip(engines, logs, strict=True):
            await until_started(engine, log)
        policy = hotline.dialplan.callbacks
        numbers = [new_caller() for _ in range(6)]
        registered = [
            await store.register(
                number,
                "general",
                Source.MENU,
                caller_display=number,
                policy=policy,
                sla_minutes=10,
                tz=MSK,
            )
            for number in numbers
        ]
        requests = [await settled_request(store, r.request.id) for r in registered]
        assert [e.returncode for e in engines] == [None, None], "an engine stopped during the test"
    finally:
        codes = await stop(engines)
    assert codes == [0, 0]
    owners = {f"{socket.gethostname()}:{e.pid}": n for n, e in enumerate(engines, 1)}
    placed_by = {r.number: tuple(owners.get(a.owner, a.owner) for a in r.attempts) for r in requests}
    for request in requests:
        assert request.status is Status.DONE, (request.number, request.failure_reasons(), placed_by)
        assert [a.result for a in request.attempts] == [AttemptResult.ANSWERED], placed_by
        assert citizen_phone.invites(rf"INVITE sip:{request.number}@") == 1, placed_by
    assert set(placed_by.values()) <= {(1,), (2,)}, placed_by  # one attempt each, by a known engine
    assert overlapping(requests) == [], placed_by


# --- a flood for one number ------------------------------------------------------------------------------

FLOOD = 1000


async def flood(engine: Engine, victim: str, callers: list[str]) -> list[Registration | CallbackRefused]:
    """One request for `victim` from each caller ID through the engine's registration, as many at once
    as the hotline has lines; refusals by the rate limits are kept, not raised."""
    lines = asyncio.Semaphore(engine.dialplan.hotline.capacity)

    async def one(caller: str) -> Registration | CallbackRefused:
        async with lines:
            try:
                return await engine.register_callback(victim, "general", Source.MENU, caller)
            except CallbackRefused as exc:
                return exc

    return list(await asyncio.gather(*(one(caller) for caller in callers)))


async def test_a_flood_for_one_number_makes_one_request_and_other_citizens_are_still_called_back_on_time(
    hotline: Hotline,
    cb_engine: Engine,
    long_talking_operators: dict[str, OperatorPhone],
    citizen_phone: Phone,
    call: Call,
) -> None:
    """A citizen asks through the menus; while their callback goes out, 1,000 requests for one victim's
    number arrive from 1,000 caller IDs within one minute: one request for the victim, the global
    limit admits its share and refuses the rest with one `callback.flood` alarm, the victim's phone
    rings at most once, and the citizen is called back, done within the group's SLA."""
    policy = cb_engine.dialplan.callbacks
    citizen, victim = new_caller(), new_caller()
    asking = asyncio.create_task(ask_to_be_called_back(call, citizen))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 60
    while not [r for r in await cb_engine.callbacks.list() if r.number == citizen]:
        assert not asking.done() or asking.exception() is None, "the citizen's call failed"
        assert loop.time() < deadline, "the citizen's request was not registered"
        await asyncio.sleep(0.2)
    # The flood comes in a minute of the engine's clock of its own (its start, the clock held there while
    # it lasts), so the global limit's count starts from zero; that minute's counter is dropped afterwards
    # so that later tests, whose clocks run from the same hour, are not refused.
    minute = (cb_engine.timestamp() // GLOBAL_WINDOW + 1) * GLOBAL_WINDOW
    flood_at = dt.datetime.fromtimestamp(minute, MSK)
    try:
        cb_engine.clock = lambda: flood_at
        try:
            with capture_logs() as logs:
                outcomes = await flood(cb_engine, victim, many_callers(FLOOD))
        finally:
            cb_engine.clock = running_from(flood_at)
        admitted = [o for o in outcomes if isinstance(o, Registration)]
        refused = [o for o in outcomes if isinstance(o, CallbackRefused)]
        assert len(admitted) == policy.requests_per_minute
        assert len({r.request.id for r in admitted}) == 1
        assert sum(not r.merged for r in admitted) == 1
        assert len(refused) == FLOOD - policy.requests_per_minute
        assert {exc.reason for exc in refused} == {"rate_global"}
        alarms = [e for e in logs if e["event"] == "callback.flood"]
        assert [(e["log_level"], e["reason"]) for e in alarms] == [("warning", "rate_global")]
        [open_request] = [r for r in await cb_engine.callbacks.list() if r.number == victim]
        assert open_request.status.active
        await asking
        done = await settled(cb_engine, citizen)
        victims = await settled(cb_engine, victim)
    finally:
        await asyncio.wait([asking])  # the citizen's call ends by itself
        window = int(minute // GLOBAL_WINDOW)
        counters = [c.KEY_CB_PREFIX + c.CB_RATE_GLOBAL.format(kind="shown", window=window)]
        pattern = c.KEY_CB_PREFIX + c.CB_RATE_PREFIX.format(prefix="*", window=window)
        counters += [key async for key in cb_engine.redis.scan_iter(match=pattern)]
        await cb_engine.redis.delete(*counters)
    assert done.status is Status.DONE, done.failure_reasons()
    [attempt] = done.attempts
    assert attempt.result is AttemptResult.ANSWERED
    assert attempt.ended_at is not None
    assert attempt.ended_at <= done.due_at  # within the SLA, on the engine's clock
    assert done.due_at - done.created_at == cb_engine.dialplan.callback_sla_minutes("general") * 60
    assert citizen_phone.invites(rf"INVITE sip:{citizen}@") == 1
    assert [r.id for r in await cb_engine.callbacks.list() if r.number == victim] == [victims.id]
    assert citizen_phone.invites(rf"INVITE sip:{victim}@") == len(victims.attempts) <= 1
