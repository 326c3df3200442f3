"""`hotline demo`: the whole hotline on this machine, with simulated operators and citizens.

It brings the sandbox up, runs the engine in this process, registers every operator's phone (SIPp),
places citizens' calls down different menu paths (several at once, as on a real line) and prints what
happened to each: menu path, queue, operator, wait, outcome. It exits non-zero if any call did not end
the way the dialplan says it should, so the demo doubles as a smoke test.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import datetime as dt
import io
import shutil
import sys
import time
import wave
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from hotline import constants as c
from hotline import emergency_cli, status_cli
from hotline.callbacks.model import Request, Source
from hotline.clock import OPEN_TUESDAY, real, running_from
from hotline.dialplan.model import Dialplan
from hotline.emergency.sound import on_host
from hotline.emergency.store import EmergencyStore
from hotline.engine import Engine
from hotline.errors import HotlineError
from hotline.log import configure_logging
from hotline.reload import Reloader
from hotline.sandbox.manage import Sandbox
from hotline.sandbox.sipp import (
    CitizenCall,
    Key,
    OperatorDial,
    OperatorPhone,
    Phone,
    place_call,
    place_operator_dial,
)
from hotline.settings import Settings
from hotline.status_view import render_text
from router.journal import CallRecord

OPERATOR_TALK = 25.0  # seconds an operator stays on a call: long enough for a callback's whisper
CITIZEN_TALK = 12.0  # a citizen called back talks longer than the policy's min_talk_seconds
OPEN_TIME = OPEN_TUESDAY  # a Tuesday morning
CLOSED_TIME = dt.datetime(2026, 11, 22, 12, 0, tzinfo=ZoneInfo("Europe/Moscow"))  # a Sunday


@dataclass(frozen=True)
class Scene:
    title: str
    caller: str
    keys: str
    expect: str  # "queue:<group>", "hangup:<reason>", "callback:<reason>" or "caller_hung_up"
    start_after: float = 0.0  # seconds after the demo's calls begin
    hang_up_after: float | None = None
    closed: bool = False


SCENES = (
    Scene("No heating in the building", "79161110001", "11", "queue:heating"),
    Scene("A power cut", "79161110002", "3", "queue:electricity", start_after=0.5),
    Scene("A complaint about a management company", "79161110003", "5", "queue:management", start_after=1.0),
    Scene("A wrong key, then gas", "79161110004", "84", "queue:gas", start_after=1.5),
    Scene("How to get a written consultation", "79161110005", "63", "hangup:chosen", start_after=2.0),
    Scene(
        "Changes their mind and hangs up in the menu",
        "79161110006",
        "",
        "caller_hung_up",
        start_after=2.5,
        hang_up_after=4.0,
    ),
    Scene("Any operator", "79161110007", "0", "queue:general", start_after=12.0),
    # 9 asks for a callback; 1, pressed while the number is read back, confirms it
    Scene("Asks to be called back", "79161110009", "91", "callback:chosen", start_after=3.0),
    # on a Sunday: the hours, then 1 accepts the callback offer, 1 confirms the number
    Scene("Calls on a Sunday and leaves a request", "79161110008", "11", "callback:closed", closed=True),
)
# seconds before each key: the Sunday caller first hears the whole announcement of the hours
KEY_DELAYS = {"79161110009": (2.0, 5.0), "79161110008": (12.0, 5.0)}

# An administrator changes the menu while citizens call: key 0 of the main menu queues for water.
MENU_CHANGE = ('"0": {queue: general}', '"0": {queue: water}')
BEFORE_CHANGE = Scene("Calls before the change, presses 0 after it", "79161110010", "0", "queue:general")
AFTER_CHANGE = Scene("Calls after the change and presses 0", "79161110011", "0", "queue:water")
KEY_0_AFTER = 6.0  # seconds into the call: the change is applied meanwhile (the menu waits 5 s more)

# A heating outage: every caller first hears the announcement; 1 after it asks for a callback.
EMERGENCY_TEXT = (
    "Авария на теплотрассе в Северном районе, бригады работают, подача тепла будет восстановлена к 18:00"
)
EMERGENCY_CALLER = Scene(
    "Hears the announcement and asks to be called back", "79161110012", "11", "callback:emergency"
)
# heating > no hot water, while the heating group's level-1 operator is at lunch
LUNCH_CALLER = Scene(
    "No hot water, while the best heating operator is at lunch", "79161110013", "12", "queue:heating"
)

ALL_SCENES = (*SCENES, BEFORE_CHANGE, AFTER_CHANGE, EMERGENCY_CALLER, LUNCH_CALLER)


def say(text: str = "") -> None:
    print(text, flush=True)


async def run_demo(settings: Settings, *, real_clock: bool = False, verbose: bool = False) -> int:
    say("== The citizens' hotline: demo ==")
    sandbox = Sandbox(settings)
    dialplan, secrets = sandbox.up(lambda msg: say(f"  {msg}"))
    log_file = settings.state_dir / "demo-engine.log"
    log_stream = sys.stderr if verbose else log_file.open("a", encoding="utf-8")
    configure_logging(json=not verbose, stream=log_stream)
    # the demo's clock runs from a Tuesday at 10:00, then from a Sunday noon for the closed-hours scene
    clock = real if real_clock else running_from(OPEN_TIME)

    workdir = settings.state_dir / "demo" / time.strftime("%Y%m%d-%H%M%S")
    say(
        f"\n== Engine: FastAGI on {settings.agi_address}:{settings.agi_port}, clock: "
        f"{'real time' if real_clock else 'Tuesday 10:00 Moscow time (the line is open)'} =="
    )
    async with Engine(settings, dialplan=dialplan, clock=clock, grace=5) as engine:
        await engine.ami.wait_connected(15)
        if left := await _quiet_start(engine, sandbox, dialplan):
            say(f"  left by earlier runs and cleared: {left}")
        known = {r.id for r in await engine.callbacks.list()}
        phones = {
            op.id: OperatorPhone(
                op.id,
                secrets.operators[op.id],
                settings.sip_address,
                settings.sip_port,
                workdir / op.id,
                talk_seconds=OPERATOR_TALK,
            )
            for op in dialplan.operators.values()
        }
        # the citizens' own phones, reached through the outbound trunk when they are called back
        citizens = Phone(
            "citizens",
            workdir / "citizens",
            settings.carrier_address,
            settings.carrier_port,
            talk_seconds=CITIZEN_TALK,
        )
        await asyncio.gather(citizens.start(), *(p.start() for p in phones.values()))
        for op in dialplan.operators.values():
            skills = ", ".join(f"{g} (level {lvl})" for g, lvl in op.skills.items())
            say(f"  operator {op.id} {op.name}: phone registered; skills {skills}")
        try:
            say(f"\n== Citizens call {dialplan.hotline.number} ==")
            started = time.time()
            await asyncio.gather(*(_play(s, settings, workdir) for s in SCENES if not s.closed))
            say("\n== What happened to each call ==")
            # before the clock moves to Sunday: the callback scene's promise is kept while the line is open
            failures = 0
            for scene in (s for s in SCENES if not s.closed):
                failures += not await _report(engine, scene, started, dialplan, known)
            if not real_clock:
                say("\n== Sunday noon: the line is closed ==")
                engine.clock = running_from(CLOSED_TIME)
                closed = [s for s in SCENES if s.closed]
                await asyncio.gather(*(_play(s, settings, workdir) for s in closed))
                for scene in closed:
                    failures += not await _report(engine, scene, started, dialplan, known)
                # back to the Tuesday clock, still running: a request made on it is never in the future
                engine.clock = clock
                failures += not await _menu_change_scene(engine, settings, dialplan, workdir)
                failures += not await _emergency_scene(engine, settings, dialplan, workdir, known)
                failures += not await _operators_scene(engine, settings, dialplan, secrets.operators, workdir)
        finally:
            await asyncio.gather(citizens.stop(), *(p.stop() for p in phones.values()))
    say("")
    if failures:
        say(f"{failures} call(s) did not go as the dialplan says. The engine's log: {log_file}")
    else:
        say("Every call went where the dialplan sends it.")
    say(f"""
