"""The lints of `hotline check`: dialplans that read and resolve, but would still fail callers.

Each case edits a copy of dialplans/hotline.yaml, so the rest of the file stays valid: any problem
besides the expected ones (noise) fails the test.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from dialplan_edits import DEFAULT, Case, check, line_in_default, loads, problems_of, variant, where

from hotline.cli import main
from hotline.dialplan import load_dialplan

MAIN_0 = '      "0": {queue: general}\n'
BEFORE_CALLBACKS = "callbacks:                     # the promise"
DEFAULT_ON_FAILURE = "  on_failure:\n    queue: general\n\nmenus:"
HEATING_1 = '"1": {queue: heating}'
HEATING_9 = '      "9": {menu: main}\n\n  construction'
CONSTRUCTION_9 = '      "9": {menu: main}\n\ncallbacks'
OP101_SKILLS = "{heating: 1, water: 2, general: 1}"
WATER_GROUP = "  water:\n    title: Холодная вода и канализация\n"

INFO_MENU = (
    "  info:\n"
    "    prompt: written_consultation\n"
    "    options:\n"
    '      "1": {hangup: written_consultation}\n'
    "    on_failure: {hangup: written_consultation}\n\n"
)
LOOP_MENUS = (
    "  loop_a:\n"
    "    prompt: heating_menu\n"
    "    options:\n"
    '      "1": {menu: loop_b}\n'
    "    on_failure: {menu: loop_b}\n\n"
    "  loop_b:\n"
    "    prompt: heating_menu\n"
    "    options:\n"
    '      "1": {menu: loop_a}\n'
    "    on_failure: {menu: loop_a}\n\n"
)


def _with_menus(menus: str, main_key: str) -> tuple[tuple[str, str], tuple[str, str]]:
    """Edits that add `menus` after the last one, the first of them reached from main by key 7."""
    return (MAIN_0, MAIN_0 + f'      "7": {{menu: {main_key}}}\n'), (
        BEFORE_CALLBACKS,
        menus + BEFORE_CALLBACKS,
    )


# --- the shipped dialplan ------------------------------------------------------------------------------


def test_the_shipped_dialplans_have_no_lint_problem(capsys: pytest.CaptureFixture[str]) -> None:
    """`hotline check --dialplan dialplans` loads the shipped directory and exits 0."""
    load_dialplan(DEFAULT.parent)
    assert main(["check", "--dialplan", str(DEFAULT.parent)]) == 0
    assert "OK:" in capsys.readouterr().out


# --- dead ends -----------------------------------------------------------------------------------------


def test_a_menu_of_hangups_only_is_a_dead_end(tmp_path: Path) -> None:
    """A menu whose every option and on_failure hang up is reported at the menu, with a way out."""
    path = variant(tmp_path, *_with_menus(INFO_MENU, "info"))
    [p] = problems_of(path)
    assert (p.file, p.line, p.column) == where(path, "  info:\n", "info")
    assert p.message == (
        "menus.info: a dead end: every option and on_failure ends in a hangup, here or in the menus they "
        "lead to, so no caller who comes here can reach an operator or ask for a callback"
    )
    assert (
        p.hint
        == 'let an option or on_failure queue the caller or take a callback request, such as "0": '
        + ("{queue: general}")
    )


def test_a_menu_leading_only_to_dead_ends_is_one_too(tmp_path: Path) -> None:
    """A menu whose options hang up or go to a dead end is a dead end as well: both are reported."""
    outer = (
        "  outer:\n"
        "    prompt: written_consultation\n"
        "    options:\n"
        '      "1": {menu: info}\n'
        '      "2": {hangup: written_consultation}\n'
        "    on_failure: {hangup: written_consultation}\n\n"
    )
    path = variant(tmp_path, *_with_menus(outer + INFO_MENU, "outer"))
    problems = problems_of(path)
    assert [(p.line, p.message.split(":")[0]) for p in problems] == [
        (where(path, "  outer:\n", "outer")[1], "menus.outer"),
        (where(path, "  info:\n", "info")[1], "menus.info"),
    ]


def test_a_hangup_beside_a_queue_is_not_a_dead_end() -> None:
    """The shipped construction menu hangs up on 3 but queues on 1 and 2: that is fine."""
    dialplan = load_dialplan(DEFAULT)
    assert dialplan.menus["construction"].options["3"].kind == "hangup"


def test_a_menu_without_options_is_refused_by_the_parser(tmp_path: Path) -> None:
    """No lint is needed for a menu with no options: the parser refuses `options: {}` at the menu."""
    heating_options = (
        '    options:\n      "1": {queue: heating}               # no heating in the building\n'
        '      "2": {queue: heating}               # no hot water\n'
        '      "3": {queue: management}            # heating bills: the management company\n'
        '      "9": {menu: main}\n'
    )
    path = variant(tmp_path, (heating_options, "    options: {}\n"))
    assert [p.message for p in problems_of(path)] == ["menus.heating.options: no options"]


# --- silence and wrong keys ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("  timeout: 5 ", "  timeout: 0 ", "menu_defaults.timeout: expected a whole number from 1 to 60"),
        ("  retries: 3 ", "  retries: 0 ", "menu_defaults.retries: expected a whole number from 1 to 10"),
    ],
)
def test_a_menu_cannot_wait_no_time_or_allow_no_attempt(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    """No lint is needed for `timeout: 0` or `retries: 0`: the parser refuses them."""
    [p] = problems_of(variant(tmp_path, (old, new)))
    assert p.message.startswith(message)


@pytest.mark.parametrize("key", ["invalid_prompt", "timeout_prompt", "on_failure"])
def test_every_menu_has_its_prompts_for_silence_and_wrong_keys_and_an_on_failure(
    tmp_path: Path, key: str
) -> None:
    """No lint is needed for a menu without them: each is required in the menu or in menu_defaults."""
    text = DEFAULT.read_text(encoding="utf-8")
    start = text.index(f"  {key}:")
    end = text.index("\n", start) + 1
    if key == "on_failure":
        end = text.index("\n", end) + 1  # and its "queue: general" line
    path = variant(tmp_path, (text[start:end], ""))
    assert sorted(p.message for p in problems_of(path)) == [
        f"menus.{menu}: missing key '{key}'" for menu in ("construction", "heating", "main")
    ]


def test_an_on_failure_back_to_its_own_menu_keeps_a_silent_caller_forever(tmp_path: Path) -> None:
    """menu_defaults' on_failure to main makes main's own on_failure lead back to it: reported once,
    at that on_failure."""
    path = variant(tmp_path, (DEFAULT_ON_FAILURE, "  on_failure:\n    menu: main\n\nmenus:"))
    [p] = problems_of(path)
    assert (p.file, p.line, p.column) == where(path, "    menu: main\n\nmenus:", "menu")
    assert p.message == (
        "menus.main.on_failure: a caller who presses no key, or only wrong keys, goes round main → main "
        "and never leaves the menus"
    )
    assert p.hint.startswith("make on_failure of one of these menus queue the caller or hang up")


def test_on_failures_leading_from_one_menu_to_another_and_back_are_reported_once(tmp_path: Path) -> None:
    """heating's on_failure to construction and construction's back: one problem, at heating's."""
    path = variant(
        tmp_path,
        (HEATING_9, '      "9": {menu: main}\n    on_failure: {menu: construction}\n\n  construction'),
        (CONSTRUCTION_9, '      "9": {menu: main}\n    on_failure: {menu: heating}\n\ncallbacks'),
    )
    [p] = problems_of(path)
    assert (p.file, p.line, p.column) == where(path, "on_failure: {menu: construction}", "{")
    assert "goes round heating → construction → heating" in p.message


