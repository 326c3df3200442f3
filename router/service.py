"""The Router: AMI events into the live state, and a full resync after every (re)connect.

Ordering is what makes the mirror right. All state events come through ONE subscription, so they are
applied in wire order by one worker. A resync and the event worker share a lock: while the snapshot is
taken and written, events wait in the subscription's queue (the AMI reader never waits). Afterwards,
events read before the snapshot was requested are dropped (the snapshot already holds their effect);
later ones are applied on top. Events read while the snapshot was in flight are applied too: the
per-record updates are idempotent, only a completed/abandoned counter may count one call twice.
"""

from __future__ import annotations

import asyncio
import math

from redis.exceptions import RedisError

from hotline import tasks
from hotline.errors import AmiError
from hotline.log import get_logger
from router.ami import AmiClient, Subscription
from router.ami_wire import Message
from router.state import LiveState

log = get_logger("router.service")


class Router:
    """Wires an AmiClient to a LiveState, and owns the client's lifecycle unless it was started already.

    `start()` subscribes, then starts the client (whose first login triggers the first resync); given a
    client started by someone else, it resyncs at once instead. `close()` closes the client it started.
    """

    def __init__(self, ami: AmiClient, state: LiveState, *, resync_retry_delay: float = 2.0) -> None:
        self._ami = ami
        self._state = state
        self._retry_delay = resync_retry_delay
        self._lock = asyncio.Lock()
        self._snapshot_at = -math.inf  # loop time when the last applied snapshot was requested
        self._subscriptions: list[Subscription] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._owns_client = False

    async def start(self) -> None:
        """Subscribe and start the AMI client (a refused login raises AmiActionFailed).

        An unreachable Asterisk does not fail this: the client keeps reconnecting and the first login
        resyncs. With a client that is already running, the resync happens here.
        """
        self._subscriptions = [
            self._ami.on_event(LiveState.HANDLED_EVENTS, self._on_event),
            self._ami.on_connected(self.resync),
        ]
        if not self._ami.started:
            await self._ami.start()
            self._owns_client = True
        elif self._ami.connected:
            await self.resync()

    async def close(self) -> None:
        """Stop following events, close the client if this Router started it, end any resync in progress."""
        for subscription in self._subscriptions:
            subscription.cancel()
        self._subscriptions = []
        await tasks.stop(self._tasks, what="router resync")
        if self._owns_client:
            await self._ami.close()  # also cancels a resync running in the client's callback task
            self._owns_client = False
        async with self._lock:
            pass

    async def resync(self) -> None:
        """Rebuild the state from Asterisk; on failure retry while the link is up (a new login resyncs)."""
        loop = asyncio.get_running_loop()
        while True:
            async with self._lock:
                requested_at = loop.time()
                try:
                    counts = await self._state.resync(self._ami)
                except (AmiError, RedisError) as exc:
                    log.warning(
                        "router.resync.failed",
                        error=f"{type(exc).__name__}: {exc}",
                        retry_in=self._retry_delay if self._ami.connected else None,
                    )
                else:
                    self._snapshot_at = requested_at
                    log.info(
                        "router.resynced",
                        queues=counts.queues,
                        members=counts.members,
                        callers=counts.callers,
                        calls=counts.calls,
                    )
                    return
            if not self._ami.connected:
                return
            await asyncio.sleep(self._retry_delay)

    async def _on_event(self, event: Message) -> None:
        async with self._lock:
            if event.received_at <= self._snapshot_at:
                return  # read before the snapshot was asked for: the snapshot already holds it
            try:
                await self._state.apply(event)
            except RedisError as exc:
                log.error("router.state.write_failed", event_name=event.name, error=str(exc))
                self._resync_later()

    def _resync_later(self) -> None:
        """A lost write leaves the mirror wrong: rebuild it once Redis answers again."""
        if any(not task.done() for task in self._tasks):
            return
        task = asyncio.get_running_loop().create_task(self._delayed_resync())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _delayed_resync(self) -> None:
        await asyncio.sleep(self._retry_delay)
        if self._ami.connected:
            await self.resync()
