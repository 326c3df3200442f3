"""Checks that need several sections: names resolve, prompts speak the default language, every group that
callers are sent to has an operator, every menu can be reached from the first one, the callback engine
has its prompts and some hour in which to call back. The lints of menu flow and callback settings are
`hotline.dialplan.lint`'s."""

from __future__ import annotations

from collections.abc import Sequence

from hotline.dialplan import calendar
from hotline.dialplan import prompt_ids as ids
from hotline.dialplan.draft import Draft, RefKind
from hotline.dialplan.fields import did_you_mean
from hotline.dialplan.language_keys import language_key_problems
from hotline.dialplan.lint import lint
from hotline.dialplan.model import QuietHours, Span, TimeRange
from hotline.errors import Problem

_WORDS: dict[RefKind, tuple[str, str, str]] = {  # kind -> (singular, plural, section)
    "menu": ("menu", "menus", "menus"),
    "prompt": ("prompt", "prompts", "prompts"),
    "group": ("skill group", "skill groups", "skill_groups"),
}


def validate(d: Draft) -> list[Problem]:
    """Every cross-section problem of the draft, each located."""
    return [
        *_references(d),
        *_prompt_languages(d),
        *_unstaffed_groups(d),
        *_unreachable_menus(d),
        *_callback_prompts(d),
        *_operator_prompts(d),
        *_announce_prompts(d),
        *_quiet_business_hours(d),
        *calendar.lint(d),
        *language_key_problems(d),
        *lint(d),
    ]


def _problem(span: Span, message: str, hint: str) -> Problem:
    return Problem(span.file, span.line, span.column, message, hint)


def _undefined_prompts(d: Draft, where: Span, needed: Sequence[str], who: str, hint: str) -> list[Problem]:
    """One problem naming the prompts of `needed` that the YAML does not define (none: no problem);
    `who` says who plays them ("the operators' phones play")."""
    missing = [p for p in needed if p not in d.declared["prompt"]]
    if not missing:
        return []
    return [_problem(where, f"prompts: {who} prompts that are not defined: {', '.join(missing)}", hint)]


def _references(d: Draft) -> list[Problem]:
    problems = []
    for ref in d.refs:
        declared = d.declared[ref.kind]
        if ref.name not in declared:
            word, plural, section = _WORDS[ref.kind]
            hint = did_you_mean(ref.name, declared, what=plural)
            if not hint.startswith("did you mean"):
                hint = f"define '{ref.name}' under {section}, or use a defined name; {hint}"
            problems.append(_problem(ref.span, f"{ref.path}: unknown {word} '{ref.name}'", hint))
    return problems


def _prompt_languages(d: Draft) -> list[Problem]:
    if d.hotline is None:
        return []
    default, languages = d.hotline.language, d.hotline.languages
    problems = []
    for prompt in d.prompts.values():
        span = prompt.span or Span("", 0, 0)
        if default not in prompt.texts:
            problems.append(
                _problem(
                    span,
                    f"prompts.{prompt.id}: no text in the default language '{default}'",
                    f"add a line '{default}: ...' to this prompt: {default} is hotline.language",
                )
            )
        for lang in prompt.texts:
            if lang not in languages:
                problems.append(
                    _problem(
                        span,
                        f"prompts.{prompt.id}: text in '{lang}', which is not in hotline.languages",
                        f"add {lang} to hotline.languages, or remove this text",
                    )
                )
    return problems


def _unstaffed_groups(d: Draft) -> list[Problem]:
    """A group that callers are sent to (by a menu, entry.closed or general_group) needs an operator."""
    if d.staffed is None:
        return []
    sent: dict[str, list[str]] = {}
    for ref in d.queued:
        if ref.name in d.declared["group"] and ref.name not in d.staffed:
            sent.setdefault(ref.name, []).append(ref.path)
    problems = []
    for group, paths in sent.items():
        more = f" and {len(paths) - 1} more" if len(paths) > 1 else ""
        problems.append(
            _problem(
                d.declared["group"][group],
                f"skill_groups.{group}: no operator has this skill, but callers are sent here "
                f"({paths[0]}{more})",
                f"add {group} to an operator's skills, or send these callers to another group",
            )
        )
    return problems


