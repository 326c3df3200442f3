"""The optional `phones` section: the feature codes operators dial on their SIP phones, and the pause
reasons they can give.

Every code is a star and digits. Asterisk matches what a phone dials against every code at once, so no
code may begin another one (`*2` would swallow `*21`), the emergency mode's code included; a login or
logout code followed by a group's `code` logs in or out of that group alone, a pause code followed by a
reason's key pauses with that reason.
"""

from __future__ import annotations

import re

from hotline.dialplan.draft import SectionReader
from hotline.dialplan.model import PhonePolicy, Span
from hotline.dialplan.strictyaml import Mapping, Node

PHONE_CODES = ("login", "logout", "pause", "resume", "wrapup")
PHONE_SETTINGS = (*PHONE_CODES, "wrapup_extend", "pause_reasons", "start_logged_in")
CODE_DIGITS = 4
FEATURE_CODE = re.compile(rf"\*[0-9]{{1,{CODE_DIGITS}}}")
REASON_ID = re.compile(r"[a-z][a-z0-9_]{0,23}")  # a word: the reason Asterisk and `hotline status` show
RESERVED_REASONS = ("missed", "rejected", "wrapup", "logged-out", "callback")  # the program's own


def read_phones(r: SectionReader, node: Node) -> None:
    """Read `phones` into `r.d.phones` (left at the defaults when something in it is wrong: reported)."""
    path = "phones"
    if (m := r.f.mapping(node, path)) is None:
        r.d.phones_ok = False
        return
    r.f.keys(m, path, (), PHONE_SETTINGS)
    base = PhonePolicy()
    codes: dict[str, str] = {}
    ok = True
    for name in PHONE_CODES:
        value = _code(r, m, name, path, getattr(base, name))
        ok = ok and value is not None
        codes[name] = value or getattr(base, name)
    extend = r.number(m, "wrapup_extend", path, 10, 1800, default=base.wrapup_extend)
    reasons = r.given(m, "pause_reasons", path, lambda n, p: _reasons(r, n, p), base.pause_reasons)
    start = r.given(m, "start_logged_in", path, r.f.boolean, base.start_logged_in)
    if not ok or extend is None or reasons is None or start is None:
        r.d.phones_ok = False
        return
    r.d.phones = PhonePolicy(
        login=codes["login"],
        logout=codes["logout"],
        pause=codes["pause"],
        resume=codes["resume"],
        wrapup=codes["wrapup"],
        wrapup_extend=extend,
        pause_reasons=reasons,
        start_logged_in=start,
    )
    r.d.phone_code_spans = {name: s for name in PHONE_CODES if (s := _span(m, name)) is not None}


def _span(m: Mapping, key: str) -> Span | None:
    node = m.get(key)
    return None if node is None else node.span


def _code(r: SectionReader, m: Mapping, key: str, path: str, default: str) -> str | None:
    node = m.get(key)
    return default if node is None else feature_code(r, node, f"{path}.{key}", CODE_DIGITS, "*21")


def feature_code(r: SectionReader, node: Node, path: str, most: int, example: str) -> str | None:
    """A feature code: a star and 1 to `most` digits, quoted."""
    value = r.f.text(node, path)
    if value is not None and not re.fullmatch(rf"\*[0-9]{{1,{most}}}", value):
        r.f.problem(
            node.span,
            f"{path}: '{value}' is not a feature code",
            f'write a star and 1 to {most} digits, quoted: "{example}"',
        )
        return None
    return value


def _reasons(r: SectionReader, node: Node, path: str) -> dict[str, str] | None:
    if (m := r.f.mapping(node, path)) is None:
        return None
    if not m.entries or len(m.entries) > 9:
        r.f.problem(m.span, f"{path}: give 1 to 9 reasons", 'write them as key: reason, such as "1": break')
        return None
    reasons: dict[str, str] = {}
    seen: dict[str, int] = {}
    ok = True
    for key, value in m.entries:
        digit = r.f.dtmf(key, path)
        if digit is not None and not digit.isdigit():
            r.f.problem(key.span, f"{path}: '{digit}' is not a digit", "use the keys 1 to 9")
            digit = None
        reason = r.f.text(value, f"{path}.{key.text}")
        wrong = None if reason is None else _wrong_reason(reason, seen)
        if wrong is not None:
            r.f.problem(value.span, f"{path}.{key.text}: {wrong[0]}", wrong[1])
            reason = None
        if digit is None or reason is None:
            ok = False
            continue
        seen[reason] = value.span.line
        reasons[digit] = reason
    return reasons if ok else None


def _wrong_reason(reason: str, seen: dict[str, int]) -> tuple[str, str] | None:
    """What is wrong with a pause reason's name, and the hint; None when it is fine."""
    if not REASON_ID.fullmatch(reason):
        return (
            f"'{reason}' is not a reason name",
            "write a lowercase word (letters, digits, '_'), such as lunch",
        )
    if reason in RESERVED_REASONS:
        return f"'{reason}' is a reason the program gives itself", "choose another word"
    if reason in seen:
        return f"the reason '{reason}' is already given at line {seen[reason]}", "give each reason once"
    return None


def check_codes(r: SectionReader, phones: Node | None) -> None:
    """No feature code may begin another one (the emergency mode's included): Asterisk could not tell
    `*2` from `*21`, and a login to a group (`*21` + its code) must not be read as another code. Each
    code that begins others is reported once, where it is written."""
    codes = {name: getattr(r.d.phones, name) for name in PHONE_CODES}
    if r.d.emergency is not None:
        codes["emergency.feature_code"] = r.d.emergency.feature_code
    for short, code in codes.items():
        longer = [n for n, other in codes.items() if n != short and other.startswith(code)]
        longer = [n for n in longer if codes[n] != code or list(codes).index(n) > list(codes).index(short)]
        if not longer:
            continue
        span = r.d.phone_code_spans.get(short) or r.d.phone_code_spans.get(longer[0])
        span = span or (phones.span if phones is not None else r.d.sections.get("emergency"))
        if span is None:
            continue
        same = [n for n in longer if codes[n] == code]
        names = ", ".join(_label(n) for n in longer)
        r.f.problem(
            span,
            f"{_label(short)}: '{code}' is " + ("also the code of " if same else "the beginning of ") + names,
            "give each its own code, none the beginning of another, such as *21 and *22",
        )
        r.d.phones_ok = False


def _label(name: str) -> str:
    return name if "." in name else f"phones.{name}"
