"""Emergency mode on a call: the callers' side (the announcement, then the offer of a callback) and the
operators' feature code (the PIN, then record / turn off / hear).

The callers' side never loses a call: reading the announcement is bounded by READ_TIMEOUT, and any
failure of Redis plays no announcement and goes on with the menus.

The feature code (`emergency:` in the YAML, `[hotline-operators]` in the rendered dialplan): the engine
asks for the PIN (`em_enter_pin`, MAX_TRIES tries, then the call ends and a warning is logged), then
offers `em_menu`: 1 records a new announcement after the tone (`em_record`), plays it back and asks
`em_confirm` (1 turns it on for `default_hours`, 2 records again); 2 turns emergency mode off; 3 plays
the current announcement (`em_no_announcement` when there is none). The caller ID is never trusted:
who did it is the operator's endpoint, from the channel's name.
"""

from __future__ import annotations

import asyncio
import dataclasses
import posixpath
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from redis.asyncio import Redis

from hotline.dialplan import prompt_ids as ids
from hotline.dialplan.model import Dialplan
from hotline.emergency.model import Announcement
from hotline.emergency.pin import MAX_TRIES, PinGate
from hotline.emergency.sound import new_sound
from hotline.emergency.store import EmergencyStore
from hotline.errors import AgiCommandError
from hotline.log import get_logger

log = get_logger("ivr.emergency")

READ_TIMEOUT = 1.0  # seconds: a slower Redis plays no announcement rather than keep the caller waiting
OFFER_WAIT = 3.0  # seconds to wait for 1 after em_callback_offer
CALLBACK_KEY = "1"
DTMF = "0123456789*#"
EMERGENCY_STEP = "emergency"  # the step's name in HOTLINE_PATH: `emergency:1`
PIN_TIMEOUT = 10.0  # seconds to type the PIN
MENU_TIMEOUT = 10.0
RECORD_SECONDS = 120  # the longest announcement recorded on a phone (the prompts' limit too)
RECORD_SILENCE = 4  # seconds of silence that end a recording
MENU_ROUNDS = 5  # menu choices in one call before it is ended


class AnnouncementIO(Protocol):
    async def play(self, prompt_id: str, escape_digits: str) -> str | None: ...

    async def wait_digit(self, timeout: float) -> str | None: ...  # noqa: ASYNC109 - a protocol


class OperatorIO(AnnouncementIO, Protocol):
    async def read_digits(self, prompt_id: str, max_digits: int, timeout: float) -> str: ...  # noqa: ASYNC109

    async def record(self, sound: str, max_seconds: int) -> None:
        """Record the caller into `sound` (a path without extension, as Asterisk sees it) after a tone,
        until # or silence."""
        ...

    def use_announcement(self, sound: str) -> None:
        """Make `ids.EM_ANNOUNCEMENT` play `sound` from now on."""
        ...


async def announce(io: AnnouncementIO, announcement: Announcement) -> bool:
    """Play the announcement, then the offer; True when the caller pressed 1. A caller who has heard it
    before need not listen: 1 during the announcement accepts at once, another key goes to the menus.
    A sound file Asterisk cannot open (gone, or written where its root does not see it) is logged and the
    caller goes to the menus, as when Redis fails, rather than to the fallback."""
    try:
        key = await io.play(ids.EM_ANNOUNCEMENT, DTMF)
    except AgiCommandError as exc:
        log.warning("emergency.announcement_unplayable", announcement=announcement.id, error=str(exc))
        return False
    if key is None:
        key = await io.play(ids.EM_CALLBACK_OFFER, DTMF)
    if key is None:
        key = await io.wait_digit(OFFER_WAIT)
    accepted = key == CALLBACK_KEY
    log.info("emergency.callback_offer", announcement=announcement.id, accepted=accepted)
    return accepted


