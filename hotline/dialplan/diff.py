"""What changed between two versions of the dialplan, in a few words an admin reads at a glance.

    summarize(old, new)  ->  ["menus: +outage ~main", "operators: -op106", "callbacks: sla_minutes"]

Locations (`span`) and the files a version was read from are not changes: moving a menu to another file
or another line changes nothing a caller hears.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from hotline.dialplan.model import Dialplan, Span

# Sections that are a collection of named parts: a part added (+), removed (-) or changed (~).
_NAMED = ("menus", "skill_groups", "operators", "prompts")
# Sections that are one object: which of their fields changed.
_SINGLE = ("hotline", "hours", "entry", "callbacks")
_IGNORED = frozenset({"span", "source_files", "version"})


def summarize(old: Dialplan | None, new: Dialplan) -> list[str]:
    """One line per section that changed; `["first version"]` without an old one, `[]` when equal."""
    if old is None:
        return ["first version"]
    lines = []
    for name in _NAMED:
        before, after = getattr(old, name), getattr(new, name)
        marks = [f"+{k}" for k in after if k not in before]
        marks += [f"-{k}" for k in before if k not in after]
        marks += [f"~{k}" for k in after if k in before and plain(after[k]) != plain(before[k])]
        if marks:
            lines.append(f"{name}: {' '.join(marks)}")
    for name in _SINGLE:
        before_fields, after_fields = plain(getattr(old, name)), plain(getattr(new, name))
        if isinstance(before_fields, dict) and isinstance(after_fields, dict):
            changed = [k for k in after_fields if before_fields.get(k) != after_fields[k]]
            if changed:
                lines.append(f"{name}: {' '.join(changed)}")
    # Extra sections other engineers add to the model (a calendar, emergency settings) are compared
    # whole, so that no change goes unreported.
    known = {*_NAMED, *_SINGLE, *_IGNORED}
    for f in dataclasses.fields(new):
        if f.name not in known and plain(getattr(old, f.name)) != plain(getattr(new, f.name)):
            lines.append(f"{f.name}: changed")
    return lines


def plain(value: Any) -> Any:
    """`value` as plain data without locations: dataclasses become dicts of their fields."""
    if isinstance(value, Span):
        return None
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {  # a field left out of equality (where each date is written) is no change either
            f.name: plain(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.name not in _IGNORED and f.compare
        }
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value
