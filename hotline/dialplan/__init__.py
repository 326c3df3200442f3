"""The admins' dialplan: `load_dialplan(path)` reads YAML strictly into the typed model (`.model`).

    dialplan = load_dialplan("dialplans/hotline.yaml")   # or a directory of *.yaml / *.yml files

Everything wrong is reported at once, as a `ConfigError` whose `problems` each name a file, a line, a
column, what is wrong and how to fix it. docs/dialplan.md is the admins' reference.
"""

from __future__ import annotations

from pathlib import Path

from hotline.dialplan.draft import Draft
from hotline.dialplan.fields import Fields
from hotline.dialplan.model import Dialplan, Span
from hotline.dialplan.parse import parse
from hotline.dialplan.strictyaml import MAX_FILE_BYTES, Document, Mapping, Node, Scalar, read_yaml
from hotline.dialplan.validate import validate
from hotline.errors import ConfigError, Problem

__all__ = ["CHECKS_FILES", "MAX_FILE_BYTES", "YAML_SUFFIXES", "dialplan_files", "load_dialplan"]

YAML_SUFFIXES = (".yaml", ".yml")
CHECKS_FILES = ("checks.yaml", "checks.yml")  # the admins' scripted checks (`hotline.scripted_checks`)


def load_dialplan(path: str | Path) -> Dialplan:
    """Load a dialplan file, or every `*.yaml`/`*.yml` file directly inside a directory (sorted by name).

    Raises `ConfigError` listing every problem found, sorted by file, line and column.
    """
    files = dialplan_files(path)
    documents = [read_yaml(f) for f in files]
    problems = [p for doc in documents for p in doc.problems]
    order = {str(f): i for i, f in enumerate(files)}
    if not all(doc.complete for doc in documents):  # a half-read file would only add noise below
        raise ConfigError(_sorted(problems, order))
    fields = Fields()
    top = _merge(documents, str(path), fields)
    if top is None or not top.entries:  # a file is not sections at all, or there is nothing
        if top is not None:
            fields.problem(
                top.span, "no sections found: the dialplan is empty", "start from dialplans/hotline.yaml"
            )
        raise ConfigError(_sorted(problems + fields.problems, order))
    draft = parse(top, fields)
    problems += fields.problems + validate(draft)
    if problems:
        raise ConfigError(_sorted(problems, order))
    return _build(draft, tuple(order))


def dialplan_files(path: str | Path) -> list[Path]:
    """The files `load_dialplan(path)` reads: the file itself, or a directory's YAML files by name.

    Names starting with a dot (editor backups, lock files) are skipped, and so is `checks.yaml` (or
    `checks.yml`): the scripted checks kept beside the dialplan are not part of it.
    """
    root = Path(path)
    if root.is_dir():
        files = sorted(
            p
            for p in root.iterdir()
            if p.suffix in YAML_SUFFIXES
            and p.is_file()
            and not p.name.startswith(".")
            and p.name not in CHECKS_FILES
        )
        if not files:
            raise ConfigError(
                [
                    Problem(
                        str(root),
                        0,
                        0,
                        "no .yaml or .yml file in this directory",
                        "put the dialplan's YAML files directly in it",
                    )
                ]
            )
        return files
    if not root.exists():
        raise ConfigError(
            [
                Problem(
                    str(root),
                    0,
                    0,
                    "no such file or directory",
                    "give the path of a dialplan file, or of a directory of them",
                )
            ]
        )
    return [root]


def _merge(documents: list[Document], shown: str, fields: Fields) -> Mapping | None:
    """One top-level mapping from all files; a section defined in two files is reported with both places.

    None when a file's top level is not a mapping (reported): its sections are unknown.
    """
    entries: list[tuple[Scalar, Node]] = []
    first: dict[str, Span] = {}
    roots = [doc.root for doc in documents if doc.root is not None]  # None: an empty file
    checked = [fields.mapping(root, "the top level of the file") for root in roots]
    tops = [top for top in checked if top is not None]
    if len(tops) != len(checked):  # reported: the sections of that file are unknown
        return None
    for top in tops:
        for key, node in top.entries:
            if (where := first.get(key.text)) is not None:
                fields.problem(
                    key.span,
                    f"duplicate section '{key.text}' (also at {where.file}:{where.line}:{where.column})",
                    "define each section in one file only",
                )
                continue
            first[key.text] = key.span
            entries.append((key, node))
    return Mapping(tuple(entries), Span(shown, 0, 0))


def _sorted(problems: list[Problem], order: dict[str, int]) -> list[Problem]:
    return sorted(problems, key=lambda p: (order.get(p.file, -1), p.line, p.column))


def _build(d: Draft, source_files: tuple[str, ...]) -> Dialplan:
    """The final model. Every part is there: each missing part would have been reported as a problem."""
    if d.hotline is None or d.hours is None or d.entry is None or d.callbacks is None or d.routing is None:
        raise AssertionError("a dialplan part is missing without a reported problem")
    return Dialplan(
        hotline=d.hotline,
        hours=d.hours,
        prompts=d.prompts,
        skill_groups=d.skill_groups,
        operators=d.operators,
        menus=d.menus,
        entry=d.entry,
        callbacks=d.callbacks,
        calendar=d.calendar,
        emergency=d.emergency,
        phones=d.phones,
        routing=d.routing,
        trunk=d.trunk,
        source_files=source_files,
    )