async def read_announcement(store: EmergencyStore | None, dialplan: Dialplan) -> Announcement | None:
    """The active announcement for a call starting now, or None: without an `emergency` section, without
    a store, on any error of Redis and after READ_TIMEOUT (logged as a warning)."""
    if store is None or dialplan.emergency is None:
        return None
    try:
        async with asyncio.timeout(READ_TIMEOUT):
            announcement = await store.current()
    except Exception as exc:  # Redis down, slow, or a document we cannot read: the call goes on without it
        log.warning("emergency.read_failed", error=f"{type(exc).__name__}: {exc}")
        return None
    if announcement is not None and announcement.group not in dialplan.skill_groups:
        # turned on under an older dialplan whose group is gone: the general group calls back
        announcement = dataclasses.replace(announcement, group=dialplan.hotline.general_group)
    return announcement


def endpoint_of(channel_name: str) -> str:
    """`PJSIP/op1-0000002a` -> `op1`: the operator's endpoint, for the log (never a caller ID)."""
    tech, _, rest = channel_name.partition("/")
    return rest.rpartition("-")[0] or rest or tech or "unknown"


@dataclass(frozen=True, slots=True)
class EmergencyAccess:
    """What the IVR needs for emergency mode: the state in Redis and the feature code's PIN."""

    store: EmergencyStore
    pin: str


def emergency_access(redis: Redis, pin: str, clock: Callable[[], float]) -> EmergencyAccess:
    return EmergencyAccess(EmergencyStore(redis, clock=clock), pin)


async def operator_session(
    io: OperatorIO,
    dialplan: Dialplan,
    access: EmergencyAccess,
    *,
    who: str,
    sounds_dir: str,
) -> str:
    """The feature code's whole exchange; what was done: refused, on, off, heard, none, nothing."""
    policy = dialplan.emergency
    if policy is None:
        log.warning("emergency.feature_code_without_section", by=who)
        return "nothing"
    gate = PinGate(access.pin)
    while not gate.passed:
        typed = await io.read_digits(ids.EM_ENTER_PIN, 16, PIN_TIMEOUT)
        if gate.check(typed):
            break
        if gate.locked:
            log.warning("emergency.pin_refused", by=who, tries=MAX_TRIES)
            await io.play(ids.EM_PIN_WRONG, "")
            return "refused"
        await io.play(ids.EM_PIN_WRONG, "")
    log.info("emergency.pin_accepted", by=who)
    store = access.store
    done = "nothing"
    for _ in range(MENU_ROUNDS):
        key = await io.read_digits(ids.EM_MENU, 1, MENU_TIMEOUT)
        if key == "1":
            sound = await _record(io, sounds_dir, store.now())
            if sound is None:
                continue
            now = store.now()
            announcement = Announcement(
                id=secrets.token_hex(8),
                text="",
                language=dialplan.hotline.language,
                sound=sound,
                group=policy.callback_group or dialplan.hotline.general_group,
                set_at=now,
                until=now + policy.default_hours * 3600,
                set_by=f"phone:{who}",
            )
            await store.turn_on(announcement)
            await io.play(ids.EM_ON, "")
            return "on"
        if key == "2":
            await store.turn_off(f"phone:{who}")
            await io.play(ids.EM_OFF, "")
            return "off"
        if key == "3":
            current = await store.current()
            if current is None:
                await io.play(ids.EM_NO_ANNOUNCEMENT, "")
                done = "none"
            else:
                io.use_announcement(current.sound)
                await io.play(ids.EM_ANNOUNCEMENT, "")
                done = "heard"
        elif not key:
            break
    return done


async def _record(io: OperatorIO, sounds_dir: str, now: float) -> str | None:
    """Record after the tone, play it back, and ask; the sound once confirmed, None after two refusals."""
    for _ in range(2):
        sound = new_sound(sounds_dir, now)
        await io.play(ids.EM_RECORD, "")
        await io.record(sound, RECORD_SECONDS)
        io.use_announcement(sound)
        await io.play(ids.EM_ANNOUNCEMENT, "")
        key = await io.read_digits(ids.EM_CONFIRM, 1, MENU_TIMEOUT)
        if key == "1":
            return sound
        log.info("emergency.recording_discarded", sound=posixpath.basename(sound))
    return None
