"""The FastAGI wire format, as Asterisk's res_agi.c writes and reads it. Pure functions, no I/O.

What Asterisk writes (res_agi.c):

- on connect, `agi_network: yes`, then `agi_network_script: <what follows the first '/' of the URL>`
  when there is one, then the environment (`agi_request` first ... `agi_threadid`, then `agi_arg_1..N`),
  one `name: value` line each, ended by an empty line. Every line ends with a bare LF;
- one reply per command, `<code> ...`. The usage reply spans lines, from `520-Invalid command syntax.
  Proper usage follows:` to `520 End of proper usage.`, and as the usage text is written with "%s" the
  closing words can be glued to its last line. `GOSUB` sends a provisional `100 result=0 Trying...` first;
- the bare line `HANGUP`, between replies, when the channel hangs up (unless AGISIGHUP is "no").

What it reads: one command per line, split into words on spaces and tabs; a double quote toggles quoting
and a backslash makes the next character literal. A line is read with fgets into a buffer of AGI_BUF_LEN
(2048) bytes: a longer line is cut there and its tail runs as a *second command*. So a line break or an
overlong line in a value would forge a command; `format_command` refuses both.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final

from hotline.errors import AgiProtocolError, UnsafeValueError

HANGUP_LINE: Final = b"HANGUP\n"
MAX_COMMAND_BYTES: Final = 2047  # AGI_BUF_LEN (2048) less the NUL that fgets adds; the newline counts
MAX_ENV_BYTES: Final = 65536  # Asterisk sends about 600 bytes; the rest is room for agi_arg_N

_FORBIDDEN: Final = {"\r": "a carriage return (CR)", "\n": "a line feed (LF)", "\x00": "a NUL character"}
_COMMAND_NAME = re.compile(r"[A-Za-z]+(?: [A-Za-z]+)*")
_ENV_KEY = re.compile(r"agi_[a-z0-9_]+")
_ARG_KEY = re.compile(r"agi_arg_([1-9][0-9]*)")
_INTEGER = re.compile(r"-?[0-9]+")
_REPLY_HEAD = re.compile(r"([0-9]{3})([ -])(.*)")
_EXTRAS_ONLY = re.compile(r"(?: +[A-Za-z_][A-Za-z0-9_]*=\S*)* *")
_USAGE_END: Final = "End of proper usage."
_PROVISIONAL: Final = b"100 "


def _preview(value: str | bytes, limit: int = 80) -> str:
    """A value as it may appear in an error message: repr'd (line breaks visible) and cut short."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --- Commands ---------------------------------------------------------------------------------------


def ensure_wire_safe(value: str, what: str) -> None:
    """Refuse a value holding CR, LF or NUL: any of them would end the command line early."""
    for char, label in _FORBIDDEN.items():
        if char in value:
            raise UnsafeValueError(
                f"{what} contains {label}, which would break the AGI command line: {_preview(value)}"
            )


