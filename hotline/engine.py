"""The engine process: FastAGI voice menus, the AMI live state and the call journal, wired in one place.

Startup: load the dialplan (refused with file and line if broken), connect Redis, start the AMI client
(it keeps reconnecting in the background, so the IVR answers even while AMI is down), then accept
FastAGI calls. Shutdown in phases: stop taking calls, let live ones finish (grace), then force.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
from types import TracebackType
from typing import Self
from zoneinfo import ZoneInfo

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff

from hotline.callbacks.model import Registration, Source
from hotline.callbacks.store import CallbackStore
from hotline.constants import queue_name
from hotline.dialplan import load_dialplan
from hotline.dialplan.model import Dialplan
from hotline.log import get_logger
from hotline.secrets import Secrets, load_or_create
from hotline.settings import Settings
from ivr.app import Clock, IvrApp, utc_now
from ivr.server import FastAgiServer
from router.ami import AmiClient
from router.callback_sources import EVENTS as CALLBACK_SOURCE_EVENTS
from router.callback_sources import CallbackSources
from router.dispatcher import Dispatcher
from router.estimate import WaitEstimate, estimate_wait
from router.journal import EVENTS as JOURNAL_EVENTS
from router.journal import CallJournal
from router.service import Router
from router.state import LiveState

log = get_logger("hotline.engine")

REDIS_CONNECTIONS = 100  # at most this many commands in flight at once; more wait their turn
# A pool given to the client does not get the client's default retries: a command on a connection that
# broke (Redis restarted) is retried with backoff, as redis-py does by default, instead of failing.
REDIS_RETRY = Retry(ExponentialWithJitterBackoff(base=0.01, cap=1.0), 10)


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
        self.dialplan = dialplan or load_dialplan(settings.dialplan_path)
        self.secrets: Secrets = load_or_create(settings.state_dir, self.dialplan.operators)
        self.clock = clock
        self.grace = grace
        # A command waits for a free connection of the pool instead of failing at once (redis-py's plain
        # pool raises MaxConnectionsError at its limit): calls at the hotline's capacity, or a flood of
        # callback requests, must not make the dispatcher's or the IVR's commands fail.
        self.redis: aioredis.Redis = aioredis.Redis.from_pool(
            aioredis.BlockingConnectionPool(
                host=settings.host,
                port=settings.redis_port,
                password=self.secrets.redis,
                decode_responses=True,
                max_connections=REDIS_CONNECTIONS,
                retry=REDIS_RETRY,
            )
        )
        self.journal = CallJournal(self.redis)
        self.callbacks = CallbackStore(self.redis, clock=self.timestamp)
        self.ami = AmiClient(
            username=settings.ami_username,
            secret=self.secrets.ami,
            host=settings.host,
            port=settings.ami_port,
        )
        self.state = LiveState(self.redis, clock=self.timestamp)  # one clock for places in line
        self.router = Router(self.ami, self.state)
        self.ami.on_event(JOURNAL_EVENTS, self.journal.on_event)
        self.sources = CallbackSources(self.callbacks, lambda: self.dialplan, self.register_callback)
        self.ami.on_event(CALLBACK_SOURCE_EVENTS, self.sources.on_event)
        self.dispatcher = Dispatcher(
            self.ami,
            self.state,
            self.callbacks,
            lambda: self.dialplan,
            owner=f"{socket.gethostname()}:{os.getpid()}",
            clock=self.timestamp,
            lease_seconds=settings.callback_lease_seconds,
        )
        self.ivr = IvrApp(
            lambda: self.dialplan,
            settings.asterisk_sounds_dir,
            clock=lambda: self.clock(),
            on_summary=self.journal.record_ivr,
            register=self.register_callback,
            estimate=self.expected_wait,
        )
        self.agi = FastAgiServer(self.ivr.handle, host=settings.host, port=settings.agi_port)

    def timestamp(self) -> float:
        """The engine's clock as epoch seconds (injectable: tests and the demo run at an open hour)."""
        return self.clock().timestamp()

    async def register_callback(
        self, number: str, group: str, source: Source, caller_display: str, *, waited: float = 0.0
    ) -> Registration:
        """Store a callback request under the current dialplan's policy (the store merges repeats).
        `waited`: seconds the citizen had already waited in the queue: their place there is kept."""
        d = self.dialplan
        registration = await self.callbacks.register(
            number,
            group,
            source,
            caller_display=caller_display,
            policy=d.callbacks,
            sla_minutes=d.callback_sla_minutes(group),
            tz=ZoneInfo(d.hotline.timezone),
            hours=d.hours if source is Source.CLOSED else None,
            waited=waited,
        )
        self.dispatcher.wake()
        return registration

    async def expected_wait(self, group: str) -> WaitEstimate:
        """The wait of a caller who joined the group's queue now (`router.estimate`), from the live state
        and the group's open callback requests. LookupError while the state does not know the queue."""
        queue = queue_name(group)
        snapshot = await self.state.queue(queue)
        if snapshot is None:
            raise LookupError(f"the live state does not know the queue {queue} (AMI not synced yet?)")
        return estimate_wait(snapshot, await self.callbacks.open_count(group))

    async def start(self) -> None:
        await self.redis.ping()
        await self.router.start()
        await self.dispatcher.start()
        await self.agi.start()
        log.info(
            "engine.started",
            agi=f"{self.settings.host}:{self.agi.port}",
            ami=f"{self.settings.host}:{self.settings.ami_port}",
            number=self.dialplan.hotline.number,
        )

    async def close(self, grace: float | None = None) -> None:
        await self.agi.close(self.grace if grace is None else grace)
        await self.dispatcher.close()
        await self.router.close()
        await self.redis.aclose()
        log.info("engine.stopped")

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
            await engine.dispatcher.close()
            await engine.router.close()
            await engine.redis.aclose()
        forced.cancel()
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
    return 0
