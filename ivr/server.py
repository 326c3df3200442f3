"""The FastAGI listener: one task per call, every log line of a call tagged with its id, shutdown in phases.

A connection that never becomes a call (half a header, a port scan, a stall) costs one short-lived task
and a warning at most. A call whose handler fails gets `HOTLINE_ERROR` set on its channel, best effort,
so the dialplan sends the caller to the fallback instead of leaving them in silence. The caller hanging
up is the ordinary end of a call and is logged as such, not as an error.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Final, Self

from hotline.constants import DEFAULT_AGI_PORT, DEFAULT_HOST, VAR_ERROR
from hotline.errors import AgiError, AgiProtocolError, CallHangup, HotlineException
from hotline.log import bind_call, get_logger
from hotline.redact import mask
from ivr.agi import AgiEnv
from ivr.channel import DEFAULT_COMMAND_TIMEOUT, DEFAULT_MEDIA_TIMEOUT, AgiChannel, read_env

log = get_logger(__name__)

Handler = Callable[[AgiChannel], Awaitable[None]]
"""Runs one call. Return when the engine has decided (the dialplan acts on the channel variables)."""

DEFAULT_HEADER_TIMEOUT: Final = 5.0
DEFAULT_IDLE_TIMEOUT: Final = 60.0
# Open connections at once, calls and not-yet-calls: a few times the hotline's 100 lines. A flood of idle
# connections (5,000 were accepted) is cut here; each is closed after header_timeout anyway.
DEFAULT_MAX_CONNECTIONS: Final = 400
DEFAULT_REPORT_TIMEOUT: Final = 2.0
DEFAULT_GRACE: Final = 10.0
_CLOSE_TIMEOUT: Final = 1.0  # to flush our last bytes before the socket is aborted


def check_bind_host(host: str, *, allow_public: bool = False) -> None:
    """Refuse to listen anywhere but loopback or a private address: FastAGI has no authentication.

    Anyone who reaches the port can present a forged call and read what the engine answers.
    """
    if allow_public or host == "localhost":
        return
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(
            f"FastAGI host must be an IP address, not {host!r}: a name may resolve to a public address"
        ) from None
    if address.is_loopback or (address.is_private and not (address.is_unspecified or address.is_link_local)):
        return
    raise ValueError(
        f"refusing to listen for FastAGI on {host}: the protocol has no authentication. Use loopback "
        "(127.0.0.1) or a private address, or allow_public_bind=True if a firewall guards the port"
    )


class _IdleDeadline:
    """Cancels a handler that goes `idle_s` seconds without an AGI command in flight.

    A handler stuck on something else (a dead Redis) would leave the caller in silence. While a command
    runs, its own timeout applies and this deadline is off; outside the handler's run it does nothing.
    """

    def __init__(self, idle_s: float) -> None:
        self._idle_s = idle_s
        self._timeout = asyncio.timeout(idle_s)
        self._armed = False

    async def __aenter__(self) -> None:
        await self._timeout.__aenter__()
        self._armed = True

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._armed = False
        await self._timeout.__aexit__(exc_type, exc, tb)

    def expired(self) -> bool:
        return self._timeout.expired()

    def activity(self, busy: bool) -> None:
        if self._armed:
            self._timeout.reschedule(None if busy else asyncio.get_running_loop().time() + self._idle_s)


class FastAgiServer:
    """Accepts Asterisk's FastAGI connections and runs `handler` once per call.

    Use as `async with FastAgiServer(handler, port=0) as server:`, or `start()` then `close()`.
    """

    def __init__(
        self,
        handler: Handler,
        *,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_AGI_PORT,
        header_timeout: float = DEFAULT_HEADER_TIMEOUT,
        command_timeout: float = DEFAULT_COMMAND_TIMEOUT,
        media_timeout: float = DEFAULT_MEDIA_TIMEOUT,
        idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
        report_timeout: float = DEFAULT_REPORT_TIMEOUT,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        allow_public_bind: bool = False,
    ) -> None:
        check_bind_host(host, allow_public=allow_public_bind)
        timeouts = {
            "header_timeout": header_timeout,
            "command_timeout": command_timeout,
            "media_timeout": media_timeout,
            "idle_timeout": idle_timeout,
            "report_timeout": report_timeout,
        }
        for name, seconds in timeouts.items():
            if not seconds > 0:
                raise ValueError(f"{name} must be a positive number of seconds, not {seconds!r}")
        if max_connections < 1:
            raise ValueError(f"max_connections must be 1 or more, not {max_connections!r}")
        self._max_connections = max_connections
        self._refused = 0  # connections refused over the cap since the last warning
        self._handler = handler
        self._host = host
        self._port = port
        self._header_timeout = header_timeout
        self._command_timeout = command_timeout
        self._media_timeout = media_timeout
        self._idle_timeout = idle_timeout
        self._report_timeout = report_timeout
        self._server: asyncio.Server | None = None
        self._tasks: dict[asyncio.Task[None], asyncio.StreamWriter] = {}
        self._calls = 0
        self._closing = False

    # --- Lifecycle ----------------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def start(self) -> None:
        """Bind and start accepting."""
        if self._server is not None or self._closing:
            raise RuntimeError("a FastAgiServer starts once")
        self._server = await asyncio.start_server(self._accept, self._host, self._port)
        log.info("agi.server.started", host=self._host, port=self.port)

    async def close(self, grace: float = DEFAULT_GRACE) -> None:
        """Stop accepting, give live calls up to `grace` seconds to end, then cancel the rest.

        Idempotent. A second call while the first one waits (a second signal) with a shorter grace
        cuts the wait short. Returns once every connection is closed.
        """
        first = not self._closing
        self._closing = True
        if first and self._server is not None:
            self._server.close()
            log.info("agi.server.closing", active_calls=self._calls, grace_s=grace)
        if self._tasks and grace > 0:
            await asyncio.wait(set(self._tasks), timeout=grace)
        left = set(self._tasks)
        if left:
            log.warning("agi.server.cancelling", connections=len(left))
            for task in left:
                task.cancel("the FastAGI server is closing")
            _, stuck = await asyncio.wait(left, timeout=self._report_timeout + 2 * _CLOSE_TIMEOUT)
            for task in stuck:  # a handler that swallows CancelledError: cut its connection anyway
                self._tasks[task].transport.abort()
            if stuck:
                log.error("agi.server.calls_ignore_cancel", connections=len(stuck))
        if self._server is not None:
            await self._server.wait_closed()
        if first:
            log.info("agi.server.closed")

    @property
    def port(self) -> int:
        """The port actually bound (useful with port=0)."""
        if self._server is None or not self._server.sockets:
            raise RuntimeError("the FastAGI server is not listening")
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def active_calls(self) -> int:
        """Calls whose header was read and whose handler has not finished."""
        return self._calls

    @property
    def tasks(self) -> frozenset[asyncio.Task[None]]:
        """One task per open connection, calls and not-yet-calls alike."""
        return frozenset(self._tasks)

    # --- One connection ---------------------------------------------------------------------------

    def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._closing:
            writer.transport.abort()
            return
        if len(self._tasks) >= self._max_connections:
            writer.transport.abort()  # Asterisk's AGI() fails: the call goes to the fallback context
            self._refused += 1
            if self._refused == 1 or self._refused % 100 == 0:
                log.warning(
                    "agi.connection.over_limit",
                    peer=_peer(writer),
                    open=len(self._tasks),
                    limit=self._max_connections,
                    refused=self._refused,
                )
            return
        self._refused = 0
        task = asyncio.create_task(self._serve(reader, writer), name=f"fastagi {_peer(writer)}")
        self._tasks[task] = writer
        task.add_done_callback(self._forget)

    def _forget(self, task: asyncio.Task[None]) -> None:
        writer = self._tasks.pop(task)
        if not writer.transport.is_closing():  # cancelled before it ever ran
            writer.transport.abort()
        if not task.cancelled() and (exc := task.exception()) is not None:
            log.error("agi.connection.crashed", exc_info=exc)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            env = await self._read_header(reader, writer)
            if env is not None:
                await self._run_call(env, reader, writer)
        finally:
            await _close(writer)

    async def _read_header(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> AgiEnv | None:
        """The AGI environment, or None (logged) for a connection that never becomes a call."""
        peer = _peer(writer)
        try:
            async with asyncio.timeout(self._header_timeout):
                return await read_env(reader)
        except TimeoutError:
            log.warning("agi.header.timeout", peer=peer, timeout_s=self._header_timeout)
        except AgiProtocolError as exc:
            if reader.at_eof():
                log.info("agi.header.incomplete", peer=peer, reason=str(exc))
            else:
                log.warning("agi.header.invalid", peer=peer, reason=str(exc))
        except OSError as exc:
            log.info("agi.header.incomplete", peer=peer, reason=str(exc))
        return None

    async def _run_call(
        self, env: AgiEnv, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        bind_call(env.uniqueid, channel=env.channel)
        loop = asyncio.get_running_loop()
        started = loop.time()
        outcome = "error"
        log.info("agi.call.start", script=env.network_script, callerid=mask(env.callerid), dnid=env.dnid)
        deadline = _IdleDeadline(self._idle_timeout)
        channel = AgiChannel(
            reader,
            writer,
            env,
            command_timeout=self._command_timeout,
            media_timeout=self._media_timeout,
            on_activity=deadline.activity,
        )
        self._calls += 1
        try:
            async with deadline:
                await self._handler(channel)
            outcome = "completed"
        except CallHangup as exc:
            outcome = "caller_hung_up"
            log.info("agi.call.hangup", reason=str(exc))
        except Exception as exc:
            if deadline.expired():
                reason = "idle_timeout"
                error = f"the handler sent no AGI command for {self._idle_timeout:g} s"
            else:
                reason, error = type(exc).__name__, str(exc) or repr(exc)
            log.error("agi.call.error", reason=reason, error=error, exc_info=True)
            await self._report_error(channel, reason)
        except asyncio.CancelledError:
            outcome = "cancelled"
            log.warning("agi.call.cancelled")
            await self._report_error(channel, "shutdown")
            raise
        finally:
            self._calls -= 1
            log.info("agi.call.end", outcome=outcome, duration_s=round(loop.time() - started, 3))

    async def _report_error(self, channel: AgiChannel, reason: str) -> None:
        """Best effort: set HOTLINE_ERROR so the dialplan sends the caller to the fallback."""
        if channel.closed:
            log.warning("agi.call.error_not_reported", why="the AGI connection is closed")
            return
        try:
            await channel.command("SET VARIABLE", VAR_ERROR, reason, reply_timeout=self._report_timeout)
        except (AgiError, CallHangup) as exc:
            log.warning("agi.call.error_not_reported", why=str(exc))
        except HotlineException as exc:  # UnsafeValueError cannot come from our reasons; keep it visible
            log.error("agi.call.error_not_reported", why=str(exc), exc_info=True)
        else:
            log.info("agi.call.error_reported", variable=VAR_ERROR, reason=reason)


async def _close(writer: asyncio.StreamWriter) -> None:
    """Close our end: let the last bytes go out, abort if the peer does not take them."""
    writer.close()
    try:
        async with asyncio.timeout(_CLOSE_TIMEOUT):
            await writer.wait_closed()
    except TimeoutError:
        writer.transport.abort()
    except OSError as exc:  # the peer reset the connection: it is closed all the same
        log.debug("agi.connection.reset", error=str(exc))


def _peer(writer: asyncio.StreamWriter) -> str:
    peer = writer.get_extra_info("peername")
    if isinstance(peer, tuple) and len(peer) >= 2:
        return f"{peer[0]}:{peer[1]}"
    return str(peer)
