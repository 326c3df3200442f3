"""The engine process: FastAGI voice menus, the AMI live state and the call journal, wired in one place.

Startup: load the dialplan (refused with file and line if broken), connect Redis and record the
dialplan as the current version if it is not already (`hotline.versions`), start the AMI client (it
keeps reconnecting in the background, so the IVR answers even while AMI is down), then accept FastAGI
calls. While it runs, the engine follows the current version (applied by `hotline reload` or by its own
SIGHUP) for new calls; a call keeps the version it started with. Shutdown in phases: stop taking calls,
let live ones finish (grace), then force.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import math
import os
import signal
import socket
import time
from types import TracebackType
from typing import Self
from zoneinfo import ZoneInfo

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from hotline import constants as c
from hotline import redact, tasks
from hotline.callbacks.model import Registration, Source
from hotline.callbacks.store import CallbackStore
from hotline.constants import queue_name
from hotline.dialplan import load_dialplan
from hotline.dialplan.calendar import group_schedule
from hotline.dialplan.model import Dialplan
from hotline.errors import ConfigError, HotlineError
from hotline.log import get_logger
from hotline.reload import Applied, Reloader
from hotline.secrets import Secrets, load_or_create
from hotline.settings import Settings
from hotline.versions import VersionError, VersionStore, change_summary, load_files, snapshot
from ivr.app import Clock, IvrApp, utc_now
from ivr.emergency_flow import emergency_access
from ivr.repeats import RepeatCallers
from ivr.server import FastAgiServer
from router.ami import AmiClient
from router.announcer import Announcer
from router.callback_sources import EVENTS as CALLBACK_SOURCE_EVENTS
from router.callback_sources import CallbackSources
from router.calls_today import EVENTS as CALLS_TODAY_EVENTS
from router.calls_today import CallsToday
from router.dispatcher import Dispatcher
from router.estimate import WaitEstimate, estimate_wait
from router.handle_times import EVENTS as HANDLE_TIME_EVENTS
from router.handle_times import HandleTimes
from router.journal import EVENTS as JOURNAL_EVENTS
from router.journal import CallJournal
from router.presence import Presence
from router.ring_watch import EVENTS as RING_EVENTS
from router.ring_watch import RingWatch
from router.security_watch import EVENTS as SECURITY_EVENTS
from router.security_watch import SecurityWatch
from router.service import Router
from router.state import LiveState

log = get_logger("hotline.engine")

REDIS_CONNECTIONS = 100  # at most this many commands in flight at once; more wait their turn
# A pool given to the client does not get the client's default retries: a command on a connection that
# broke (Redis restarted) is retried with backoff, as redis-py does by default, instead of failing.
# Only a broken connection is retried: a command that timed out (a Redis that stopped answering) fails
# at once, so a call whose Redis is stuck goes on to the fallback context within REDIS_COMMAND_TIMEOUT.
REDIS_RETRY = Retry(
    ExponentialWithJitterBackoff(base=0.01, cap=1.0), 10, supported_errors=(RedisConnectionError,)
)
REDIS_COMMAND_TIMEOUT = 2.0  # seconds for any one command's answer (none of ours takes 10 ms)
REDIS_CONNECT_TIMEOUT = 2.0
REDIS_POOL_WAIT = 5.0  # seconds a command waits for a free connection before failing
REDIS_HEALTH_CHECK = 15  # seconds idle after which a connection is PINGed before it is used again


class Engine:
    """`async with Engine(settings) as engine:` runs everything until the block ends."""

    def __init__(
        self,
        settings: Settings,
        *,
        dialplan: Dialplan | None = None,
        clock: Clock = utc_now,
        grace: float = 30.0,
    ) -> None:
        self.settings = settings
        self._given = dialplan is not None  # a test's own dialplan: not recorded as a version
        self.dialplan = dialplan or load_dialplan(settings.dialplan_path)
        self.secrets: Secrets = load_or_create(settings.state_dir, self.dialplan.operators)
        # numbers in this process's logs hash with the installation's key
        redact.use_key(self.secrets.log_key)
        self.clock = clock
        self.grace = grace
        # A command waits for a free connection of the pool instead of failing at once (redis-py's plain
        # pool raises MaxConnectionsError at its limit): calls at the hotline's capacity, or a flood of
        # callback requests, must not make the dispatcher's or the IVR's commands fail.
        self.redis: aioredis.Redis = aioredis.Redis.from_pool(
            aioredis.BlockingConnectionPool(
                host=settings.redis_address,
                port=settings.redis_port,
                password=self.secrets.redis,
                decode_responses=True,
                max_connections=REDIS_CONNECTIONS,
                timeout=REDIS_POOL_WAIT,
                retry=REDIS_RETRY,
                socket_timeout=REDIS_COMMAND_TIMEOUT,
                socket_connect_timeout=REDIS_CONNECT_TIMEOUT,
                socket_keepalive=True,
                health_check_interval=REDIS_HEALTH_CHECK,
            )
        )
        self.versions = VersionStore(self.redis, clock=time.time)
        self._watcher: asyncio.Task[None] | None = None
        self._heartbeat: asyncio.Task[None] | None = None
        self._seen_version: int | None = None
        self.journal = CallJournal(self.redis)
        self.callbacks = CallbackStore(self.redis, clock=self.timestamp)
        self.ami = AmiClient(
            username=settings.ami_username,
            secret=self.secrets.ami,
            host=settings.ami_address,
            port=settings.ami_port,
        )
        self.state = LiveState(self.redis, clock=self.timestamp)  # one clock for places in line
        self.router = Router(self.ami, self.state)
        self.ami.on_event(JOURNAL_EVENTS, self.journal.on_event)
        self.sources = CallbackSources(
            self.callbacks, lambda: self.dialplan, self.register_callback, wake=lambda: self.dispatcher.wake()
        )
        self.ami.on_event(CALLBACK_SOURCE_EVENTS, self.sources.on_event)
        self.owner = f"{socket.gethostname()}:{os.getpid()}"
        self.dispatcher = Dispatcher(
            self.ami,
            self.state,
            self.callbacks,
            lambda: self.dialplan,
            owner=self.owner,
            clock=self.timestamp,
            lease_seconds=settings.callback_lease_seconds,
            release=lambda operator: self.presence.restore(operator),  # their own pause/logout is kept
        )
        # attempts whose calls ended while the link was down (Asterisk killed or restarted) are resolved
        self.ami.on_connected(self.dispatcher.on_connected)
        # Operators' presence, and what their phones' rings say about them: a ring let ring out
        # `missed_rings` times in a row pauses them "missed", a declined one "rejected" for a while.
        self.presence = Presence(self.redis, self.ami, lambda: self.dialplan, clock=self.timestamp)
        self.ami.on_connected(self.presence.on_connected)  # Redis is the truth: reapplied after each login
        self.ring_watch = RingWatch(self.redis, self.presence, lambda: self.dialplan, clock=self.timestamp)
        self.ami.on_event(RING_EVENTS, self.ring_watch.on_event)
        # Refused requests on the SIP edge, per source address: a flood raises an alarm in the log
        self.security = SecurityWatch(
            threshold=settings.security_alarm_failures, window=settings.security_alarm_window
        )
        self.ami.on_event(SECURITY_EVENTS, self.security.on_event)
        self.calls_today = CallsToday(self.redis, lambda: self.dialplan, clock=self.timestamp)
        self.ami.on_event(CALLS_TODAY_EVENTS, self.calls_today.on_event)
        # Waiting callers hear their place and expected wait (handling times over a sliding window)
        self.handle_times = HandleTimes(self.redis, lambda: self.dialplan, clock=self.timestamp)
        self.ami.on_event(HANDLE_TIME_EVENTS, self.handle_times.on_event)
        self.announcer = Announcer(
            self.ami,
            self.redis,
            self.state,
            self.callbacks,
            self.handle_times,
            lambda: self.dialplan,
            owner=self.owner,
        )
        self.ivr = IvrApp(
            lambda: self.dialplan,
            settings.asterisk_sounds_dir,
            clock=lambda: self.clock(),
            on_summary=self.journal.record_ivr,
            register=self.register_callback,
            estimate=self.expected_wait,
            emergency=emergency_access(self.redis, self.secrets.emergency_pin, self.timestamp),
            repeats=RepeatCallers(self.redis, clock=self.timestamp),
            presence=self.presence,
        )
        self.agi = FastAgiServer(self.ivr.handle, host=settings.agi_address, port=settings.agi_port)

    def timestamp(self) -> float:
        """The engine's clock as epoch seconds (injectable: tests and the demo run at an open hour)."""
        return self.clock().timestamp()

    async def register_callback(
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
        """Store a callback request under the current dialplan's policy (the store merges repeats).
        `waited`: seconds the citizen had already waited in the queue: their place there is kept.
        `call_id`: the citizen's call, still up: the first attempt waits until it has ended. `identity`:
        the number the carrier asserts for the caller, which the rate limits count them by."""
        d = self.dialplan
        registration = await self.callbacks.register(
            number,
            group,
            source,
            caller_display=caller_display,
            policy=d.callbacks,
            sla_minutes=d.callback_sla_minutes(group),
            tz=ZoneInfo(d.hotline.timezone),
            hours=group_schedule(d, group) if source is Source.CLOSED else None,
            waited=waited,
            call_id=call_id,
            identity=identity,
        )
        self.dispatcher.wake()
        return registration

    async def expected_wait(self, group: str) -> WaitEstimate:
        """The wait of a caller who joined the group's queue now (`router.estimate`), from the live state
        and the group's open callback requests. LookupError while the state does not know the queue.
        The handling time is the group's sliding window (`router.handle_times`) when it holds enough
        calls (`routing.min_samples`, one at least); Asterisk's own talk time average otherwise."""
        queue = queue_name(group)
        snapshot = await self.state.queue(queue)
        if snapshot is None:
            raise LookupError(f"the live state does not know the queue {queue} (AMI not synced yet?)")
        window = await self.handle_times.window(group)
        if window.average is not None and window.samples >= max(1, self.dialplan.routing.min_samples):
            snapshot = dataclasses.replace(snapshot, talktime=max(1, math.ceil(window.average)))
        return estimate_wait(snapshot, await self.callbacks.open_count(group))

    async def start(self) -> None:
        await self.redis.ping()
        await self._adopt_version()
        self._watcher = asyncio.create_task(self._follow_versions(), name="engine.versions")
        self._heartbeat = asyncio.create_task(self._beat(), name="engine.heartbeat")
        await self.router.start()
        await self.dispatcher.start()
        await self.presence.start()
        await self.announcer.start()
        await self.agi.start()
        log.info(
            "engine.started",
            agi=f"{self.settings.agi_address}:{self.agi.port}",
            ami=f"{self.settings.ami_address}:{self.settings.ami_port}",
            number=self.dialplan.hotline.number,
        )

    async def _adopt_version(self) -> None:
        """At start, the admins' files are what the hotline runs (`hotline sandbox up` rendered them):
        recorded as a version when they are not the current one already. A dialplan given by a test is
        not recorded; it is replaced only when a change is applied while the engine runs."""
        for _ in range(3):  # another engine may record the same files at the same moment
            current = await self.versions.current()
            if self._given:
                self._seen_version = current.number if current else None
                return
            files = await asyncio.to_thread(snapshot, self.settings.dialplan_path)
            if current is not None and current.files == files:
                self._use(current.number, self.dialplan)
                return
            previous = current.files if current else None
            summary = await asyncio.to_thread(change_summary, previous, self.dialplan)
            try:
                version = await self.versions.record(
                    files,
                    summary,
                    source="start",
                    by=self.owner,
                    expect=current.number if current else None,
                )
            except VersionError:
                continue
            self._use(version.number, self.dialplan)
            return
        raise HotlineError("the dialplan version kept changing while the engine started: start it again")

    async def _beat(self) -> None:
        """Tell `hotline status` that an engine runs: a key renewed every few seconds, gone soon after
        the engine (so a state left by a stopped engine is never shown as live)."""
        key = c.KEY_ENGINE_ALIVE.format(owner=self.owner)
        while True:
            try:
                await self.redis.set(key, str(self.timestamp()), ex=c.ENGINE_ALIVE_TTL)
            except RedisError as exc:
                log.warning("engine.heartbeat.redis_unavailable", error=str(exc))
            await asyncio.sleep(c.ENGINE_BEAT_SECONDS)

    def _use(self, number: int, dialplan: Dialplan) -> None:
        """New calls take `dialplan` from now on; calls in progress keep the one they started with."""
        self.dialplan = dataclasses.replace(dialplan, version=number)
        self._seen_version = number

    async def _follow_versions(self, every: float = 1.0) -> None:
        """Take each version applied while the engine runs (by `hotline reload` from any process)."""
        failed: int | None = None
        while True:
            await asyncio.sleep(every)
            try:
                number = await self.versions.current_number()
                if number is None or number == self._seen_version or number == failed:
                    continue
                version = await self.versions.get(number)
                if version is None:
                    continue
                dialplan = await asyncio.to_thread(load_files, version.files)
            except RedisError as exc:
                log.warning("engine.versions.redis_unavailable", error=str(exc))
                continue
            except ConfigError as exc:  # applied by an older program that read it differently
                failed = number
                log.error("engine.versions.refused", version=number, problems=[str(p) for p in exc.problems])
                continue
            previous = self._seen_version
            self._use(number, dialplan)
            log.info(
                "engine.dialplan.switched", version=number, previous=previous, summary=list(version.summary)
            )

    async def reload(self) -> Applied | None:
        """Apply the admins' files now (SIGHUP): as `hotline reload` does, logged instead of printed.
        What was applied, or None when the change was refused (the engine keeps its version)."""
        try:
            applied = await Reloader(
                self.settings, self.redis, progress=lambda m: log.debug("reload.progress", step=m)
            ).apply_path(self.settings.dialplan_path, source="SIGHUP", by=self.owner)
        except ConfigError as exc:
            log.error(
                "reload.refused",
                problems=[str(p) for p in exc.problems],
                hint="the hotline keeps the current version; fix the files and send SIGHUP again",
            )
            return None
        except HotlineError as exc:
            log.error("reload.failed", error=str(exc))
            return None
        if applied.version.number != self.dialplan.version:
            self._use(applied.version.number, applied.dialplan)
        return applied

    async def close(self, grace: float | None = None) -> None:
        await tasks.stop([self._watcher], what="dialplan version watcher")
        await tasks.stop([self._heartbeat], what="engine heartbeat")
        with contextlib.suppress(RedisError):
            await self.redis.delete(c.KEY_ENGINE_ALIVE.format(owner=self.owner))
        await self.agi.close(self.grace if grace is None else grace)
        await self.close_tasks()
        log.info("engine.stopped")

    async def close_tasks(self) -> None:
        """Stop everything but the FastAGI server (closed first, with or without a grace)."""
        await self.presence.close()
        await self.announcer.close()
        await self.dispatcher.close()
        await self.router.close()
        await self.redis.aclose()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()


async def serve_forever(settings: Settings, clock: Clock = utc_now) -> int:
    """Run until SIGTERM/SIGINT: the first lets live calls finish, a second one forces the stop."""
    engine = Engine(settings, clock=clock)
    await engine.start()
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    force = asyncio.Event()

    def on_signal() -> None:
        if stop.is_set():
            log.warning("engine.stop.forced")
            force.set()
        else:
            log.info(
                "engine.stopping",
                live_calls=engine.agi.active_calls,
                hint="live calls may finish; send the signal again to stop at once",
            )
            stop.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, on_signal)
    reloads: set[asyncio.Task[Applied | None]] = set()

    def on_hangup() -> None:
        log.info("engine.sighup", hint="validating and applying the dialplan files")
        task = asyncio.create_task(engine.reload(), name="engine.reload")
        reloads.add(task)
        task.add_done_callback(reloads.discard)

    loop.add_signal_handler(signal.SIGHUP, on_hangup)
    try:
        await stop.wait()
        closing = asyncio.create_task(engine.close())
        forced = asyncio.create_task(force.wait())
        done, _ = await asyncio.wait({closing, forced}, return_when=asyncio.FIRST_COMPLETED)
        if forced in done and not closing.done():
            closing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await closing
            await engine.agi.close(0)
            await engine.close_tasks()
        forced.cancel()
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            loop.remove_signal_handler(sig)
    return 0
