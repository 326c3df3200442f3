"""Lints: a dialplan whose every name resolves can still fail its callers. These checks (called by
`validate`) report what would: menus with no way to an operator, loops with no way out, menus a silent
caller never leaves, and callback settings that contradict a skill group's or each other.

What the parser already makes impossible is not checked again here: a menu without options, a menu
without `timeout`, `retries`, `invalid_prompt`, `timeout_prompt` or `on_failure` (each is required in the
menu or in `menu_defaults`), `timeout: 0` or `retries: 0` (the ranges start at 1), two options on one key
(`1` and `"1"` are the same key, a duplicate the reader refuses), and an option on the repeat key.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from hotline.dialplan.draft import Draft
from hotline.dialplan.model import Action, CallbackPolicy, Menu, SkillGroup, Span
from hotline.errors import Problem

_SERVED = ("queue", "callback")  # the actions that bring a caller to an operator, now or by a callback


def lint(d: Draft) -> list[Problem]:
    """Every lint problem of the draft, each located."""
    menus = _readable_menus(d)
    general = d.hotline.general_group if d.hotline is not None else "general"
    return [
        *_dead_ends(menus, general),
        *_closed_loops(menus, general),
        *_silent_loops(menus, general),
        *_callback_contradictions(d),
    ]


def _problem(span: Span | None, message: str, hint: str) -> Problem:
    where = span or Span("", 0, 0)
    return Problem(where.file, where.line, where.column, message, hint)


# --- where menus lead ----------------------------------------------------------------------------------


def _readable_menus(d: Draft) -> dict[str, Menu]:
    """The menus, when every one of them was read and every menu named exists; else none (the problems
    are already reported, and a menu left out would make the others look stuck)."""
    declared = d.declared["menu"]
    if any(m not in d.menus for m in declared):
        return {}
    if any(ref.kind == "menu" and ref.name not in declared for ref in d.refs):
        return {}
    return d.menus


def _actions(menu: Menu) -> list[Action]:
    return [*menu.options.values(), menu.on_failure]


def _leading_to(menus: Mapping[str, Menu], goal: Callable[[Action], bool]) -> set[str]:
    """The menus from which some path of options and on_failure reaches an action that `goal` accepts."""
    found = {mid for mid, menu in menus.items() if any(goal(a) for a in _actions(menu))}
    grew = True
    while grew:
        grew = False
        for mid, menu in menus.items():
            if mid not in found and any(a.kind == "menu" and a.target in found for a in _actions(menu)):
                found.add(mid)
                grew = True
    return found


def _reach(menus: Mapping[str, Menu], start: str) -> set[str]:
    """The menus `start` leads to by options and on_failure, in any number of steps."""
    seen: set[str] = set()
    todo = [start]
    while todo:
        for action in _actions(menus[todo.pop()]):
            if action.kind == "menu" and action.target not in seen:
                seen.add(action.target)
                todo.append(action.target)
    return seen


def _names(ids: list[str]) -> str:
    return ids[0] if len(ids) == 1 else f"{', '.join(ids[:-1])} and {ids[-1]}"


def _dead_ends(menus: Mapping[str, Menu], general: str) -> list[Problem]:
    """A menu from which every path ends in a hangup: nobody who enters it can reach an operator."""
    served = _leading_to(menus, lambda a: a.kind in _SERVED)
    ending = _leading_to(menus, lambda a: a.kind != "menu")
    return [
        _problem(
            menu.span,
            f"menus.{mid}: a dead end: every option and on_failure ends in a hangup, here or in the menus "
            "they lead to, so no caller who comes here can reach an operator or ask for a callback",
            'let an option or on_failure queue the caller or take a callback request, such as "0": '
            f"{{queue: {general}}}",
        )
        for mid, menu in menus.items()
        if mid not in served and mid in ending
    ]


def _closed_loops(menus: Mapping[str, Menu], general: str) -> list[Problem]:
    """A set of menus that lead only to one another: no path queues, calls back or hangs up.

    Reported once per loop at its first menu in the file: the loop every stuck menu ends in (a menu that
    only leads into such a loop is fixed with it)."""
    ending = _leading_to(menus, lambda a: a.kind != "menu")
    stuck = [mid for mid in menus if mid not in ending]
    reach = {mid: _reach(menus, mid) for mid in stuck}
    problems: list[Problem] = []
    reported: set[str] = set()
    for mid in stuck:  # file order: the first menu of a loop is the one reported
        loop = {m for m in reach[mid] if mid in reach[m]} | {mid}
        if mid in reported or mid not in reach[mid] or not reach[mid] <= loop:
            continue  # already reported, or not in a loop, or leads out of it (into another loop)
        reported |= loop
        ids = [m for m in menus if m in loop]
        where = (
            "every option and on_failure of this menu leads back to it"
            if len(ids) == 1
            else f"the menus {_names(ids)} lead only to one another"
        )
        problems.append(
            _problem(
                menus[mid].span,
                f"menus.{mid}: a loop with no way out: {where}; no path queues the caller, takes a "
                "callback request or hangs up",
                f"let an option or on_failure of one of them leave the loop, such as on_failure: "
                f"{{queue: {general}}}; at run time only the loop guard would get callers out",
            )
        )
    return problems


def _silent_loops(menus: Mapping[str, Menu], general: str) -> list[Problem]:
    """Menus whose on_failure lead from one to another and back: a caller who presses no key (or only
    wrong ones) goes round them until the loop guard, minutes later. Loops with no way out at all are
    reported by `_closed_loops` instead."""
    ending = _leading_to(menus, lambda a: a.kind != "menu")
    problems: list[Problem] = []
    reported: set[str] = set()
    for mid in menus:
        chain = [mid]
        while (action := menus[chain[-1]].on_failure).kind == "menu" and action.target not in chain:
            chain.append(action.target)
        if action.kind != "menu":
            continue
        cycle = chain[chain.index(action.target) :]
        if reported & set(cycle) or any(m not in ending for m in cycle):
            continue
        reported |= set(cycle)
        first = next(m for m in menus if m in cycle)  # rotate the cycle to start at its first menu
        at = cycle.index(first)
        ring = [*cycle[at:], *cycle[:at], first]
        problems.append(
            _problem(
                menus[first].on_failure.span or menus[first].span,
                f"menus.{first}.on_failure: a caller who presses no key, or only wrong keys, goes round "
                f"{' → '.join(ring)} and never leaves the menus",
                "make on_failure of one of these menus queue the caller or hang up, such as on_failure: "
                f"{{queue: {general}}}; at run time only the loop guard would get callers out",
            )
        )
    return problems


# --- callbacks -----------------------------------------------------------------------------------------


def _callback_contradictions(d: Draft) -> list[Problem]:
    """Callback settings that a group's settings, or other callback settings, make impossible."""
    cb = d.callbacks
    if cb is None:
        return []  # unreadable (reported)
    problems = [p for group in d.skill_groups.values() for p in _group_callbacks(group, cb)]
    if cb.max_attempts > cb.attempts_per_number_per_day:
        problems.append(
            _problem(
                d.sections.get("callbacks"),
                f"callbacks: max_attempts ({cb.max_attempts}) is more than "
                f"limits.attempts_per_number_per_day ({cb.attempts_per_number_per_day}): the last "
                "attempts of a request would wait for the next day, long after sla_minutes",
                "raise attempts_per_number_per_day to at least max_attempts, or lower max_attempts",
            )
        )
    return problems


