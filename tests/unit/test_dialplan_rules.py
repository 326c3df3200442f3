"""The dialplan's rules across fields and sections: hours, actions, menus, operators, references.

Each case edits a copy of dialplans/hotline.yaml, so the rest of the file stays valid: any problem
besides the expected one (noise) fails the test.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from dialplan_edits import Case, check, line_in_default, loads, problems_of, variant

from hotline.dialplan.hours import HoursError, parse_day
from hotline.dialplan.model import TimeRange

HEATING_OPTIONS = (
    '    options:\n      "1": {queue: heating}               # no heating in the building\n'
    '      "2": {queue: heating}               # no hot water\n'
    '      "3": {queue: management}            # heating bills: the management company\n'
    '      "9": {menu: main}\n'
)
MAIN_2 = '      "2": {queue: water}'
HEATING_9 = '      "9": {menu: main}\n\n  construction'
EXT_101, EXT_103 = 'extension: "101"', 'extension: "103"'
OP101_SKILLS = "{heating: 1, water: 2, general: 1}"


# --- hours ---------------------------------------------------------------------------------------------


def test_a_day_is_ranges_separated_by_commas_or_closed() -> None:
    """`parse_day` reads several ranges, sorts them, and takes `closed` as no range at all."""
    assert parse_day("13:00-17:00, 08:00-12:00") == (
        TimeRange(dt.time(8), dt.time(12)),
        TimeRange(dt.time(13), dt.time(17)),
    )
    assert parse_day("closed") == ()


def test_24_00_ends_a_range_at_midnight() -> None:
    """`00:00-24:00` is open all day: the end is the last instant of the day."""
    assert parse_day("00:00-24:00") == (TimeRange(dt.time(0), dt.time.max),)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("8:00-20:00", "'8:00' is not a time written HH:MM (two digits each, e.g. 08:00)"),
        ("08:00", "'08:00' is not a range like 08:00-20:00"),
        ("08:00-25:00", "'25:00' is not a time of day (hours 00-23, minutes 00-59)"),
        ("24:00-24:00", "'24:00' is not a time of day (hours 00-23, minutes 00-59)"),
        ("10:00-09:00", "in '10:00-09:00' the end is not after the start"),
        ("10:00-10:00", "in '10:00-10:00' the end is not after the start"),
        ("08:00-12:00, 11:00-13:00", "ranges overlap (08:00-12:00 and 11:00-13:00)"),
        ("", "no hours given"),
        ("open", "'open' is not a range like 08:00-20:00"),
    ],
)
def test_a_bad_day_of_hours_says_what_is_wrong(text: str, message: str) -> None:
    """Each malformed day is refused with a message an admin can act on."""
    with pytest.raises(HoursError) as info:
        parse_day(text)
    assert str(info.value) == message


def test_bad_hours_in_the_file_are_located_at_the_value(tmp_path: Path) -> None:
    """`sun: "10:00-09:00"` is refused at the value, with the format in the hint."""
    check(
        tmp_path,
        Case(
            "  sun: closed",
            '  sun: "10:00-09:00"',
            '"10:00-09:00"',
            None,
            "hours.sun: in '10:00-09:00' the end is not after the start",
            'write "HH:MM-HH:MM", several ranges separated by commas, or closed',
        ),
    )


def test_every_weekday_must_be_given(tmp_path: Path) -> None:
    """A week without `sun` is refused: a closed day must say `closed`."""
    check(tmp_path, Case("  sun: closed\n", "", '  mon: "08:00-20:00"', "mon", "hours: missing key 'sun'"))


def test_a_misspelt_weekday_is_unknown_and_the_real_one_missing(tmp_path: Path) -> None:
    """`monday:` instead of `mon:` gives both problems, with a hint towards `mon`."""
    path = variant(tmp_path, ('  mon: "08:00-20:00"', '  monday: "08:00-20:00"'))
    problems = problems_of(path)
    assert [(p.message, p.hint) for p in problems] == [
        ("hours: unknown key 'monday'", "did you mean 'mon'?"),
        ("hours: missing key 'mon'", "add 'mon: ...' here"),
    ]


def test_hours_with_several_ranges_load(tmp_path: Path) -> None:
    """A lunch break is two ranges on one day."""
    d = loads(tmp_path, ('  mon: "08:00-20:00"', '  mon: "08:00-12:00, 13:00-17:00"'))
    assert d.hours.days["mon"] == (TimeRange(dt.time(8), dt.time(12)), TimeRange(dt.time(13), dt.time(17)))


# --- actions and menus ---------------------------------------------------------------------------------

# fmt: off
ACTIONS = {
    "two kinds at once": Case(MAIN_2, '      "2": {queue: water, menu: heating}', "{queue: water, menu", "{",
        "menus.main.options.2: an action needs exactly one of menu, queue, callback or hangup"
        " (found menu and queue)"),
    "no kind": Case(MAIN_2, '      "2": {prompt: transfer}', "{prompt: transfer}", None,
        "menus.main.options.2: an action needs exactly one of menu, queue, callback or hangup (found none)"),
    "a name instead of an action": Case(MAIN_2, '      "2": water', '"2": water', "water",
        "menus.main.options.2: expected an action such as {queue: general}, {menu: main},"
        " {callback: general} or {hangup: closed}"),
    "hangup with a prompt": Case('{hangup: written_consultation}',
        "{hangup: written_consultation, prompt: transfer}",
        "{hangup: written_consultation", "{", "menus.construction.options.3: a hangup action takes no prompt",
        "the name after 'hangup:' is the prompt played before hanging up"),
    "closed going to a menu": Case("    callback: general\n    prompt: closed", "    menu: main",
        "    menu: main", "menu",
        "entry.closed: must hang up, queue the caller or take a callback request, not go to a menu",
        "write an action such as {hangup: closed}, {queue: general} or {callback: general}"),
    "misspelt prompt key": Case(MAIN_2, '      "2": {queue: water, promt: transfer}', "promt", None,
        "menus.main.options.2: unknown key 'promt'", "did you mean 'prompt'?"),
    "repeat key also an option": Case('      "0": {queue: general}',
        '      "0": {queue: general}\n      "*": {queue: gas}',
        '"*": {queue: gas}', '"*"',
        "menus.main: key '*' is both an option and the repeat_key (from menu_defaults)",
        "use another key for the option, or set another repeat_key in this menu"),
    "repeat key not a phone key": Case('  repeat_key: "*"', '  repeat_key: "**"', '"**"', None,
        "menu_defaults.repeat_key: '**' is not a phone key"),
    "menu without options": Case(HEATING_OPTIONS, "    options: {}\n", "options: {}", "{}",
        "menus.heating.options: no options"),
    "options left empty": Case(HEATING_OPTIONS, "    options:\n", "    options:\n\n", "\n",
        "menus.heating.options: expected a mapping (key: value lines), found nothing"),
}
# fmt: on


@pytest.mark.parametrize("case", ACTIONS.values(), ids=ACTIONS.keys())
def test_actions_and_menus_are_checked(tmp_path: Path, case: Case) -> None:
    """An action is exactly one of menu, queue or hangup; menu keys, repeat key and options are checked."""
    check(tmp_path, case)


def test_an_action_may_play_a_prompt_first(tmp_path: Path) -> None:
    """`{queue: water, prompt: transfer}` keeps its prompt; a hangup's prompt is its farewell."""
    d = loads(tmp_path, (MAIN_2, '      "2": {queue: water, prompt: transfer}'))
    two = d.menus["main"].options["2"]
    assert (two.kind, two.target, two.prompt) == ("queue", "water", "transfer")


