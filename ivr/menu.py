"""The menu engine: walks one caller through the admins' menus and decides where the call goes.

Pure logic. It talks to the caller only through `CallerIO` (play a prompt, wait for a key), so it knows
nothing of AGI and is tested with a scripted fake.

How a call goes (docs/dialplan.md tells admins the same):

- Emergency mode: when `run_menu` is given an announcement, it is played first, open or closed, then
  `em_callback_offer`: 1 ends the menu walk as a callback for the announcement's group (reason
  "emergency"); any other key or silence goes on with the call as below (`ivr.emergency_flow.announce`).
- `now` is converted to `hotline.timezone`. Outside `hours` (under the production calendar,
  `hotline.dialplan.calendar`), `entry.closed` is performed and the call ends there (reason "closed").
- A `queue` or `callback` action for a skill group that is closed then (its own `hours`) ends the call
  like the closed line (reason "closed", `_Call.group_closed`): `entry.closed` with that group calling
  back, and the group's `closed_prompt` instead of the line's prompt.
- Any key interrupts a prompt, so a caller who knows the menu need not listen to it, and a wrong key
  is answered at once rather than ignored.
- `entry.greeting` is played first: a key pressed during it is the first menu's choice (type-ahead),
  and the menu prompt is then not played.
- A key of `entry.language_keys`, pressed during the greeting or anywhere in the first menu, switches
  the call to its language (`CallerIO.set_language`): every prompt from then on is played in it. Like
  the repeat key it is no attempt, counts as a visit, and the first menu's prompt is played again (now
  in that language).
- In a menu, its prompt is played; if no key was pressed during it, the engine waits `timeout`
  seconds for one.
  - an option key performs its action: `menu` goes there (prompt of the action first, if any)
    with a fresh count of attempts; `queue`, `callback` and `hangup` end the menu walk
    (reason "chosen");
  - the repeat key replays the prompt; it is not an attempt;
  - any other key is an attempt ("invalid"): `invalid_prompt` is played and the prompt again;
  - no key is an attempt ("timeout"): `timeout_prompt` is played and the prompt again.
  A key pressed during `invalid_prompt` or `timeout_prompt` is taken as the next choice. When the
  attempts reach `retries`, that last `invalid_prompt`/`timeout_prompt` is played whole (no key can
  interrupt it) and `on_failure` is performed (reason "retries_exhausted").
- Loop guard: entering a menu, or replaying one with the repeat key, counts as a visit. Past
  `max_visits` (30) the current menu's `on_failure` is performed (reason "loop_guard"); if that is
  itself a menu, the caller is queued for `hotline.general_group` instead. A cycle in the YAML can
  never hold a caller forever.
- The engine plays every prompt itself, the last ones included: before queueing, the action's `prompt`
  or else `entry.transfer_prompt`; before a callback request, the action's `prompt` if any (never the
  transfer prompt: nobody is being connected); before hanging up, the farewell (the `hangup` prompt).
  Those last prompts cannot be interrupted. The `Outcome` only tells the caller of `run_menu` what to
  do next: for a callback, the callback flow (confirming the number, registering) comes after it.

A hangup by the caller surfaces as whatever `CallerIO` raises (`hotline.errors.CallHangup`): the engine
does not catch it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol
from zoneinfo import ZoneInfo

from hotline.dialplan.calendar import group_schedule, line_schedule
from hotline.dialplan.model import DTMF_KEYS, Action, Dialplan, Menu
from hotline.emergency.model import Announcement
from ivr.emergency_flow import CALLBACK_KEY, EMERGENCY_STEP, announce

MAX_MENU_VISITS = 30

StepResult = Literal["chosen", "invalid", "timeout", "repeat", "language"]
Reason = Literal["chosen", "closed", "retries_exhausted", "loop_guard", "emergency"]


class CallerIO(Protocol):
    """The caller as the engine sees them."""

    async def play(self, prompt_id: str, escape_digits: str) -> str | None:
        """Play a prompt; return the key that interrupted it (one of `escape_digits`), or None."""
        ...

    async def wait_digit(self, timeout: float) -> str | None:  # noqa: ASYNC109 - Asterisk waits, not asyncio
        """Wait up to `timeout` seconds for a key; None when none came."""
        ...

    async def set_language(self, language: str) -> None:
        """From now on play every prompt, and Asterisk's own sounds, in `language` (a language key)."""
        ...


@dataclass(frozen=True, slots=True)
class Step:
    """One decision in a menu: the key pressed (None: no key in time) and what it meant."""

    menu: str
    key: str | None
    result: StepResult


@dataclass(frozen=True, slots=True)
class Outcome:
    """Where the call goes after the menus. Every prompt of the menus has already been played.

    For a `callback`, `reason` says whether the caller asked: "chosen" means they pressed the option's
    key, so the callback flow goes straight to confirming the number; "closed" means the line is
    closed and the caller asked for nothing yet, so the flow offers first (`cb_closed_offer`: 1 to
    accept, else `cb_goodbye`), and a request then made is due at the next opening and promised with
    `cb_registered_closed`; "retries_exhausted" and "loop_guard" mean the dialplan chose it for a
    caller who could not choose (the flow goes on to confirming the number).
    """

    kind: Literal["queue", "callback", "hangup"]
    reason: Reason
    path: tuple[Step, ...] = ()
    group: str | None = None  # the skill group to queue for, or to be called back by (queue, callback)
    farewell: str | None = None  # the farewell prompt already played, when kind == "hangup"


