"""What parsing leaves for validation: the objects read, every name declared, every reference made.

`SectionReader` is what the section parsers share: typed fields (`Fields`) plus the draft they fill, and
the reading of actions, which several sections use.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, TypeVar

from hotline.dialplan.fields import Fields
from hotline.dialplan.model import (
    CALLBACK_ORDERS,
    Action,
    Calendar,
    CallbackOrder,
    CallbackPolicy,
    EmergencyPolicy,
    Entry,
    Hotline,
    Menu,
    Operator,
    PhonePolicy,
    Prompt,
    RoutingPolicy,
    SkillGroup,
    Span,
    Trunk,
    WeeklyHours,
)
from hotline.dialplan.strictyaml import Mapping, Node, Refused, Scalar

T = TypeVar("T")
RefKind = Literal["menu", "prompt", "group"]
ActionKind = Literal["menu", "queue", "callback", "hangup"]
ACTION_KINDS: tuple[ActionKind, ...] = ("menu", "queue", "callback", "hangup")
ACTION_KEYS = (*ACTION_KINDS, "prompt")
_REF_OF_ACTION: dict[ActionKind, RefKind] = {
    "menu": "menu",
    "queue": "group",
    "callback": "group",
    "hangup": "prompt",
}
_SENDS_CALLERS: tuple[ActionKind, ...] = ("queue", "callback")  # the group must have an operator


@dataclass(frozen=True, slots=True)
class Ref:
    """A name used somewhere: `path` says where in words, `span` in the file."""

    kind: RefKind
    name: str
    span: Span
    path: str


@dataclass
class Draft:
    """What the sections gave. Objects with a problem of their own are missing from the dicts, but their
    names stay declared, so that references to them are not reported a second time."""

    hotline: Hotline | None = None
    hours: WeeklyHours | None = None
    entry: Entry | None = None
    callbacks: CallbackPolicy | None = field(default_factory=CallbackPolicy)  # None: unreadable (reported)
    prompts: dict[str, Prompt] = field(default_factory=dict)
    skill_groups: dict[str, SkillGroup] = field(default_factory=dict)
    operators: dict[str, Operator] = field(default_factory=dict)
    menus: dict[str, Menu] = field(default_factory=dict)
    declared: dict[RefKind, dict[str, Span]] = field(
        default_factory=lambda: {"menu": {}, "prompt": {}, "group": {}}
    )
    refs: list[Ref] = field(default_factory=list)
    queued: list[Ref] = field(default_factory=list)  # skill groups callers are sent to (queue, callback)
    staffed: set[str] | None = None  # skill groups in some operator's skills (None: operators unreadable)
    links: dict[str, set[str]] = field(default_factory=dict)  # menu -> menus its actions lead to
    first_menu: str | None = None  # entry.menu
    sections: dict[str, Span] = field(default_factory=dict)  # top-level section -> where its key is
    quiet_hours_span: Span | None = None  # callbacks.quiet_hours, when given
    calendar: Calendar = field(default_factory=Calendar)  # the optional `calendar` section
    emergency: EmergencyPolicy | None = None  # the optional `emergency` section
    phones: PhonePolicy = field(default_factory=PhonePolicy)  # the optional `phones` section
    phones_ok: bool = True  # False: something in `phones` is wrong (reported)
    phone_code_spans: dict[str, Span] = field(default_factory=dict)  # phones.<code> -> where it is written
    routing: RoutingPolicy | None = field(default_factory=RoutingPolicy)  # None: unreadable (reported)
    trunk: Trunk | None = None  # the optional `trunk` section (None also when unreadable: reported)


class SectionReader:
    """Typed fields plus the draft they fill."""

    def __init__(self, fields: Fields, draft: Draft | None = None) -> None:
        self.f = fields
        self.d = draft if draft is not None else Draft()

    def get(self, m: Mapping, key: str, path: str, read: Callable[[Node, str], T | None]) -> T | None:
        node = m.get(key)
        return None if node is None else read(node, f"{path}.{key}")

    def given(
        self, m: Mapping, key: str, path: str, read: Callable[[Node, str], T | None], default: T
    ) -> T | None:
        """`default` when the key is absent, else what `read` makes of it (None when wrong: reported)."""
        node = m.get(key)
        return default if node is None else read(node, f"{path}.{key}")

    def number(
        self, m: Mapping, key: str, path: str, low: int, high: int, *, default: int | None
    ) -> int | None:
        """An optional whole number: `default` when the key is absent, None when it is wrong (reported)."""
        node = m.get(key)
        return default if node is None else self.f.integer(node, f"{path}.{key}", low, high)

    def ref(self, kind: RefKind, m: Mapping, key: str, path: str, *, queued: bool = False) -> str | None:
        """Read the name under `key` (if present) and record it as a reference to a `kind`."""
        node = m.get(key)
        if node is None:
            return None
        name = self.f.ident(node, f"{path}.{key}")
        if name is not None:
            ref = Ref(kind, name, node.span, f"{path}.{key}")
            self.d.refs.append(ref)
            if queued:
                self.d.queued.append(ref)
        return name

    def callback_order(self, node: Node, path: str) -> CallbackOrder | None:
        value = self.f.choice(node, path, CALLBACK_ORDERS, "callback order", "orders")
        return next((order for order in CALLBACK_ORDERS if order == value), None)

    def declare(self, kind: RefKind, key: Scalar, section: str, what: str) -> str | None:
        name = self.f.ident(key, section, what)
        if name is not None:
            self.d.declared[kind][name] = key.span
        return name

    def action(self, node: Node, path: str, *, allow_menu: bool = True) -> Action | None:
        """`{menu: x}`, `{queue: g}`, `{callback: g}` or `{hangup: farewell}`, with an optional `prompt`
        (not with hangup)."""
        example = (
            "{queue: general}, {menu: main}, {callback: general} or {hangup: closed}"
            if allow_menu
            else "{hangup: closed}, {queue: general} or {callback: general}"
        )
        if not isinstance(node, Mapping):
            if not isinstance(node, Refused):
                self.f.problem(
                    node.span,
                    f"{path}: expected an action such as {example}",
                    "write the action as a mapping in braces, or as indented key: value lines",
                )
            return None
        self.f.keys(node, path, (), ACTION_KEYS)
        kinds = [k for k in ACTION_KINDS if node.get(k) is not None]
        if len(kinds) != 1:
            found = "none" if not kinds else " and ".join(kinds)
            self.f.problem(
                node.span,
                f"{path}: an action needs exactly one of menu, queue, callback or hangup (found {found})",
                f"write one action, such as {example}",
            )
            return None
        kind = kinds[0]
        if kind == "menu" and not allow_menu:
            self.f.problem(
                node.span,
                f"{path}: must hang up, queue the caller or take a callback request, not go to a menu",
                f"write an action such as {example}",
            )
            return None
        target = self.ref(_REF_OF_ACTION[kind], node, kind, path, queued=kind in _SENDS_CALLERS)
        prompt = self.ref("prompt", node, "prompt", path)
        if kind == "hangup" and node.get("prompt") is not None:
            self.f.problem(
                node.span,
                f"{path}: a hangup action takes no prompt",
                "the name after 'hangup:' is the prompt played before hanging up",
            )
            return None
        if target is None or (node.get("prompt") is not None and prompt is None):
            return None
        return Action(kind, target, target if kind == "hangup" else prompt, span=node.span)
