"""Tells each waiting caller, every `routing.announce_every` seconds, their place and expected wait.

Asterisk's own periodic announcements play the same file to everyone, so they cannot say a caller's
number. The engine therefore whispers into the caller's channel: for a caller due, it Originates a
Local channel `Local/<uniqueid>@hotline-announce`. Its ;2 half runs `ChanSpy(<caller channel>,qWES)`
(whisper, quiet, ends with the caller), its ;1 half (`hotline-announce-play`) plays the announcement,
which ChanSpy mixes into what the caller hears; the caller never leaves the queue nor their place. The
play half emits the UserEvent `HotlineAnnounce` (caller, kind, position, minutes) as it starts, for
tests and supervisors. When the caller leaves the queue (an operator answered, they hung up or pressed
the callback key) the dialplan hangs the Local channel up (`announce_contexts.stop_announcement`), so
the words never run over a conversation.

Several engines may run: one announcement per caller per interval, by a Redis claim (SET NX with the
interval as expiry). Every value that reaches AMI is checked against a strict pattern first.

Asterisk's own periodic callback offer (queues.conf, every `callbacks.queue_offer_every` s counted from
the caller's join) is kept: it is what a caller still hears when no engine runs, so a failure never
leaves them with music alone. The announcer keeps clear of it (`announcement.clear_of_offer`): an
announcement due while the offer plays, or just before it, waits until the offer is over.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import Final, Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

from hotline import constants as c
from hotline import tasks
from hotline.callbacks.model import Status
from hotline.callbacks.store import CallbackStore
from hotline.dialplan.model import Dialplan
from hotline.errors import AmiError, UnsafeValueError
from hotline.log import get_logger
from router.ami_wire import ActionHeaders, Message
from router.announcement import Announcement, choose, clear_of_offer
from router.estimate import caller_position, estimate_for_caller
from router.handle_times import HandleTimes
from router.state import LiveState, QueueSnapshot, WaitingCaller

log = get_logger("router.announcer")

UNIQUEID: Final = re.compile(r"\A[0-9]{1,20}\.[0-9]{1,10}\Z")
# A caller's channel: a technology, a resource of safe characters and Asterisk's -<8 hex digits> suffix
CHANNEL: Final = re.compile(r"\A(?:PJSIP|SIP|IAX2|DAHDI)/[A-Za-z0-9_.+@-]{1,80}-[0-9a-f]{8}\Z")
LANGUAGE: Final = re.compile(r"\A[a-z]{2}\Z")
KEY: Final = re.compile(r"\A[0-9*#]\Z")


class AmiLink(Protocol):
    """What the announcer needs from the AMI client (AmiClient satisfies it)."""

    @property
    def connected(self) -> bool: ...

    async def send_action(self, action: ActionHeaders, *, timeout: float | None = None) -> Message: ...  # noqa: ASYNC109


def checked(pattern: re.Pattern[str], value: str, what: str) -> str:
    """`value` if it matches `pattern` whole; UnsafeValueError (nothing is sent) otherwise."""
    if not pattern.fullmatch(value):
        raise UnsafeValueError(f"{what} {value[:80]!r} is not one the announcer sends to Asterisk")
    return value


def originate(caller: WaitingCaller, announcement: Announcement, language: str) -> dict[str, str | list[str]]:
    """The Originate of one announcement, every value checked (digits, ids, a channel name)."""
    uid = checked(UNIQUEID, caller.uniqueid, "uniqueid")
    variables = [
        f"{c.VAR_ANN_CALLER}={uid}",
        f"{c.VAR_ANN_TARGET}={checked(CHANNEL, caller.channel, 'channel')}",
        f"{c.VAR_ANN_KIND}={announcement.kind}",
        f"{c.VAR_ANN_POSITION}={announcement.position:d}",
        f"{c.VAR_ANN_MINUTES}={announcement.minutes:d}",
        f"{c.VAR_ANN_FORM}={announcement.form}",
        f"{c.VAR_ANN_LANG}={checked(LANGUAGE, language, 'language')}",
    ]
    if announcement.key:
        variables.append(f"{c.VAR_ANN_KEY}={checked(KEY, announcement.key, 'callback key')}")
    return {
        "Action": "Originate",
        "Channel": f"Local/{uid}@{c.CTX_ANNOUNCE_SPY}/n",
        "Context": c.CTX_ANNOUNCE_PLAY,
        "Exten": "s",
        "Priority": "1",
        "Timeout": "5000",
        "CallerID": "Hotline <announce>",
        "Async": "true",
        "Variable": variables,
    }


class Announcer:
    """`start()` runs the loop. The dialplan, not the engine, ends an announcement still playing when the
    caller leaves the queue or an operator answers (`hotline.render.announce_contexts.stop_announcement`):
    the engine's AMI user needs no Hangup, and it works with no engine running."""

    def __init__(
        self,
        ami: AmiLink,
        redis: Redis,
        state: LiveState,
        callbacks: CallbackStore,
        handle_times: HandleTimes,
        dialplan: Callable[[], Dialplan],
        *,
        owner: str,
        tick: float = 1.0,
    ) -> None:
        self.ami = ami
        self._redis = redis
        self.state = state
        self.callbacks = callbacks
        self.handle_times = handle_times
        self._dialplan = dialplan
        self.owner = owner
        self.tick = tick
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="announcer")

    async def close(self) -> None:
        await tasks.stop([self._task], what="announcer")
        self._task = None

    async def _run(self) -> None:
        while True:
            try:
                if self.ami.connected and self._dialplan().routing.announce_every > 0:
                    await self.pass_once()
            except AmiError as exc:
                log.warning("announcer.ami_unavailable", error=str(exc))
            except RedisError as exc:
                log.warning("announcer.redis_unavailable", error=f"{type(exc).__name__}: {exc}")
            await asyncio.sleep(self.tick)

    async def pass_once(self) -> int:
        """Announce to every caller due now (waited at least one interval, not claimed by anyone in the
        last interval); how many announcements this engine made."""
        dialplan = self._dialplan()
        every = dialplan.routing.announce_every
        offer_every = dialplan.callbacks.queue_offer_every if dialplan.callbacks.queue_key else 0
        made = 0
        for group in dialplan.skill_groups:
            snapshot = await self.state.queue(c.queue_name(group))
            if snapshot is None:
                continue
            for caller in snapshot.callers:
                if caller.wait < every or not UNIQUEID.fullmatch(caller.uniqueid):
                    continue
                if not clear_of_offer(caller.wait, offer_every):
                    continue  # Asterisk's own callback offer plays about now: the next pass will do
                claimed = await self._redis.set(
                    c.KEY_ANNOUNCE_CLAIM.format(uniqueid=caller.uniqueid), self.owner, nx=True, ex=every
                )
                if not claimed:
                    continue
                if await self.announce(dialplan, group, snapshot, caller):
                    made += 1
        return made

    async def announce(
        self, dialplan: Dialplan, group: str, snapshot: QueueSnapshot, caller: WaitingCaller
    ) -> bool:
        """Work out what `caller` (one of `snapshot`'s) hears and whisper it to them; False if it could
        not be sent."""
        places = [r.place_at for r in await self.callbacks.list(Status.OPEN, group)]
        position = caller_position(snapshot, caller.uniqueid, places)
        if position is None:
            return False  # gone between the two reads
        window = await self.handle_times.window(group)
        routing = dialplan.routing
        estimate = estimate_for_caller(
            snapshot, position, window.samples, window.average, min_samples=routing.min_samples
        )
        language = await self._language(dialplan, caller.channel)
        announcement = choose(
            estimate,
            max_estimate=routing.max_estimate,
            queue_key=dialplan.callbacks.queue_key,
            sla_minutes=dialplan.callback_sla_minutes(group),
            language=language,
        )
        try:
            action = originate(caller, announcement, language)
        except UnsafeValueError as exc:
            log.warning("announcer.refused", call_id=caller.uniqueid, error=str(exc))
            return False
        await self.ami.send_action(action, timeout=10)
        log.info(
            "announcer.announced",
            call_id=caller.uniqueid,
            group=group,
            kind=announcement.kind,
            position=announcement.position,
            minutes=announcement.minutes,
            estimate=estimate.seconds,
            staffed=estimate.staffed,
            samples=window.samples,
            poor=estimate.poor,
        )
        return True

    async def _language(self, dialplan: Dialplan, channel: str) -> str:
        """The caller's language (HOTLINE_LANG, set by the IVR) if it is one of the hotline's, else the
        default one: the prompts exist in every language of the hotline."""
        default = dialplan.hotline.language
        try:
            reply = await self.ami.send_action(
                {"Action": "Getvar", "Channel": checked(CHANNEL, channel, "channel"), "Variable": c.VAR_LANG},
                timeout=5,
            )
        except (AmiError, UnsafeValueError):
            return default
        value = reply.get("Value", "")
        return value if value in dialplan.hotline.languages and LANGUAGE.fullmatch(value) else default
