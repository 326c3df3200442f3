"""Read one admin's YAML file into a small tree of located text nodes, refusing YAML's dangerous parts.

Safe by construction: the file is read from PyYAML's event stream (`yaml.parse` with the safe loader's
parser, libyaml's C one where PyYAML was built with it, as its wheels are: about seven times faster than
the pure-Python one, so any file of the allowed size is read in a fraction of a second), never through
`yaml.load`, and no value is ever resolved to a Python type. Every scalar stays
text and keeps its position and whether it was quoted; the schema (`hotline.dialplan.fields`) decides
what the text means.

Refused here, each as a located `Problem`: files over `MAX_FILE_BYTES` (before parsing), text that is not
UTF-8, collections nested deeper than `MAX_DEPTH` (the reading stops there: PyYAML's scanner costs time
in the square of the nesting, so `[[[[...]]]]` of 8 KB took seconds and 100 KB minutes), YAML syntax
errors, more than one document, anchors and aliases (an alias is never expanded, so
an alias bomb costs nothing), explicit tags (`!!python/object`, `!!str`, `!anything`), keys that are
lists or mappings, and duplicate keys (both places named).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from hotline.dialplan.model import Span
from hotline.errors import Problem

MAX_FILE_BYTES = 256 * 1024  # a dialplan is a few kilobytes; any file of this size reads in well under 1 s
MAX_DEPTH = 24  # the deepest real dialplan nests 5 or 6 levels; the limit is checked before going deeper
_TOO_DEEP = f"lists and mappings are nested more than {MAX_DEPTH} levels deep"
_TOO_DEEP_HINT = "a dialplan needs a few levels: check the brackets and the indentation here"
_LOADER = yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader


@dataclass(frozen=True, slots=True)
class Scalar:
    """A scalar, always text. `plain` is False when it was quoted or written as a block (| or >)."""

    text: str
    plain: bool
    span: Span


@dataclass(frozen=True, slots=True)
class Sequence:
    items: tuple[Node, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Mapping:
    """A mapping with text keys, in file order; a duplicated key keeps its first value (and is reported)."""

    entries: tuple[tuple[Scalar, Node], ...]
    span: Span

    def get(self, key: str) -> Node | None:
        for k, v in self.entries:
            if k.text == key:
                return v
        return None

    def key_of(self, key: str) -> Scalar | None:
        for k, _ in self.entries:
            if k.text == key:
                return k
        return None


@dataclass(frozen=True, slots=True)
class Refused:
    """Stands for a value that was refused while reading (an alias, a tagged value). Already reported."""

    span: Span


Node = Scalar | Sequence | Mapping | Refused


@dataclass(frozen=True, slots=True)
class Document:
    """One file as read. `complete` is False when the file could not be read through (size, encoding,
    syntax, several documents): `root` is then None, and the schema is not checked against a half-read
    tree. `root` is also None for an empty file (complete)."""

    file: str
    root: Node | None
    problems: tuple[Problem, ...]
    complete: bool


def read_yaml(path: Path, shown: str | None = None) -> Document:
    """Read `path` (named `shown` in problems, default `str(path)`) into a located node tree."""
    name = shown if shown is not None else str(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return _refused(name, _too_big(name, size))
        with path.open("rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
    except OSError as e:
        return _refused(
            name,
            Problem(
                name,
                0,
                0,
                f"cannot read the file: {e.strerror or e}",
                "check that the file exists and is readable",
            ),
        )
    if len(data) > MAX_FILE_BYTES:  # grew between stat() and read()
        return _refused(name, _too_big(name, len(data)))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line_start = data.rfind(b"\n", 0, e.start) + 1
        line = data.count(b"\n", 0, e.start) + 1
        column = len(data[line_start : e.start].decode("utf-8")) + 1  # in characters, as YAML counts them
        return _refused(
            name,
            Problem(
                name,
                line,
                column,
                f"the file is not UTF-8 text (byte 0x{data[e.start]:02x})",
                "save the file with the UTF-8 encoding",
            ),
        )
    return _Builder(name).build(text.removeprefix("\ufeff"))


def _too_big(name: str, size: int) -> Problem:
    return Problem(
        name,
        0,
        0,
        f"the file is {size} bytes, more than the limit of {MAX_FILE_BYTES} bytes (256 KB)",
        "a dialplan is a few kilobytes: check that this is the right file",
    )


def _refused(name: str, problem: Problem) -> Document:
    return Document(name, None, (problem,), complete=False)


@dataclass
class _Frame:
    """A mapping or sequence being built."""

    is_mapping: bool
    span: Span
    tagged: bool
    items: list[Node] = field(default_factory=list)
    entries: list[tuple[Scalar, Node]] = field(default_factory=list)
    seen: dict[str, Span] = field(default_factory=dict)
    key: Scalar | Refused | None = None  # the key waiting for its value


class _Builder:
    """Builds the node tree from PyYAML events, iteratively (deep nesting cannot exhaust the stack)."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []
        self.anchors: set[str] = set()

    def build(self, text: str) -> Document:
        stack: list[_Frame] = []
        root: Node | None = None
        documents = 0
        try:
            for event in yaml.parse(text, Loader=_LOADER):
                if isinstance(event, yaml.DocumentStartEvent):
                    documents += 1
                    if documents == 2:
                        self._add(
                            event,
                            "more than one YAML document in one file (a second '---')",
                            "put each part in its own file, or remove the '---' line",
                        )
                    continue
                if isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
                    if len(stack) >= MAX_DEPTH:
                        self._add(event, _TOO_DEEP, _TOO_DEEP_HINT)
                        return Document(self.file, None, tuple(self.problems), complete=False)
                    self._check_properties(event)
                    stack.append(
                        _Frame(
                            isinstance(event, yaml.MappingStartEvent),
                            self._span(event),
                            event.tag is not None,
                        )
                    )
                    continue
                node: Node
                if isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
                    frame = stack.pop()
                    node = self._close(frame)
                elif isinstance(event, yaml.ScalarEvent):
                    tagged = self._check_properties(event)
                    span = self._span(event)
                    node = Refused(span) if tagged else Scalar(event.value, not event.style, span)
                elif isinstance(event, yaml.AliasEvent):
                    node = Refused(self._span(event))
                    anchor = event.anchor or ""
                    if anchor not in self.anchors:
                        self.anchors.add(anchor)
                        self._add(event, f"alias '*{event.anchor}' is not allowed", _NO_ANCHORS)
                else:  # stream and document ends
                    continue
                if stack:
                    self._put(stack[-1], node)
                elif documents == 1:
                    root = node
        except yaml.MarkedYAMLError as e:
            mark = e.problem_mark or e.context_mark
            if "maximum nesting" in str(e.problem):  # libyaml scans ahead to its own limit (1000)
                line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
                self.problems.append(Problem(self.file, line, column, _TOO_DEEP, _TOO_DEEP_HINT))
                return Document(self.file, None, tuple(self.problems), complete=False)
            what = " ".join(part for part in (e.context, e.problem) if part)
            line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
            self.problems.append(
                Problem(
                    self.file,
                    line,
                    column,
                    f"YAML syntax error: {what}",
                    "check the indentation, the colons and the quotes on this line and the line before",
                )
            )
            return Document(self.file, None, tuple(self.problems), complete=False)
        except yaml.reader.ReaderError as e:  # a character YAML does not allow (control characters)
            line, column = _position(text, e.position)
            self.problems.append(
                Problem(
                    self.file,
                    line,
                    column,
                    f"the character {_codepoint(e.character)} is not allowed in a YAML file",
                    "remove it: control characters cannot be written in YAML",
                )
            )
            return Document(self.file, None, tuple(self.problems), complete=False)
        if documents > 1:  # the later documents are not read: checking the first alone would only add noise
            return Document(self.file, None, tuple(self.problems), complete=False)
        return Document(self.file, root, tuple(self.problems), complete=True)

    def _check_properties(self, event: yaml.NodeEvent) -> bool:
        """Report an anchor or an explicit tag on this node; True when the node carries a tag."""
        if event.anchor is not None:
            self.anchors.add(event.anchor)
            self._add(event, f"anchor '&{event.anchor}' is not allowed", _NO_ANCHORS)
        tag: str | None = getattr(event, "tag", None)
        if tag is not None:
            self._add(
                event,
                f"tag '{_short_tag(tag)}' is not allowed",
                "remove the tag: values are plain text and each field decides its type; "
                "quote the value if it must stay text",
            )
            return True
        return False

    def _put(self, frame: _Frame, node: Node) -> None:
        if not frame.is_mapping:
            frame.items.append(node)
            return
        if frame.key is None:
            if isinstance(node, Scalar | Refused):
                frame.key = node
            else:
                self.problems.append(
                    Problem(
                        self.file,
                        node.span.line,
                        node.span.column,
                        "a key must be a name, not a list or a mapping",
                        "write 'name: value'",
                    )
                )
                frame.key = Refused(node.span)
            return
        key, frame.key = frame.key, None
        if isinstance(key, Refused):
            return
        first = frame.seen.get(key.text)
        if first is not None:
            self.problems.append(
                Problem(
                    self.file,
                    key.span.line,
                    key.span.column,
                    f"duplicate key '{key.text}' (first at line {first.line}, column {first.column})",
                    "remove one of the two, or merge them",
                )
            )
            return
        frame.seen[key.text] = key.span
        frame.entries.append((key, node))

    def _close(self, frame: _Frame) -> Node:
        if frame.tagged:
            return Refused(frame.span)
        if frame.is_mapping:
            return Mapping(tuple(frame.entries), frame.span)
        return Sequence(tuple(frame.items), frame.span)

    def _span(self, event: yaml.Event) -> Span:
        mark = event.start_mark
        return Span(self.file, mark.line + 1, mark.column + 1) if mark else Span(self.file, 0, 0)

    def _add(self, event: yaml.Event, message: str, hint: str) -> None:
        span = self._span(event)
        self.problems.append(Problem(self.file, span.line, span.column, message, hint))


