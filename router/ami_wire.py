"""The AMI wire format: frames, messages and actions. Pure functions; nothing of the hotline.

A frame is `Name: value` lines ending in CRLF, closed by an empty line. Bytes are split on the empty
line first and each whole frame is decoded as UTF-8, so a multi-byte letter split across two TCP reads
is never lost (panoramisk decodes every read on its own and drops such letters).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Final, TypeAlias

from hotline.errors import AmiError, UnsafeValueError

BANNER_PREFIX: Final = "Asterisk Call Manager/"  # Asterisk 22 greets with "Asterisk Call Manager/11.0.0"
EOL: Final = b"\r\n"
END_OF_FRAME: Final = b"\r\n\r\n"
MAX_FRAME_BYTES: Final = 1 << 20  # a frame this big without its blank line means we lost the framing
_FORBIDDEN: Final = {"\r": "CR", "\n": "LF", "\0": "NUL"}
# Asterisk's manager reads a line into 1,025 bytes: a longer one is cut, and the rest is read as a line
# of its own, so the tail of an overlong value would arrive as a header of its choosing. An action
# holds at most 128 headers (AST_MAX_MANHEADERS); more are dropped silently.
MAX_LINE_BYTES: Final = 1022  # "Name: value" without its CRLF
MAX_HEADERS: Final = 128

# An action's headers. A sequence value writes the header once per item (Originate's `Variable`).
ActionHeaders: TypeAlias = Mapping[str, "str | Sequence[str]"]


# --- Messages and framing (pure) -------------------------------------------------------------------------


class Message(Mapping[str, str]):
    """One AMI response or event: its headers in wire order, looked up case-insensitively.

    `message["uniqueid"]` is the first value of that header; `get_all()` returns every value of a
    repeated header (`Output` of a Command, `ChanVariable`...). `received_at` is the event loop's clock
    when the frame was read, so a consumer can tell events older than a snapshot from newer ones.
    """

    __slots__ = ("_first", "_headers", "body", "received_at")

    def __init__(
        self, headers: Iterable[tuple[str, str]], *, body: Sequence[str] = (), received_at: float = 0.0
    ) -> None:
        self._headers = tuple(headers)
        self._first: dict[str, tuple[str, str]] = {}
        for name, value in self._headers:
            self._first.setdefault(name.lower(), (name, value))
        self.body = tuple(body)  # lines without a colon (old `Response: Follows` output); usually empty
        self.received_at = received_at

    def __getitem__(self, key: str) -> str:
        return self._first[key.lower()][1]

    def __iter__(self) -> Iterator[str]:
        return (name for name, _ in self._first.values())

    def __len__(self) -> int:
        return len(self._first)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._first

    def get_all(self, key: str) -> list[str]:
        """Every value of a header that may repeat, in wire order."""
        wanted = key.lower()
        return [value for name, value in self._headers if name.lower() == wanted]

    @property
    def headers(self) -> tuple[tuple[str, str], ...]:
        return self._headers

    @property
    def is_event(self) -> bool:
        return "event" in self._first

    @property
    def is_response(self) -> bool:
        return "response" in self._first and "event" not in self._first

    @property
    def name(self) -> str:
        """The event name (`QueueCallerJoin`...), or "" for a response."""
        return self.get("Event", "")

    @property
    def action_id(self) -> str:
        return self.get("ActionID", "")

    def __repr__(self) -> str:
        shown = ", ".join(f"{n}={'***' if n.lower() == 'secret' else v!r}" for n, v in self._headers)
        return f"Message({shown})"


def parse_frame(frame: bytes, *, received_at: float = 0.0) -> Message:
    """Parse one frame (without its blank line). Whole frames are decoded, so UTF-8 is never cut."""
    headers: list[tuple[str, str]] = []
    body: list[str] = []
    for line in frame.decode("utf-8", errors="replace").split("\r\n"):
        if not line:
            continue
        name, colon, value = line.partition(":")
        if colon and name and " " not in name:
            headers.append((name, value[1:] if value.startswith(" ") else value))
        else:
            body.append(line)
    return Message(headers, body=body, received_at=received_at)


class FrameParser:
    """Cuts the byte stream after the greeting into frames, whatever the TCP reads look like."""

    def __init__(self, max_frame: int = MAX_FRAME_BYTES) -> None:
        self._buffer = bytearray()
        self._max_frame = max_frame

    def feed(self, data: bytes, *, received_at: float = 0.0) -> list[Message]:
        self._buffer += data
        messages: list[Message] = []
        while (end := self._buffer.find(END_OF_FRAME)) >= 0:
            frame = bytes(self._buffer[:end])
            del self._buffer[: end + len(END_OF_FRAME)]
            if frame.strip():
                messages.append(parse_frame(frame, received_at=received_at))
        if len(self._buffer) > self._max_frame:
            raise AmiError(f"AMI frame over {self._max_frame} bytes without its blank line: framing lost")
        return messages


def check_header(name: object, value: object) -> None:
    """Refuse anything that could end a line on the wire (CR, LF, NUL) or bend a header name."""
    if not isinstance(name, str) or not isinstance(value, str):
        raise TypeError(f"AMI header {name!r} must be text, got {type(value).__name__}")
    if not name or name != name.strip() or ":" in name:
        raise UnsafeValueError(f"AMI header name {name!r} is empty, padded or holds a colon")
    for char, label in _FORBIDDEN.items():
        if char in name:
            raise UnsafeValueError(f"AMI header name {name!r} holds a {label}: refused, nothing was sent")
        if char in value:
            raise UnsafeValueError(
                f"AMI header {name!r} holds a {label}: refused, nothing was sent "
                "(a line break would let the value forge a second action)"
            )
    size = len(name.encode()) + 2 + len(value.encode())
    if size > MAX_LINE_BYTES:
        raise UnsafeValueError(
            f"AMI header {name!r} is {size} bytes, over Asterisk's line of {MAX_LINE_BYTES}: refused, "
            "nothing was sent (Asterisk would read the rest of the value as a header of its own)"
        )
    if name.lower() == "variable" and "," in value.partition("=")[2]:
        raise UnsafeValueError(
            f"AMI Variable {value.partition('=')[0]!r} holds a comma: refused, nothing was sent "
            "(Asterisk splits Variable on commas: the rest would set a variable of its choosing)"
        )


def encode_action(action: str, action_id: str, headers: ActionHeaders) -> bytes:
    """The bytes of one action: `Action` and `ActionID` first, then `headers` in order; all checked first."""
    lines = [("Action", action), ("ActionID", action_id)]
    for name, value in headers.items():
        if name.lower() in ("action", "actionid"):
            continue
        if isinstance(value, str):
            lines.append((name, value))
        elif isinstance(value, Sequence):
            lines.extend((name, item) for item in value)
        else:
            raise TypeError(f"AMI header {name!r} is not text or a list of texts: {type(value).__name__}")
    if len(lines) > MAX_HEADERS:
        raise UnsafeValueError(
            f"AMI action {action!r} has {len(lines)} headers, over Asterisk's {MAX_HEADERS}: refused, "
            "nothing was sent (Asterisk would drop the rest silently)"
        )
    for name, value in lines:
        check_header(name, value)
    return b"".join(f"{name}: {value}".encode() + EOL for name, value in lines) + EOL


def channel_variable(event: Message, name: str, *, prefix: str = "") -> str | None:
    """A channel variable an event carries (manager.conf `channelvars`): `ChanVariable: NAME=value`, or
    `DestChanVariable` for the second channel of events that carry two (`prefix="Dest"`). None if absent."""
    for item in event.get_all(f"{prefix}ChanVariable"):
        key, sep, value = item.partition("=")
        if sep and key == name:
            return value
    return None


def action_name(action: ActionHeaders) -> str:
    for name, value in action.items():
        if name.lower() == "action" and isinstance(value, str) and value:
            return value
    raise ValueError("an AMI action needs an 'Action' header")


def is_list_start(response: Message) -> bool:
    return response.get("EventList", "").lower() == "start"


def is_list_end(event: Message) -> bool:
    return event.get("EventList", "").lower() == "complete" or event.name.endswith("Complete")