# --- loops with no way out -----------------------------------------------------------------------------


def test_menus_leading_only_to_one_another_are_a_loop_with_no_way_out(tmp_path: Path) -> None:
    """Two menus whose options and on_failure lead only to each other: one problem, at the first."""
    path = variant(tmp_path, *_with_menus(LOOP_MENUS, "loop_a"))
    [p] = problems_of(path)
    assert (p.file, p.line, p.column) == where(path, "  loop_a:\n", "loop_a")
    assert p.message == (
        "menus.loop_a: a loop with no way out: the menus loop_a and loop_b lead only to one another; "
        "no path queues the caller, takes a callback request or hangs up"
    )
    assert p.hint == (
        "let an option or on_failure of one of them leave the loop, such as on_failure: "
        "{queue: general}; at run time only the loop guard would get callers out"
    )


def test_a_menu_leading_only_to_itself_is_a_loop_with_no_way_out(tmp_path: Path) -> None:
    """A menu whose every option and on_failure is itself."""
    alone = (
        "  alone:\n"
        "    prompt: heating_menu\n"
        "    options:\n"
        '      "1": {menu: alone}\n'
        "    on_failure: {menu: alone}\n\n"
    )
    [p] = problems_of(variant(tmp_path, *_with_menus(alone, "alone")))
    assert p.message.startswith("menus.alone: a loop with no way out: every option and on_failure of this")


