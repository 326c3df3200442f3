"""Safe values for Asterisk's `.conf` syntax: no line breaks, `;` escaped (it starts a comment)."""

from __future__ import annotations

import re

from hotline.errors import UnsafeValueError

_FORBIDDEN = re.compile(r"[\r\n\x00]")
_DISPLAY_DROP = re.compile(r'[\r\n\x00"\\<>,;|]')


def value(text: str) -> str:
    """A value as it may stand after `=` in a .conf file."""
    if _FORBIDDEN.search(text):
        raise UnsafeValueError(f"a line break or NUL in a configuration value: {text!r}")
    return text.replace(";", r"\;")


def display_name(text: str) -> str:
    """A person's name for a caller-ID display: the characters that would break the syntax dropped."""
    return " ".join(_DISPLAY_DROP.sub(" ", text).split())


def section(name: str, options: list[tuple[str, str]], template: str = "") -> str:
    """One `[name]` section with `key = value` lines."""
    head = f"[{value(name)}]" + (f"({template})" if template else "")
    lines = [head] + [f"{key} = {value(val)}" for key, val in options]
    return "\n".join(lines) + "\n"


def extension(name: str, lines: list[str]) -> str:
    """One dialplan extension: the first line with priority 1, the rest with `same => n` (a line that
    starts with `n(label)` keeps its label)."""
    head, *rest = lines
    out = [f"exten => {name},1,{head}"]
    out += [f" same => {line}" if line.startswith("n(") else f" same => n,{line}" for line in rest]
    return "\n".join(out)
