"""Scripted checks kept beside the dialplan: keys in, expected end (and path) out. `hotline check` runs them.

    checks:
      - name: no heating in the building
        keys: "1 1"
        queue: heating
        path: "main:1>heating:1"
      - name: closed on Sunday
        at: "2026-11-22 12:00"
        keys: ""
        closed: true

The file (`checks.yaml` in the dialplan's directory, which the dialplan loader skips) is read as strictly
as the dialplan, through the same reader (`hotline.dialplan.strictyaml`, `Fields`): unknown keys, wrong
types, and groups, prompts, menus or languages the dialplan lacks are problems with file, line and
column. Each check is simulated (`hotline.simulate`) and compared with the menus' decision, the one the
call journal records (`ivr.menu.Outcome`): not with what the callback flow does after it.
docs/dialplan.md ("Scripted checks") is the admins' reference.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from hotline.dialplan import CHECKS_FILES
from hotline.dialplan.calendar import line_schedule
from hotline.dialplan.fields import Fields, did_you_mean
from hotline.dialplan.model import DTMF_KEYS, Dialplan, Span
from hotline.dialplan.strictyaml import Mapping, Node, read_yaml
from hotline.errors import ConfigError, ScriptError
from hotline.simulate import Transcript, parse_at, parse_keys, simulate

ExpectedKind = Literal["queue", "callback", "hangup", "closed"]
ENDS: tuple[ExpectedKind, ...] = ("queue", "callback", "hangup", "closed")
CHECK_KEYS = ("name", "keys", "at", "lang", "path")
REFERENCE_MONDAY = dt.date(2026, 1, 5)  # a check without `at` calls in this week (no DST change near it)
_PLAIN_DIGITS = re.compile(r"0|[1-9][0-9]*")


@dataclass(frozen=True, slots=True)
class Expected:
    """The end a check expects: `queue`/`callback` for a group, `hangup` with a farewell prompt, or
    `closed` (the line is closed, whatever `entry.closed` does; `target` is then "")."""

    kind: ExpectedKind
    target: str

    def __str__(self) -> str:
        return "closed hours" if self.kind == "closed" else f"{self.kind} {self.target}"


@dataclass(frozen=True, slots=True)
class ScriptedCheck:
    name: str
    keys: str  # the notation as written (`hotline.simulate.KEYS_HELP`), already known to be readable
    at: dt.datetime
    language: str | None  # None: the hotline's
    expected: Expected
    path: str | None  # `main:1>heating:1`; None: not checked
    span: Span  # where the check starts in its file


@dataclass(frozen=True, slots=True)
class CheckResult:
    check: ScriptedCheck
    transcript: Transcript
    failure: str  # what differs; "" when the check passed

    @property
    def passed(self) -> bool:
        return not self.failure

    def __str__(self) -> str:
        span = self.check.span
        return f"{span.file}:{span.line}:{span.column}: check '{self.check.name}': {self.failure}"


def checks_beside(dialplan_path: str | Path) -> Path | None:
    """The checks file kept with a dialplan: `checks.yaml` (or `.yml`) in the dialplan's directory, or in
    the directory of the dialplan file; None when there is none."""
    root = Path(dialplan_path)
    folder = root if root.is_dir() else root.parent
    for name in CHECKS_FILES:
        if (folder / name).is_file():
            return folder / name
    return None


def first_opening(dialplan: Dialplan) -> dt.datetime:
    """When a check without `at` calls: the first opening from the reference Monday on, under the
    calendar (Monday 08:00 with the default hours; the next Monday's when the calendar has holidays that
    week); the reference Monday noon when the line never opens."""
    zone = ZoneInfo(dialplan.hotline.timezone)
    monday = dt.datetime.combine(REFERENCE_MONDAY, dt.time(0), zone)
    return line_schedule(dialplan).next_opening(monday) or monday.replace(hour=12)


def load_checks(path: str | Path, dialplan: Dialplan) -> list[ScriptedCheck]:
    """Read a checks file against `dialplan`; `ConfigError` lists every problem with file and line."""
    doc = read_yaml(Path(path))
    if not doc.complete:
        raise ConfigError(list(doc.problems))
    reader = _Reader(dialplan)
    checks = reader.read(doc.root, Span(doc.file, 0, 0))
    problems = [*doc.problems, *reader.f.problems]
    if problems:
        raise ConfigError(sorted(problems, key=lambda p: (p.line, p.column)))
    return checks


def run_check(dialplan: Dialplan, check: ScriptedCheck) -> CheckResult:
    """Simulate the check's call and compare its end and path with the expected ones."""
    t = simulate(dialplan, check.keys, check.at, check.language)
    o = t.outcome
    got = f"{o.kind} {o.farewell if o.kind == 'hangup' else o.group} ({o.reason}), path {t.path or '-'}"
    e = check.expected
    if e.kind == "closed":
        ends_right = o.reason == "closed"
    else:
        ends_right = o.kind == e.kind and (o.farewell if o.kind == "hangup" else o.group) == e.target
    if not ends_right:
        when = "" if e.kind != "closed" else f" at {t.at:%a %Y-%m-%d %H:%M} the line is open:"
        return CheckResult(check, t, f"expected {e}, but{when} the call ends in {got}")
    if check.path is not None and t.path != check.path:
        return CheckResult(check, t, f"expected the path {check.path or '-'}, but it is {t.path or '-'}")
    return CheckResult(check, t, "")


