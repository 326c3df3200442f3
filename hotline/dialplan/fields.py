"""Typed reading of located YAML nodes: each field type decides what its text means.

`Fields` collects a `Problem` for everything wrong and returns None for a value it cannot read, so that
one pass reports every problem. A `Refused` node (alias, tag) was already reported while reading the
file: it yields None silently.

The quoting rule (see docs/dialplan.md): a plain (unquoted) value that YAML 1.1 tools would read as
something other than text (`no`, `yes`, `on`, `~`, `null`, `012`, `12:30`, `1.5`, `2024-01-01`...) is
refused where text is meant, with a hint to quote it. Exceptions, because the field makes the meaning
plain: whole-number fields and digit-string fields (phone number, extension, DTMF key) accept plain
digits without a leading zero; yes/no fields take exactly `true` or `false`; hours are checked against
their own format.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Collection, Iterable

from hotline.dialplan.model import DTMF_KEYS, Span
from hotline.dialplan.strictyaml import Mapping, Node, Refused, Scalar, Sequence, yaml11_reading
from hotline.errors import Problem

ID_PATTERN = re.compile(r"[a-z][a-z0-9_-]{0,39}")
LANGUAGE_PATTERN = re.compile(r"[a-z]{2}")
_PLAIN_NUMBER = re.compile(r"0|[1-9][0-9]*")
_KINDS = {Mapping: "a mapping (key: value lines)", Sequence: "a list", Scalar: "a single value"}


def did_you_mean(word: str, choices: Iterable[str], *, what: str = "names") -> str:
    """A hint naming the closest choice, or listing the choices when none is close."""
    options = sorted(set(choices))
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    if close:
        return f"did you mean '{close[0]}'?"
    if not options:
        return f"there are no {what}"
    shown = ", ".join(options[:12]) + (", ..." if len(options) > 12 else "")
    return f"known {what}: {shown}"


class Fields:
    """Reads typed values from nodes, collecting problems instead of raising."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def problem(self, span: Span, message: str, hint: str = "") -> None:
        self.problems.append(Problem(span.file, span.line, span.column, message, hint))

    # --- node kinds ------------------------------------------------------------------------------------
    def mapping(self, node: Node, path: str) -> Mapping | None:
        if isinstance(node, Mapping):
            return node
        self._wrong_kind(node, path, Mapping)
        return None

    def sequence(self, node: Node, path: str) -> Sequence | None:
        if isinstance(node, Sequence):
            return node
        self._wrong_kind(node, path, Sequence)
        return None

    def scalar(self, node: Node, path: str) -> Scalar | None:
        if isinstance(node, Scalar):
            return node
        self._wrong_kind(node, path, Scalar)
        return None

    def _wrong_kind(self, node: Node, path: str, wanted: type[Node]) -> None:
        if not isinstance(node, Refused):
            found = _KINDS[type(node)]
            if isinstance(node, Scalar) and node.plain and node.text == "":
                found = "nothing"
            self.problem(node.span, f"{path}: expected {_KINDS[wanted]}, found {found}", _KIND_HINTS[wanted])

    def keys(self, m: Mapping, path: str, required: Collection[str], optional: Collection[str] = ()) -> None:
        """Report unknown keys (with the closest known key) and missing required keys."""
        known = [*required, *optional]
        for key, _ in m.entries:
            if key.text not in known:
                self.problem(
                    key.span, f"{path}: unknown key '{key.text}'", did_you_mean(key.text, known, what="keys")
                )
        for name in required:
            if m.get(name) is None:
                self.problem(m.span, f"{path}: missing key '{name}'", f"add '{name}: ...' here")

    # --- scalars ---------------------------------------------------------------------------------------
    def text(self, node: Node, path: str) -> str | None:
        """Free text (a name, a title, a prompt's words). Ambiguous plain values must be quoted."""
        s = self.scalar(node, path)
        if s is None:
            return None
        if s.plain:
            if s.text == "":
                self.problem(
                    s.span, f"{path}: no value given", "write a value after the colon, or remove the line"
                )
                return None
            meaning = yaml11_reading(s.text)
            if meaning is not None:
                self.problem(
                    s.span,
                    f"{path}: ambiguous value '{s.text}': YAML tools read it as {meaning}, not as text",
                    f'quote it: "{s.text}"',
                )
                return None
        if not s.text.strip():
            self.problem(s.span, f"{path}: the text is empty", "write the text, or remove the line")
            return None
        if any(unicodedata.category(c) == "Cc" and c not in "\n\t" for c in s.text):
            self.problem(s.span, f"{path}: the text holds a control character", "remove it")
            return None
        return s.text

    def line(self, node: Node, path: str) -> str | None:
        """Text on one line (a name, a title): it ends up in logs and in Asterisk's configuration."""
        value = self.text(node, path)
        if value is not None and ("\n" in value or "\t" in value):
            self.problem(
                node.span, f"{path}: the text must be on one line", "remove the line breaks and tabs"
            )
            return None
        return value

    def ident(self, node: Node, path: str, what: str = "name") -> str | None:
        """A name of a menu, prompt, skill group or operator: lowercase letter first, then a-z 0-9 _ -."""
        value = self.text(node, path)
        if value is None:
            return None
        if not ID_PATTERN.fullmatch(value):
            self.problem(
                node.span,
                f"{path}: '{value}' is not a valid {what}",
                "use 1 to 40 characters: a lowercase letter, then lowercase letters, digits, '_' or '-'",
            )
            return None
        return value

    def language(self, node: Node, path: str) -> str | None:
        """A two-letter language code (ISO 639-1), such as ru or en."""
        value = self.text(node, path)
        if value is None:
            return None
        if not LANGUAGE_PATTERN.fullmatch(value):
            self.problem(
                node.span,
                f"{path}: '{value}' is not a language code",
                "use two lowercase letters, such as ru or en",
            )
            return None
        return value

    def digits(self, node: Node, path: str, low: int, high: int, *, plus: bool = False) -> str | None:
        """A string of digits (a phone number, an extension): plain digits are fine, a leading zero must be
        quoted. `plus` allows a leading '+' (quoted). With `low == 0`, `""` (quoted) is the empty string."""
        s = self.scalar(node, path)
        if s is None:
            return None
        if low == 0 and s.text == "":  # an empty digit string is allowed: it must be written ""
            if s.plain:
                self.problem(
                    s.span,
                    f"{path}: no value given",
                    'write "" (quoted) for none: a bare empty value is YAML\'s null',
                )
                return None
            return ""
        if not (s.plain and _PLAIN_NUMBER.fullmatch(s.text)):
            value = self.text(s, path)
            if value is None:
                return None
        body = s.text[1:] if plus and s.text.startswith("+") else s.text
        if not (body.isascii() and body.isdigit() and low <= len(body) <= high):
            self.problem(
                s.span,
                f"{path}: '{s.text}' is not {low} to {high} digits",
                "write digits only" + (", optionally after a '+'" if plus else ""),
            )
            return None
        return s.text

    def integer(self, node: Node, path: str, low: int, high: int) -> int | None:
        """A whole number written plain (unquoted), without a leading zero, from `low` to `high`."""
        s = self.scalar(node, path)
        if s is None:
            return None
        rule = f"a whole number from {low} to {high}"
        if not s.plain:
            self.problem(s.span, f'{path}: expected {rule}, found the text "{s.text}"', "remove the quotes")
            return None
        if re.fullmatch(r"0[0-9]+", s.text):
            self.problem(
                s.span,
                f"{path}: '{s.text}' has a leading zero",
                f"write {s.text.lstrip('0') or '0'}: YAML tools read a leading zero as octal",
            )
            return None
        if not _PLAIN_NUMBER.fullmatch(s.text) or len(s.text) > 12 or not low <= int(s.text) <= high:
            self.problem(s.span, f"{path}: expected {rule}, found '{s.text}'", f"write {rule}")
            return None
        return int(s.text)

    def boolean(self, node: Node, path: str) -> bool | None:
        """A yes/no field: exactly `true` or `false`, unquoted."""
        s = self.scalar(node, path)
        if s is None:
            return None
        if s.plain and s.text in ("true", "false"):
            return s.text == "true"
        self.problem(
            s.span, f"{path}: expected true or false, found '{s.text}'", "write true or false, unquoted"
        )
        return None

    def choice(self, node: Node, path: str, choices: tuple[str, ...], what: str, plural: str) -> str | None:
        """One word of a fixed set (a queue strategy, a callback order), with the closest one as a hint."""
        value = self.text(node, path)
        if value is not None and value not in choices:
            self.problem(
                node.span, f"{path}: unknown {what} '{value}'", did_you_mean(value, choices, what=plural)
            )
            return None
        return value

    def regex(self, node: Node, path: str) -> str | None:
        """A Python regular expression on one line, which must compile."""
        value = self.line(node, path)
        if value is None:
            return None
        try:
            re.compile(value)
        except re.error as e:
            at = f" at position {e.pos + 1}" if e.pos is not None else ""
            self.problem(
                node.span,
                f"{path}: not a valid regular expression: {e.msg}{at}",
                "write a Python regular expression, in single quotes so that backslashes stay as written",
            )
            return None
        return value

    def dtmf(self, node: Node, path: str) -> str | None:
        """One phone key: 0-9 (plain or quoted), "*" or "#" (quoted: unquoted they mean something to YAML)."""
        s = self.scalar(node, path)
        if s is None:
            return None
        if len(s.text) == 1 and s.text in DTMF_KEYS:
            return s.text
        self.problem(
            s.span, f"{path}: '{s.text}' is not a phone key", 'use one of 0-9, "*" or "#" (quote * and #)'
        )
        return None


_KIND_HINTS = {
    Mapping: "write 'key: value' lines indented under this key",
    Sequence: "write a list: one '- item' line per item, or [a, b]",
    Scalar: "write a single value here",
}