def _group_callbacks(group: SkillGroup, cb: CallbackPolicy) -> list[Problem]:
    """A group's max_wait against the callback waits: a caller leaves the group's queue after max_wait
    seconds (to the general queue, or hung up for the general group itself)."""
    if not group.max_wait:
        return []  # no limit
    problems = []
    if cb.abandoned_after and group.max_wait < cb.abandoned_after:
        problems.append(
            _problem(
                group.span,
                f"skill_groups.{group.id}: max_wait ({group.max_wait} s) is shorter than "
                f"callbacks.abandoned_after ({cb.abandoned_after} s): nobody waits long enough in this "
                "queue to be called back after hanging up",
                "set max_wait to 0 for no limit or above abandoned_after, or lower callbacks.abandoned_after",
            )
        )
    if cb.queue_key is not None and group.max_wait <= cb.queue_offer_every:
        problems.append(
            _problem(
                group.span,
                f"skill_groups.{group.id}: max_wait ({group.max_wait} s) is not longer than "
                f"callbacks.queue_offer_every ({cb.queue_offer_every} s): callers leave this queue before "
                f"the first offer to press {cb.queue_key} for a callback",
                "set max_wait to 0 for no limit or above queue_offer_every, or lower "
                "callbacks.queue_offer_every",
            )
        )
    return problems
