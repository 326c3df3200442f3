"""`hotline simulate`: walk the menus offline as a caller pressing given keys, and tell what they hear.

The real menu engine (`ivr.menu.run_menu`) and the real callback flow (`ivr.callback_flow`) run against a
scripted caller instead of a telephone channel, in the order `ivr.app.IvrApp.handle_menus` runs them on
a call: the menus; then, outside business hours, the offer of a callback (`cb_closed_offer`); after a
menu's `callback` action, the number read back and the promise. No time passes (the caller answers at
once), nothing is stored, no AGI or Redis is involved: `simulate` is a plain function.

Not simulated, because only the live system knows them: the offer of a callback before queueing
(`callbacks.offer_over_wait`: the live wait of the group's queue decides it; the transcript says so in a
note), the callback limits and an earlier open request (a request is taken as stored, the caller's
first), the line capacity, and recordings (the YAML's texts are shown).

The keys notation is `KEYS_HELP`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal, TypeVar
from zoneinfo import ZoneInfo

from structlog.contextvars import bound_contextvars

from hotline.callbacks.model import Registration, Request, Source
from hotline.dialplan import prompt_ids as ids
from hotline.dialplan.calendar import line_schedule
from hotline.dialplan.model import DTMF_KEYS, Dialplan, Prompt
from hotline.emergency.model import Announcement
from hotline.errors import ScriptError
from ivr.callback_flow import offer_when_closed, request_callback
from ivr.menu import Outcome, format_path, run_menu

SILENCE = "-"
SEPARATORS = " ,"
SAMPLE_CALLER = "79161234567"  # the caller ID a simulated caller shows: a mobile number the hotline may call
KEYS_HELP = """\
Keys, in the order the caller presses them:
  0-9 * #          a key. Each key is pressed at the first prompt or wait that takes it: a key
                   interrupts a menu prompt, as on a real call (type-ahead), so "1 1" is heard as
                   the greeting cut by 1, then the heating menu cut by 1.
  - or _           silence: the caller lets the next wait for a key run out (a timeout).
  spaces, commas   only separate, for reading: "6 1", "6,1" and "61" are the same keys.
After the last key the caller stays silent. Quote * and # for the shell: hotline simulate '*' 4"""
_AT = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})[ T]([0-9]{2}):([0-9]{2})")

T = TypeVar("T")


def parse_keys(text: str) -> tuple[str, ...]:
    """The keys of the notation (`KEYS_HELP`), silences as `SILENCE`; `ScriptError` says what is wrong."""
    keys: list[str] = []
    for position, char in enumerate(text, start=1):
        if char in SEPARATORS:
            continue
        if char in "-_":
            keys.append(SILENCE)
        elif char in DTMF_KEYS:
            keys.append(char)
        else:
            raise ScriptError(
                f"{char!r} (character {position} of {text!r}) is not a key: write keys 0-9, * and #, "
                "- or _ for a silence, spaces or commas between them"
            )
    return tuple(keys)


def show_keys(keys: Sequence[str]) -> str:
    """The keys as the notation writes them, one space apart (`-` for a silence)."""
    return " ".join(keys)


def parse_at(text: str, timezone: str) -> dt.datetime:
    """`YYYY-MM-DD HH:MM` in the hotline's time zone; `ScriptError` when it is not one."""
    match = _AT.fullmatch(text.strip())
    try:
        if match is None:
            raise ValueError(text)
        year, month, day, hour, minute = (int(part) for part in match.groups())
        return dt.datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(timezone))
    except ValueError:
        raise ScriptError(
            f"{text!r} is not a date and time written YYYY-MM-DD HH:MM, such as 2026-12-31 18:30"
        ) from None


@dataclass(frozen=True, slots=True)
class Event:
    """One thing on the line, in order."""

    kind: Literal["prompt", "key", "timeout", "says", "typed", "language"]
    value: str  # the prompt's id; the key; the seconds waited; the digits or number said; the digits
    # typed; the language the call switched to (a language key)
    text: str = ""  # a prompt: its words, in the transcript's language
    during: str = ""  # a key: the prompt (or the digits said) it interrupted; "" when pressed in a wait