_NO_ANCHORS = (
    "write the value out in full: anchors (&) and aliases (*) are refused so that a file cannot hide "
    "a huge expansion"
)


def _short_tag(tag: str) -> str:
    return "!!" + tag.removeprefix("tag:yaml.org,2002:") if tag.startswith("tag:yaml.org,2002:") else tag


def _codepoint(character: object) -> str:
    """PyYAML gives the refused character as its code (text input) or as a byte string."""
    code = character if isinstance(character, int) else ord(str(character)[:1] or "?")
    return f"U+{code:04X}"


def _position(text: str, index: int) -> tuple[int, int]:
    if index < 0:
        return 0, 0
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


# --- What YAML 1.1 tools would make of a plain scalar --------------------------------------------------
# We never resolve plain scalars, but other tools (and admins' habits) do. Where a field means text, a
# plain value that YAML 1.1 (or PyYAML, or YAML 1.2) would read as something else must be quoted.

_YAML11_READINGS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), meaning)
    for pattern, meaning in (
        (
            r"y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF",
            "a yes/no value",
        ),
        (r"~|null|Null|NULL|", "null (no value)"),
        (r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?", "a base-60 number"),
        (r"[-+]?0o?[0-7_]+", "an octal number"),
        (r"[-+]?0b[01_]+|[-+]?0x[0-9a-fA-F_]+", "a binary or hexadecimal number"),
        (r"[-+]?[0-9][0-9_]*", "a number"),
        (
            r"[-+]?(?:[0-9][0-9_]*\.[0-9_]*|\.[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)?|[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+",
            "a decimal number",
        ),
        (r"[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)", "infinity or not-a-number"),
        (
            r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?"
            r"(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)?",
            "a date",
        ),
        (r"<<|=", "a special YAML key"),
    )
)


def yaml11_reading(text: str) -> str | None:
    """What a YAML 1.1 tool (or YAML 1.2) would read this plain scalar as, or None when that is text."""
    for pattern, meaning in _YAML11_READINGS:
        if pattern.fullmatch(text):
            return meaning
    return None