The sandbox is still running. To call the hotline yourself:
  1. ./run.sh hotline serve --as-if-open   (the engine, in another terminal, open at any hour)
  2. ./run.sh hotline credentials          (a SIP user and password for a softphone)
  3. point a softphone (Linphone, MicroSIP, Zoiper...) at {settings.sip_address}:{settings.sip_port} over UDP
     with one of those accounts, and dial {dialplan.hotline.number}.
Stop it with: ./run.sh hotline sandbox down""")
    return 1 if failures else 0


async def _quiet_start(engine: Engine, sandbox: Sandbox, dialplan: Dialplan) -> str:
    """The demo starts from a quiet hotline: calls still up from an earlier run (its phones were stopped
    mid-call), operators still held, and callback requests still open are ended, so that no scene meets
    another run's calls. What was cleared, in words ("" for nothing)."""
    calls = sandbox.asterisk.hang_up_all(dialplan.operators)
    requests = await engine.callbacks.cancel_every_active("left by an earlier demo run")
    away = 0
    for op in dialplan.operators:  # every operator logged in and not paused, as the scenes expect
        state = await engine.presence.state(op)
        if state.pause_reason is not None or state.logged_in != frozenset(dialplan.operators[op].skills):
            away += 1
            await engine.presence.resume(op)
            await engine.presence.login(op)
    # the demo's citizens call from the same numbers every run: an earlier run today must not make them
    # repeat callers (priority over the demo's callback request), nor leave missed rings behind
    repeats = [key async for key in engine.redis.scan_iter(c.KEY_REPEAT.format(date="*", group="*"))]
    await engine.redis.delete(c.KEY_MISSED_RINGS, *repeats)
    # nor use up their daily callback attempts: the demo's clock shows the same Tuesday on every run
    await engine.callbacks.forget_attempt_counts(s.caller for s in ALL_SCENES)
    parts = [
        f"{calls} call leg(s)" if calls else "",
        f"{requests} callback request(s)" if requests else "",
        f"{away} operator(s) logged out or paused" if away else "",
    ]
    return ", ".join(p for p in parts if p)


