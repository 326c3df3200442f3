"""One citizen's call in the IVR: walk the admins' menus, then tell the dialplan what to do next.

This is the only place where the menu engine (pure logic), the AGI channel (the wire) and the prompts
(files) meet. The decision goes back to Asterisk in channel variables; the dialplan acts on them after
the AGI script returns, so the engine holds nothing while a caller waits in a queue.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from hotline import constants as c
from hotline.callbacks.identity import asserted_number
from hotline.callbacks.model import Registrar, Source
from hotline.dialplan import prompt_ids as ids
from hotline.dialplan.model import Dialplan
from hotline.errors import AgiCommandError, CallbackRefused, CallHangup
from hotline.log import get_logger
from hotline.prompts import prompt_path
from ivr.callback_flow import offer_before_queue, offer_when_closed, request_callback
from ivr.channel import AgiChannel
from ivr.emergency_flow import EmergencyAccess, endpoint_of, operator_session, read_announcement
from ivr.menu import Outcome, format_path, run_menu
from ivr.operator_flow import PresenceActions, run_code
from ivr.repeats import RepeatMarker
from router.estimate import WaitEstimate

EMERGENCY_SILENCE = 4  # seconds of silence that end an announcement recorded on a phone
MAX_QUEUE_WAIT = 4 * 3600.0  # seconds: a longer wait is a clock gone wrong, not a caller

log = get_logger("ivr.app")

Clock = Callable[[], dt.datetime]
WaitEstimator = Callable[[str], Awaitable[WaitEstimate]]
"""The expected wait of a skill group's queue (the engine's `expected_wait`)."""

ESTIMATE_TIMEOUT = 2.0  # seconds: a slower estimate is dropped and the caller queued, never kept silent


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True, slots=True)
class CallSummary:
    """What the IVR did with one call, for the call journal."""

    call_id: str
    caller: str  # for display only: caller ID is never trusted for anything else
    outcome: Outcome | None  # None: the caller hung up in the menus
    language: str
    started: float
    ivr_seconds: float
    last_prompt: str | None = None  # what the caller was hearing last (where they hung up, if they did)
    version: int = 0  # the dialplan version the call was walked on, start to end


class AgiCallerIO:
    """The menu engine's view of the caller, spoken over AGI."""

    def __init__(self, channel: AgiChannel, sounds_dir: str, language: str) -> None:
        self.channel = channel
        self.sounds_dir = sounds_dir
        self.language = language
        self.last_prompt: str | None = None
        self.sounds: dict[str, str] = {}  # prompt id -> a sound outside the prompts (the announcement)

    async def play(self, prompt_id: str, escape_digits: str) -> str | None:
        self.last_prompt = prompt_id
        path = self.sounds.get(prompt_id) or prompt_path(self.sounds_dir, self.language, prompt_id)
        return await self.channel.stream_file(path, escape_digits)

    def use_announcement(self, sound: str) -> None:
        self.sounds[ids.EM_ANNOUNCEMENT] = sound

    async def record(self, sound: str, max_seconds: int) -> None:
        """RECORD FILE: a WAV after a beep, until #, `max_seconds` or EMERGENCY_SILENCE s of silence."""
        reply = await self.channel.command(
            "RECORD FILE", sound, "wav", "#", max_seconds * 1000, 0, "BEEP", f"s={EMERGENCY_SILENCE}",
            reply_timeout=max_seconds + 30.0,
        )  # fmt: skip
        if reply.result.startswith("-"):
            await self.channel.get_variable(c.VAR_CALL_ID)  # CallHangup on a dead channel
            raise AgiCommandError(reply.code, f"RECORD FILE failed: {reply.raw!r}", "RECORD FILE")

    async def say_digits(self, digits: str, escape_digits: str) -> str | None:
        return await self.channel.say_digits(digits, escape_digits)

    async def say_number(self, number: int, gender: str = "") -> None:
        await self.channel.say_number(number, gender=gender)

    async def read_digits(self, prompt_id: str, max_digits: int, timeout: float) -> str:  # noqa: ASYNC109
        path = prompt_path(self.sounds_dir, self.language, prompt_id)
        return await self.channel.get_data(path, timeout, max_digits)

    async def wait_digit(self, timeout: float) -> str | None:  # noqa: ASYNC109 - CallerIO's signature
        return await self.channel.wait_for_digit(timeout)

    async def set_language(self, language: str) -> None:
        """Prompts from now on in `language`; the channel's language too, for Asterisk's own sounds and
        for the dialplan after the AGI script (HOTLINE_LANG)."""
        self.language = language
        await self.channel.set_variable(c.VAR_LANG, language)
        await self.channel.set_variable(c.CHANNEL_LANGUAGE, language)
        log.info("ivr.language", language=language)


