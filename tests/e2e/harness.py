"""Helpers shared by the end-to-end tests (fixtures live in conftest.py)."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from hotline.callbacks.store import CallbackStore
from hotline.dialplan.model import Dialplan
from hotline.sandbox.manage import Sandbox
from hotline.sandbox.sipp import CitizenCall, SippResult
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

_numbers = iter(range(10**6))
_run = int(time.time()) % 10**4


def new_caller() -> str:
    """A citizen's number no other call of this run uses, to find the call at the far end."""
    return f"7916{_run:04d}{next(_numbers):03d}"


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
    for request in await store.list():
        if request.status.active:
            await store.cancel(request.id, "test cleanup")