async def _play(
    scene: Scene, settings: Settings, workdir: Path, delays: tuple[float, ...] | None = None
) -> None:
    await asyncio.sleep(scene.start_after)
    pauses: tuple[float, ...] = (2.0,) * len(scene.keys)
    pauses = delays if delays is not None else KEY_DELAYS.get(scene.caller, pauses)
    call = CitizenCall(
        caller=scene.caller,
        keys=tuple(Key(k, d) for k, d in zip(scene.keys, pauses, strict=True)),
        hang_up_after=scene.hang_up_after,
        wait_for_end=120,
    )
    say(f"  {time.strftime('%H:%M:%S')}  {scene.caller} calls: {scene.title.lower()}")
    started = time.monotonic()
    where = workdir / f"citizen-{scene.caller}"
    result = await place_call(
        call,
        asterisk=settings.sip_address,
        port=settings.sip_port,
        local_ip=settings.carrier_address,
        workdir=where,
    )
    state = "call over" if result.ok else f"FAILED at the SIP level (SIPp's files: {where})"
    say(f"  {time.strftime('%H:%M:%S')}  {scene.caller} {state} after {time.monotonic() - started:.0f} s")


def _prompt_seconds(settings: Settings, dialplan: Dialplan, prompt: str) -> float:
    """How long a built prompt plays, to press a key once it has been heard."""
    return _wav_seconds(settings.sounds_dir / ".generated" / dialplan.hotline.language / f"{prompt}.wav")


def _wav_seconds(path: Path) -> float:
    with wave.open(str(path)) as w:
        return float(w.getnframes() / w.getframerate())