def run_checks(dialplan: Dialplan, checks: list[ScriptedCheck]) -> list[CheckResult]:
    return [run_check(dialplan, check) for check in checks]


class _Reader:
    def __init__(self, dialplan: Dialplan) -> None:
        self.dp = dialplan
        self.f = Fields()
        self.names: dict[str, Span] = {}

    def read(self, root: Node | None, file: Span) -> list[ScriptedCheck]:
        if root is None:
            self.f.problem(
                file, "the file is empty", "write 'checks:' and a list of checks, or remove the file"
            )
            return []
        if (top := self.f.mapping(root, "the top level of the file")) is None:
            return []
        self.f.keys(top, "the top level of the file", ("checks",))
        node = top.get("checks")
        if node is None or (items := self.f.sequence(node, "checks")) is None:
            return []
        if not items.items:
            self.f.problem(items.span, "checks: no check", "write at least one, or remove the file")
        checks = [self.check(item, n) for n, item in enumerate(items.items, start=1)]
        return [c for c in checks if c is not None]

    def check(self, node: Node, n: int) -> ScriptedCheck | None:
        if (m := self.f.mapping(node, f"check {n}")) is None:
            return None
        name_node = m.get("name")
        name = self.f.line(name_node, f"check {n}: name") if name_node is not None else None
        path = f"check '{name}'" if name else f"check {n}"
        self.f.keys(m, path, ("name",), (*CHECK_KEYS[1:], *ENDS))
        if name is not None:
            if (first := self.names.get(name)) is not None:
                self.f.problem(
                    m.span,
                    f"{path}: another check has this name (line {first.line})",
                    "name each check apart",
                )
            self.names.setdefault(name, m.span)
        keys = self.keys(m.get("keys"), f"{path}, keys")
        language_ok, language = self.language(m.get("lang"), f"{path}, lang")
        at = self.at(m.get("at"), f"{path}, at")
        expected = self.expected(m, path)
        path_ok, check_path = self.path(m.get("path"), f"{path}, path")
        if name is None or keys is None or not language_ok or at is None or expected is None or not path_ok:
            return None
        return ScriptedCheck(name, keys, at, language, expected, check_path, m.span)

    def keys(self, node: Node | None, path: str) -> str | None:
        """The keys notation; plain digits need no quotes; "" (or no `keys`) is a caller who presses
        nothing."""
        if node is None:
            return ""
        if (s := self.f.scalar(node, path)) is None:
            return None
        if s.plain and _PLAIN_DIGITS.fullmatch(s.text):
            text: str | None = s.text
        elif not s.plain and s.text == "":
            text = ""
        else:
            text = self.f.line(s, path)
        if text is None:
            return None
        try:
            parse_keys(text)
        except ScriptError as exc:
            self.f.problem(s.span, f"{path}: {exc}", 'such as "6 1", "8, 2" or "- 1"')
            return None
        return text

    def language(self, node: Node | None, path: str) -> tuple[bool, str | None]:
        """Whether it could be read, and the language of the texts shown (None: the hotline's)."""
        if node is None:
            return True, None
        value = self.f.language(node, path)
        if value is not None and value not in self.dp.hotline.languages:
            self.f.problem(
                node.span,
                f"{path}: '{value}' is not one of hotline.languages",
                did_you_mean(value, self.dp.hotline.languages, what="languages"),
            )
            return False, None
        return value is not None, value

    def at(self, node: Node | None, path: str) -> dt.datetime | None:
        if node is None:
            return first_opening(self.dp)
        text = self.f.line(node, path)
        if text is None:
            return None
        try:
            return parse_at(text, self.dp.hotline.timezone)
        except ScriptError as exc:
            self.f.problem(
                node.span, f"{path}: {exc}", f"in the hotline's time zone, {self.dp.hotline.timezone}"
            )
            return None

    def expected(self, m: Mapping, path: str) -> Expected | None:
        given = [(kind, node) for kind in ENDS if (node := m.get(kind)) is not None]
        if len(given) != 1:
            found = ", ".join(kind for kind, _ in given) or "none"
            self.f.problem(
                m.span,
                f"{path}: a check expects exactly one end (queue, callback, hangup or closed), found {found}",
                "write one of queue: <group>, callback: <group>, hangup: <prompt>, closed: true",
            )
            return None
        kind, node = given[0]
        where = f"{path}, {kind}"
        if kind == "closed":
            value = self.f.boolean(node, where)
            if value is False:
                self.f.problem(
                    node.span, f"{where}: only 'closed: true' is meaningful", "expect the call's end instead"
                )
            return Expected("closed", "") if value else None
        target = self.f.ident(node, where)
        if target is None:
            return None
        known = self.dp.prompts if kind == "hangup" else self.dp.skill_groups
        if target not in known:
            what = "prompts" if kind == "hangup" else "skill groups"
            self.f.problem(
                node.span, f"{where}: the dialplan has no '{target}'", did_you_mean(target, known, what=what)
            )
            return None
        return Expected(kind, target)

    def path(self, node: Node | None, path: str) -> tuple[bool, str | None]:
        """Whether it could be read, and the expected path, normalised (`main:8>main:2`; None: not
        checked). `""` (quoted) is a call that walks no menu (closed hours)."""
        if node is None:
            return True, None
        if (s := self.f.scalar(node, path)) is None:
            return False, None
        if not s.plain and s.text.strip() == "":
            return True, ""
        text = self.f.line(s, path)
        if text is None:
            return False, None
        steps = [step.strip() for step in text.split(">")]
        for step in steps:
            menu, colon, key = (part.strip() for part in step.partition(":"))
            if not colon or len(key) != 1 or key not in DTMF_KEYS + "-":
                self.f.problem(
                    s.span,
                    f"{path}: '{step}' is not a menu step",
                    "write menu:key steps joined by '>', such as main:8>main:2 (- for a wait that ran out)",
                )
                return False, None
            if menu not in self.dp.menus:
                self.f.problem(
                    s.span, f"{path}: the dialplan has no menu '{menu}'", did_you_mean(menu, self.dp.menus)
                )
                return False, None
        return True, ">".join(step.replace(" ", "") for step in steps)
