"""An in-process fake Asterisk Manager Interface: Asterisk 22's greeting, CRLF framing and replies.

Each action it reads is recorded (parsed and raw), so a test can count what reached "Asterisk". Replies
are shaped on Asterisk 22's manager.c and app_queue.c; the lead will replace the transcripts below with
ones captured from the sandbox. Per-test behaviour: `fake.on("Originate", handler)`, `answer_pings`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from types import TracebackType

BANNER = "Asterisk Call Manager/11.0.0"  # what Asterisk 22 (AMI_VERSION 11.0.0) sends on connect
USERNAME = "hotline-engine"
SECRET = "s3cret-from-secrets-json"  # noqa: S105 - the fake's own test credential
WAIT = 5.0  # a guard against a hung test, not a speed bound


def wire(text: str) -> str:
    """A transcript written with plain newlines, as Asterisk sends it: CRLF lines, a blank line per frame."""
    frames = [frame.strip("\n") for frame in text.strip("\n").split("\n\n")]
    return "".join(frame.replace("\n", "\r\n") + "\r\n\r\n" for frame in frames if frame)


QUEUE_STATUS = """
Response: Success
ActionID: {action_id}
EventList: start
Message: Queue status will follow

Event: QueueParams
Queue: hotline-heating
Max: 0
Strategy: rrmemory
Calls: 1
Holdtime: 12
TalkTime: 95
Completed: 7
Abandoned: 2
ServiceLevel: 60
ServicelevelPerf: 85.7
ServicelevelPerf2: 71.4
Weight: 0
ActionID: {action_id}

Event: QueueMember
Queue: hotline-heating
Name: Ольга Петрова
Location: PJSIP/op-olga
StateInterface: PJSIP/op-olga
Membership: static
Penalty: 0
CallsTaken: 4
LastCall: 1763761100
LastPause: 0
LoginTime: 1763750000
InCall: 1
Status: 2
Paused: 0
PausedReason:
Wrapuptime: 0
ActionID: {action_id}

Event: QueueMember
Queue: hotline-heating
Name: Иван Сидоров
Location: PJSIP/op-ivan
StateInterface: PJSIP/op-ivan
Membership: static
Penalty: 0
CallsTaken: 3
LastCall: 1763760000
LastPause: 1763761000
LoginTime: 1763750000
InCall: 0
Status: 1
Paused: 1
PausedReason: обед
Wrapuptime: 0
ActionID: {action_id}

Event: QueueEntry
Queue: hotline-heating
Position: 1
Channel: PJSIP/carrier-00000007
Uniqueid: 1763761234.21
CallerIDNum: 79161234567
CallerIDName: Иван
ConnectedLineNum: <unknown>
ConnectedLineName: <unknown>
Wait: 42
Priority: 0
ActionID: {action_id}

Event: QueueParams
Queue: hotline-general
Max: 0
Strategy: ringall
Calls: 0
Holdtime: 0
TalkTime: 0
Completed: 0
Abandoned: 0
ServiceLevel: 60
ServicelevelPerf: 0.0
ServicelevelPerf2: 0.0
Weight: 0
ActionID: {action_id}

Event: QueueStatusComplete
ActionID: {action_id}
EventList: Complete
ListItems: 5
"""

CORE_SHOW_CHANNELS = """
Response: Success
ActionID: {action_id}
EventList: start
Message: Channels will follow

Event: CoreShowChannel
ActionID: {action_id}
Channel: PJSIP/carrier-00000005
ChannelState: 6
ChannelStateDesc: Up
CallerIDNum: 79035550101
CallerIDName: Мария
ConnectedLineNum: 1001
ConnectedLineName: Ольга Петрова
Language: ru
AccountCode:
Context: hotline-after-ivr
Exten: s
Priority: 4
Uniqueid: 1763761100.15
Linkedid: 1763761100.15
Application: Queue
ApplicationData: hotline-heating
Duration: 00:02:14
BridgeId: 5d1c3a1e-7a2b-4f45-9d1e-2f3c4b5a6d7e

Event: CoreShowChannel
ActionID: {action_id}
Channel: PJSIP/op-olga-00000006
ChannelState: 6
ChannelStateDesc: Up
CallerIDNum: 1001
CallerIDName: Ольга Петрова
ConnectedLineNum: 79035550101
ConnectedLineName: Мария
Language: ru
AccountCode:
Context: hotline-operators
Exten: s
Priority: 1
Uniqueid: 1763761101.16
Linkedid: 1763761100.15
Application: AppQueue
ApplicationData: (Outgoing Line)
Duration: 00:02:10
BridgeId: 5d1c3a1e-7a2b-4f45-9d1e-2f3c4b5a6d7e

Event: CoreShowChannel
ActionID: {action_id}
Channel: PJSIP/carrier-00000007
ChannelState: 6
ChannelStateDesc: Up
CallerIDNum: 79161234567
CallerIDName: Иван
ConnectedLineNum: <unknown>
ConnectedLineName: <unknown>
Language: ru
AccountCode:
Context: hotline-after-ivr
Exten: s
Priority: 4
Uniqueid: 1763761234.21
Linkedid: 1763761234.21
Application: Queue
ApplicationData: hotline-heating
Duration: 00:00:42
BridgeId:

Event: CoreShowChannelsComplete
ActionID: {action_id}
EventList: Complete
ListItems: 3
"""

CORE_STATUS = """
Response: Success
ActionID: {action_id}
CoreStartupDate: 2025-11-21
CoreStartupTime: 21:50:03
CoreReloadDate: 2025-11-21
CoreReloadTime: 21:50:03
CoreCurrentCalls: 3
"""

FULLY_BOOTED = """
Event: FullyBooted
Privilege: system,all
Uptime: 3600
LastReload: 3600
Status: Fully Booted
"""


def _headers(raw: bytes) -> list[tuple[str, str]]:
    headers: list[tuple[str, str]] = []
    for line in raw.decode("utf-8").split("\r\n"):
        name, sep, value = line.partition(": ")
        if sep:
            headers.append((name, value))
    return headers


@dataclass
class Action:
    """One action the fake read: its headers in order, case-insensitive lookup, and the raw bytes."""

    headers: list[tuple[str, str]]
    raw: bytes

    def get(self, name: str, default: str = "") -> str:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return default

    @property
    def name(self) -> str:
        return self.get("Action")

    @property
    def action_id(self) -> str:
        return self.get("ActionID")


@dataclass(eq=False)
class FakeSession:
    """One client connection to the fake."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    authenticated: bool = False

    async def send(self, transcript: str, **values: str) -> None:
        """Write a transcript (plain newlines, `{action_id}` placeholders) as AMI frames."""
        self.writer.write(wire(transcript.format(**values)).encode())
        with contextlib.suppress(ConnectionError):
            await self.writer.drain()

    def drop(self) -> None:
        """Cut the TCP connection at once, as a crash or a network failure would."""
        self.writer.transport.abort()

    def close(self) -> None:
        """Close the connection after what was written, as Asterisk does after Logoff or a refused login."""
        self.writer.close()


Handler = Callable[[FakeSession, Action], Awaitable[None]]


@dataclass(eq=False)
class FakeAmi:
    """The fake server. `async with FakeAmi() as fake:` listens on 127.0.0.1, port `fake.port`."""

    username: str = USERNAME
    secret: str = SECRET
    fully_booted: bool = True
    answer_pings: bool = True
    refused_login_delay: float = 1.0  # manager.c sleeps 1 s before "Authentication failed", then hangs up
    received: list[Action] = field(default_factory=list)
    raw: bytearray = field(default_factory=bytearray)
    sessions: list[FakeSession] = field(default_factory=list)
    logins: int = 0
    handlers: dict[str, Handler] = field(default_factory=dict)
    _server: asyncio.Server | None = None
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    async def __aenter__(self) -> FakeAmi:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._server is not None
        self._server.close()
        for session in self.sessions:
            session.drop()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()

    @property
    def port(self) -> int:
        assert self._server is not None
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    def on(self, action: str, handler: Handler) -> None:
        """Answer `action` with `handler(session, action)` instead of the default reply."""
        self.handlers[action.lower()] = handler

    def count(self, action: str) -> int:
        return sum(1 for a in self.received if a.name.lower() == action.lower())

    async def wait_for(self, action: str, count: int = 1) -> Action:
        """Wait until `count` actions named `action` were read; return the last one."""
        async with asyncio.timeout(WAIT), self._changed:
            await self._changed.wait_for(lambda: self.count(action) >= count)
        return [a for a in self.received if a.name.lower() == action.lower()][-1]

    async def wait_logins(self, count: int) -> None:
        async with asyncio.timeout(WAIT), self._changed:
            await self._changed.wait_for(lambda: self.logins >= count)

    async def broadcast(self, transcript: str, **values: str) -> None:
        """Send events to every logged-in client."""
        for session in list(self.sessions):
            if session.authenticated:
                await session.send(transcript, **values)

    def drop_all(self) -> None:
        for session in list(self.sessions):
            session.drop()

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        session = FakeSession(reader, writer)
        self.sessions.append(session)
        try:
            writer.write(f"{BANNER}\r\n".encode())
            while True:
                raw = await reader.readuntil(b"\r\n\r\n")
                self.raw += raw
                action = Action(_headers(raw), raw)
                self.received.append(action)
                await self._answer(session, action)
                await self._notify()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self.sessions.remove(session)
            writer.transport.abort()
            self._tasks.discard(task)

    async def _answer(self, session: FakeSession, action: Action) -> None:
        name = action.name.lower()
        aid = action.action_id
        if name in self.handlers:
            await self.handlers[name](session, action)
        elif name == "login":
            if action.get("Username") == self.username and action.get("Secret") == self.secret:
                session.authenticated = True
                self.logins += 1
                accepted = "Response: Success\nActionID: {action_id}\nMessage: Authentication accepted"
                await session.send(accepted, action_id=aid)
                if self.fully_booted:
                    await session.send(FULLY_BOOTED)
            else:
                await asyncio.sleep(self.refused_login_delay)
                await session.send(
                    "Response: Error\nActionID: {action_id}\nMessage: Authentication failed", action_id=aid
                )
                session.close()
        elif not session.authenticated:
            await session.send(
                "Response: Error\nActionID: {action_id}\nMessage: Permission denied", action_id=aid
            )
        elif name == "ping":
            if self.answer_pings:
                await session.send(
                    "Response: Success\nActionID: {action_id}\nPing: Pong\nTimestamp: 1763761300.123456",
                    action_id=aid,
                )
        elif name == "logoff":
            await session.send(
                "Response: Goodbye\nActionID: {action_id}\nMessage: Thanks for all the fish.", action_id=aid
            )
            session.close()
        elif name == "queuestatus":
            await session.send(QUEUE_STATUS, action_id=aid)
        elif name == "coreshowchannels":
            await session.send(CORE_SHOW_CHANNELS, action_id=aid)
        elif name == "corestatus":
            await session.send(CORE_STATUS, action_id=aid)
        else:
            await session.send(
                "Response: Error\nActionID: {action_id}\nMessage: Invalid/unknown command: {name}. "
                "Use Action: ListCommands to show available commands.",
                action_id=aid,
                name=action.name,
            )