def _unreachable_menus(d: Draft) -> list[Problem]:
    menus = d.declared["menu"]
    first = d.first_menu
    if first is None or first not in menus or any(m not in d.links for m in menus):
        return []  # the menus cannot all be read: their links are unknown (already reported)
    if any(ref.kind == "menu" and ref.name not in menus for ref in d.refs):
        return []  # a misspelt link (already reported) would make its menu look unreachable
    seen = {first}
    todo = [first]
    while todo:
        for target in d.links.get(todo.pop(), ()):
            if target in menus and target not in seen:
                seen.add(target)
                todo.append(target)
    return [
        _problem(
            span,
            f"menus.{menu}: no caller can reach this menu from the first menu '{first}'",
            f'lead to it from another menu, such as "9": {{menu: {menu}}}, or remove it',
        )
        for menu, span in menus.items()
        if menu not in seen
    ]


def _callback_prompts(d: Draft) -> list[Problem]:
    """The callback engine plays prompts of fixed names (`prompt_ids`): those its settings use must exist."""
    where = d.sections.get("prompts")
    if d.callbacks is None or where is None:
        return []  # the settings are unknown, or the missing section is already reported
    needed = list(ids.CALLBACK_PROMPTS_ALWAYS)
    needed += ids.QUEUE_WHISPER_PROMPTS  # the operator's whisper of every call from a queue
    if d.callbacks.queue_key is not None:
        needed.append(ids.CB_OFFER_IN_QUEUE)
    if d.callbacks.offer_over_wait > 0:
        needed.append(ids.CB_OFFER_BEFORE_QUEUE)
    if d.entry is not None and d.entry.closed.kind == "callback":
        needed += ids.CALLBACK_PROMPTS_CLOSED
    return _undefined_prompts(
        d,
        where,
        needed,
        "the callback engine plays",
        "define them: dialplans/hotline.yaml has their texts, docs/dialplan.md says when each is heard",
    )


def _operator_prompts(d: Draft) -> list[Problem]:
    """The operators' feature codes are each confirmed by a prompt, a pause by its reason's name too."""
    where = d.sections.get("prompts")
    if where is None or not d.phones_ok:
        return []  # the missing section or the wrong `phones` is already reported
    needed = [*ids.OPERATOR_PROMPTS, *(ids.pause_prompt(r) for r in d.phones.pause_reasons.values())]
    return _undefined_prompts(
        d,
        where,
        needed,
        "the operators' phones play",
        "define them: dialplans/hotline.yaml has their texts (op_*, pause_<reason>)",
    )


def _announce_prompts(d: Draft) -> list[Problem]:
    """Waiting callers hear their place and expected wait (`router.announcer`) when announce_every > 0:
    its words must exist, or they would hear numbers without what they mean."""
    where = d.sections.get("prompts")
    if where is None or d.routing is None or d.routing.announce_every <= 0:
        return []  # the missing section or the wrong `routing` is already reported; or never announced
    return _undefined_prompts(
        d,
        where,
        ids.ANNOUNCE_PROMPTS,
        "the announcements to waiting callers play",
        "define them (q_position, q_expected, q_callback, q_callback_key: dialplans/hotline.yaml has "
        "their texts), or set routing.announce_every to 0",
    )


def _quiet_business_hours(d: Draft) -> list[Problem]:
    """Callbacks are placed while the line is open and outside quiet hours: there must be such an hour."""
    if d.callbacks is None or d.hours is None:
        return []
    quiet = d.callbacks.quiet_hours
    ranges = [r for day in d.hours.days.values() for r in day]
    if not ranges or not all(_quiet_throughout(quiet, r) for r in ranges):
        return []
    shown = f"{quiet.start:%H:%M}-{quiet.end:%H:%M}"
    if d.quiet_hours_span is not None:
        span, what = d.quiet_hours_span, f"callbacks.quiet_hours: {shown}"
    else:
        span, what = d.sections.get("hours", Span("", 0, 0)), f"callbacks.quiet_hours (default {shown})"
    return [
        _problem(
            span,
            f"{what} covers all the business hours: no callback could ever be placed",
            "callbacks are placed while the line is open and outside quiet hours: shorten the quiet hours",
        )
    ]


def _quiet_throughout(quiet: QuietHours, r: TimeRange) -> bool:
    """Is every moment of the opening range `r` (within one day) in the quiet hours?"""
    if quiet.start < quiet.end:
        return quiet.start <= r.start and r.end <= quiet.end
    return r.start >= quiet.start or r.end <= quiet.end  # quiet across midnight: [start, 24:00) + [0, end)
