"""The summary of a change that each applied version keeps: what an admin reads in `hotline versions`."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from hotline.dialplan import load_dialplan
from hotline.dialplan.diff import summarize
from hotline.dialplan.model import Action, Dialplan, Span

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