def test_a_menu_leading_into_a_loop_is_reported_with_the_loop_only(tmp_path: Path) -> None:
    """A menu that only leads into a closed loop is fixed with the loop: the loop alone is reported."""
    door = (
        "  door:\n"
        "    prompt: heating_menu\n"
        "    options:\n"
        '      "1": {menu: loop_a}\n'
        "    on_failure: {menu: loop_b}\n\n"
    )
    problems = problems_of(variant(tmp_path, *_with_menus(door + LOOP_MENUS, "door")))
    assert [p.message.split(":")[0] for p in problems] == ["menus.loop_a"]


# --- two meanings for one key --------------------------------------------------------------------------


CONFLICTS = {
    "1 and quoted 1 are one key": Case(
        HEATING_9,
        "      1: {menu: main}\n\n  construction",
        "1: {menu: main}",
        None,
        f"duplicate key '1' (first at line {line_in_default(HEATING_1)}, column 7)",
        "remove one of the two, or merge them",
    ),
    "an option on the menu's repeat key": Case(
        "    prompt: heating_menu\n",
        '    prompt: heating_menu\n    repeat_key: "1"\n',
        '"1": {queue: heating}               # no heating',
        None,
        "menus.heating: key '1' is both an option and the repeat_key (from this menu)",
        "use another key for the option, or set another repeat_key in this menu",
    ),
}


@pytest.mark.parametrize("case", CONFLICTS.values(), ids=CONFLICTS.keys())
def test_two_meanings_for_one_key_are_refused_by_the_reader_or_parser(tmp_path: Path, case: Case) -> None:
    """No lint is needed for key conflicts: `1` next to `"1"`, and an option on the repeat key, are
    already refused where they are written."""
    check(tmp_path, case)


# --- skill groups --------------------------------------------------------------------------------------


def test_a_group_nobody_uses_is_not_a_problem(tmp_path: Path) -> None:
    """A group with no operator that no menu, entry or general_group sends callers to harms no caller
    (say, one being prepared): it is accepted."""
    dialplan = loads(tmp_path, (WATER_GROUP, WATER_GROUP + "  spare:\n    title: Резерв\n"))
    assert "spare" in dialplan.skill_groups
    assert not dialplan.operators_of("spare")


def test_an_operator_skill_naming_no_group_is_reported_at_the_skill(tmp_path: Path) -> None:
    """A skill that is no group is an unknown reference, with the closest name as the hint."""
    check(
        tmp_path,
        Case(
            OP101_SKILLS,
            "{heating: 1, watr: 2, general: 1}",
            "watr: 2, general: 1}",
            "watr",
            "operators[op101].skills: unknown skill group 'watr'",
            "did you mean 'water'?",
        ),
    )


# --- callback settings ---------------------------------------------------------------------------------


def test_a_max_wait_shorter_than_abandoned_after_is_reported_at_the_group(tmp_path: Path) -> None:
    """Nobody waits long enough in that queue to be called back after hanging up."""
    path = variant(
        tmp_path,
        (WATER_GROUP, WATER_GROUP + "    max_wait: 100\n"),
        ("  abandoned_after: 30 ", "  abandoned_after: 120"),
    )
    [p] = problems_of(path)
    assert (p.file, p.line, p.column) == where(path, "  water:\n    title", "water")
    assert p.message == (
        "skill_groups.water: max_wait (100 s) is shorter than callbacks.abandoned_after (120 s): nobody "
        "waits long enough in this queue to be called back after hanging up"
    )


def test_a_max_wait_within_the_first_in_queue_offer_is_reported_at_the_group(tmp_path: Path) -> None:
    """Callers leave the queue before they hear the key that asks for a callback."""
    path = variant(tmp_path, (WATER_GROUP, WATER_GROUP + "    max_wait: 40\n"))
    [p] = problems_of(path)
    assert (p.file, p.line, p.column) == where(path, "  water:\n    title", "water")
    assert p.message == (
        "skill_groups.water: max_wait (40 s) is not longer than callbacks.queue_offer_every (45 s): "
        "callers leave this queue before the first offer to press 1 for a callback"
    )


