"""The project's AMI client: a logged-in connection to Asterisk that fails safe (framing: `ami_wire`).

Nothing of panoramisk is used at run time. Its `Manager`/`AMIProtocol` own the connection lifecycle, and
that lifecycle is where its defects are (see the team's notes on panoramisk, each confirmed against the
installed 1.4 source):

1. `AMIProtocol.close()` parks every unanswered action in `awaiting_actions` and `send_awaiting_actions()`
   writes them again on the next `FullyBooted`: an `Originate` whose answer was lost calls the citizen twice
   (tests/unit/test_panoramisk_defect.py reproduces it).
   Here a link that drops fails every written action with `AmiOutcomeUnknown`; nothing is ever re-sent.
2. `Manager.ping()` writes a Ping and never looks at the answer: a half-open link stays "connected".
   Here a watchdog pings every `ping_interval` and drops the link when no pong comes within `ping_timeout`.
3. Actions written while disconnected go to a dead transport and their futures never complete.
   Here an action fails at once with `AmiNotConnected`, and every action has a timeout (`AmiTimeout`).
4. `Action.__str__` writes values as they are: a `\\r\\n` in a caller-supplied value forges a second
   action. Asterisk's `get_input()` even ends a line on a bare `\\n`, and its parser stops at a NUL. Here
   every header name and value is checked before a byte is written (`UnsafeValueError`).
(5 is its FastAGI server, not used here.)
6. Events missed while disconnected are never replayed. Here `on_connected` callbacks run after every
   login (and on `FullyBooted`) so the live state is rebuilt from Asterisk.
7. `Manager.dispatch()` runs sync callbacks inside the reader. Here the reader only parses and queues;
   each subscription has its own queue and worker task, so a slow handler never stalls the socket
   (Asterisk drops a reader that falls behind its `writetimeout`).

Its framing is not reused either: `AMIProtocol.data_received` decodes every TCP read on its own with
`errors="ignore"`, so a Cyrillic caller name split across two reads silently loses a letter (reproduced:
"Иван" became "ван"), and `Message.from_line` drops frames that carry neither `Event` nor `Response`.
The framing here splits bytes on the blank line first and decodes whole frames: a few dozen lines.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import itertools
import secrets
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field
from typing import Final, TypeAlias

from hotline.constants import DEFAULT_AMI_PORT, DEFAULT_HOST
from hotline.errors import (
    AmiActionFailed,
    AmiError,
    AmiNotConnected,
    AmiOutcomeUnknown,
    AmiTimeout,
)
from hotline.log import get_logger
from hotline.tasks import stop as stop_tasks
from router.ami_wire import (
    BANNER_PREFIX,
    EOL,
    ActionHeaders,
    FrameParser,
    Message,
    action_name,
    check_header,
    encode_action,
    is_list_end,
    is_list_start,
)

log = get_logger("router.ami")

_CLOSE_WAIT: Final = 5.0  # seconds `close` waits for its tasks to end once cancelled
_SUCCESS: Final = frozenset({"success", "goodbye", "follows"})
# What a connection attempt may end with, besides a refused login: logged, then retried.
_CONNECT_ERRORS: Final = (
    OSError,
    TimeoutError,
    AmiError,
    asyncio.IncompleteReadError,
    asyncio.LimitOverrunError,
)

EventCallback: TypeAlias = Callable[["Message"], "Awaitable[None] | None"]
ConnectedCallback: TypeAlias = Callable[[], "Awaitable[None] | None"]


# --- Subscriptions ---------------------------------------------------------------------------------------


class Subscription:
    """What `on_event` and `on_connected` return: `cancel()` stops further calls."""

    def __init__(self, owner: AmiClient) -> None:
        self._owner = owner
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True
        self._owner._forget(self)


class _EventSubscription(Subscription):
    """One ordered queue and one worker per subscription: a slow consumer only delays itself."""

    def __init__(self, owner: AmiClient, names: frozenset[str], callback: EventCallback, size: int) -> None:
        super().__init__(owner)
        self.names = names  # lower-case event names; "*" for every event
        self.callback = callback
        self.queue: asyncio.Queue[Message] = asyncio.Queue(maxsize=size)
        self.worker: asyncio.Task[None] | None = None
        self.overflowing = False
        self.closing = False

    def wants(self, event: Message) -> bool:
        return "*" in self.names or event.name.lower() in self.names

    def deliver(self, event: Message) -> bool:
        """Queue `event` without waiting; False when the queue is full and the event was dropped."""
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            return False
        self.overflowing = False
        if self.worker is None or self.worker.done():
            self.worker = asyncio.get_running_loop().create_task(self._work())
        return True

    async def _work(self) -> None:
        # `closing` is checked between events as well as cancelling the task: a callback awaiting
        # redis-py on Python 3.11 can swallow the cancellation (asyncio.wait_for), and the worker must
        # still end rather than wait on its queue for ever
        while not self.closing:
            event = await self.queue.get()
            try:
                result = self.callback(event)
                if inspect.isawaitable(result):
                    await result
            except Exception:
                log.exception(
                    "ami.event.callback_failed", event_name=event.name, callback=_name_of(self.callback)
                )


class _ConnectedSubscription(Subscription):
    def __init__(self, owner: AmiClient, callback: ConnectedCallback) -> None:
        super().__init__(owner)
        self.callback = callback


def _name_of(callback: object) -> str:
    return getattr(callback, "__qualname__", repr(callback))


# --- The connection --------------------------------------------------------------------------------------


@dataclass(eq=False)
class _Link:
    """One TCP connection and the tasks that live exactly as long as it does."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    version: str
    parser: FrameParser = field(default_factory=FrameParser)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    lost: asyncio.Event = field(default_factory=asyncio.Event)
    logged_in: bool = False