def quote_argument(value: str) -> str:
    """One argument as res_agi's parser reads it back unchanged: in double quotes, `\\` and `"` escaped."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def format_command(name: str, *args: str | int) -> bytes:
    """The line that sends one AGI command: `NAME "arg1" "arg2"...\\n`, UTF-8.

    Every argument is quoted, so spaces, quotes and an empty string arrive as they are. CR, LF or NUL
    anywhere, or a line over MAX_COMMAND_BYTES, raise UnsafeValueError: nothing is ever cleaned silently.
    """
    ensure_wire_safe(name, "the AGI command name")
    if not _COMMAND_NAME.fullmatch(name):
        raise ValueError(f"not an AGI command name: {name!r} (words of letters, one space apart)")
    parts = [name]
    for index, arg in enumerate(args, start=1):
        if isinstance(arg, bool):
            raise TypeError(f"argument {index} of {name} is a bool; pass the text Asterisk expects")
        text = str(arg)
        ensure_wire_safe(text, f"argument {index} of {name}")
        parts.append(quote_argument(text))
    line = (" ".join(parts) + "\n").encode("utf-8")
    if len(line) > MAX_COMMAND_BYTES:
        raise UnsafeValueError(
            f"{name} would take {len(line)} bytes on the wire; Asterisk reads {MAX_COMMAND_BYTES} at most "
            "and would run the rest as another command"
        )
    return line


# --- Environment ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class AgiEnv:
    """The environment Asterisk sends when a call reaches the FastAGI server.

    Values are kept as Asterisk wrote them ("unknown" stays "unknown"); only the numbers are typed.
    `raw` holds every `agi_*` line, including ones this class does not name.
    """

    request: str
    channel: str
    language: str = ""
    type: str = ""
    uniqueid: str
    version: str = ""
    callerid: str = ""
    calleridname: str = ""
    callingpres: int = 0
    callingani2: int = 0
    callington: int = 0
    callingtns: int = 0
    dnid: str = ""
    rdnis: str = ""
    context: str = ""
    extension: str = ""
    priority: int = 0
    enhanced: bool = False
    accountcode: str = ""
    threadid: int = 0
    network: bool = False
    network_script: str = ""
    arguments: tuple[str, ...] = ()
    raw: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}), hash=False)


def parse_env(block: bytes) -> AgiEnv:
    """Parse the environment block, from its first line to the empty line that ends it (included).

    Malformed input raises AgiProtocolError saying which line and why. Bytes that are not UTF-8 (a
    carrier's caller name in another charset) become U+FFFD rather than costing the caller the call.
    """
    lines = block.split(b"\n")
    if len(lines) < 2 or lines[-1] != b"" or lines[-2].rstrip(b"\r") != b"":
        raise AgiProtocolError("the AGI environment does not end with an empty line")
    values: dict[str, str] = {}
    for number, raw_line in enumerate(lines[:-2], start=1):
        line = raw_line.removesuffix(b"\r").decode("utf-8", errors="replace")
        if not line:
            raise AgiProtocolError(f"line {number} of the AGI environment is empty, before its end")
        key, sep, value = line.partition(":")
        if not sep:
            raise AgiProtocolError(f"line {number} of the AGI environment has no ':': {_preview(line)}")
        if not _ENV_KEY.fullmatch(key):
            raise AgiProtocolError(
                f"line {number} of the AGI environment is not an agi_* variable: {_preview(line)}"
            )
        if key in values:
            raise AgiProtocolError(f"line {number} of the AGI environment repeats {key}")
        values[key] = value.removeprefix(" ")  # Asterisk writes "name: value"; keep any further spaces
    return _env_from(values)


def _env_from(values: dict[str, str]) -> AgiEnv:
    for required in ("agi_request", "agi_channel", "agi_uniqueid"):
        if not values.get(required):
            raise AgiProtocolError(f"the AGI environment has no {required}")
    numbered = {int(m.group(1)): v for k, v in values.items() if (m := _ARG_KEY.fullmatch(k))}
    if sorted(numbered) != list(range(1, len(numbered) + 1)):
        raise AgiProtocolError(f"the AGI arguments are not numbered 1 to {len(numbered)}: {sorted(numbered)}")
    return AgiEnv(
        request=values["agi_request"],
        channel=values["agi_channel"],
        language=values.get("agi_language", ""),
        type=values.get("agi_type", ""),
        uniqueid=values["agi_uniqueid"],
        version=values.get("agi_version", ""),
        callerid=values.get("agi_callerid", ""),
        calleridname=values.get("agi_calleridname", ""),
        callingpres=_integer(values, "agi_callingpres"),
        callingani2=_integer(values, "agi_callingani2"),
        callington=_integer(values, "agi_callington"),
        callingtns=_integer(values, "agi_callingtns"),
        dnid=values.get("agi_dnid", ""),
        rdnis=values.get("agi_rdnis", ""),
        context=values.get("agi_context", ""),
        extension=values.get("agi_extension", ""),
        priority=_integer(values, "agi_priority"),
        enhanced=_choice(values, "agi_enhanced", {"0.0": False, "1.0": True}),
        accountcode=values.get("agi_accountcode", ""),
        threadid=_integer(values, "agi_threadid"),
        network=_choice(values, "agi_network", {"yes": True}),
        network_script=values.get("agi_network_script", ""),
        arguments=tuple(numbered[i] for i in range(1, len(numbered) + 1)),
        raw=MappingProxyType(dict(values)),
    )


def _integer(values: Mapping[str, str], key: str) -> int:
    """An integer field (Asterisk prints them with %d or %ld); absent means 0."""
    text = values.get(key)
    if text is None:
        return 0
    if not _INTEGER.fullmatch(text):
        raise AgiProtocolError(f"{key} is not an integer: {_preview(text)}")
    return int(text)


def _choice(values: Mapping[str, str], key: str, allowed: Mapping[str, bool]) -> bool:
    """A flag Asterisk spells in one of a few fixed ways; absent means False."""
    text = values.get(key)
    if text is None:
        return False
    if text not in allowed:
        raise AgiProtocolError(f"{key} is {_preview(text)}, expected one of {sorted(allowed)}")
    return allowed[text]


# --- Replies ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AgiReply:
    """One reply. For 200: `result=`, the `(data)` if any, and the `key=value` words after it (endpos...).

    For an error code, `data` is Asterisk's message (for a 520 usage reply, the usage text) and `result`
    is empty unless the line carries `result=` (503 does). `raw` is the reply as received, for logs.
    """

    code: int
    result: str
    data: str | None
    extras: dict[str, str]
    raw: str = ""


def is_hangup_line(line: bytes) -> bool:
    """The line Asterisk sends on its own, between replies, when the channel hangs up."""
    return line.rstrip(b"\r\n") == b"HANGUP"


def _closes(code: bytes, line: bytes) -> bool:
    line = line.rstrip(b"\r")
    return line.startswith(code + b" ") or line.endswith(code + b" " + _USAGE_END.encode())


def reply_complete(data: bytes) -> bool:
    """Whether `data` (lines read so far, HANGUP lines left out) holds a whole reply.

    A reply is one line, except `NNN-...` which runs to the line that starts with `NNN ` (or, for the
    usage text Asterisk writes without a final newline, ends with `NNN End of proper usage.`), and except
    provisional `100 ...` lines, which only announce the real reply.
    """
    if not data.endswith(b"\n"):
        return False
    lines = data[:-1].split(b"\n")
    start = next((i for i, line in enumerate(lines) if not line.startswith(_PROVISIONAL)), None)
    if start is None:
        return False
    head = lines[start]
    if head[3:4] != b"-":
        return True
    return any(_closes(head[:3], line) for line in lines[start + 1 :])


def parse_reply(data: bytes) -> AgiReply:
    """Parse one complete reply (see `reply_complete`); anything else raises AgiProtocolError."""
    if not reply_complete(data):
        raise AgiProtocolError(f"incomplete AGI reply: {_preview(data)}")
    text = data[:-1].decode("utf-8", errors="replace")
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    while lines[0].startswith(_PROVISIONAL.decode()):
        lines.pop(0)
    raw = "\n".join(lines)
    match = _REPLY_HEAD.fullmatch(lines[0])
    if match is None:
        raise AgiProtocolError(f"not an AGI reply: {_preview(lines[0])}")
    code, multiline, rest = int(match.group(1)), match.group(2) == "-", match.group(3)
    if multiline:
        return AgiReply(code, "", _usage_text(code, lines), {}, raw)
    if len(lines) > 1:
        raise AgiProtocolError(f"more than one AGI reply: {_preview(raw)}")
    if code == 200:
        return _parse_success(rest, raw)
    result = ""
    if rest.startswith("result="):
        result, _, rest = rest.removeprefix("result=").partition(" ")
    return AgiReply(code, result, rest, {}, raw)


def _usage_text(code: int, lines: list[str]) -> str:
    """The text between `NNN-` and the closing line, with the closing words cut off a glued last line."""
    body = lines[1:]
    closing = f"{code} "
    if body[-1].startswith(closing):
        body.pop()
    else:
        body[-1] = body[-1].removesuffix(closing + _USAGE_END)
    if any(_closes(str(code).encode(), line.encode()) for line in body):
        raise AgiProtocolError(f"data after the end of the AGI reply: {_preview(chr(10).join(lines))}")
    return "\n".join(body)


def _parse_success(rest: str, raw: str) -> AgiReply:
    if not rest.startswith("result="):
        raise AgiProtocolError(f"a 200 reply without result=: {_preview(raw)}")
    result, _, tail = rest.removeprefix("result=").partition(" ")
    data: str | None = None
    if tail.startswith("("):
        data, tail = _split_data(tail, raw)
    extras: dict[str, str] = {}
    for word in tail.split():
        key, sep, value = word.partition("=")
        if sep and key:
            extras[key] = value
    return AgiReply(200, result, data, extras, raw)


def _split_data(tail: str, raw: str) -> tuple[str, str]:
    """Split `(value) key=v...` where the value itself may hold parentheses and spaces (GET VARIABLE).

    The value ends at the last `)` that only `key=value` words follow; failing that, at the last `)`.
    """
    closes = [i for i, char in enumerate(tail) if char == ")"]
    if not closes:
        raise AgiProtocolError(f"unterminated '(' in an AGI reply: {_preview(raw)}")
    end = next((i for i in reversed(closes) if _EXTRAS_ONLY.fullmatch(tail[i + 1 :])), closes[-1])
    return tail[1:end], tail[end + 1 :]
