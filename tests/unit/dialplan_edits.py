"""Helpers for dialplan tests: edit a copy of the default dialplan, and locate the problems it gives.

Each case edits a copy of dialplans/hotline.yaml, so the rest of the file stays valid and any problem
besides the expected one (noise) fails the test.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from hotline.dialplan import load_dialplan
from hotline.dialplan.model import Dialplan
from hotline.errors import ConfigError, Problem

DEFAULT = Path(__file__).resolve().parents[2] / "dialplans" / "hotline.yaml"
FIXTURES = Path(__file__).resolve().parent / "dialplans"


def variant(tmp_path: Path, *edits: tuple[str, str], name: str = "hotline.yaml") -> Path:
    """A copy of the default dialplan with each `old` text (found exactly once) replaced by `new`."""
    text = DEFAULT.read_text(encoding="utf-8")
    for old, new in edits:
        assert text.count(old) == 1, f"edit target not unique: {old!r}"
        text = text.replace(old, new)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def loads(tmp_path: Path, *edits: tuple[str, str]) -> Dialplan:
    return load_dialplan(variant(tmp_path, *edits))


def problems_of(path: Path) -> list[Problem]:
    with pytest.raises(ConfigError) as info:
        load_dialplan(path)
    return info.value.problems


def at(path: Path, needle: str, part: str | None = None) -> tuple[int, int]:
    """1-based line and column of `part` (default: all) of the only `needle` in the file."""
    text = path.read_text(encoding="utf-8")
    assert text.count(needle) == 1, f"needle not unique: {needle!r}"
    index = text.index(needle) + (needle.index(part) if part else 0)
    return text.count("\n", 0, index) + 1, index - (text.rfind("\n", 0, index) + 1) + 1


def where(path: Path, needle: str, part: str | None = None) -> tuple[str, int, int]:
    """File, line and column, as a Problem locates it."""
    return (str(path), *at(path, needle, part))


def line_in_default(needle: str) -> int:
    text = DEFAULT.read_text(encoding="utf-8")
    return text.count("\n", 0, text.index(needle)) + 1


@dataclass(frozen=True)
class Case:
    """One edit of the default dialplan, and the one problem it must give: where, what, and the hint."""

    old: str
    new: str
    needle: str  # the problem is at `part` (default: all) of this text of the edited file
    part: str | None
    message: str
    hint: str | None = None  # None: not checked


def check(tmp_path: Path, case: Case) -> None:
    """The edit gives exactly the expected problem (no other), at the expected place."""
    path = variant(tmp_path, (case.old, case.new))
    problems = problems_of(path)
    assert [p.message for p in problems] == [case.message]
    [p] = problems
    assert (p.file, p.line, p.column) == where(path, case.needle, case.part)
    if case.hint is not None:
        assert p.hint == case.hint
