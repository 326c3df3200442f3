"""Helpers shared by the end-to-end tests (fixtures live in conftest.py)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import os
import signal
import sys
import time
import wave
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import redis.asyncio as aioredis

from hotline.callbacks.model import Request
from hotline.callbacks.store import CallbackStore
from hotline.dialplan.model import Dialplan
from hotline.engine import Engine
from hotline.sandbox.manage import Sandbox
from hotline.sandbox.sipp import CitizenCall, Key, SippResult
from hotline.secrets import Secrets
from hotline.settings import Settings
from router.journal import CallJournal, CallRecord

# A Tuesday at 10:00 in Moscow: the line is open. Tests never depend on the real time of day.
OPEN = dt.datetime(2026, 11, 17, 10, 0, tzinfo=ZoneInfo("Europe/Moscow"))
CLOSED = dt.datetime(2026, 11, 22, 12, 0, tzinfo=ZoneInfo("Europe/Moscow"))  # a Sunday


@dataclass
class Hotline:
    settings: Settings
    sandbox: Sandbox
    dialplan: Dialplan
    secrets: Secrets
    workdir: Path


Call = Callable[[CitizenCall], Awaitable[SippResult]]


def sandbox_redis(hotline: Hotline) -> aioredis.Redis:
    """A client of the sandbox's Redis as the engine connects to it (its address, the generated password)."""
    return aioredis.Redis(
        host=hotline.settings.redis_address,
        port=hotline.settings.redis_port,
        password=hotline.secrets.redis,
        decode_responses=True,
    )


_numbers = iter(range(10**6))
_run = int(time.time()) % 10**4


def new_caller() -> str:
    """A citizen's number no other call of this run uses, to find the call at the far end."""
    return f"7916{_run:04d}{next(_numbers):03d}"


def many_callers(count: int) -> list[str]:
    """Up to 1,000 caller IDs of this run, apart from `new_caller`'s (so rate limits start fresh), spread
    over 50 number prefixes (a spoofing source rotating through many blocks of numbers)."""
    assert count <= 1000
    return [f"79{i % 50:03d}{_run:04d}{i // 50:02d}" for i in range(count)]


async def journal_of(journal: CallJournal, caller: str, *, settle: float = 15.0) -> CallRecord:
    """The journal of the one call from `caller`, once its hangup has been recorded from AMI."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + settle
    while True:
        records = await journal.find_by_caller(caller)
        if len(records) == 1 and records[0].hung_up:
            return records[0]
        if loop.time() > deadline:
            raise AssertionError(f"expected one finished call from {caller} in the journal, found {records}")
        await asyncio.sleep(0.2)


async def cancel_every_open_request(store: CallbackStore) -> None:
    """Leave the sandbox's callback queue empty, so no test dials another test's citizen."""
    await store.cancel_every_active("test cleanup")


async def ask_to_be_called_back(call: Call, caller: str | None = None) -> str:
    """A citizen (a new one unless `caller` is given) presses 9 in the main menu and 1 to confirm their
    number read back; the engine makes its promise and hangs up. Returns the citizen's number."""
    caller = caller or new_caller()
    result = await call(CitizenCall(caller=caller, keys=(Key("9", 2.0), Key("1", 5.0)), wait_for_end=60))
    assert result.ok, result.errors or result.screen  # the engine said goodbye after the promise
    return caller


async def settled(engine: Engine, number: str, *, limit: float = 90.0) -> Request:
    """The caller's request once it is no longer open or dispatching."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while True:
        requests = [r for r in await engine.callbacks.list() if r.number == number]
        if requests and not requests[-1].status.active:
            return requests[-1]
        if loop.time() > deadline:
            raise AssertionError(f"the request for {number} did not settle: {requests}")
        await asyncio.sleep(0.5)


async def settled_request(store: CallbackStore, request_id: str, limit: float = 120) -> Request:
    """The request once it is no longer open or dispatching (it must never be lost meanwhile)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while True:
        request = await store.get(request_id)
        assert request is not None, "the request was lost"
        if not request.status.active:
            return request
        assert loop.time() < deadline, request
        await asyncio.sleep(0.5)


def prompt_seconds(hotline: Hotline, prompt: str) -> float:
    """How long a built prompt plays (to press a key once it has been heard)."""
    path = hotline.settings.sounds_dir / ".generated" / hotline.dialplan.hotline.language / f"{prompt}.wav"
    with wave.open(str(path)) as w:
        return float(w.getnframes() / w.getframerate())


async def pause_operators(engine: Engine, hotline: Hotline, paused: bool) -> None:
    """Hold every operator out of the queues (or back), so that a caller really waits."""
    for op in hotline.dialplan.operators:
        await engine.ami.send_action(
            {
                "Action": "QueuePause",
                "Interface": f"PJSIP/{op}",
                "Paused": "true" if paused else "false",
                "Reason": "test",
            }
        )


async def serve(
    hotline: Hotline,
    store: CallbackStore,
    log_name: str,
    *,
    lease: int,
    fault: str = "",
    settings: Mapping[str, str] | None = None,
) -> asyncio.subprocess.Process:
    """`hotline serve --json-logs` in a subprocess, its clock where the test's store clock is now (so the
    line is open), with a callback lease of `lease` seconds, maybe a fault point (HOTLINE_FAULT) and other
    HOTLINE_* `settings`. Its log goes to `log_name` in the session's work directory."""
    env = {
        **os.environ,
        "HOTLINE_CLOCK": dt.datetime.fromtimestamp(store.now(), ZoneInfo("Europe/Moscow")).isoformat(),
        "HOTLINE_CALLBACK_LEASE_SECONDS": str(lease),
        **(settings or {}),
    }
    env.pop("HOTLINE_FAULT", None)
    if fault:
        env["HOTLINE_FAULT"] = fault
    with (hotline.workdir / log_name).open("wb") as log:  # the child keeps its own copy of the descriptor
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "hotline.cli",
            "serve",
            "--json-logs",
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=log,
            stderr=log,
        )


def log_lines(path: Path) -> list[dict[str, Any]]:
    """The JSON lines of a `hotline serve --json-logs` log (anything else in it is skipped)."""
    entries = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        with contextlib.suppress(ValueError):
            entry = json.loads(line)
            if isinstance(entry, dict):
                entries.append(entry)
    return entries


async def until_started(process: asyncio.subprocess.Process, log: Path, limit: float = 30.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while not any(e.get("event") == "engine.started" for e in log_lines(log)):
        assert process.returncode is None, f"the engine exited ({process.returncode}): read {log}"
        assert loop.time() < deadline, f"the engine did not start: read {log}"
        await asyncio.sleep(0.2)


async def stop(engines: list[asyncio.subprocess.Process], limit: float = 60.0) -> list[int | None]:
    """SIGTERM to each `hotline serve` still running (the first signal lets live calls finish), then
    wait for all of them; their exit statuses."""
    for engine in engines:
        if engine.returncode is None:
            engine.send_signal(signal.SIGTERM)
    for engine in engines:
        await asyncio.wait_for(engine.wait(), limit)
    return [engine.returncode for engine in engines]
