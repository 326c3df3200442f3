"""From the located node tree to model objects, section by section, collecting every problem.

Parsing checks what one section can check alone (keys, types, ranges, formats, uniqueness). What needs
several sections (references, reachability, staffed groups, prompt languages) is `validate`'s job: the
parser leaves it a `Draft` with every name declared and every reference made, each with its location.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from hotline.dialplan import prompt_ids as ids
from hotline.dialplan.draft import Draft, Ref, SectionReader
from hotline.dialplan.fields import Fields, did_you_mean
from hotline.dialplan.hours import HoursError, parse_day
from hotline.dialplan.language_keys import read_language_keys
from hotline.dialplan.model import (
    WEEKDAYS,
    CallbackOrder,
    Entry,
    Hotline,
    Operator,
    Prompt,
    SkillGroup,
    Span,
    TimeRange,
    WeeklyHours,
)
from hotline.dialplan.parse_calendar import read_calendar
from hotline.dialplan.parse_callbacks import read_callbacks
from hotline.dialplan.parse_emergency import read_emergency
from hotline.dialplan.parse_menus import read_menus
from hotline.dialplan.parse_phones import check_codes, read_phones
from hotline.dialplan.parse_routing import read_routing
from hotline.dialplan.parse_trunk import read_trunk
from hotline.dialplan.strictyaml import Mapping, Node, Scalar

SUPPORTED_VERSION = 1
REQUIRED_SECTIONS = ("version", "hotline", "hours", "entry", "menus", "skill_groups", "operators", "prompts")
OPTIONAL_SECTIONS = ("menu_defaults", "callbacks", "calendar", "emergency", "phones", "routing", "trunk")
GROUP_SETTINGS = (
    "strategy",
    "ring_timeout",
    "wrapup",
    "max_wait",
    "callback_sla_minutes",
    "callback_order",
    "hours",
    "closed_prompt",
    "code",
    "widen_after",
    "missed_rings",
    "reject_pause",
)
MAX_WIDEN_STEPS = 4  # levels 2 to 5
HOTLINE_KEYS = (
    "name",
    "number",
    "timezone",
    "language",
    "languages",
    "capacity",
    "general_group",
    "fallback_prompt",
)
GROUP_REQUIRED = ("title",)
OPERATOR_KEYS = ("id", "name", "extension", "skills")
ENTRY_REQUIRED = ("menu", "closed")
ENTRY_OPTIONAL = ("greeting", "transfer_prompt", "language_keys")
QUEUE_STRATEGIES = (
    "ringall",
    "leastrecent",
    "fewestcalls",
    "random",
    "rrmemory",
    "linear",
    "wrandom",
    "rrordered",
)


def parse(top: Mapping, fields: Fields) -> Draft:
    """Read every section of the (merged) top-level mapping; problems go to `fields.problems`."""
    return _Parser(fields).parse(top)


class _Parser(SectionReader):
    def parse(self, top: Mapping) -> Draft:
        known = (*REQUIRED_SECTIONS, *OPTIONAL_SECTIONS)
        for key, _ in top.entries:
            if key.text not in known:
                self.f.problem(
                    key.span, f"unknown section '{key.text}'", did_you_mean(key.text, known, what="sections")
                )
        for name in REQUIRED_SECTIONS:
            if top.get(name) is None:
                self.f.problem(
                    top.span, f"missing section '{name}'", f"add a '{name}:' section, see docs/dialplan.md"
                )
        if (node := top.get("version")) is not None:
            version = self.f.integer(node, "version", 0, 10**6)
            if version is not None and version != SUPPORTED_VERSION:
                self.f.problem(
                    node.span,
                    f"version: this program reads version {SUPPORTED_VERSION}, found {version}",
                    f"write 'version: {SUPPORTED_VERSION}' and follow docs/dialplan.md",
                )
        steps: tuple[tuple[str, Callable[[Node], None]], ...] = (
            ("hotline", self.hotline),
            ("hours", self.hours),
            ("prompts", self.prompts),
            ("skill_groups", self.skill_groups),
            ("operators", self.operators),
            ("entry", self.entry),
        )
        self.d.sections = {key.text: key.span for key, _ in top.entries}
        for name, step in steps:
            if (node := top.get(name)) is not None:
                step(node)
        if (node := top.get("menus")) is not None:
            read_menus(self, node, top.get("menu_defaults"))
        if (node := top.get("callbacks")) is not None:
            read_callbacks(self, node)
        if (node := top.get("calendar")) is not None:
            read_calendar(self, node)
        if (node := top.get("emergency")) is not None:
            read_emergency(self, node)
        if (node := top.get("phones")) is not None:
            read_phones(self, node)
        if (node := top.get("routing")) is not None:
            read_routing(self, node)
        if (node := top.get("trunk")) is not None:
            read_trunk(self, node)
        check_codes(self, top.get("phones"))
        self.group_prompts()
        return self.d

    def group_prompts(self) -> None:
        """Each skill group's name becomes the prompt `group_<id>` (`prompt_ids.with_group_prompts`),
        declared at the group, so that it is checked, built and may be referred to like any prompt."""
        if self.d.hotline is None:
            return  # the default language is unknown (already reported)
        self.d.prompts = ids.with_group_prompts(self.d.prompts, self.d.skill_groups, self.d.hotline.language)
        for gid in self.d.skill_groups:
            self.d.declared["prompt"].setdefault(ids.group_prompt(gid), self.d.declared["group"][gid])

    # --- sections --------------------------------------------------------------------------------------
    def hotline(self, node: Node) -> None:
        path = "hotline"
        if (m := self.f.mapping(node, path)) is None:
            return
        self.f.keys(m, path, HOTLINE_KEYS)
        name = self.get(m, "name", path, self.f.line)
        number = self.get(m, "number", path, lambda n, p: self.f.digits(n, p, 2, 20, plus=True))
        timezone = self.get(m, "timezone", path, self.timezone)
        language = self.get(m, "language", path, self.f.language)
        languages = self.get(m, "languages", path, self.languages)
        capacity = self.number(m, "capacity", path, 1, 10000, default=None)
        general = self.ref("group", m, "general_group", path, queued=True)
        fallback = self.ref("prompt", m, "fallback_prompt", path)
        lang_node = m.get("language")
        if (
            lang_node is not None
            and language is not None
            and languages is not None
            and language not in languages
        ):
            self.f.problem(
                lang_node.span,
                f"hotline.language: '{language}' is not in hotline.languages",
                f"add {language} to languages, or choose one of: {', '.join(languages)}",
            )
            language = None  # so that prompts are not also checked against it
        if (
            name is None
            or number is None
            or timezone is None
            or language is None
            or languages is None
            or capacity is None
            or general is None
            or fallback is None
        ):
            return
        self.d.hotline = Hotline(name, number, timezone, language, languages, capacity, general, fallback)

    def timezone(self, node: Node, path: str) -> str | None:
        name = self.f.text(node, path)
        if name is None:
            return None
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            close = did_you_mean(name, available_timezones(), what="time zones")
            hint = (
                close
                if close.startswith("did you mean")
                else "use an IANA time zone name, such as Europe/Moscow"
            )
            self.f.problem(node.span, f"{path}: unknown time zone '{name}'", hint)
            return None
        return name

    def languages(self, node: Node, path: str) -> tuple[str, ...] | None:
        if (s := self.f.sequence(node, path)) is None:
            return None
        if not s.items:
            self.f.problem(s.span, f"{path}: the list is empty", "list at least one language, such as [ru]")
            return None
        codes: list[str] = []
        ok = True
        for item in s.items:
            code = self.f.language(item, path)
            if code is None:
                ok = False
            elif code in codes:
                self.f.problem(item.span, f"{path}: '{code}' is listed twice", "list each language once")
            else:
                codes.append(code)
        return tuple(codes) if ok else None

    def hours(self, node: Node) -> None:
        self.d.hours = self.weekly_hours(node, "hours")

    def weekly_hours(self, node: Node, path: str) -> WeeklyHours | None:
        """The hours of each weekday: the line's `hours`, or a skill group's."""
        if (m := self.f.mapping(node, path)) is None:
            return None
        self.f.keys(m, path, WEEKDAYS)
        days: dict[str, tuple[TimeRange, ...]] = {}
        for day in WEEKDAYS:
            if (value := m.get(day)) is None or (s := self.f.scalar(value, f"{path}.{day}")) is None:
                continue
            try:
                days[day] = parse_day(s.text)
            except HoursError as e:
                self.f.problem(
                    s.span,
                    f"{path}.{day}: {e}",
                    'write "HH:MM-HH:MM", several ranges separated by commas, or closed',
                )
        return WeeklyHours(days) if len(days) == len(WEEKDAYS) else None

    def prompts(self, node: Node) -> None:
        if (m := self.f.mapping(node, "prompts")) is None:
            return
        for key, body in m.entries:
            pid = self.declare("prompt", key, "prompts", "prompt name")
            path = f"prompts.{pid or key.text}"
            if (texts_node := self.f.mapping(body, path)) is None:
                continue
            if not texts_node.entries:
                self.f.problem(texts_node.span, f"{path}: no text given", "add a line such as 'ru: ...'")
                continue
            texts: dict[str, str] = {}
            for lang_key, text_node in texts_node.entries:
                lang = self.f.language(lang_key, path)
                text = self.f.text(text_node, f"{path}.{lang_key.text}")
                if lang is not None and text is not None:
                    texts[lang] = text
            if pid is not None and len(texts) == len(texts_node.entries):
                self.d.prompts[pid] = Prompt(pid, texts, key.span)

    def skill_groups(self, node: Node) -> None:
        if (m := self.f.mapping(node, "skill_groups")) is None:
            return
        codes: dict[str, Span] = {}
        for position, (key, body) in enumerate(m.entries, start=1):
            gid = self.declare("group", key, "skill_groups", "skill group name")
            path = f"skill_groups.{gid or key.text}"
            if (g := self.f.mapping(body, path)) is None:
                continue
            self.f.keys(g, path, GROUP_REQUIRED, GROUP_SETTINGS)
            title = self.get(g, "title", path, self.f.line)
            strategy = (
                self.get(g, "strategy", path, self.strategy) if g.get("strategy") is not None else "rrmemory"
            )
            ring = self.number(g, "ring_timeout", path, 5, 120, default=15)
            wrapup = self.number(g, "wrapup", path, 0, 600, default=5)
            max_wait = self.number(g, "max_wait", path, 0, 7200, default=0)
            sla = self.number(g, "callback_sla_minutes", path, 1, 240, default=None)
            order: CallbackOrder | None = self.get(g, "callback_order", path, self.callback_order)
            hours = self.get(g, "hours", path, self.weekly_hours)
            closed_prompt = self.ref("prompt", g, "closed_prompt", path)
            code = self.given(g, "code", path, lambda n, p: self.f.digits(n, p, 1, 2), str(position))
            code = self.unique(code, g.get("code") or key, codes, f"{path}.code", "group code", "skill group")
            no_steps: tuple[int, ...] = ()
            widen = self.given(g, "widen_after", path, self.widen_after, no_steps)
            missed = self.number(g, "missed_rings", path, 0, 10, default=2)
            reject = self.number(g, "reject_pause", path, 0, 600, default=30)
            if (
                gid is not None
                and title is not None
                and strategy is not None
                and ring is not None
                and wrapup is not None
                and max_wait is not None
                and (sla is not None or g.get("callback_sla_minutes") is None)
                and (order is not None or g.get("callback_order") is None)
                and (hours is not None or g.get("hours") is None)
                and (closed_prompt is not None or g.get("closed_prompt") is None)
                and code is not None
                and widen is not None
                and missed is not None
                and reject is not None
            ):
                self.d.skill_groups[gid] = SkillGroup(
                    gid,
                    title,
                    strategy=strategy,
                    ring_timeout=ring,
                    wrapup=wrapup,
                    max_wait=max_wait,
                    callback_sla_minutes=sla,
                    callback_order=order,
                    hours=hours,
                    closed_prompt=closed_prompt,
                    code=code,
                    widen_after=widen,
                    missed_rings=missed,
                    reject_pause=reject,
                    span=key.span,
                )

    def widen_after(self, node: Node, path: str) -> tuple[int, ...] | None:
        """Seconds waited after which level 2, 3... ring too: increasing, at most 4 steps."""
        if (s := self.f.sequence(node, path)) is None:
            return None
        if len(s.items) > MAX_WIDEN_STEPS:
            self.f.problem(
                s.span,
                f"{path}: {len(s.items)} steps, but levels go from 1 to 5",
                "list at most 4 times in seconds, such as [30, 60]: after the last one every level rings",
            )
            return None
        steps = [self.f.integer(item, path, 1, 3600) for item in s.items]
        good = [step for step in steps if step is not None]
        if len(good) != len(steps):
            return None
        if any(b <= a for a, b in itertools.pairwise(good)):
            self.f.problem(
                s.span, f"{path}: the times must increase", "write them in order, such as [30, 60]"
            )
            return None
        return tuple(good)

    def strategy(self, node: Node, path: str) -> str | None:
        return self.f.choice(node, path, QUEUE_STRATEGIES, "queue strategy", "strategies")

    def operators(self, node: Node) -> None:
        if (s := self.f.sequence(node, "operators")) is None:
            return
        staffed = self.d.staffed = set()
        seen_ids: dict[str, Span] = {}
        seen_extensions: dict[str, Span] = {}
        for number, item in enumerate(s.items, start=1):
            path = f"operators[#{number}]"
            if (m := self.f.mapping(item, path)) is None:
                continue
            id_node = m.get("id")
            if isinstance(id_node, Scalar) and id_node.text:
                path = f"operators[{id_node.text}]"
            self.f.keys(m, path, OPERATOR_KEYS)
            oid = self.get(m, "id", path, lambda n, p: self.f.ident(n, p, "operator id"))
            oid = self.unique(oid, m.get("id"), seen_ids, f"{path}.id", "operator id")
            name = self.get(m, "name", path, self.f.line)
            ext = self.get(m, "extension", path, lambda n, p: self.f.digits(n, p, 2, 6))
            ext = self.unique(ext, m.get("extension"), seen_extensions, f"{path}.extension", "extension")
            skills = self.get(m, "skills", path, lambda n, p: self.skills(n, p, staffed))
            if oid is not None and name is not None and ext is not None and skills is not None:
                self.d.operators[oid] = Operator(oid, name, ext, skills, span=m.span)

    def unique(
        self,
        value: str | None,
        node: Node | None,
        seen: dict[str, Span],
        path: str,
        what: str,
        owner: str = "operator",
    ) -> str | None:
        if value is None or node is None:
            return None
        if (first := seen.get(value)) is not None:
            self.f.problem(
                node.span,
                f"{path}: {what} '{value}' is already used at line {first.line}",
                f"give each {owner} its own {what}",
            )
            return None
        seen[value] = node.span
        return value

    def skills(self, node: Node, path: str, staffed: set[str]) -> dict[str, int] | None:
        if (m := self.f.mapping(node, path)) is None:
            return None
        if not m.entries:
            self.f.problem(
                m.span, f"{path}: no skills given", "add at least one 'group: level' (level 1 best .. 5)"
            )
            return None
        skills: dict[str, int] = {}
        for key, value in m.entries:
            group = self.f.ident(key, path, "skill group name")
            level = self.f.integer(value, f"{path}.{key.text}", 1, 5)
            if group is not None:
                self.d.refs.append(Ref("group", group, key.span, path))
                staffed.add(group)
                if level is not None:
                    skills[group] = level
        return skills if len(skills) == len(m.entries) else None

    def entry(self, node: Node) -> None:
        path = "entry"
        if (m := self.f.mapping(node, path)) is None:
            return
        self.f.keys(m, path, ENTRY_REQUIRED, ENTRY_OPTIONAL)
        greeting = self.ref("prompt", m, "greeting", path)
        menu = self.d.first_menu = self.ref("menu", m, "menu", path)
        transfer = self.ref("prompt", m, "transfer_prompt", path)
        closed = self.get(m, "closed", path, lambda n, p: self.action(n, p, allow_menu=False))
        language_keys = self.get(m, "language_keys", path, lambda n, p: read_language_keys(self, n, p))
        bad_optional = (
            (m.get("greeting") is not None and greeting is None)
            or (m.get("transfer_prompt") is not None and transfer is None)
            or (m.get("language_keys") is not None and language_keys is None)
        )
        if menu is not None and closed is not None and not bad_optional:
            self.d.entry = Entry(greeting, menu, closed, transfer, language_keys or {})