async def _menu_change_scene(engine: Engine, settings: Settings, dialplan: Dialplan, workdir: Path) -> bool:
    """A citizen is in the menus while an administrator applies a changed copy of the dialplan: that
    call keeps the version it started on, the next caller gets the new one. The admins' own files are
    applied again at the end, so the sandbox is left as it was."""
    say("\n== An administrator changes the menu while citizens are calling ==")
    copy = workdir / "dialplans"
    shutil.copytree(settings.dialplan_path, copy)
    yaml = copy / "hotline.yaml"
    old, new = MENU_CHANGE
    yaml.write_text(yaml.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
    # the admins' scripted checks pin key 0 to general: this change is meant, so the check goes with it
    (copy / "checks.yaml").unlink(missing_ok=True)
    # citizens hang up a few seconds after an operator answers
    stay = _prompt_seconds(settings, dialplan, "transfer") + 6.0
    before = dataclasses.replace(BEFORE_CHANGE, hang_up_after=stay)
    after = dataclasses.replace(AFTER_CHANGE, hang_up_after=stay)
    started = time.time()
    ok = True
    try:
        await engine.reload()  # the engine on the admins' files, as a numbered version
        old_version = engine.dialplan.version
        say(f"  the hotline runs version {old_version}: key 0 of the main menu reaches any operator")
        calls = engine.agi.active_calls
        first = asyncio.create_task(_play(before, settings, workdir, (KEY_0_AFTER,)))
        for _ in range(50):  # until the engine walks that citizen's call
            if engine.agi.active_calls > calls or first.done():
                break
            await asyncio.sleep(0.1)
        say(f"  {time.strftime('%H:%M:%S')}  the administrator applies a change: key 0 goes to water")
        changed = dataclasses.replace(settings, dialplan_path=copy)
        applied = await Reloader(changed, engine.redis).apply_path(copy, source="demo")
        version = applied.version
        say(f"  {time.strftime('%H:%M:%S')}  version {version.number} applied: {'; '.join(version.summary)}")
        for _ in range(50):  # the engine takes a new version within a second
            if engine.dialplan.version == version.number:
                break
            await asyncio.sleep(0.1)
        await asyncio.gather(first, _play(after, settings, workdir, (2.0,)))
        for scene, want in ((before, old_version), (after, version.number)):
            record = await _settled(engine, scene.caller, started)
            good, text = _account(scene, record, dialplan)
            if record is not None:
                walked = "before" if record.version == old_version else "after"
                text += f"\n  walked on version {record.version}, the one {walked} the change"
                if record.version != want:
                    good, text = False, text + f"\n  UNEXPECTED: wanted version {want}"
            ok = ok and good
            say(text)
    except HotlineError as exc:
        say(f"  the change was NOT applied: {exc}")
        ok = False
    finally:
        try:
            back = await Reloader(settings, engine.redis).apply_path(settings.dialplan_path, source="demo")
            say(f"\n  the administrators' own menu is back: version {back.version.number}")
        except HotlineError as exc:
            say(f"\n  the administrators' own menu could NOT be put back: {exc}")
            ok = False
    return ok


async def _emergency_scene(
    engine: Engine, settings: Settings, dialplan: Dialplan, workdir: Path, known: set[str]
) -> bool:
    """Emergency mode on (as `hotline emergency on` does), a citizen presses 1 after the announcement to
    be called back; then it is turned off and the request cancelled if it is still open."""
    say("\n== A heating outage: emergency mode ==")
    scene = EMERGENCY_CALLER
    store = EmergencyStore(engine.redis)
    args = argparse.Namespace(action="on", text=EMERGENCY_TEXT, until=None, for_="1h", group=None, lang=None)
    wav: Path | None = None
    started = time.time()
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # the demo says it in its own words
            await emergency_cli.run(args, engine.redis, dialplan, settings)
        announcement = await store.current()
        if announcement is None:
            say("  emergency mode did NOT turn on")
            return False
        wav = on_host(settings.asterisk_root, announcement.sound)
        say(f'  the administrator turns emergency mode on for an hour: "{announcement.text}"')
        say(f"  every caller now hears it first, then: press 1 to be called back by {announcement.group}")
        # 1 once the announcement has played, then 1 to confirm the number read back
        keys = (_wav_seconds(wav) + 1.0, _prompt_seconds(settings, dialplan, "cb_confirm_intro") + 2.0)
        await _play(scene, settings, workdir, keys)
        ok, text = _account(scene, await _settled(engine, scene.caller, started), dialplan)
        request = await _new_request(engine, scene.caller, known)
        if request is None:
            ok, text = False, text + "\n  callback request: NOT REGISTERED"
        else:
            text += (
                f"\n  request {request.id[:8]} registered for {request.group}, source {request.source.value}"
            )
            if request.source is not Source.EMERGENCY:
                ok, text = False, text + f"\n  UNEXPECTED: wanted source {Source.EMERGENCY.value}"
        if ok:
            good, more = await _callback_account(engine, scene.caller, dialplan, known)
            ok, text = good, text + more
        say(text)
        return ok
    finally:
        await store.turn_off("demo")
        for request in await engine.callbacks.list():
            if request.number == scene.caller and request.status.active:
                await engine.callbacks.cancel(request.id, "the demo is over")
        if wav is not None:
            wav.unlink(missing_ok=True)
        say("\n  emergency mode is off again: callers go straight to the menus")


async def _operators_scene(
    engine: Engine, settings: Settings, dialplan: Dialplan, passwords: dict[str, str], workdir: Path
) -> bool:
    """An operator goes to lunch with the feature code on their phone: the next caller of their group is
    answered by the next level; they come back with the resume code. Then the supervisor's view."""
    say("\n== Operators on their phones: a lunch break ==")
    codes, lunch = dialplan.phones, "lunch"
    key = next(k for k, reason in codes.pause_reasons.items() if reason == lunch)
    op, other = "op101", "op102"  # heating: level 1 and level 2

    async def dial(number: str) -> None:
        call = OperatorDial(op, passwords[op], number, wait_for_end=20.0)
        await place_operator_dial(
            call,
            asterisk=settings.sip_address,
            port=settings.sip_port,
            workdir=workdir / f"{op}-{number[1:]}",
        )

    await dial(codes.pause + key)
    state = await engine.presence.state(op)
    say(f"  {op} dials {codes.pause}{key} and hears 'paused: {lunch}'; state: paused, {state.pause_reason}")
    ok = state.pause_reason == lunch
    started = time.time()
    await _play(LUNCH_CALLER, settings, workdir)
    record = await _settled(engine, LUNCH_CALLER.caller, started)
    good, text = _account(LUNCH_CALLER, record, dialplan)
    answered = record.operator if record is not None else ""
    if answered != other:
        good, text = (
            False,
            text + f"\n  UNEXPECTED: wanted {other} (level 2) to answer while {op} is at lunch",
        )
    say(text)
    await dial(codes.resume)
    state = await engine.presence.state(op)
    back = "back in the queues" if state.pause_reason is None else "STILL PAUSED"
    say(f"  {op} dials {codes.resume} and hears 'resumed': {back}")
    await asyncio.sleep(1.0)  # the phone's hang-up reaches the live state, as it does for a supervisor
    view = await status_cli.collect(engine.redis, dialplan, clock=engine.timestamp)
    say("\n  what the supervisor sees (`hotline status`):")
    say("\n".join("    " + line for line in render_text(view).splitlines()))
    return ok and good and state.pause_reason is None


async def _report(engine: Engine, scene: Scene, started: float, dialplan: Dialplan, known: set[str]) -> bool:
    """Say what happened to `scene`'s call (and to its callback request); True if as expected."""
    record = await _settled(engine, scene.caller, started)
    ok, text = _account(scene, record, dialplan)
    if ok and scene.expect == "callback:chosen":
        ok, more = await _callback_account(engine, scene.caller, dialplan, known)
        text += more
    elif ok and scene.expect == "callback:closed":
        ok, more = await _closed_request_account(engine, scene.caller, dialplan, known)
        text += more
    say(text)
    return ok


async def _new_request(engine: Engine, number: str, known: set[str]) -> Request | None:
    """The request this run registered for `number`. The demo's clock starts from the same instant every
    run, so times cannot tell an earlier run's requests apart: `known` holds their ids."""
    found = [r for r in await engine.callbacks.list() if r.number == number and r.id not in known]
    return found[-1] if found else None


async def _callback_account(
    engine: Engine, number: str, dialplan: Dialplan, known: set[str]
) -> tuple[bool, str]:
    """How the promise was kept: the operator rung first, then the citizen."""
    request = None
    for _ in range(150):
        request = await _new_request(engine, number, known)
        if request is not None and not request.status.active:
            break
        await asyncio.sleep(0.4)
    if request is None:
        return False, "\n  callback: NOT REGISTERED"
    lines = [
        f"  callback: request {request.id[:8]}, due within {dialplan.callback_sla_minutes(request.group)} min"
    ]
    for a in request.attempts:
        name = dialplan.operators[a.operator].name if a.operator in dialplan.operators else a.operator
        result = a.result.value if a.result else "in progress"
        lines.append(
            f"  attempt {a.n}: operator {a.operator} {name} answered and heard the whisper, then the "
            f"citizen was dialled: {result}, talked {a.talk_seconds:.0f} s"
        )
    ok = request.status.value == "done"
    lines.append("  the promise was kept" if ok else f"  UNEXPECTED: the request is {request.status.value}")
    return ok, "\n" + "\n".join(lines)


async def _closed_request_account(
    engine: Engine, number: str, dialplan: Dialplan, known: set[str]
) -> tuple[bool, str]:
    request = await _new_request(engine, number, known)
    if request is None:
        return False, "\n  request: NOT REGISTERED"
    due = dt.datetime.fromtimestamp(request.due_at, ZoneInfo(dialplan.hotline.timezone))
    await engine.callbacks.cancel(request.id, "the demo is over")
    return True, (
        f"\n  request {request.id[:8]} stored, due {due:%A %H:%M} (first in line at the opening); "
        "cancelled at the end of the demo"
    )


async def _settled(engine: Engine, caller: str, since: float) -> CallRecord | None:
    for _ in range(50):
        records = await engine.journal.find_by_caller(caller, since=since - 1)
        # an answered call's talk time is recorded a moment after its hangup
        if records and records[-1].hung_up and (not records[-1].operator or records[-1].ended_by):
            return records[-1]
        await asyncio.sleep(0.2)
    records = await engine.journal.find_by_caller(caller, since=since - 1)
    return records[-1] if records else None


def _account(scene: Scene, record: CallRecord | None, dialplan: Dialplan) -> tuple[bool, str]:
    head = f"\n* {scene.title}\n  caller {scene.caller}, keys {' '.join(scene.keys) or '(none)'}"
    if record is None:
        return False, head + "\n  NOT FOUND in the journal"
    lines = [head, f"  menu path: {record.path.replace('>', ' > ') or '(none)'}"]
    if record.ivr_outcome == "queue":
        title = dialplan.skill_groups[record.group].title if record.group in dialplan.skill_groups else ""
        lines.append(f"  queue: {record.queue} ({title})")
        if record.operator:
            name = dialplan.operators[record.operator].name if record.operator in dialplan.operators else ""
            lines.append(f"  operator: {record.operator} {name}, answered after {record.wait} s in the queue")
            who = {"agent": "the operator", "caller": "the citizen"}.get(record.ended_by, record.ended_by)
            lines.append(f"  outcome: talked {record.talk} s, {who} hung up")
        else:
            lines.append(f"  outcome: nobody answered ({record.ended_by or 'still waiting'})")
        got = f"queue:{record.group}"
    elif record.ivr_outcome == "hangup":
        lines.append(
            f"  outcome: heard the {'opening hours' if record.reason == 'closed' else 'information'}"
            " and the engine said goodbye"
        )
        got = f"hangup:{record.reason}"
    elif record.ivr_outcome == "callback":
        lines.append("  outcome: asked to be called back and confirmed the number")
        got = f"callback:{record.reason}"
    elif record.ivr_outcome == "caller_hung_up":
        heard = record.reason.removeprefix("during:")
        lines.append(f"  outcome: the citizen hung up in the menus, while hearing '{heard}'")
        got = record.ivr_outcome
    else:
        got = record.ivr_outcome
        lines.append(f"  outcome: {record.ivr_outcome} ({record.reason})")
    ok = got == scene.expect
    lines.append("  as expected" if ok else f"  UNEXPECTED: wanted {scene.expect}, got {got}")
    return ok, "\n".join(lines)