@dataclass(eq=False)
class _Pending:
    """An action written on `link` and waiting for its answer."""

    action: str
    action_id: str
    link: _Link
    is_list: bool
    internal: bool  # Login, Ping and Logoff of the client itself: their fate is not the caller's business
    future: asyncio.Future[list[Message]]
    response: Message | None = None
    items: list[Message] = field(default_factory=list)


class AmiClient:
    """A logged-in AMI link that reconnects by itself and never sends an action twice.

    Use: register `on_event`/`on_connected` callbacks, `await start()`, then `send_action()` /
    `send_list_action()`; `await close()` at shutdown. Every failure is an `AmiError`:
    `AmiNotConnected` (nothing was sent), `AmiTimeout` (sent, no answer in time: it may still run),
    `AmiActionFailed` (Asterisk said `Response: Error`), `AmiOutcomeUnknown` (sent, then the link
    dropped: reconcile from Asterisk's state before any retry).
    """

    def __init__(
        self,
        *,
        username: str,
        secret: str,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_AMI_PORT,
        action_timeout: float = 10.0,
        ping_interval: float = 5.0,
        ping_timeout: float = 3.0,
        reconnect_delay: tuple[float, float] = (0.5, 10.0),
        connect_timeout: float = 5.0,
        event_queue_size: int = 10_000,
    ) -> None:
        if not username:
            raise ValueError("AMI username is empty")
        check_header("Username", username)
        check_header("Secret", secret)
        self.host = host
        self.port = port
        self._username = username
        self._secret = secret
        self._action_timeout = action_timeout
        self._ping_interval = ping_interval
        self._ping_timeout = ping_timeout
        self._delay_min, self._delay_max = reconnect_delay
        self._connect_timeout = connect_timeout
        self._event_queue_size = event_queue_size
        self._id_prefix = f"hotline-{secrets.token_hex(4)}"
        self._ids = itertools.count(1)
        self._link: _Link | None = None
        self._pending: dict[str, _Pending] = {}
        self._stale_lists: set[str] = set()  # list actions that timed out: swallow the rest of their list
        self._retired: set[asyncio.Task[None]] = set()  # workers of cancelled subscriptions, for close()
        self._event_subs: list[_EventSubscription] = []
        self._connected_subs: list[_ConnectedSubscription] = []
        self._connected = asyncio.Event()
        self._runner: asyncio.Task[None] | None = None
        self._resync_task: asyncio.Task[None] | None = None
        self._resync_wanted = False
        self._closing = False

    # --- public API -----------------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        """True while a link is up and logged in."""
        link = self._link
        return link is not None and link.logged_in and not link.lost.is_set()

    @property
    def started(self) -> bool:
        """True between `start()` and `close()`, connected or not."""
        return self._runner is not None

    @property
    def ami_version(self) -> str | None:
        """The AMI version from the greeting of the current link (Asterisk 22 says "11.0.0")."""
        return self._link.version if self._link is not None else None

    def new_action_id(self) -> str:
        """A fresh ActionID; pass it as `action_id=` to know the id before the action is sent."""
        return f"{self._id_prefix}-{next(self._ids)}"

    def on_event(self, names: str | Collection[str], callback: EventCallback) -> Subscription:
        """Call `callback(event)` for each event named in `names` ("*": every event), sync or async.

        Events of one subscription reach the callback in wire order, one at a time; subscribe to
        several names in one call when their relative order matters (QueueCallerJoin/Leave...).
        """
        wanted = frozenset(n.lower() for n in ([names] if isinstance(names, str) else names))
        if not wanted or "" in wanted:
            raise ValueError("on_event needs event names, or '*'")
        sub = _EventSubscription(self, wanted, callback, self._event_queue_size)
        self._event_subs.append(sub)
        return sub

    def on_connected(self, callback: ConnectedCallback) -> Subscription:
        """Call `callback()` after every login and on `FullyBooted`: events may have been missed, resync.

        Calls never overlap: a request made while callbacks run triggers one more round afterwards.
        """
        sub = _ConnectedSubscription(self, callback)
        self._connected_subs.append(sub)
        return sub

    async def start(self) -> None:
        """Connect and log in, then keep the link up in the background until `close()`.

        A refused login raises `AmiActionFailed` (a configuration error: no retrying). An unreachable
        Asterisk is logged and retried in the background; `wait_connected()` waits for it.
        """
        if self._runner is not None:
            raise RuntimeError("AmiClient.start() was already called")
        self._closing = False
        link: _Link | None = None
        try:
            link = await self._connect()
        except AmiActionFailed:
            raise
        except _CONNECT_ERRORS as exc:
            log.warning("ami.connect.failed", host=self.host, port=self.port, error=_describe(exc))
        self._runner = asyncio.get_running_loop().create_task(self._keep_connected(link))

    # ASYNC109: these `timeout`s are protocol deadlines that end in AmiTimeout/AmiNotConnected and clean up
    # the pending action, which a caller's asyncio.timeout (a bare CancelledError) would not say.
    async def wait_connected(self, timeout: float) -> None:  # noqa: ASYNC109
        """Wait until logged in; `AmiNotConnected` after `timeout` seconds."""
        try:
            async with asyncio.timeout(timeout):
                while not self.connected:
                    await self._connected.wait()
        except TimeoutError:
            raise AmiNotConnected(f"no AMI link to {self.host}:{self.port} after {timeout:g}s") from None

    async def close(self) -> None:
        """Log off, drop the link, stop reconnecting and stop every callback worker."""
        self._closing = True
        link = self._link
        if link is not None and self.connected:
            with contextlib.suppress(AmiError):
                await self._request(
                    {"Action": "Logoff"},
                    timeout=min(1.0, self._action_timeout),
                    is_list=False,
                    action_id=None,
                    internal=True,
                    link=link,
                )
        tasks: list[asyncio.Task[None]] = []
        if self._runner is not None:
            self._runner.cancel()
            tasks.append(self._runner)
            self._runner = None
        if link is not None:
            self._lose(link, "closed by the engine")
            tasks.extend(link.tasks)
        if self._resync_task is not None:
            self._resync_task.cancel()
            tasks.append(self._resync_task)
        for sub in self._event_subs:
            sub.closing = True
            if sub.worker is not None:
                sub.worker.cancel()
                tasks.append(sub.worker)
        tasks.extend(self._retired)
        self._retired.clear()
        # a callback that ignores cancellation is left behind: never hang the engine's shutdown
        await stop_tasks(tasks, what="AMI client", grace=_CLOSE_WAIT)

    async def send_action(
        self,
        action: ActionHeaders,
        *,
        timeout: float | None = None,  # noqa: ASYNC109
        action_id: str | None = None,
    ) -> Message:
        """Send one action and return its response (which carries the ActionID).

        Raises `UnsafeValueError` before anything is written if a header holds CR, LF or NUL.
        """
        messages = await self._request(action, timeout=timeout, is_list=False, action_id=action_id)
        return messages[0]

    async def send_list_action(
        self,
        action: ActionHeaders,
        *,
        timeout: float | None = None,  # noqa: ASYNC109
        action_id: str | None = None,
    ) -> list[Message]:
        """Send an action answered by an event list (QueueStatus, CoreShowChannels...) and return its items.

        The items are the events between `EventList: start` and the closing `...Complete` event; those
        events are not dispatched to `on_event` callbacks. `timeout` covers the whole list.
        """
        return await self._request(action, timeout=timeout, is_list=True, action_id=action_id)

    # --- requests -------------------------------------------------------------------------------------

    async def _request(
        self,
        action: ActionHeaders,
        *,
        timeout: float | None,  # noqa: ASYNC109
        is_list: bool,
        action_id: str | None,
        internal: bool = False,
        link: _Link | None = None,
    ) -> list[Message]:
        name = action_name(action)
        if any(key.lower() == "actionid" for key in action):
            raise ValueError("pass the ActionID as action_id=, not as a header")
        aid = action_id if action_id is not None else self.new_action_id()
        data = encode_action(name, aid, action)  # checks every header before anything else happens
        target = link if link is not None else self._link
        if (
            target is None
            or target.lost.is_set()
            or target.writer.is_closing()
            or not (target.logged_in or internal)
        ):
            raise AmiNotConnected(
                f"no live AMI link to Asterisk at {self.host}:{self.port}: "
                f"{name} (ActionID {aid}) was not sent"
            )
        if aid in self._pending:
            raise ValueError(f"ActionID {aid!r} is already waiting for an answer")
        future: asyncio.Future[list[Message]] = asyncio.get_running_loop().create_future()
        pending = _Pending(name, aid, target, is_list, internal, future)
        self._pending[aid] = pending
        seconds = self._action_timeout if timeout is None else timeout
        if not internal:
            log.info("ami.action.sent", action=name, action_id=aid)
        try:
            async with asyncio.timeout(seconds):
                target.writer.write(data)
                try:
                    await target.writer.drain()
                except ConnectionError as exc:
                    self._lose(target, f"write failed: {_describe(exc)}")
                return await future
        except TimeoutError:
            if not internal:
                log.warning("ami.action.timeout", action=name, action_id=aid, timeout=seconds)
            raise AmiTimeout(
                f"Asterisk did not answer {name} (ActionID {aid}) within {seconds:g}s; it may still run"
            ) from None
        finally:
            if self._pending.get(aid) is pending:
                del self._pending[aid]
                if is_list and (not future.done() or future.cancelled()):
                    self._stale_lists.add(aid)
            if future.done() and not future.cancelled():
                future.exception()  # mark it retrieved even when our caller was cancelled
            elif not future.done():
                future.cancel()

    def _handle(self, link: _Link, message: Message) -> None:
        """Route one frame: to the action waiting for it, else to the event subscribers."""
        if message.action_id in self._stale_lists:
            ended = is_list_end(message) if message.is_event else not is_list_start(message)
            if ended:
                self._stale_lists.discard(message.action_id)
            return
        pending = self._pending.get(message.action_id) if message.action_id else None
        if pending is not None and pending.link is link and not pending.future.done():
            if message.is_response and pending.response is None:
                pending.response = message
                if message.get("Response", "").lower() not in _SUCCESS:
                    pending.future.set_exception(
                        AmiActionFailed(
                            f"Asterisk refused {pending.action} (ActionID {pending.action_id}): "
                            f"{message.get('Message', message.get('Response', '?'))}"
                        )
                    )
                elif not pending.is_list:
                    pending.future.set_result([message])
                elif not is_list_start(message):
                    pending.future.set_result([])
                return
            if message.is_event and pending.is_list and pending.response is not None:
                if is_list_end(message):
                    pending.future.set_result(pending.items)
                else:
                    pending.items.append(message)
                return
        if message.is_event:
            self._dispatch(link, message)
        elif message.is_response:
            log.debug("ami.response.unclaimed", action_id=message.action_id, response=message.get("Response"))

    def _dispatch(self, link: _Link, event: Message) -> None:
        if event.name.lower() == "fullybooted" and link.logged_in:
            self._request_resync()
        overflow = False
        for sub in self._event_subs:
            if sub.cancelled or not sub.wants(event):
                continue
            if not sub.deliver(event):
                overflow = True
                if not sub.overflowing:
                    sub.overflowing = True
                    log.error(
                        "ami.event.dropped",
                        event_name=event.name,
                        callback=_name_of(sub.callback),
                        queue_size=self._event_queue_size,
                    )
        if overflow:
            self._request_resync()  # a subscriber lost events: whatever it mirrors must be rebuilt

    # --- connection lifecycle -------------------------------------------------------------------------

    async def _connect(self) -> _Link:
        """Open a link, read the greeting, log in. Raises AmiActionFailed when the login is refused."""
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(self.host, self.port), self._connect_timeout
        )
        link: _Link | None = None
        try:
            greeting = await asyncio.wait_for(reader.readuntil(EOL), self._connect_timeout)
            banner = greeting.decode("utf-8", errors="replace").strip()
            if not banner.startswith(BANNER_PREFIX):
                raise AmiError(f"{self.host}:{self.port} is not an Asterisk Manager Interface: {banner!r}")
            link = _Link(reader, writer, banner[len(BANNER_PREFIX) :])
            link.tasks.append(asyncio.get_running_loop().create_task(self._read(link)))
            login = {"Action": "Login", "Username": self._username, "Secret": self._secret, "Events": "on"}
            try:
                # Asterisk waits 1 s before it answers a refused login: give it the time to say so.
                await self._request(
                    login,
                    timeout=max(self._action_timeout, 2.0),
                    is_list=False,
                    action_id=None,
                    internal=True,
                    link=link,
                )
            except AmiActionFailed as exc:
                log.error("ami.login.refused", user=self._username, host=self.host, port=self.port)
                raise AmiActionFailed(
                    f"AMI login refused for user {self._username}: check asterisk-conf manager.conf "
                    f"and the generated secret ({exc})"
                ) from None
        except BaseException:
            if link is not None:
                self._lose(link, "login failed")
                await self._reap(link)
            else:
                writer.transport.abort()
            raise
        link.logged_in = True
        self._link = link
        self._connected.set()
        link.tasks.append(asyncio.get_running_loop().create_task(self._watch(link)))
        log.info(
            "ami.connected", host=self.host, port=self.port, user=self._username, ami_version=link.version
        )
        self._request_resync()
        return link

    async def _keep_connected(self, link: _Link | None) -> None:
        """Background task: wait for the link to drop, then reconnect with exponential backoff."""
        delay = self._delay_min
        while not self._closing:
            if link is not None:
                await link.lost.wait()
                await self._reap(link)
                link = None
                delay = self._delay_min
                continue
            log.info("ami.reconnect.scheduled", delay=delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, self._delay_max)
            try:
                link = await self._connect()
            except AmiActionFailed:
                pass  # logged as ami.login.refused; keep trying, the secret may be fixed and reloaded
            except _CONNECT_ERRORS as exc:
                log.warning("ami.connect.failed", host=self.host, port=self.port, error=_describe(exc))

    async def _read(self, link: _Link) -> None:
        """The reader: parse and route, nothing else. It must never wait on a consumer."""
        reason = "connection closed by Asterisk"
        loop = asyncio.get_running_loop()
        try:
            while True:
                data = await link.reader.read(65536)
                if not data:
                    break
                for message in link.parser.feed(data, received_at=loop.time()):
                    try:
                        self._handle(link, message)
                    except Exception:
                        log.exception("ami.message.handling_failed", message=repr(message))
        except (OSError, AmiError) as exc:
            reason = f"read failed: {_describe(exc)}"
        finally:
            self._lose(link, "closed by the engine" if self._closing else reason)

    async def _watch(self, link: _Link) -> None:
        """The watchdog: a Ping every ping_interval; no pong within ping_timeout means a dead link."""
        while True:
            await asyncio.sleep(self._ping_interval)
            try:
                await self._request(
                    {"Action": "Ping"},
                    timeout=self._ping_timeout,
                    is_list=False,
                    action_id=None,
                    internal=True,
                    link=link,
                )
            except AmiTimeout:
                log.warning(
                    "ami.watchdog.timeout", host=self.host, port=self.port, ping_timeout=self._ping_timeout
                )
                self._lose(link, f"no pong within {self._ping_timeout:g}s (half-open link)")
                return
            except AmiError:
                return  # the link is already gone

    def _lose(self, link: _Link, reason: str) -> None:
        """Drop `link` once: fail what it carried, never re-send it, and let the runner reconnect."""
        if link.lost.is_set():
            return
        link.lost.set()
        self._stale_lists.clear()
        if self._link is link:
            self._link = None
            self._connected.clear()
        for aid, pending in list(self._pending.items()):
            if pending.link is not link:
                continue
            del self._pending[aid]
            if pending.future.done():
                continue
            if pending.internal:
                pending.future.set_exception(AmiNotConnected(f"AMI link lost: {reason}"))
                continue
            log.warning("ami.action.outcome_unknown", action=pending.action, action_id=aid, reason=reason)
            pending.future.set_exception(
                AmiOutcomeUnknown(
                    f"the AMI link dropped ({reason}) after {pending.action} (ActionID {aid}) was sent: "
                    "it may or may not have run; reconcile from Asterisk's state, never resend it blindly"
                )
            )
        link.writer.transport.abort()
        current = asyncio.current_task()
        for task in link.tasks:
            if task is not current:
                task.cancel()
        if link.logged_in:
            level = log.info if self._closing else log.warning
            level("ami.disconnected", host=self.host, port=self.port, reason=reason)

    async def _reap(self, link: _Link) -> None:
        current = asyncio.current_task()
        await asyncio.gather(*(t for t in link.tasks if t is not current), return_exceptions=True)

    # --- resync callbacks ------------------------------------------------------------------------------

    def _request_resync(self) -> None:
        if self._closing:
            return
        self._resync_wanted = True
        if self._resync_task is None or self._resync_task.done():
            self._resync_task = asyncio.get_running_loop().create_task(self._run_connected_callbacks())

    async def _run_connected_callbacks(self) -> None:
        while self._resync_wanted and not self._closing:
            self._resync_wanted = False
            for sub in list(self._connected_subs):
                try:
                    result = sub.callback()
                    if inspect.isawaitable(result):
                        await result
                except Exception:
                    log.exception("ami.on_connected.failed", callback=_name_of(sub.callback))

    def _forget(self, sub: Subscription) -> None:
        if isinstance(sub, _EventSubscription) and sub in self._event_subs:
            self._event_subs.remove(sub)
            if sub.worker is not None:
                sub.worker.cancel()
                self._retired.add(sub.worker)
        elif isinstance(sub, _ConnectedSubscription) and sub in self._connected_subs:
            self._connected_subs.remove(sub)


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
