"""The summary of a change that each applied version keeps: what an admin reads in `hotline versions`."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from hotline.dialplan import load_dialplan
from hotline.dialplan.diff import summarize
from hotline.dialplan.model import Action, Dialplan, Span
from hotline.versions import change_summary

SHIPPED = Path(__file__).resolve().parents[2] / "dialplans"


@pytest.fixture(scope="module")
def shipped() -> Dialplan:
    return load_dialplan(SHIPPED)


def test_the_first_version_says_so(shipped: Dialplan) -> None:
    """With nothing before it, a version is the first one."""
    assert summarize(None, shipped) == ["first version"]


def test_the_same_dialplan_moved_to_other_lines_is_no_change(shipped: Dialplan) -> None:
    """Locations, source files and the version number are not changes a caller could notice."""
    moved = {k: dataclasses.replace(m, span=Span("other.yaml", 99, 1)) for k, m in shipped.menus.items()}
    dates = {d: Span("other.yaml", 1, 1) for d in shipped.calendar.spans}
    calendar = dataclasses.replace(shipped.calendar, spans=dates)
    other = dataclasses.replace(
        shipped, menus=moved, calendar=calendar, source_files=("other.yaml",), version=7
    )
    assert summarize(shipped, other) == []


def test_a_changed_option_added_menu_and_removed_operator_are_named(shipped: Dialplan) -> None:
    """Named parts are marked + (added), - (removed) and ~ (changed), section by section."""
    main = shipped.menus["main"]
    options = {**main.options, "0": Action("queue", "water")}
    menus = {**shipped.menus, "main": dataclasses.replace(main, options=options), "outage": main}
    operators = {k: v for k, v in shipped.operators.items() if k != "op106"}
    changed = dataclasses.replace(shipped, menus=menus, operators=operators)
    assert summarize(shipped, changed) == ["menus: +outage ~main", "operators: -op106"]


def test_a_changed_setting_names_its_field(shipped: Dialplan) -> None:
    """One-object sections list the fields that changed."""
    callbacks = dataclasses.replace(shipped.callbacks, sla_minutes=15, max_attempts=4)
    hotline = dataclasses.replace(shipped.hotline, capacity=99)
    changed = dataclasses.replace(shipped, callbacks=callbacks, hotline=hotline)
    assert summarize(shipped, changed) == ["hotline: capacity", "callbacks: sla_minutes max_attempts"]


def test_a_previous_version_this_program_no_longer_reads_never_blocks_a_change(shipped: Dialplan) -> None:
    """An upgrade that makes a new prompt required leaves older versions unreadable: the change that
    replaces one is summed up as a whole instead of being refused (found by the demo after such an
    upgrade: every reload was refused with the old version's missing prompts)."""
    files = {p.name: p.read_text(encoding="utf-8") for p in SHIPPED.glob("*.yaml") if p.name != "checks.yaml"}
    older = dict(files, **{"hotline.yaml": files["hotline.yaml"].replace("  op_resumed:", "  op_gone:", 1)})
    assert change_summary(older, shipped) == [
        "everything (the previous version does not load with this program)"
    ]
    assert change_summary(files, shipped) == ["no change callers can notice"]
    assert change_summary(None, shipped) == ["first version"]