def test_a_short_max_wait_is_fine_without_an_in_queue_offer(tmp_path: Path) -> None:
    """With offer_in_queue: false there is no offer to miss."""
    dialplan = loads(
        tmp_path,
        (WATER_GROUP, WATER_GROUP + "    max_wait: 40\n"),
        ("  offer_in_queue: true ", "  offer_in_queue: false"),
        ('  queue_key: "1"               # ... and press this key to hang up and keep their place\n', ""),
        ("  queue_offer_every: 45        # seconds between two in-queue offers\n", ""),
    )
    assert dialplan.skill_groups["water"].max_wait == 40


def test_more_attempts_than_a_number_may_get_in_a_day_is_reported_at_callbacks(tmp_path: Path) -> None:
    """max_attempts over attempts_per_number_per_day pushes a request's last attempts to the next day."""
    path = variant(tmp_path, ("  max_attempts: 3 ", "  max_attempts: 8 "))
    [p] = problems_of(path)
    assert (p.file, p.line, p.column) == where(path, BEFORE_CALLBACKS, "callbacks")
    assert p.message == (
        "callbacks: max_attempts (8) is more than limits.attempts_per_number_per_day (6): the last attempts "
        "of a request would wait for the next day, long after sla_minutes"
    )
    assert p.hint == "raise attempts_per_number_per_day to at least max_attempts, or lower max_attempts"


# --- prompts in every language a caller can choose -------------------------------------------------------


def _language_keys_line() -> str:
    """The shipped entry's `language_keys` line, which offers English to callers."""
    text = DEFAULT.read_text(encoding="utf-8")
    start = text.index("\n  language_keys:") + 1
    return text[start : text.index("\n", start) + 1]


def test_a_prompt_without_a_text_in_a_language_callers_can_choose_is_reported_at_it(tmp_path: Path) -> None:
    """The shipped language key offers en: a prompt callers hear with no `en:` text is reported at the
    prompt (the check is `hotline.dialplan.language_keys`'s)."""
    path = variant(tmp_path, ("    en: There is no such key in this menu.\n", ""))
    [p] = problems_of(path)
    assert (p.file, p.line, p.column) == where(path, "  invalid_key:", "invalid_key")
    assert p.message.startswith("prompts.invalid_key: no text in 'en'")


def test_a_language_no_caller_can_choose_needs_no_text(tmp_path: Path) -> None:
    """Without a language key, callers hear hotline.language only: a missing `en:` text is accepted."""
    dialplan = loads(
        tmp_path,
        (_language_keys_line(), ""),
        ("    en: There is no such key in this menu.\n", ""),
    )
    assert "en" in dialplan.hotline.languages
    assert "en" not in dialplan.prompts["invalid_key"].texts


# --- all at once ---------------------------------------------------------------------------------------


def test_every_lint_problem_of_a_file_is_reported_in_one_run_sorted_by_line(tmp_path: Path) -> None:
    """A dead end, a loop, a silent loop, a parse problem and contradicting callback settings in one
    file: all are reported, in file order."""
    path = variant(
        tmp_path,
        (HEATING_9, '      "9": {menu: main}\n    on_failure: {menu: construction}\n\n  construction'),
        (CONSTRUCTION_9, '      "9": {menu: main}\n    on_failure: {menu: heating}\n\ncallbacks'),
        *_with_menus(INFO_MENU + LOOP_MENUS, "info"),
        ('      "6": {menu: construction}\n', '      "6": {menu: construction}\n      "8": {menu: loop_a}\n'),
        ("  max_attempts: 3 ", "  max_attempts: 9 "),
        (WATER_GROUP, WATER_GROUP + "    max_wait: 20\n"),
        ("    title: Газоснабжение", "    title: Газоснабжение\n    ringtimeout: 20"),
    )
    problems = problems_of(path)
    assert [p.message.split(":")[0] for p in problems] == [
        "menus.heating.on_failure",
        "menus.info",
        "menus.loop_a",
        "callbacks",
        "skill_groups.water",
        "skill_groups.water",
        "skill_groups.gas",
    ]
    assert [(p.line, p.column) for p in problems] == sorted((p.line, p.column) for p in problems)
