"""One call's FastAGI conversation: a command out, its reply in, and the caller's hangup as the ordinary end.

Facts from res_agi.c this module is built on:

- Asterisk runs one command at a time and answers each with one reply, so commands are serialised here;
- `HANGUP` may arrive before any reply (or between commands); the reply still follows if there is one;
- once the channel is dead, commands that need a live channel are answered `511`;
- a media command answers `result=-1` on hangup *and* on a sound file it cannot open, so a -1 is checked
  with one `CHANNEL STATUS` (511 on a dead channel) before it is called a hangup: a missing prompt is an
  error that must send the caller to the fallback, not a silent end;
- a new command written while `STREAM FILE` plays interrupts it and that `STREAM FILE` gets no reply at all
  (a `WAIT FOR DIGIT` gets `result=1`). After a command times out the stream is out of step by an unknown
  number of replies; the next command first realigns it with an echoed marker.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import Callable
from typing import Final, NoReturn

from hotline.errors import AgiCommandError, AgiProtocolError, AgiTimeout, CallHangup
from hotline.log import get_logger
from ivr.agi import (
    MAX_ENV_BYTES,
    AgiEnv,
    AgiReply,
    ensure_wire_safe,
    format_command,
    is_hangup_line,
    parse_env,
    parse_reply,
    reply_complete,
)

log = get_logger(__name__)

DTMF_DIGITS: Final = "0123456789*#ABCD"
DEFAULT_COMMAND_TIMEOUT: Final = 10.0  # seconds for a command that does not wait on the caller
DEFAULT_MEDIA_TIMEOUT: Final = 300.0  # seconds for STREAM FILE and EXEC: longer than any prompt
MAX_REPLY_BYTES: Final = 65536
# Commands whose result is what the caller pressed: logged only as whether anything was typed.
_CALLER_INPUT: Final = frozenset(
    {"GET DATA", "WAIT FOR DIGIT", "STREAM FILE", "CONTROL STREAM FILE", "GET OPTION", "RECORD FILE"}
    | {"SAY DIGITS", "SAY NUMBER", "SAY ALPHA", "SAY PHONETIC", "SAY DATE", "SAY TIME", "SAY DATETIME"}
)
_APP_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_INTEGER = re.compile(r"-?[0-9]+")
_GENDER = re.compile(r"[a-z]")  # say.c's gender options are one letter: f, m, n, c (common), p (plural)

ActivityHook = Callable[[bool], None]
"""Called with True when a command starts and False when it ends (the server's idle watchdog)."""


async def read_env(reader: asyncio.StreamReader, *, max_bytes: int = MAX_ENV_BYTES) -> AgiEnv:
    """Read the environment Asterisk sends first, up to its empty line, and parse it.

    Unbounded in time: the server wraps it in its header timeout. AgiProtocolError if the connection
    closes first (`reader.at_eof()` is then true), a line or the block is too long, or a line is malformed.
    """
    block = bytearray()
    while True:
        try:
            line = await reader.readuntil(b"\n")
        except asyncio.IncompleteReadError as exc:
            received = len(block) + len(exc.partial)
            raise AgiProtocolError(
                f"the connection closed after {received} bytes of the AGI environment, before its end"
            ) from None
        except asyncio.LimitOverrunError as exc:
            raise AgiProtocolError(f"an AGI environment line is longer than {exc.consumed} bytes") from None
        block += line
        if len(block) > max_bytes:
            raise AgiProtocolError(f"the AGI environment is larger than {max_bytes} bytes")
        if line in (b"\n", b"\r\n"):
            return parse_env(bytes(block))


class AgiChannel:
    """One call, talked to over the FastAGI connection Asterisk opened for it.

    The server owns the connection and closes it; the channel only reads and writes. A `CallHangup`
    from any method is the caller leaving (or Asterisk closing the connection): let it propagate.
    """

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        env: AgiEnv,
        *,
        command_timeout: float = DEFAULT_COMMAND_TIMEOUT,
        media_timeout: float = DEFAULT_MEDIA_TIMEOUT,
        on_activity: ActivityHook | None = None,
    ) -> None:
        self.env = env
        self._reader = reader
        self._writer = writer
        self._command_timeout = command_timeout
        self._media_timeout = media_timeout
        self._on_activity = on_activity
        self._lock = asyncio.Lock()
        self._hung_up = False
        self._closed = False
        self._unanswered: str | None = None  # a command whose reply was never read

    @property
    def hung_up(self) -> bool:
        """Asterisk said the channel hung up (HANGUP line, 511, or the connection closed)."""
        return self._hung_up

    @property
    def closed(self) -> bool:
        """The connection is closed or broken: no command can be sent any more."""
        return self._closed

    # --- The one primitive ------------------------------------------------------------------------

    async def command(self, name: str, *args: str | int, reply_timeout: float | None = None) -> AgiReply:
        """Send one command and return its 200 reply.

        Raises CallHangup on 511 or a closed connection, AgiCommandError on another error code,
        AgiTimeout when no reply comes within `reply_timeout` (default: the channel's command timeout),
        UnsafeValueError (before anything is written) for a value that cannot go on the wire.
        """
        line = format_command(name, *args)
        limit = self._command_timeout if reply_timeout is None else reply_timeout
        async with self._lock:
            if self._closed:
                raise CallHangup(f"{name}: the AGI connection is already closed")
            self._activity(busy=True)
            try:
                async with asyncio.timeout(limit):
                    if self._unanswered is not None:
                        await self._resync()
                    self._unanswered = name
                    await self._send(line)
                    reply = await self._read_reply()
                    self._unanswered = None
            except TimeoutError:
                raise AgiTimeout(f"no reply from Asterisk to {name} within {limit:g} s") from None
            finally:
                self._activity(busy=False)
        if name in _CALLER_INPUT:  # what the caller typed (a PIN, a number) never reaches a log
            log.debug("agi.command", command=name, code=reply.code, typed=reply.result not in ("", "0", "-1"))
        else:
            log.debug("agi.command", command=name, code=reply.code, result=reply.result)
        return self._check(name, reply)

    # --- Convenience ------------------------------------------------------------------------------

    async def answer(self) -> None:
        """Answer the channel (nothing happens if it is already up)."""
        reply = await self.command("ANSWER")
        if _result_int("ANSWER", reply) < 0:
            await self._failed("ANSWER", reply)

    async def stream_file(
        self, path: str, escape_digits: str = "", *, reply_timeout: float | None = None
    ) -> str | None:
        """Play a sound file (path without extension); the digit that stopped it, None if it played out.

        `reply_timeout` (default: the channel's media timeout) must exceed the prompt's length.
        """
        if not path:
            raise ValueError("stream_file needs a sound file path")
        _check_digits(escape_digits)
        limit = self._media_timeout if reply_timeout is None else reply_timeout
        reply = await self.command("STREAM FILE", path, escape_digits, reply_timeout=limit)
        return await self._digit("STREAM FILE", reply)

    async def say_digits(self, digits: str, escape_digits: str = "") -> str | None:
        """Say `digits` one by one in the channel's language; the digit that stopped it, or None."""
        if not digits.isdigit():
            raise ValueError(f"SAY DIGITS takes digits only, not {digits!r}")
        _check_digits(escape_digits)
        reply = await self.command("SAY DIGITS", digits, escape_digits, reply_timeout=self._media_timeout)
        return await self._digit("SAY DIGITS", reply)

    async def say_number(self, number: int, escape_digits: str = "", gender: str = "") -> str | None:
        """Say a whole number in the channel's language ("десять"); the digit that stopped it, or None.

        `gender` is Asterisk's option for the languages whose numbers have one, in the nominative: "f"
        says a Russian 1 and 2 as "одна", "две" (its sound files digits/1f, digits/2f), "n" as "одно";
        "" (the default) sends no option. Languages without genders ignore it.
        """
        _check_digits(escape_digits)
        args = [str(int(number)), escape_digits]
        if gender:
            ensure_wire_safe(gender, "the gender of SAY NUMBER")
            if not _GENDER.fullmatch(gender):
                raise ValueError(f"SAY NUMBER takes a gender of one letter (f, m, n...), not {gender!r}")
            args.append(gender)
        reply = await self.command("SAY NUMBER", *args, reply_timeout=self._media_timeout)
        return await self._digit("SAY NUMBER", reply)

    async def get_data(self, path: str, timeout_s: float, max_digits: int) -> str:
        """Play a prompt and collect up to `max_digits` keys (# ends early); "" when none came in time."""
        if not path:
            raise ValueError("get_data needs a sound file path")
        reply = await self.command(
            "GET DATA",
            path,
            str(int(timeout_s * 1000)),
            str(max_digits),
            reply_timeout=self._media_timeout + timeout_s * (max_digits + 1),
        )
        code = reply.result
        if code.startswith("-"):
            await self._failed("GET DATA", reply)
        return "".join(ch for ch in code if ch in DTMF_DIGITS)

    async def wait_for_digit(self, timeout_s: float) -> str | None:
        """Wait up to `timeout_s` seconds for one DTMF digit; None if none came."""
        if timeout_s < 0:
            raise ValueError("wait_for_digit needs a timeout >= 0 (Asterisk reads a negative one as forever)")
        milliseconds = round(timeout_s * 1000)
        reply = await self.command(
            "WAIT FOR DIGIT", milliseconds, reply_timeout=timeout_s + self._command_timeout
        )
        return await self._digit("WAIT FOR DIGIT", reply)

    async def set_variable(self, name: str, value: str) -> None:
        """Set a channel variable (or a dialplan function such as `CHANNEL(language)`)."""
        _check_variable_name(name)
        await self.command("SET VARIABLE", name, value)

    async def get_variable(self, name: str) -> str | None:
        """A channel variable's value; None when it is not set (an empty variable gives "")."""
        _check_variable_name(name)
        reply = await self.command("GET VARIABLE", name)
        if reply.result == "0":
            return None
        if reply.result == "1":
            return reply.data or ""
        raise AgiProtocolError(f"GET VARIABLE answered an unexpected result: {reply.raw!r}")

    async def verbose(self, message: str, level: int = 1) -> None:
        """Write a line to the Asterisk console at verbosity `level` (1 to 4)."""
        if not 1 <= level <= 4:
            raise ValueError(f"verbose level must be 1 to 4, not {level}")
        await self.command("VERBOSE", message, level)

    async def hangup(self) -> None:
        """Hang up the channel. Asterisk then sends HANGUP and refuses further live-channel commands."""
        await self.command("HANGUP")

    async def exec(self, app: str, *args: str) -> AgiReply:
        """Run a dialplan application; its arguments go as one argument joined by ",".

        An argument holding "," is refused: the application would split it into two, which is how a
        value from outside would add options of its own (as in Dial injection).
        """
        if not _APP_NAME.fullmatch(app):
            raise ValueError(f"not a dialplan application name: {app!r}")
        for index, arg in enumerate(args, start=1):
            ensure_wire_safe(arg, f"argument {index} of {app}")
            if "," in arg:
                raise ValueError(f"argument {index} of {app} contains ',', which {app} would split: {arg!r}")
        reply = await self.command("EXEC", app, ",".join(args), reply_timeout=self._media_timeout)
        if reply.result == "-2":
            raise AgiCommandError(reply.code, f"no application {app} in this Asterisk", "EXEC")
        if reply.result == "-1":
            await self._confirm_hangup(f"EXEC {app}")
        return reply

    # --- Internals --------------------------------------------------------------------------------

    def _activity(self, *, busy: bool) -> None:
        if self._on_activity is not None:
            self._on_activity(busy)

    def _mark_closed(self) -> None:
        self._closed = True
        self._hung_up = True

    async def _send(self, line: bytes) -> None:
        try:
            self._writer.write(line)
            await self._writer.drain()
        except OSError as exc:  # ConnectionResetError, BrokenPipeError: Asterisk is gone
            self._mark_closed()
            raise CallHangup(f"the AGI connection broke while sending: {exc}") from exc

    async def _readline(self) -> bytes:
        try:
            return await self._reader.readuntil(b"\n")
        except asyncio.IncompleteReadError:
            self._mark_closed()
            raise CallHangup("Asterisk closed the AGI connection") from None
        except asyncio.LimitOverrunError as exc:
            raise AgiProtocolError(f"an AGI reply line is longer than {exc.consumed} bytes") from None
        except OSError as exc:
            self._mark_closed()
            raise CallHangup(f"the AGI connection broke: {exc}") from exc

    async def _read_reply(self) -> AgiReply:
        buffer = b""
        while True:
            line = await self._readline()
            if is_hangup_line(line) and all(part.startswith(b"100 ") for part in buffer.splitlines()):
                if not self._hung_up:
                    self._hung_up = True
                    log.info("agi.hangup_signal")
                continue
            buffer += line
            if len(buffer) > MAX_REPLY_BYTES:
                raise AgiProtocolError(f"an AGI reply is longer than {MAX_REPLY_BYTES} bytes")
            if reply_complete(buffer):
                return parse_reply(buffer)

    async def _resync(self) -> None:
        """Drop every reply up to the echo of a fresh marker (GET FULL VARIABLE returns plain text as is).

        Counting replies would not do: the unanswered command's reply may come late, or never.
        """
        marker = f"hotline-resync-{secrets.token_hex(8)}"
        await self._send(format_command("GET FULL VARIABLE", marker))
        dropped = 0
        while True:
            reply = await self._read_reply()
            if reply.code == 200 and reply.data == marker:
                break
            dropped += 1
        log.info("agi.resynced", after=self._unanswered, dropped_replies=dropped)
        self._unanswered = None

    def _check(self, name: str, reply: AgiReply) -> AgiReply:
        if reply.code == 200:
            return reply
        if reply.code == 511:
            self._hung_up = True
            raise CallHangup(f"{name}: the channel is hung up (511)")
        raise AgiCommandError(reply.code, reply.data or reply.raw, name)

    async def _digit(self, name: str, reply: AgiReply) -> str | None:
        """The digit a media command returns as its ASCII code: 0 is none, -1 is failure or hangup."""
        code = _result_int(name, reply)
        if code < 0:
            await self._failed(name, reply)
        if code == 0:
            return None
        digit = chr(code) if code < 128 else ""
        if not digit or digit not in DTMF_DIGITS:
            raise AgiProtocolError(f"{name} answered result={code}, which is not a DTMF digit")
        return digit

    async def _confirm_hangup(self, name: str) -> None:
        """Raise CallHangup if the channel is dead; return if it is still up."""
        if not self.hung_up:
            await self.command("CHANNEL STATUS")  # 511, hence CallHangup, on a dead channel
        if self.hung_up:  # a HANGUP line may have come with the reply
            raise CallHangup(f"{name}: the caller hung up")

    async def _failed(self, name: str, reply: AgiReply) -> NoReturn:
        """A `result=-1`: the caller hung up, or Asterisk could not do it (a sound file it cannot open)."""
        await self._confirm_hangup(name)
        raise AgiCommandError(
            reply.code,
            "result=-1 while the channel is up: Asterisk could not do it "
            "(for a sound file: missing, or not in a format Asterisk can play)",
            name,
        )


def _result_int(name: str, reply: AgiReply) -> int:
    if not _INTEGER.fullmatch(reply.result):
        raise AgiProtocolError(f"{name} answered a result that is not a number: {reply.raw!r}")
    return int(reply.result)


def _check_digits(digits: str) -> None:
    unknown = sorted(set(digits) - set(DTMF_DIGITS))
    if unknown:
        raise ValueError(f"escape digits must be among {DTMF_DIGITS!r}, not {''.join(unknown)!r}")


def _check_variable_name(name: str) -> None:
    ensure_wire_safe(name, "the variable name")
    if not name or any(char.isspace() for char in name):
        raise ValueError(f"not a channel variable name: {name!r}")
