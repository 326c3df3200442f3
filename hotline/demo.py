"""`hotline demo`: the whole hotline on this machine, with simulated operators and citizens.

It brings the sandbox up, runs the engine in this process, registers every operator's phone (SIPp),
places citizens' calls down different menu paths (several at once, as on a real line) and prints what
happened to each: menu path, queue, operator, wait, outcome. It exits non-zero if any call did not end
the way the dialplan says it should, so the demo doubles as a smoke test.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from hotline.clock import real, running_from
from hotline.dialplan.model import Dialplan
from hotline.engine import Engine
from hotline.log import configure_logging
from hotline.sandbox.manage import Sandbox
from hotline.sandbox.sipp import CitizenCall, Key, OperatorPhone, Phone, place_call
from hotline.settings import Settings
from router.journal import CallRecord

OPERATOR_TALK = 25.0  # seconds an operator stays on a call: long enough for a callback's whisper
CITIZEN_TALK = 12.0  # a citizen called back talks longer than the policy's min_talk_seconds
OPEN_TIME = dt.datetime(2026, 11, 17, 10, 0, tzinfo=ZoneInfo("Europe/Moscow"))  # a Tuesday morning
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
        f"\n== Engine: FastAGI on {settings.host}:{settings.agi_port}, clock: "
        f"{'real time' if real_clock else 'Tuesday 10:00 Moscow time (the line is open)'} =="
    )
    async with Engine(settings, dialplan=dialplan, clock=clock, grace=5) as engine:
        await engine.ami.wait_connected(15)
        phones = {
            op.id: OperatorPhone(
                op.id,
                secrets.operators[op.id],
                settings.host,
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
            open_scenes = [s for s in SCENES if not s.closed]
            started = time.time()
            await asyncio.gather(*(_play(s, settings, workdir) for s in open_scenes))
            if not real_clock:
                engine.clock = running_from(CLOSED_TIME)
                await asyncio.gather(*(_play(s, settings, workdir) for s in SCENES if s.closed))
            failures = 0
            say("\n== What happened to each call ==")
            for scene in SCENES:
                if scene.closed and real_clock:
                    continue
                record = await _settled(engine, scene.caller, started)
                ok, text = _account(scene, record, dialplan)
                if ok and scene.expect == "callback:chosen":
                    ok, more = await _callback_account(engine, scene.caller, dialplan)
                    text += more
                elif ok and scene.expect == "callback:closed":
                    ok, more = await _closed_request_account(engine, scene.caller, dialplan)
                    text += more
                failures += not ok
                say(text)
        finally:
            await asyncio.gather(citizens.stop(), *(p.stop() for p in phones.values()))
    say("")
    if failures:
        say(f"{failures} call(s) did not go as the dialplan says. The engine's log: {log_file}")
    else:
        say("Every call went where the dialplan sends it.")
    say(f"""
The sandbox is still running. To call the hotline yourself:
  1. ./run.sh hotline serve            (the engine, in another terminal)
  2. ./run.sh hotline credentials      (a SIP user and password for a softphone)
  3. point a softphone (e.g. Linphone, MicroSIP, Zoiper) at {settings.host}:{settings.sip_port} over UDP
     with one of those accounts, and dial {dialplan.hotline.number}.
Stop it with: ./run.sh hotline sandbox down""")
    return 1 if failures else 0


async def _play(scene: Scene, settings: Settings, workdir: Path) -> None:
    await asyncio.sleep(scene.start_after)
    delays = KEY_DELAYS.get(scene.caller, (2.0,) * len(scene.keys))
    call = CitizenCall(
        caller=scene.caller,
        keys=tuple(Key(k, d) for k, d in zip(scene.keys, delays, strict=True)),
        hang_up_after=scene.hang_up_after,
        wait_for_end=120,
    )
    say(f"  {time.strftime('%H:%M:%S')}  {scene.caller} calls: {scene.title.lower()}")
    started = time.monotonic()
    where = workdir / f"citizen-{scene.caller}"
    result = await place_call(
        call, asterisk=settings.host, port=settings.sip_port, local_ip=settings.carrier_address, workdir=where
    )
    state = "call over" if result.ok else f"FAILED at the SIP level (SIPp's files: {where})"
    say(f"  {time.strftime('%H:%M:%S')}  {scene.caller} {state} after {time.monotonic() - started:.0f} s")


async def _callback_account(engine: Engine, number: str, dialplan: Dialplan) -> tuple[bool, str]:
    """How the promise was kept: the operator rung first, then the citizen."""
    request = None
    for _ in range(150):
        found = [r for r in await engine.callbacks.list() if r.number == number]
        request = found[-1] if found else None
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


async def _closed_request_account(engine: Engine, number: str, dialplan: Dialplan) -> tuple[bool, str]:
    found = [r for r in await engine.callbacks.list() if r.number == number]
    if not found:
        return False, "\n  request: NOT REGISTERED"
    request = found[-1]
    due = dt.datetime.fromtimestamp(request.due_at, ZoneInfo(dialplan.hotline.timezone))
    await engine.callbacks.cancel(request.id, "the demo is over")
    return True, (
        f"\n  request {request.id[:8]} stored, due {due:%A %H:%M} (first in line at the opening); "
        "cancelled at the end of the demo"
    )


async def _settled(engine: Engine, caller: str, since: float) -> CallRecord | None:
    for _ in range(50):
        records = await engine.journal.find_by_caller(caller, since=since - 1)
        if records and records[-1].hung_up:
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
