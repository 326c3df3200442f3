"""The `menu_defaults` and `menus` sections: a menu takes what menu_defaults gives unless it says so."""

from __future__ import annotations

from dataclasses import dataclass, field

from hotline.dialplan.draft import SectionReader
from hotline.dialplan.model import Action, Menu, Span
from hotline.dialplan.strictyaml import Mapping, Node

MENU_SETTINGS = ("timeout", "retries", "repeat_key", "invalid_prompt", "timeout_prompt", "on_failure")
MENU_REQUIRED = ("prompt", "options")  # each menu's own: not accepted in menu_defaults
DEFAULT_TIMEOUT = 5  # when neither the menu nor menu_defaults sets it
DEFAULT_RETRIES = 3


@dataclass
class _Settings:
    """The menu settings one mapping gives (a menu, or menu_defaults); `given` names the keys present."""

    given: set[str] = field(default_factory=set)
    timeout: int | None = None
    retries: int | None = None
    repeat_key: str | None = None
    invalid_prompt: str | None = None
    timeout_prompt: str | None = None
    on_failure: Action | None = None


def read_menus(r: SectionReader, menus: Node, defaults: Node | None) -> None:
    """Read `menus` (with `menu_defaults`, if given) into `r.d.menus`."""
    _MenuReader(r.f, r.d).read(menus, defaults)


class _MenuReader(SectionReader):
    def read(self, menus: Node, defaults_node: Node | None) -> None:
        defaults = _Settings()
        if defaults_node is not None:
            if (m := self.f.mapping(defaults_node, "menu_defaults")) is not None:
                self.f.keys(m, "menu_defaults", (), MENU_SETTINGS)
                defaults = self.settings(m, "menu_defaults")
            else:  # reported; do not also report every setting as missing from every menu
                defaults = _Settings(given=set(MENU_SETTINGS))
        self.menus(menus, defaults)

    def settings(self, m: Mapping, path: str) -> _Settings:
        s = _Settings(given={k for k in MENU_SETTINGS if m.get(k) is not None})
        s.timeout = self.number(m, "timeout", path, 1, 60, default=None)
        s.retries = self.number(m, "retries", path, 1, 10, default=None)
        s.repeat_key = self.get(m, "repeat_key", path, self.f.dtmf)
        s.invalid_prompt = self.ref("prompt", m, "invalid_prompt", path)
        s.timeout_prompt = self.ref("prompt", m, "timeout_prompt", path)
        s.on_failure = self.get(m, "on_failure", path, self.action)
        return s

    def menus(self, node: Node, defaults: _Settings) -> None:
        if (m := self.f.mapping(node, "menus")) is None:
            return
        if not m.entries:
            self.f.problem(
                m.span, "menus: no menu defined", "define at least the first menu, named in entry.menu"
            )
        for key, body in m.entries:
            mid = self.declare("menu", key, "menus", "menu name")
            path = f"menus.{mid or key.text}"
            if (b := self.f.mapping(body, path)) is None:
                continue
            self.f.keys(b, path, MENU_REQUIRED, MENU_SETTINGS)
            prompt = self.ref("prompt", b, "prompt", path)
            options_node = b.get("options")
            options, good = self.options(options_node, f"{path}.options") if options_node else ({}, False)
            own = self.settings(b, path)
            s = _merge(own, defaults)
            for name in ("invalid_prompt", "timeout_prompt", "on_failure"):
                if name not in own.given and name not in defaults.given:
                    self.f.problem(
                        b.span, f"{path}: missing key '{name}'", "set it in this menu or in menu_defaults"
                    )
            actions = [*options.values(), *([s.on_failure] if s.on_failure else [])]
            self.d.links[mid or key.text] = {a.target for a in actions if a.kind == "menu"}
            if s.repeat_key is not None and s.repeat_key in options:
                where = "this menu" if "repeat_key" in own.given else "menu_defaults"
                self.f.problem(
                    _option_span(b, s.repeat_key, b.span),
                    f"{path}: key '{s.repeat_key}' is both an option and the repeat_key (from {where})",
                    "use another key for the option, or set another repeat_key in this menu",
                )
                continue
            if (
                mid is None
                or prompt is None
                or not good
                or s.timeout is None
                or s.retries is None
                or s.invalid_prompt is None
                or s.timeout_prompt is None
                or s.on_failure is None
                or ("repeat_key" in s.given and s.repeat_key is None)
            ):
                continue
            self.d.menus[mid] = Menu(
                mid,
                prompt,
                options,
                s.timeout,
                s.retries,
                s.repeat_key,
                s.invalid_prompt,
                s.timeout_prompt,
                s.on_failure,
                span=key.span,
            )

    def options(self, node: Node, path: str) -> tuple[dict[str, Action], bool]:
        """The options that could be read, and whether all of them could."""
        if (m := self.f.mapping(node, path)) is None:
            return {}, False
        if not m.entries:
            self.f.problem(m.span, f"{path}: no options", 'add at least one, such as "1": {queue: general}')
            return {}, False
        options: dict[str, Action] = {}
        for key, value in m.entries:
            digit = self.f.dtmf(key, path)
            action = self.action(value, f"{path}.{key.text}")
            if digit is not None and action is not None:
                options[digit] = action
        return options, len(options) == len(m.entries)


def _merge(own: _Settings, defaults: _Settings) -> _Settings:
    """The menu's own settings where given, else menu_defaults', else the built-in defaults."""
    merged = _Settings(given=own.given | defaults.given)
    for name in MENU_SETTINGS:
        source = own if name in own.given else defaults
        setattr(merged, name, getattr(source, name))
    if "timeout" not in merged.given:
        merged.timeout = DEFAULT_TIMEOUT
    if "retries" not in merged.given:
        merged.retries = DEFAULT_RETRIES
    return merged


def _option_span(menu: Mapping, key: str, default: Span) -> Span:
    options = menu.get("options")
    if isinstance(options, Mapping) and (k := options.key_of(key)) is not None:
        return k.span
    return default