@dataclass(frozen=True, slots=True)
class Ending:
    """What the IVR tells Asterisk once it is done: `queue` the caller for `group`, or `hangup`.

    `callback` is what the callback flow did, when it ran: `registered` (the request is taken; `group`
    calls back), `declined` (outside business hours, the offer was not taken), `no_number` (no number was
    confirmed: a caller who chose the callback in a menu is queued instead).
    """

    action: Literal["queue", "hangup"]
    group: str | None = None
    callback: Literal["registered", "declined", "no_number"] | None = None


@dataclass(frozen=True, slots=True)
class Transcript:
    """A simulated call: what the caller heard and pressed, the menus' decision and where the call ends."""

    at: dt.datetime  # in the hotline's time zone
    open: bool  # within business hours
    language: str  # of the prompts' texts shown (a language key switches it: a "language" event)
    keys: tuple[str, ...]  # as parsed from the notation
    events: tuple[Event, ...]
    outcome: Outcome  # the menus' decision, as the call journal records it
    ending: Ending
    unused_keys: tuple[str, ...]  # keys never taken: the call had ended
    notes: tuple[str, ...]

    @property
    def path(self) -> str:
        return format_path(self.outcome.path)


class ScriptedCaller:
    """A caller who presses scripted keys as soon as the IVR takes each one, and notes what happens.

    It is the IVR's view of the caller (`ivr.menu.CallerIO`, `ivr.callback_flow.CallbackCallerIO`). Like
    Asterisk, a prompt is interrupted only by one of its escape digits; a key it does not take waits for
    the next prompt or wait that does. A wait takes any key, and a silence (`SILENCE`) runs it out.
    """

    def __init__(self, dialplan: Dialplan, keys: Sequence[str], language: str) -> None:
        self.dialplan = dialplan
        self.language = language
        self.pending = list(keys)
        self.events: list[Event] = []
        self.untranslated: set[str] = set()  # prompts without a text in `language`

    async def play(self, prompt_id: str, escape_digits: str) -> str | None:
        self.events.append(Event("prompt", prompt_id, self.text(prompt_id)))
        return self._press_during(prompt_id, escape_digits)

    async def wait_digit(self, timeout: float) -> str | None:  # noqa: ASYNC109 - CallerIO's signature
        key = self.pending.pop(0) if self.pending else SILENCE
        if key == SILENCE:
            self.events.append(Event("timeout", f"{timeout:g}"))
            return None
        self.events.append(Event("key", key))
        return key

    async def set_language(self, language: str) -> None:
        """A language key: the texts shown from now on are in `language`."""
        self.language = language
        self.events.append(Event("language", language))

    async def say_digits(self, digits: str, escape_digits: str) -> str | None:
        self.events.append(Event("says", digits))
        return self._press_during(digits, escape_digits)

    async def say_number(self, number: int, gender: str = "") -> None:
        self.events.append(Event("says", str(number)))

    async def read_digits(self, prompt_id: str, max_digits: int, timeout: float) -> str:  # noqa: ASYNC109
        """Like Asterisk's GET DATA: the prompt, then keys until `#`, `max_digits` or a silence."""
        self.events.append(Event("prompt", prompt_id, self.text(prompt_id)))
        typed, shown = "", ""
        while self.pending and len(typed) < max_digits:
            key = self.pending.pop(0)
            if key == SILENCE:
                break
            if key == "#":
                shown = typed + key
                break
            typed += key
        shown = shown or typed
        self.events.append(Event("typed", shown) if shown else Event("timeout", f"{timeout:g}"))
        return typed

    def text(self, prompt_id: str) -> str:
        """The prompt's words in the caller's language, else in the hotline's."""
        prompt = self.dialplan.prompts.get(prompt_id)
        if prompt is None:
            return ""
        if self.language not in prompt.texts:
            self.untranslated.add(prompt_id)
        text = prompt.texts.get(self.language) or prompt.texts.get(self.dialplan.hotline.language, "")
        return " ".join(text.split())

    def _press_during(self, playing: str, escape_digits: str) -> str | None:
        if self.pending and self.pending[0] != SILENCE and self.pending[0] in escape_digits:
            key = self.pending.pop(0)
            self.events.append(Event("key", key, during=playing))
            return key
        return None


