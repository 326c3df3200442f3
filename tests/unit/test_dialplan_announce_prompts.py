"""The announcements to waiting callers (`router.announcer`) play prompts of fixed names: a dialplan
that announces must define them; one that never announces (announce_every 0) need not."""

from __future__ import annotations

from pathlib import Path

import pytest
from dialplan_edits import DEFAULT, loads, problems_of, variant

from hotline.dialplan import load_dialplan
from hotline.dialplan.prompt_ids import ANNOUNCE_PROMPTS

TEXT = DEFAULT.read_text(encoding="utf-8")
ANNOUNCE_EVERY = "  announce_every: 60 "


def prompt_block(pid: str) -> str:
    """The default file's definition of one prompt: its key line and its (more indented) text lines."""
    lines = TEXT.splitlines(keepends=True)
    first = next(n for n, line in enumerate(lines) if line.startswith(f"  {pid}:"))
    end = first + 1
    while end < len(lines) and lines[end].startswith("    "):
        end += 1
    return "".join(lines[first:end])


def test_every_announcement_prompt_is_in_the_default_dialplan_in_russian_and_english() -> None:
    prompts = load_dialplan(DEFAULT).prompts
    assert all(set(prompts[p].texts) >= {"ru", "en"} for p in ANNOUNCE_PROMPTS)


@pytest.mark.parametrize("pid", ANNOUNCE_PROMPTS)
def test_an_announcement_prompt_must_be_defined_while_callers_are_announced(tmp_path: Path, pid: str) -> None:
    [p] = problems_of(variant(tmp_path, (prompt_block(pid), "")))
    assert (
        p.message == f"prompts: the announcements to waiting callers play prompts that are not defined: {pid}"
    )


def test_no_announcement_prompt_is_needed_when_callers_are_never_announced(tmp_path: Path) -> None:
    assert ANNOUNCE_EVERY in TEXT
    edits = [(prompt_block(pid), "") for pid in ANNOUNCE_PROMPTS]
    assert loads(tmp_path, (ANNOUNCE_EVERY, "  announce_every: 0  "), *edits).routing.announce_every == 0