def format_path(path: Sequence[Step]) -> str:
    """The menu steps as the IVR hands them to Asterisk (HOTLINE_PATH): `main:6>construction:1`, `-` for
    a wait that ran out."""
    return ">".join(f"{step.menu}:{step.key or '-'}" for step in path)


async def run_menu(
    dialplan: Dialplan,
    io: CallerIO,
    now: dt.datetime,
    *,
    max_visits: int = MAX_MENU_VISITS,
    emergency: Announcement | None = None,
) -> Outcome:
    """Walk the caller through the menus; `now` (timezone-aware) decides business hours. `emergency`: the
    active announcement, heard first (the caller of `run_menu` reads it: the walk itself reads nothing)."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("run_menu needs a timezone-aware time")
    if emergency is not None and await announce(io, emergency):
        path = (Step(EMERGENCY_STEP, CALLBACK_KEY, "chosen"),)
        return Outcome("callback", "emergency", path, group=emergency.group)
    return await _Call(dialplan, io, max_visits).run(now)


class _Call:
    def __init__(self, dialplan: Dialplan, io: CallerIO, max_visits: int) -> None:
        self.dp = dialplan
        self.io = io
        self.max_visits = max_visits
        self.visits = 0
        self.path: list[Step] = []
        self.local = dt.datetime.min  # when the call came in, local time (set by `run`)

    async def run(self, now: dt.datetime) -> Outcome:
        local = self.local = now.astimezone(ZoneInfo(self.dp.hotline.timezone))
        if not line_schedule(self.dp).is_open(local):
            return await self.finish(self.dp.entry.closed, "closed")
        menu = self.dp.menus[self.dp.entry.menu]
        typed = await self.play(self.dp.entry.greeting, DTMF_KEYS) if self.dp.entry.greeting else None
        while True:
            action, reason = await self.in_menu(menu, typed)
            if action.kind != "menu" or reason == "loop_guard":
                return await self.finish(action, reason)
            menu = self.dp.menus[action.target]
            typed = await self.play(action.prompt, DTMF_KEYS) if action.prompt else None

    async def in_menu(self, menu: Menu, typed: str | None) -> tuple[Action, Reason]:
        """One visit of a menu, until an option, `on_failure` or the loop guard; `typed` is a key
        already pressed (during the previous prompt)."""
        if self.count_visit():
            return menu.on_failure, "loop_guard"
        attempts = 0
        key = typed
        while True:
            if key is None:
                key = await self.play(menu.prompt, DTMF_KEYS)
            if key is None:
                key = await self.io.wait_digit(float(menu.timeout)) or None
            if key is not None and key == menu.repeat_key:
                self.path.append(Step(menu.id, key, "repeat"))
                if self.count_visit():
                    return menu.on_failure, "loop_guard"
                key = None
                continue
            if key is not None and menu.id == self.dp.entry.menu and key in self.dp.entry.language_keys:
                self.path.append(Step(menu.id, key, "language"))
                await self.io.set_language(self.dp.entry.language_keys[key].language)
                if self.count_visit():
                    return menu.on_failure, "loop_guard"
                key = None
                continue
            if key is not None and key in menu.options:
                self.path.append(Step(menu.id, key, "chosen"))
                return menu.options[key], "chosen"
            self.path.append(Step(menu.id, key, "timeout" if key is None else "invalid"))
            attempts += 1
            last = attempts >= menu.retries
            feedback = menu.timeout_prompt if key is None else menu.invalid_prompt
            key = await self.play(feedback, "" if last else DTMF_KEYS)
            if last:
                return menu.on_failure, "retries_exhausted"

    def count_visit(self) -> bool:
        """Count one more menu visit; True when that is one too many."""
        self.visits += 1
        return self.visits > self.max_visits

    async def finish(self, action: Action, reason: Reason) -> Outcome:
        """Play the last prompt and say where the call goes."""
        if action.kind == "menu":  # only after the loop guard: a menu cannot be where a call ends
            action = Action("queue", self.dp.hotline.general_group)
        if (
            reason != "closed"
            and action.kind in ("queue", "callback")
            and not group_schedule(self.dp, action.target).is_open(self.local)
        ):
            action, reason = self.group_closed(action.target), "closed"
        path = tuple(self.path)
        if action.kind == "queue":
            prompt = action.prompt or self.dp.entry.transfer_prompt
            if prompt:
                await self.play(prompt, "")
            return Outcome("queue", reason, path, group=action.target)
        if action.kind == "callback":
            if action.prompt:
                await self.play(action.prompt, "")
            return Outcome("callback", reason, path, group=action.target)
        await self.play(action.target, "")
        return Outcome("hangup", reason, path, farewell=action.target)

    def group_closed(self, group: str) -> Action:
        """What a caller gets who chose a group outside its own hours while the line is open:
        `entry.closed` as for the closed line, with the chosen group calling back (a callback request is
        due at the group's next opening) and the group's `closed_prompt`, if any, instead of the line's."""
        closed = self.dp.entry.closed
        prompt = self.dp.skill_groups[group].closed_prompt
        if closed.kind == "hangup":
            return Action("hangup", prompt or closed.target)
        target = group if closed.kind == "callback" else closed.target
        return Action(closed.kind, target, prompt or closed.prompt)

    async def play(self, prompt: str, escape_digits: str) -> str | None:
        key = await self.io.play(prompt, escape_digits)
        return key or None