class _Registrar:
    """Takes every request as stored, new and first in line: the simulation stores nothing."""

    def __init__(self, dialplan: Dialplan, at: dt.datetime) -> None:
        self.dialplan = dialplan
        self.at = at.timestamp()

    async def __call__(
        self,
        number: str,
        group: str,
        source: Source,
        caller_display: str,
        *,
        waited: float = 0.0,
        call_id: str = "",
        identity: str | None = None,
    ) -> Registration:
        due = self.at + 60 * self.dialplan.callback_sla_minutes(group)
        request = Request("simulated", number, group, source, caller_display, self.at, due, self.at)
        return Registration(request, merged=False, position=1)


def simulate(
    dialplan: Dialplan,
    keys: str,
    when: dt.datetime,
    language: str | None = None,
    *,
    caller_id: str = SAMPLE_CALLER,
    emergency: str | None = None,
) -> Transcript:
    """Walk the menus as a caller pressing `keys` (`KEYS_HELP`) at `when` (a time without a zone is the
    hotline's local time), showing the prompts' texts in `language` (default: the hotline's).

    `caller_id` is the number the callback flow reads back (`""`: hidden, the caller is asked to type
    one). Raises `ScriptError` for keys it cannot read or a language the dialplan does not have.
    """
    pressed = parse_keys(keys)
    language = language or dialplan.hotline.language
    if language not in dialplan.hotline.languages:
        raise ScriptError(
            f"the dialplan has no language {language!r}: its languages are "
            + ", ".join(dialplan.hotline.languages)
        )
    zone = ZoneInfo(dialplan.hotline.timezone)
    at = when.replace(tzinfo=zone) if when.tzinfo is None else when.astimezone(zone)
    announcement = None
    if emergency is not None:  # emergency mode on: its words are shown as the prompt em_announcement
        dialplan, announcement = _with_announcement(dialplan, emergency, language, at)
    caller = ScriptedCaller(dialplan, pressed, language)
    with bound_contextvars(simulated=True):  # the callback flow's log lines say that nothing happened
        outcome, ending = _complete(_call(dialplan, caller, at, caller_id, announcement))
    notes = []
    if ending.action == "queue" and ending.callback is None and dialplan.callbacks.offer_over_wait > 0:
        notes.append(
            f"before queueing, cb_offer_before_queue offers a callback when {ending.group}'s expected wait "
            f"is over {dialplan.callbacks.offer_over_wait} s: the live wait decides, it is not simulated"
        )
    if caller.untranslated:
        notes.append(
            f"no {language} text, shown in {dialplan.hotline.language}: "
            + ", ".join(sorted(caller.untranslated))
        )
    return Transcript(
        at=at,
        open=line_schedule(dialplan).is_open(at),
        language=language,
        keys=pressed,
        events=tuple(caller.events),
        outcome=outcome,
        ending=ending,
        unused_keys=tuple(caller.pending),
        notes=tuple(notes),
    )


def _with_announcement(
    dialplan: Dialplan, text: str, language: str, at: dt.datetime
) -> tuple[Dialplan, Announcement]:
    """The dialplan with `em_announcement` saying `text`, and the announcement `--emergency` stands for."""
    if dialplan.emergency is None:
        raise ScriptError("--emergency: the dialplan has no `emergency:` section, so no caller hears one")
    group = dialplan.emergency.callback_group or dialplan.hotline.general_group
    prompt = Prompt(ids.EM_ANNOUNCEMENT, {language: text, dialplan.hotline.language: text})
    now = at.timestamp()
    announcement = Announcement("simulated", text, language, "", group, now, now + 3600, "simulate")
    return replace(dialplan, prompts={**dialplan.prompts, ids.EM_ANNOUNCEMENT: prompt}), announcement