def test_a_menu_overrides_menu_defaults_and_keeps_the_rest(tmp_path: Path) -> None:
    """A menu's own timeout and repeat key win; the other settings still come from menu_defaults."""
    d = loads(
        tmp_path,
        ("    prompt: heating_menu\n", '    prompt: heating_menu\n    timeout: 10\n    repeat_key: "#"\n'),
    )
    heating, main = d.menus["heating"], d.menus["main"]
    assert (heating.timeout, heating.repeat_key, heating.retries) == (10, "#", 3)
    assert (main.timeout, main.repeat_key) == (5, "*")
    assert heating.keys == "1239#"


def test_without_menu_defaults_each_menu_must_set_its_failure_settings(tmp_path: Path) -> None:
    """With no on_failure anywhere, every menu is reported; timeout and retries have built-in defaults."""
    path = variant(tmp_path, ("  on_failure:\n    queue: general\n", ""))
    assert [p.message for p in problems_of(path)] == [
        "menus.main: missing key 'on_failure'",
        "menus.heating: missing key 'on_failure'",
        "menus.construction: missing key 'on_failure'",
    ]


# --- operators -----------------------------------------------------------------------------------------

# fmt: off
OPERATORS = {
    "id used twice": Case("  - id: op102", "  - id: op101", "  - id: op101\n    name: Борис", "op101",
        f"operators[op101].id: operator id 'op101' is already used at line {line_in_default('id: op101')}"),
    "extension used twice": Case('    extension: "102"', '    extension: "101"',
        'extension: "101"\n    skills: {water',
        '"101"',
        f"operators[op102].extension: extension '101' is already used at line {line_in_default(EXT_101)}",
        "give each operator its own extension"),
    "extension too long": Case('    extension: "102"', '    extension: "1234567"', '"1234567"', None,
        "operators[op102].extension: '1234567' is not 2 to 6 digits"),
    "extension too short": Case('    extension: "102"', "    extension: 7", "extension: 7", "7",
        "operators[op102].extension: '7' is not 2 to 6 digits"),
    "no skills": Case("{management: 1, general: 1}", "{}", "skills: {}", "{}",
        "operators[op105].skills: no skills given"),
    "not a mapping": Case("\nprompts:", "  - op107\n\nprompts:", "- op107", "op107",
        "operators[#7]: expected a mapping (key: value lines), found a single value"),
}
# fmt: on


