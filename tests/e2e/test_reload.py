"""Applying dialplan changes to the running hotline: refused changes change nothing while calls go on,
valid ones under load keep each call on one version and leak nothing, and a rollback goes back.

Each test works on its own copy of the admins' files and puts the session's version back at the end.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import random
import shutil
import signal
import statistics
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest_asyncio
from harness import (
    OPEN,
    Call,
    Hotline,
    cancel_every_open_request,
    journal_of,
    log_lines,
    new_caller,
    prompt_seconds,
    serve,
    stop,
    until_started,
)

from hotline.callbacks.store import CallbackStore
from hotline.clock import running_from
from hotline.constants import queue_name
from hotline.engine import Engine
from hotline.reload import Reloader
from hotline.sandbox.ports import free_tcp_port
from hotline.sandbox.sipp import CitizenCall, Key
from hotline.versions import VersionStore

# Variant B of the shipped dialplan: key 0 of the main menu queues for water instead of general, and
# each of Asterisk's files changes (extensions: capacity; queues: a wrap-up), so every reload is real.
VARIANT_B = (
    ('"0": {queue: general}', '"0": {queue: water}'),
    ("  capacity: 100 ", "  capacity: 99 "),
    ("    wrapup: 10\n", "    wrapup: 11\n"),
)
GROUP_OF_KEY_0 = {False: "general", True: "water"}

PAUSES = random.Random(4)  # noqa: S311 - when simulated citizens press a key, not a secret
CALLERS = 20
RELOADS = 10


def variant(text: str, *, b: bool) -> str:
    if not b:
        return text
    for old, new in VARIANT_B:
        assert old in text, f"the shipped dialplan no longer has {old!r}: update VARIANT_B"
        text = text.replace(old, new, 1)
    return text


@dataclasses.dataclass
class Reloading:
    engine: Engine
    files: Path  # the engine's dialplan directory, a copy of the admins' one
    original: str  # its hotline.yaml as shipped
    stay: float  # seconds a citizen stays after pressing 0: past the transfer prompt, into the queue
    sandbox_cli: Callable[[str], str]  # a command of the running Asterisk's CLI

    @property
    def yaml(self) -> Path:
        return self.files / "hotline.yaml"


@pytest_asyncio.fixture
async def reloading(hotline: Hotline, tmp_path: Path) -> AsyncIterator[Reloading]:
    """The engine at an open hour, reading its dialplan from a copy that the test edits."""
    files = tmp_path / "dialplans"
    shutil.copytree(hotline.settings.dialplan_path, files)
    (files / "checks.yaml").unlink()  # the admins' checks pin key 0 to general; these tests change it
    settings = dataclasses.replace(hotline.settings, dialplan_path=files)
    engine = Engine(settings, dialplan=hotline.dialplan, clock=running_from(OPEN), grace=5)
    async with engine:
        await engine.ami.wait_connected(15)
        await cancel_every_open_request(engine.callbacks)
        try:
            # No phone is registered here, so the queues are unstaffed and every wait unknown, which would
            # offer a callback before the queue: off, so that callers join the queue as these tests expect
            shipped = (files / "hotline.yaml").read_text(encoding="utf-8")
            original = shipped.replace("  offer_over_wait: 180 ", "  offer_over_wait: 0   ", 1)
            assert original != shipped, "the shipped dialplan no longer sets offer_over_wait: 180"
            (files / "hotline.yaml").write_text(original, encoding="utf-8")
            # past the transfer prompt with room to spare: under load the engine may take a few
            # seconds to act on the key, and a caller gone before it has no route in the journal
            stay = prompt_seconds(hotline, "transfer") + 6.0
            yield Reloading(engine, files, original, stay, hotline.sandbox.asterisk.cli)
        finally:  # the session's own files, for every other test
            await Reloader(hotline.settings, engine.redis).apply_path(hotline.settings.dialplan_path)


def hotline_cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "hotline.cli", *args]


async def run_cli(*args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        *hotline_cli(*args), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


def citizen_pressing_0(after: float, stay: float) -> CitizenCall:
    """A citizen who presses 0 in the main menu `after` seconds into the call, hears the transfer
    prompt and waits a little in the queue (`stay` seconds after the key), then hangs up.

    They press 0 again 3 s later: a key sent before the engine starts the greeting (a busy machine
    may take that long to answer over FastAGI) is lost, as on a real line, and the second one is then
    heard; once the caller is past the menus, 0 means nothing (the queue's exit key is 1)."""
    return CitizenCall(new_caller(), keys=(Key("0", after=after), Key("0", after=3.0)), hang_up_after=stay)


def open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


# --- refused changes ----------------------------------------------------------------------------------

ALIAS_BOMB = "\n".join(
    ["a: &a [x, x, x, x, x, x, x, x, x]"]
    + [f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]" for i in range(8)]
)
CYCLE = """
  loop_a:
    prompt: main_menu
    options:
      "1": {menu: loop_b}
    on_failure: {menu: loop_b}
  loop_b:
    prompt: main_menu
    options:
      "1": {menu: loop_a}
    on_failure: {menu: loop_a}
"""

# name -> (edit of hotline.yaml as (old, new), or an extra file as (name, text)), what must be said
BAD_CHANGES: dict[str, tuple[tuple[str, str], str, str]] = {
    "syntax error": (("version: 1", "version: [1"), "hotline.yaml", ""),
    "unknown key": (("  capacity: 100", "  capacity: 100\n  colour: red"), "hotline.yaml", "colour"),
    "duplicate key": (
        ("  timezone: Europe/Moscow", "  timezone: Europe/Moscow\n  timezone: Europe/Moscow"),
        "hotline.yaml",
        "duplicate",
    ),
    "no for a yes/no": (("  offer_in_queue: true", "  offer_in_queue: no"), "hotline.yaml", "'no'"),
    "12:30 for hours": (('  mon: "08:00-20:00"', "  mon: 12:30"), "hotline.yaml", "12:30"),
    "012 for a number": (('  number: "565602"', "  number: 012"), "hotline.yaml", "012"),
    "missing prompt": (
        ("    prompt: heating_menu", "    prompt: heating_menu_new"),
        "hotline.yaml",
        "heating_menu_new",
    ),
    "menu cycle": (
        ('      "0": {queue: general}\n', '      "0": {queue: general}\n      "7": {menu: loop_a}\n' + CYCLE),
        "hotline.yaml",
        "loop_",
    ),
    "python tag": (
        ("  name: Горячая линия ЖКХ", "  name: !!python/object/apply:os.system [true]"),
        "hotline.yaml",
        "tag",
    ),
    "alias bomb": (("bomb.yaml", ALIAS_BOMB), "bomb.yaml", ""),
    "10 MB file": (("big.yaml", ("# padding\n" * 1_100_000)), "big.yaml", "bytes (256 KB)"),
}


async def test_a_bad_change_is_refused_with_its_file_and_line_and_calls_go_on_on_the_last_good_version(
    reloading: Reloading, call: Call
) -> None:
    """Each bad change: `hotline reload` exits 1 naming the file (and line) and applies nothing; a call
    placed while it runs is answered and walked on the version applied before, which stays current."""
    engine = reloading.engine
    await engine.reload()
    good = engine.dialplan.version
    assert good > 0
    versions = VersionStore(engine.redis, clock=engine.timestamp)
    for name, ((old, new), file, said) in BAD_CHANGES.items():
        extra = reloading.files / old
        if old.endswith(".yaml"):
            extra.write_text(new, encoding="utf-8")
        else:
            assert old in reloading.original, f"{name}: the shipped dialplan no longer has {old!r}"
            reloading.yaml.write_text(reloading.original.replace(old, new, 1), encoding="utf-8")
        citizen = citizen_pressing_0(3.0, reloading.stay)
        placed = asyncio.create_task(call(citizen))
        code, out, err = await run_cli("reload", "--dialplan", str(reloading.files))
        result = await placed
        assert code == 1, f"{name}: exit {code}\n{out}\n{err}"
        assert f"{file}:" in err, f"{name}: the file is not named:\n{err}"
        assert said in err, f"{name}: not reported as expected:\n{err}"
        assert "Nothing was applied" in err or "nothing was applied" in err, err
        assert result.ok, f"{name}: the call placed during the refused reload failed:\n{result.errors}"
        record = await journal_of(engine.journal, citizen.caller)
        assert (record.version, record.group) == (good, "general"), name
        assert await versions.current_number() == good, name
        extra.unlink(missing_ok=True)
        reloading.yaml.write_text(reloading.original, encoding="utf-8")


# --- valid changes under load -----------------------------------------------------------------------


async def test_ten_reloads_under_twenty_callers_keep_each_call_on_one_version_and_leak_nothing(
    reloading: Reloading, call: Call
) -> None:
    """20 citizens call again and again while variants A and B are applied 10 times (SIGHUP's path):
    every call succeeds, each is routed by the version it started on (key 0: general in A, water in
    B), calls spread over several versions, a call after the last reload takes it, and the engine has
    no more tasks or file descriptors than before."""
    engine = reloading.engine
    await engine.reload()
    group_of: dict[int, str] = {engine.dialplan.version: GROUP_OF_KEY_0[False]}

    async def wave() -> list[CitizenCall]:
        citizens = [citizen_pressing_0(PAUSES.uniform(1.0, 6.0), reloading.stay) for _ in range(CALLERS)]
        results = await asyncio.gather(*(call(c) for c in citizens))
        assert all(r.ok for r in results), [r.errors for r in results if not r.ok]
        return citizens

    await wave()  # warm-up: the pools reach their working size before anything is counted
    await asyncio.sleep(2)
    tasks_before, fds_before = len(asyncio.all_tasks()), open_descriptors()

    stop = asyncio.Event()

    async def calling_again_and_again(first_after: float) -> list[tuple[CitizenCall, bool]]:
        placed = []
        await asyncio.sleep(first_after)  # callers start apart, so calls begin all through the reloads
        while not stop.is_set():
            citizen = citizen_pressing_0(PAUSES.uniform(1.0, 6.0), reloading.stay)
            placed.append((citizen, (await call(citizen)).ok))
        return placed

    callers = [asyncio.create_task(calling_again_and_again(0.7 * n)) for n in range(CALLERS)]
    took: list[float] = []
    await asyncio.sleep(4)  # every citizen is in the menus
    for n in range(RELOADS):
        b = n % 2 == 0
        reloading.yaml.write_text(variant(reloading.original, b=b), encoding="utf-8")
        before = engine.dialplan.version
        started = time.monotonic()
        await engine.reload()
        took.append(time.monotonic() - started)
        assert engine.dialplan.version > before, f"reload {n + 1} was not applied: read the engine's log"
        group_of[engine.dialplan.version] = GROUP_OF_KEY_0[b]
        await asyncio.sleep(2.0)  # the 10 reloads span longer than one call
    stop.set()
    placed = [p for task in callers for p in await task]

    assert all(ok for _, ok in placed), f"{sum(not ok for _, ok in placed)} of {len(placed)} calls failed"
    seen: set[int] = set()
    for citizen, _ in placed:
        record = await journal_of(engine.journal, citizen.caller)
        assert record.version in group_of, f"{citizen.caller}: walked on unknown version {record.version}"
        assert record.group == group_of[record.version], f"{citizen.caller}: {record}"
        seen.add(record.version)
    assert len(seen) >= 3, f"the calls did not spread over the versions: {sorted(seen)}"
    print(  # figures for the notes, never a bound
        f"\nreload under load: {len(placed)} calls by {CALLERS} citizens over {len(seen)} versions; "
        f"{RELOADS} reloads took {statistics.median(took):.2f} s median, {max(took):.2f} s at most"
    )

    last = engine.dialplan.version
    citizen = citizen_pressing_0(1.0, reloading.stay)
    assert (await call(citizen)).ok
    record = await journal_of(engine.journal, citizen.caller)
    assert (record.version, record.group) == (last, group_of[last])

    for _ in range(50):  # a pass of the dispatcher or a journal write may be running: let it end
        if len(asyncio.all_tasks()) <= tasks_before:
            break
        await asyncio.sleep(0.2)
    names = sorted(t.get_name() for t in asyncio.all_tasks())
    assert len(names) <= tasks_before, f"tasks: {tasks_before} before, now {names}"
    assert open_descriptors() <= fds_before + 5, (
        f"descriptors: {fds_before} before, {open_descriptors()} after"
    )


# --- least disruption ------------------------------------------------------------------------------

NEW_OPERATOR = """  - id: op107
    name: Жанна Новикова
    extension: "107"
    skills: {general: 3}
"""


async def queue_status(engine: Engine, group: str) -> tuple[dict[str, str], dict[str, tuple[str, str, str]]]:
    """Asterisk's view of a queue: its statistics, and each member's (paused, reason, calls taken)."""
    listed = await engine.ami.send_list_action({"Action": "QueueStatus", "Queue": queue_name(group)})
    (params,) = [m for m in listed if m.name == "QueueParams"]
    stats = {k: params.get(k, "") for k in ("Completed", "Abandoned", "Holdtime", "TalkTime")}
    members = {
        m.get("Name", ""): (m.get("Paused", ""), m.get("PausedReason", ""), m.get("CallsTaken", ""))
        for m in listed
        if m.name == "QueueMember"
    }
    return stats, members


async def test_a_reload_keeps_members_pauses_and_statistics_and_reloads_endpoints_only_for_operators(
    reloading: Reloading, call: Call
) -> None:
    """A change of menus and a queue's wrap-up reloads the queues and the dialplan but not the endpoints:
    every queue keeps its members, a paused operator stays paused, the statistics stay. Adding an
    operator reloads the endpoints too, and the new phone joins its queue."""
    engine = reloading.engine
    await engine.reload()
    citizen = citizen_pressing_0(1.0, reloading.stay)  # waits in the general queue and hangs up
    assert (await call(citizen)).ok
    await journal_of(engine.journal, citizen.caller)
    pause = {"Action": "QueuePause", "Interface": "PJSIP/op105", "Paused": "true", "Reason": "lunch"}
    await engine.ami.send_action(pause)
    try:
        before = {g: await queue_status(engine, g) for g in ("general", "management")}
        reloading.yaml.write_text(variant(reloading.original, b=True), encoding="utf-8")
        applied = await engine.reload()
        assert applied is not None, "refused: read the engine's log"
        assert applied.reloaded == ("queues.conf", "extensions.conf")
        after = {g: await queue_status(engine, g) for g in ("general", "management")}
        assert after == before
        assert before["management"][1]["op105"][:2] == ("1", "lunch")
        assert before["general"][0]["Abandoned"] not in ("", "0")

        text = variant(reloading.original, b=True).replace("\nprompts:", f"{NEW_OPERATOR}\nprompts:", 1)
        reloading.yaml.write_text(text, encoding="utf-8")
        applied = await engine.reload()
        assert applied is not None, "refused: read the engine's log"
        assert "pjsip.conf" in applied.reloaded
        assert "op107" in engine.dialplan.operators
        assert "op107" in (await queue_status(engine, "general"))[1]
        assert "Endpoint:  op107" in reloading.sandbox_cli("pjsip show endpoint op107")
    finally:
        await engine.ami.send_action({**pause, "Paused": "false"})


# --- several engine processes --------------------------------------------------------------------------


async def test_engine_processes_take_a_reload_together_and_sighup_applies_the_files(
    hotline: Hotline, reloading: Reloading, store: CallbackStore
) -> None:
    """Two `hotline serve` processes on the admins' copy: `hotline reload` from a third process makes
    both switch to its version within seconds; SIGHUP to one applies the next change, which the other
    takes too; both stop cleanly."""
    logs = [hotline.workdir / "serve-reload-1.log", hotline.workdir / "serve-reload-2.log"]
    lease = hotline.settings.callback_lease_seconds
    engines = []
    for log in logs:
        own = {
            "HOTLINE_AGI_PORT": str(free_tcp_port(hotline.settings.host)),
            "HOTLINE_DIALPLAN_PATH": str(reloading.files),
        }
        engines.append(await serve(hotline, store, log.name, lease=lease, settings=own))
    try:
        for engine, log in zip(engines, logs, strict=True):
            await until_started(engine, log)
        reloading.yaml.write_text(variant(reloading.original, b=True), encoding="utf-8")
        code, _, err = await run_cli("reload", "--dialplan", str(reloading.files))
        assert code == 0, err
        first = await VersionStore(reloading.engine.redis, clock=store.now).current_number()
        for log in logs:
            await until_logged(log, "engine.dialplan.switched", first)

        reloading.yaml.write_text(reloading.original, encoding="utf-8")
        engines[0].send_signal(signal.SIGHUP)
        await until_logged(logs[0], "reload.applied", None)
        second = await VersionStore(reloading.engine.redis, clock=store.now).current_number()
        assert first is not None
        assert second is not None
        assert second > first
        await until_logged(logs[1], "engine.dialplan.switched", second)
    finally:
        codes = await stop(engines)
    assert codes == [0, 0]


async def until_logged(log: Path, event: str, version: int | None, limit: float = 15.0) -> None:
    """Wait until the engine's JSON log has `event` (for `version`, when given)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while not any(
        e.get("event") == event and (version is None or e.get("version") == version) for e in log_lines(log)
    ):
        assert loop.time() < deadline, f"no {event} for version {version} in {log}"
        await asyncio.sleep(0.2)


# --- rollback ------------------------------------------------------------------------------------------


async def test_rollback_applies_the_previous_version_again_and_puts_its_files_back(
    hotline: Hotline, reloading: Reloading, call: Call
) -> None:
    """`hotline reload` of variant B (refused while the admins' scripted checks pin key 0 to general,
    applied once that check is gone), then `hotline rollback`: a new version with A's files, which the
    engine takes for new calls (key 0: general again), and A's text back in the admins' file;
    `hotline versions` tells the story."""
    engine = reloading.engine
    await engine.reload()
    checks = reloading.files / "checks.yaml"
    shutil.copyfile(hotline.settings.dialplan_path / "checks.yaml", checks)
    reloading.yaml.write_text(variant(reloading.original, b=True), encoding="utf-8")
    code, out, err = await run_cli("reload", "--dialplan", str(reloading.files))
    assert code == 1, out  # the admins' scripted checks expect key 0 to reach general: refused
    assert "check 'any operator': expected queue general" in err, err
    checks.unlink()  # this change is meant: the check goes with it
    code, out, err = await run_cli("reload", "--dialplan", str(reloading.files))
    assert code == 0, err
    assert "Applied version" in out, out
    assert "menus: ~main" in out, out

    code, out, err = await run_cli("rollback", "--dialplan", str(reloading.files))
    assert code == 0, err
    assert reloading.yaml.read_text(encoding="utf-8") == reloading.original
    rolled = await VersionStore(engine.redis, clock=engine.timestamp).current()
    assert rolled is not None
    assert rolled.source.startswith("rollback to ")

    for _ in range(50):  # the engine follows the current version within a second
        if engine.dialplan.version == rolled.number:
            break
        await asyncio.sleep(0.1)
    citizen = citizen_pressing_0(1.0, reloading.stay)
    assert (await call(citizen)).ok
    record = await journal_of(engine.journal, citizen.caller)
    assert (record.version, record.group) == (rolled.number, "general")

    code, out, _ = await run_cli("versions", "--dialplan", str(reloading.files))
    assert code == 0, out
    assert f"*{rolled.number:>4}" in out, out
    assert "rollback to" in out, out