async def _call(
    dialplan: Dialplan,
    caller: ScriptedCaller,
    at: dt.datetime,
    caller_id: str,
    announcement: Announcement | None = None,
) -> tuple[Outcome, Ending]:
    """What `IvrApp.handle_menus` does with a call, minus the offer before queueing (module docstring)."""
    outcome = await run_menu(dialplan, caller, at, emergency=announcement)
    if outcome.kind == "queue":
        return outcome, Ending("queue", outcome.group)
    if outcome.kind == "hangup" or outcome.group is None:
        return outcome, Ending("hangup")
    group = outcome.group
    source = Source.EMERGENCY if outcome.reason == "emergency" else Source.MENU
    if outcome.reason == "closed":
        if not await offer_when_closed(caller):
            await caller.play("cb_goodbye", "")
            return outcome, Ending("hangup", group, "declined")
        source = Source.CLOSED
    done = await request_callback(
        caller, dialplan, _Registrar(dialplan, at), caller_id=caller_id, group=group, source=source
    )
    if done.registered is not None:
        return outcome, Ending("hangup", group, "registered")
    if source is Source.CLOSED:
        return outcome, Ending("hangup", group, "no_number")
    return outcome, Ending("queue", group, "no_number")  # as IvrApp: no usable number, keep waiting


def _complete(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine that never waits to its end, without an event loop: the scripted caller answers
    at once, so `simulate` is a plain function, callable from a running event loop too."""
    try:
        coro.send(None)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]  # StopIteration.value is Any
    coro.close()
    raise RuntimeError("the simulated call waited for something: nothing in it may")


# --- For people and for scripts ----------------------------------------------------------------------


def describe(t: Transcript, hotline_name: str = "") -> list[str]:
    """The transcript for people: one line per step, a label first."""
    when = t.at.strftime("%a %Y-%m-%d %H:%M ") + str(t.at.tzinfo)
    head = f"{hotline_name}, " if hotline_name else ""
    lines = [_line("call", f"{head}{when}: the line is {'open' if t.open else 'closed'}")]
    for event in t.events:
        if event.kind == "prompt":
            lines.append(_line("prompt", f'{event.value:<20} "{event.text}"'))
        elif event.kind == "key":
            spoken = "the digits " if event.during.isdigit() else ""  # prompt ids start with a letter
            where = f"during {spoken}{event.during}" if event.during else "while waiting"
            lines.append(_line("key", f"{event.value:<20} {where}"))
        elif event.kind == "timeout":
            lines.append(_line("timeout", f"{event.value} s without a key"))
        elif event.kind == "language":
            lines.append(_line("language", f"{event.value}: every prompt from here on is in {event.value}"))
        else:
            lines.append(_line(event.kind, event.value))
    o = t.outcome
    target = o.group if o.kind != "hangup" else o.farewell
    lines.append(_line("ends", f"{o.kind} {target} ({o.reason})  path {t.path or '-'}"))
    then = _then(t.ending)
    if then:
        lines.append(_line("then", then))
    if t.unused_keys:
        lines.append(_line("note", f"keys never taken (the call had ended): {show_keys(t.unused_keys)}"))
    lines.extend(_line("note", note) for note in t.notes)
    return lines


def as_json(t: Transcript) -> dict[str, Any]:
    """The transcript for scripts (`hotline simulate --json`)."""
    o, e = t.outcome, t.ending
    return {
        "at": t.at.isoformat(),
        "open": t.open,
        "language": t.language,
        "keys": list(t.keys),
        "events": [
            {"kind": ev.kind, "value": ev.value}
            | ({"text": ev.text} if ev.kind == "prompt" else {})
            | ({"during": ev.during} if ev.kind == "key" else {})
            for ev in t.events
        ],
        "outcome": {
            "kind": o.kind,
            "reason": o.reason,
            "group": o.group,
            "farewell": o.farewell,
            "path": t.path,
            "steps": [{"menu": s.menu, "key": s.key, "result": s.result} for s in o.path],
        },
        "ending": {"action": e.action, "group": e.group, "callback": e.callback},
        "unused_keys": list(t.unused_keys),
        "notes": list(t.notes),
    }


def _then(e: Ending) -> str:
    if e.callback == "registered":
        return f"callback request registered: {e.group} calls back; the engine hangs up"
    if e.callback == "declined":
        return "callback offer not taken; the engine hangs up"
    if e.callback == "no_number":
        if e.action == "queue":
            return f"no number confirmed: queued for {e.group}"
        return "no number confirmed; the engine hangs up"
    return ""


def _line(label: str, rest: str) -> str:
    return f"{label:<8} {rest}"