@pytest.mark.parametrize("case", OPERATORS.values(), ids=OPERATORS.keys())
def test_operators_are_checked(tmp_path: Path, case: Case) -> None:
    """Operator ids and extensions are unique, extensions are 2 to 6 digits, skills are given."""
    check(tmp_path, case)


# --- references ----------------------------------------------------------------------------------------

# fmt: off
REFERENCES = {
    "unknown menu": Case("  menu: main\n", "  menu: mian\n", "menu: mian", "mian",
        "entry.menu: unknown menu 'mian'", "did you mean 'main'?"),
    "unknown prompt": Case("  greeting: greeting", "  greeting: greting", "greeting: greting", "greting",
        "entry.greeting: unknown prompt 'greting'", "did you mean 'greeting'?"),
    "unknown group, nothing close": Case(MAIN_2, '      "2": {queue: plumbing}', "plumbing", None,
        "menus.main.options.2.queue: unknown skill group 'plumbing'",
        "define 'plumbing' under skill_groups, or use a defined name; known skill groups: construction, "
        "electricity, gas, general, heating, management, water"),
    "unknown group in skills": Case(OP101_SKILLS, "{heatin: 1, water: 2, general: 1}", "heatin: 1", "heatin",
        "operators[op101].skills: unknown skill group 'heatin'", "did you mean 'heating'?"),
    "unknown general group": Case("  general_group: general ", "  general_group: genral ", "genral", None,
        "hotline.general_group: unknown skill group 'genral'", "did you mean 'general'?"),
    "unknown fallback prompt": Case("  fallback_prompt: fallback ", "  fallback_prompt: fallbak ",
        "fallbak", None,
        "hotline.fallback_prompt: unknown prompt 'fallbak'", "did you mean 'fallback'?"),
    "unknown menu default prompt": Case("  invalid_prompt: invalid_key", "  invalid_prompt: invalid",
        "invalid\n", "invalid",
        "menu_defaults.invalid_prompt: unknown prompt 'invalid'", "did you mean 'invalid_key'?"),
    "unreachable menu": Case('      "1": {menu: heating}', '      "1": {queue: heating}',
        "\n  heating:\n    prompt",
        "heating", "menus.heating: no caller can reach this menu from the first menu 'main'",
        'lead to it from another menu, such as "9": {menu: heating}, or remove it'),
    "group without operators": Case("{construction: 1, management: 3, general: 3}",
        "{management: 3, general: 3}",
        "  construction:\n    title", "construction",
        "skill_groups.construction: no operator has this skill, but callers are sent here "
        "(menus.construction.options.1.queue and 1 more)",
        "add construction to an operator's skills, or send these callers to another group"),
    "prompt without the default language": Case(
        "    ru: Соединяю с оператором. Пожалуйста, оставайтесь на линии.\n", "",
        "  transfer:", "transfer", "prompts.transfer: no text in the default language 'ru'",
        "add a line 'ru: ...' to this prompt: ru is hotline.language"),
    "prompt in a language not listed": Case("  greeting:\n", "  greeting:\n    de: Hallo!\n",
        "  greeting:\n    de",
        "greeting", "prompts.greeting: text in 'de', which is not in hotline.languages"),
}
# fmt: on


@pytest.mark.parametrize("case", REFERENCES.values(), ids=REFERENCES.keys())
def test_references_reachability_and_staffing_are_checked(tmp_path: Path, case: Case) -> None:
    """Names must exist, menus must be reachable, queued groups staffed, prompts in the default language."""
    check(tmp_path, case)


def test_a_broken_menu_is_reported_once_not_again_by_each_reference(tmp_path: Path) -> None:
    """A menu whose prompt is wrong is still a known name: references to it and its links stay quiet."""
    path = variant(tmp_path, ("    prompt: heating_menu", "    prompt: [heating_menu]"))
    assert [p.message for p in problems_of(path)] == [
        "menus.heating.prompt: expected a single value, found a list"
    ]


def test_several_problems_in_several_sections_are_all_reported_in_file_order(tmp_path: Path) -> None:
    """One load reports every problem found, sorted by line."""
    path = variant(
        tmp_path,
        ("  timezone: Europe/Moscow", "  timezone: Moscow"),
        ('  sat: "09:00-15:00"', '  sat: "09:00-35:00"'),
        ('      "1": {menu: heating}', '      "1": {menu: heatin}'),
        ('    extension: "104"', '    extension: "103"'),
        ("    title: Газоснабжение", "    title: yes"),
    )
    problems = problems_of(path)
    assert [p.message for p in problems] == [
        "hotline.timezone: unknown time zone 'Moscow'",
        "hours.sat: '35:00' is not a time of day (hours 00-23, minutes 00-59)",
        "menus.main.options.1.menu: unknown menu 'heatin'",
        "skill_groups.gas.title: ambiguous value 'yes': YAML tools read it as a yes/no value, not as text",
        f"operators[op104].extension: extension '103' is already used at line {line_in_default(EXT_103)}",
    ]
    assert [p.line for p in problems] == sorted(p.line for p in problems)