class IvrApp:
    """The FastAGI handler: one instance per engine, one `handle` call per citizen's call."""

    def __init__(
        self,
        dialplan: Callable[[], Dialplan],
        sounds_dir: str,
        *,
        clock: Clock = utc_now,
        on_summary: Callable[[CallSummary], Awaitable[None]] | None = None,
        register: Registrar | None = None,
        estimate: WaitEstimator | None = None,
        emergency: EmergencyAccess | None = None,
        presence: PresenceActions | None = None,
        repeats: RepeatMarker | None = None,
    ) -> None:
        self._dialplan = dialplan
        self.sounds_dir = sounds_dir
        self.clock = clock
        self._on_summary = on_summary
        self._register = register
        self._estimate = estimate
        self._emergency = emergency
        self._presence = presence
        self._repeats = repeats

    async def handle(self, channel: AgiChannel) -> None:
        """One FastAGI session: `hotline` walks the menus, `callback,<source>,<group>` registers a request."""
        if channel.env.network_script == c.AGI_EMERGENCY:
            await self.handle_emergency(channel)
        elif channel.env.network_script == c.AGI_CALLBACK:
            await self.handle_callback(channel)
        elif channel.env.network_script == c.AGI_OPERATOR:
            await self.handle_operator(channel)
        else:
            await self.handle_menus(channel)

    async def handle_emergency(self, channel: AgiChannel) -> None:
        """An operator's feature code: the PIN, then emergency mode on, off or heard (`emergency_flow`)."""
        dialplan = self._dialplan()
        io = AgiCallerIO(channel, self.sounds_dir, dialplan.hotline.language)
        who = endpoint_of(channel.env.channel)
        if self._emergency is None:
            log.warning("emergency.unavailable", by=who)
            return
        done = await operator_session(io, dialplan, self._emergency, who=who, sounds_dir=self.sounds_dir)
        log.info("emergency.feature_code", by=who, done=done)

    async def handle_operator(self, channel: AgiChannel) -> None:
        """A presence feature code (`operator,<action>,<digits>,<endpoint>`): `ivr.operator_flow`. Who
        the operator is comes from the authenticated endpoint, never from the caller ID."""
        dialplan = self._dialplan()
        args = [*channel.env.arguments, "", "", ""]
        action, digits = args[0], args[1]
        who = args[2] or endpoint_of(channel.env.channel)
        io = AgiCallerIO(channel, self.sounds_dir, dialplan.hotline.language)
        if self._presence is None:
            log.warning("operator.presence_unavailable", operator=who, action=action)
            await io.play(ids.OP_FAILED, "")
            return
        now = self.clock().timestamp()
        await run_code(io, self._presence, dialplan, operator=who, action=action, digits=digits, now=now)

    async def handle_callback(self, channel: AgiChannel) -> None:
        dialplan = self._dialplan()
        args = channel.env.arguments
        try:
            source = Source(args[0])
        except (IndexError, ValueError):
            source = Source.IN_QUEUE
        group = (
            args[1] if len(args) > 1 and args[1] in dialplan.skill_groups else dialplan.hotline.general_group
        )
        # the language the caller chose in the menus (CHANNEL(language), in the AGI environment)
        chosen = channel.env.language
        language = chosen if chosen in dialplan.hotline.languages else dialplan.hotline.language
        io = AgiCallerIO(channel, self.sounds_dir, language)
        waited = await queue_wait(channel) if source is Source.IN_QUEUE else 0.0
        await self._callback(channel, io, dialplan, group, source, waited=waited)

    async def _callback(
        self,
        channel: AgiChannel,
        io: AgiCallerIO,
        dialplan: Dialplan,
        group: str,
        source: Source,
        *,
        waited: float = 0.0,
    ) -> None:
        """Register a callback request and end the call; without a registrar, back to the queue."""
        if self._register is None:
            raise CallbackRefused("unavailable", "this engine has no callback store")
        asserted = await channel.get_variable(c.VAR_ASSERTED)  # what the carrier vouches for, if anything
        outcome = await request_callback(
            io,
            dialplan,
            self._register,
            caller_id=channel.env.callerid,
            group=group,
            source=source,
            waited=waited,
            call_id=channel.env.uniqueid,
            identity=asserted_number(asserted, dialplan.callbacks.numbers),
        )
        await channel.set_variable(c.VAR_GROUP, group)
        if outcome.registered is None and outcome.reason == "no_number" and source is not Source.CLOSED:
            await channel.set_variable(c.VAR_ACTION, c.ACTION_QUEUE)  # no usable number: keep waiting
        else:
            await channel.set_variable(c.VAR_ACTION, c.ACTION_HANGUP)
        log.info("ivr.callback", group=group, source=source.value, outcome=outcome.reason)

    async def handle_menus(self, channel: AgiChannel) -> None:
        dialplan = self._dialplan()  # the version this call started with, to its end
        started = time.time()
        language = dialplan.hotline.language
        await channel.set_variable(c.VAR_CALL_ID, channel.env.uniqueid)
        await channel.set_variable(c.VAR_LANG, language)
        io = AgiCallerIO(channel, self.sounds_dir, language)

        async def summary(outcome: Outcome | None) -> None:
            if self._on_summary is not None:
                await self._on_summary(
                    CallSummary(
                        call_id=channel.env.uniqueid,
                        caller=channel.env.callerid,
                        outcome=outcome,
                        language=io.language,  # the caller's choice, when they pressed a language key
                        started=started,
                        ivr_seconds=time.time() - started,
                        last_prompt=io.last_prompt,
                        version=dialplan.version,
                    )
                )

        try:
            store = None if self._emergency is None else self._emergency.store
            announcement = await read_announcement(store, dialplan)
            if announcement is not None:
                io.use_announcement(announcement.sound)
            outcome = await run_menu(dialplan, io, self.clock(), emergency=announcement)
        except CallHangup:
            log.info("ivr.caller_hung_up", during=io.last_prompt)
            await summary(None)  # Redis, not Asterisk: the journal can still be written
            raise
        path = format_path(outcome.path)
        await channel.set_variable(c.VAR_PATH, path[:500])
        if outcome.kind == "queue":
            assert outcome.group is not None
            await channel.set_variable(c.VAR_GROUP, outcome.group)
            await channel.set_variable(c.VAR_QUEUE, c.queue_name(outcome.group))
            try:
                called_back = await self._before_queue(channel, io, dialplan, outcome.group)
            except CallHangup:
                log.info("ivr.caller_hung_up", during=io.last_prompt)
                await summary(outcome)
                raise
            if not called_back:
                await self._queue_priority(channel, dialplan, outcome.group)
                await channel.set_variable(c.VAR_ACTION, c.ACTION_QUEUE)
        elif outcome.kind == "callback" and outcome.reason == "closed":
            assert outcome.group is not None
            if await offer_when_closed(io):
                await self._callback(channel, io, dialplan, outcome.group, Source.CLOSED)
            else:
                await io.play("cb_goodbye", "")
                await channel.set_variable(c.VAR_ACTION, c.ACTION_HANGUP)
        elif outcome.kind == "callback":
            assert outcome.group is not None
            source = Source.EMERGENCY if outcome.reason == "emergency" else Source.MENU
            await self._callback(channel, io, dialplan, outcome.group, source)
        else:
            await channel.set_variable(c.VAR_ACTION, c.ACTION_HANGUP)
        log.info(
            "ivr.outcome",
            kind=outcome.kind,
            group=outcome.group,
            reason=outcome.reason,
            path=path,
            language=io.language,
        )
        await summary(outcome)

    async def _before_queue(
        self, channel: AgiChannel, io: AgiCallerIO, dialplan: Dialplan, group: str
    ) -> bool:
        """When the group's expected wait is over `callbacks.offer_over_wait` (or unknown: nobody staffs
        it), offer a callback before queueing. True when the caller took it: the callback flow has then
        set the call's next action. Any failure of the estimate queues the caller as before."""
        threshold = dialplan.callbacks.offer_over_wait
        if threshold <= 0 or self._estimate is None or self._register is None:
            return False
        try:
            async with asyncio.timeout(ESTIMATE_TIMEOUT):
                wait = await self._estimate(group)
        except Exception as exc:  # Redis, the live state, a timeout: the offer must never lose a call
            log.warning("ivr.wait_estimate.failed", group=group, error=f"{type(exc).__name__}: {exc}")
            return False
        offer = wait.seconds is None or wait.seconds > threshold
        log.info(
            "ivr.wait_estimate",
            group=group,
            seconds=wait.seconds,
            ahead=wait.ahead,
            staffed=wait.staffed,
            offer_over_wait=threshold,
            offer=offer,
        )
        if not offer:
            return False
        accepted = await offer_before_queue(io)
        log.info("ivr.before_queue_offer", group=group, accepted=accepted)
        if accepted:
            await self._callback(channel, io, dialplan, group, Source.BEFORE_QUEUE)
        return accepted

    async def _queue_priority(self, channel: AgiChannel, dialplan: Dialplan, group: str) -> None:
        """A caller whose number already queued for `group` earlier today gets `routing.repeat_priority`
        (the queue extension turns VAR_PRIORITY into QUEUE_PRIO). Any failure queues them as before."""
        priority = dialplan.routing.repeat_priority
        if self._repeats is None or priority <= 0:
            return
        try:
            async with asyncio.timeout(ESTIMATE_TIMEOUT):
                repeat = await self._repeats(channel.env.callerid, group, dialplan.hotline.timezone)
        except Exception as exc:  # Redis down or slow: a priority is never worth losing the call
            log.warning("ivr.repeat_check.failed", group=group, error=f"{type(exc).__name__}: {exc}")
            return
        if repeat:
            await channel.set_variable(c.VAR_PRIORITY, str(priority))
            log.info("ivr.repeat_caller", group=group, priority=priority)


async def queue_wait(channel: AgiChannel) -> float:
    """Seconds the caller waited in the queue they just left with the callback key (the dialplan notes
    when they joined), 0 when unknown. Both clocks are the machine's: Asterisk's EPOCH and ours."""
    raw = await channel.get_variable(c.VAR_QUEUED_AT)
    try:
        joined = float(raw or "")
    except ValueError:
        return 0.0
    return min(max(0.0, time.time() - joined), MAX_QUEUE_WAIT)
