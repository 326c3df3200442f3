"""Values in the dialplan: the quoting rule, whole numbers, yes/no, keys, names and kinds of node.

Each case edits a copy of dialplans/hotline.yaml, so the rest of the file stays valid: any problem
besides the expected one (noise) fails the test.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from dialplan_edits import Case, check, loads, problems_of, variant

from hotline.dialplan.fields import Fields
from hotline.dialplan.model import TimeRange
from hotline.dialplan.strictyaml import Mapping, read_yaml

GAS_TITLE = "    title: Газоснабжение"
EXT_102 = '    extension: "102"'
CAPACITY = "  capacity: 100 "

# --- the quoting rule ----------------------------------------------------------------------------------

YAML_SURPRISES = {
    "no": "a yes/no value",
    "yes": "a yes/no value",
    "off": "a yes/no value",
    "~": "null (no value)",
    "null": "null (no value)",
    "12:30": "a base-60 number",
    "012": "an octal number",
    "1.5": "a decimal number",
    "2024-01-01": "a date",
}


@pytest.mark.parametrize(("value", "meaning"), YAML_SURPRISES.items(), ids=YAML_SURPRISES.keys())
def test_an_unquoted_value_that_yaml_reads_as_no_text_is_refused_where_text_is_meant(
    tmp_path: Path, value: str, meaning: str
) -> None:
    """`title: no` (and the like) must be quoted: the problem says what YAML tools would make of it."""
    message = (
        f"skill_groups.gas.title: ambiguous value '{value}': YAML tools read it as {meaning}, not as text"
    )
    check(
        tmp_path,
        Case(GAS_TITLE, f"    title: {value}", f"title: {value}", value, message, f'quote it: "{value}"'),
    )


@pytest.mark.parametrize("value", YAML_SURPRISES.keys())
def test_the_same_value_quoted_is_plain_text(tmp_path: Path, value: str) -> None:
    """Quoted, every surprising value is just text."""
    assert loads(tmp_path, (GAS_TITLE, f'    title: "{value}"')).skill_groups["gas"].title == value


def test_plain_text_that_yaml_reads_as_text_needs_no_quotes(tmp_path: Path) -> None:
    """Ordinary words and sentences, and hours ranges, are text without quotes."""
    d = loads(
        tmp_path,
        (GAS_TITLE, "    title: Gas - leaks, bills and meters, 24/7"),
        ('  mon: "08:00-20:00"', "  mon: 08:00-20:00"),
    )
    assert d.skill_groups["gas"].title == "Gas - leaks, bills and meters, 24/7"
    assert d.hours.days["mon"] == (TimeRange(dt.time(8), dt.time(20)),)


def test_a_name_with_nothing_after_the_colon_is_refused(tmp_path: Path) -> None:
    """`title:` with no value is not an empty title but a missing value, reported at the end of the line."""
    check(
        tmp_path,
        Case(GAS_TITLE, "    title:", "    title:\n    ring", "\n", "skill_groups.gas.title: no value given"),
    )


def test_a_block_text_is_text_whatever_it_says(tmp_path: Path) -> None:
    """A folded (>-) prompt text is never taken for a yes/no value."""
    d = loads(tmp_path, ("    ru: Такой клавиши нет в меню.", "    ru: >-\n      no"))
    assert d.prompts["invalid_key"].texts["ru"] == "no"


def test_digit_strings_take_plain_digits_and_keep_them_as_text(tmp_path: Path) -> None:
    """The public number and extensions accept unquoted digits: they stay text."""
    d = loads(tmp_path, ('  number: "565602"', "  number: 565602"), (EXT_102, "    extension: 102"))
    assert (d.hotline.number, d.operators["op102"].extension) == ("565602", "102")


def test_a_quoted_leading_zero_is_kept_in_a_digit_string(tmp_path: Path) -> None:
    """`extension: "012"` is the extension 012."""
    assert loads(tmp_path, (EXT_102, '    extension: "012"')).operators["op102"].extension == "012"


def test_an_unquoted_leading_zero_in_a_digit_string_must_be_quoted(tmp_path: Path) -> None:
    """`extension: 012` would be the octal number 10 to YAML tools: it must be quoted."""
    message = "operators[op102].extension: ambiguous value '012': YAML tools read it as an octal number"
    message += ", not as text"
    check(tmp_path, Case(EXT_102, "    extension: 012", "extension: 012", "012", message, 'quote it: "012"'))


def test_a_prompt_in_norwegian_must_quote_its_language(tmp_path: Path) -> None:
    """The language code `no` as a key must be quoted too: it is YAML's famous false."""
    old, new = "  fallback:\n    ru:", "  fallback:\n    no: Kobler deg til.\n    ru:"
    message = "prompts.fallback: ambiguous value 'no': YAML tools read it as a yes/no value, not as text"
    check(tmp_path, Case(old, new, "no: Kobler", "no", message))


# --- whole numbers and yes/no ---------------------------------------------------------------------------

# fmt: off
NUMBERS = {
    "leading zero": Case(CAPACITY, "  capacity: 0100 ", "capacity: 0100", "0100",
        "hotline.capacity: '0100' has a leading zero", "write 100: YAML tools read a leading zero as octal"),
    "quoted": Case(CAPACITY, '  capacity: "100" ', 'capacity: "100"', '"100"',
        'hotline.capacity: expected a whole number from 1 to 10000, found the text "100"',
        "remove the quotes"),
    "below the range": Case(CAPACITY, "  capacity: 0 ", "capacity: 0 ", "0",
        "hotline.capacity: expected a whole number from 1 to 10000, found '0'",
        "write a whole number from 1 to 10000"),
    "negative": Case("    wrapup: 10", "    wrapup: -1", "wrapup: -1", "-1",
        "skill_groups.management.wrapup: expected a whole number from 0 to 600, found '-1'"),
    "decimal": Case("version: 1\n", "version: 1.0\n", "version: 1.0", "1.0",
        "version: expected a whole number from 0 to 1000000, found '1.0'"),
    "unsupported version": Case("version: 1\n", "version: 2\n", "version: 2", "2",
        "version: this program reads version 1, found 2"),
    "timeout over 60": Case("  timeout: 5 ", "  timeout: 61 ", "timeout: 61", "61",
        "menu_defaults.timeout: expected a whole number from 1 to 60, found '61'"),
    "timeout of 0": Case("  timeout: 5 ", "  timeout: 0 ", "timeout: 0", "0",
        "menu_defaults.timeout: expected a whole number from 1 to 60, found '0'"),
    "retries over 10": Case("  retries: 3 ", "  retries: 11 ", "retries: 11", "11",
        "menu_defaults.retries: expected a whole number from 1 to 10, found '11'"),
    "ring_timeout under 5": Case("    ring_timeout: 20", "    ring_timeout: 4", "ring_timeout: 4", "4",
        "skill_groups.gas.ring_timeout: expected a whole number from 5 to 120, found '4'"),
    "wrapup over 600": Case("    wrapup: 10", "    wrapup: 601", "wrapup: 601", "601",
        "skill_groups.management.wrapup: expected a whole number from 0 to 600, found '601'"),
    "max_wait over 7200": Case(GAS_TITLE, GAS_TITLE + "\n    max_wait: 7201", "max_wait: 7201", "7201",
        "skill_groups.gas.max_wait: expected a whole number from 0 to 7200, found '7201'"),
    "skill level 6": Case("{heating: 1, water: 2, general: 1}", "{heating: 6, water: 2, general: 1}",
        "heating: 6", "6", "operators[op101].skills.heating: expected a whole number from 1 to 5, found '6'"),
}
# fmt: on


@pytest.mark.parametrize("case", NUMBERS.values(), ids=NUMBERS.keys())
def test_a_whole_number_is_plain_digits_within_its_range(tmp_path: Path, case: Case) -> None:
    """Whole numbers are unquoted digits, without a leading zero, within the field's range."""
    check(tmp_path, case)


def test_a_yes_no_field_takes_only_true_or_false(tmp_path: Path) -> None:
    """`true`/`false` unquoted are read; `yes` and a quoted "true" are refused."""
    path = tmp_path / "flags.yaml"
    path.write_text("a: true\nb: false\nc: yes\nd: 'true'\n", encoding="utf-8")
    root = read_yaml(path).root
    assert isinstance(root, Mapping)
    fields = Fields()
    assert [fields.boolean(node, key.text) for key, node in root.entries] == [True, False, None, None]
    assert [p.message for p in fields.problems] == [
        "c: expected true or false, found 'yes'",
        "d: expected true or false, found 'true'",
    ]


# --- keys, names and kinds -----------------------------------------------------------------------------

# fmt: off
KEYS = {
    "unknown key with a close match": Case("  timeout: 5 ", "  timout: 5 ", "timout", None,
        "menu_defaults: unknown key 'timout'", "did you mean 'timeout'?"),
    "unknown key without a close match": Case("    ring_timeout: 20", "    colour: red", "colour", None,
        "skill_groups.gas: unknown key 'colour'",
        "known keys: callback_order, callback_sla_minutes, closed_prompt, code, hours, max_wait, "
        "missed_rings, reject_pause, ring_timeout, strategy, title, widen_after, ..."),
    "unknown section": Case("version: 1\n", "version: 1\nhotline_name: x\n", "hotline_name:", "hotline_name",
        "unknown section 'hotline_name'", "did you mean 'hotline'?"),
    "missing key": Case(CAPACITY, "  ", "  name: Горячая", "name",
        "hotline: missing key 'capacity'", "add 'capacity: ...' here"),
    "list where a single value is meant": Case("  language: ru", "  language: [ru]", "language: [ru]", "[ru]",
        "hotline.language: expected a single value, found a list", "write a single value here"),
    "single value where a list is meant": Case("  languages: [ru, en]", "  languages: ru",
        "languages: ru", "ru",
        "hotline.languages: expected a list, found a single value"),
    "list where a mapping is meant": Case("{water: 1, heating: 2, general: 2}", "[water, heating, general]",
        "[water, heating, general]", None,
        "operators[op102].skills: expected a mapping (key: value lines), found a list"),
    "bad prompt name": Case("\nprompts:\n", "\nprompts:\n  Extra:\n    ru: x\n", "  Extra:", "Extra",
        "prompts: 'Extra' is not a valid prompt name",
        "use 1 to 40 characters: a lowercase letter, then lowercase letters, digits, '_' or '-'"),
    "name over 40 characters": Case("\nprompts:\n", "\nprompts:\n  a" + "b" * 40 + ":\n    ru: x\n",
        "  a" + "b" * 40, "a", "prompts: '" + "a" + "b" * 40 + "' is not a valid prompt name"),
    "phone key of two digits": Case('      "9": {menu: main}\n\n  construction',
        '      "10": {menu: main}\n\n  construction', '"10"', None,
        "menus.heating.options: '10' is not a phone key", 'use one of 0-9, "*" or "#" (quote * and #)'),
    "language code of three letters": Case("  languages: [ru, en]", "  languages: [ru, en, rus]",
        "rus]", "rus",
        "hotline.languages: 'rus' is not a language code", "use two lowercase letters, such as ru or en"),
    "language listed twice": Case("  languages: [ru, en]", "  languages: [ru, en, ru]", "en, ru]", "ru",
        "hotline.languages: 'ru' is listed twice"),
    "default language not listed": Case("  language: ru", "  language: de", "language: de", "de",
        "hotline.language: 'de' is not in hotline.languages",
        "add de to languages, or choose one of: ru, en"),
    "unknown time zone": Case("Europe/Moscow", "Europe/Moskow", "Europe/Moskow", None,
        "hotline.timezone: unknown time zone 'Europe/Moskow'", "did you mean 'Europe/Moscow'?"),
    "made-up time zone": Case("Europe/Moscow", "Mars/Olympus", "Mars/Olympus", None,
        "hotline.timezone: unknown time zone 'Mars/Olympus'",
        "use an IANA time zone name, such as Europe/Moscow"),
    "unknown queue strategy": Case(GAS_TITLE, GAS_TITLE + "\n    strategy: rrmemry", "rrmemry", None,
        "skill_groups.gas.strategy: unknown queue strategy 'rrmemry'", "did you mean 'rrmemory'?"),
    "number with letters": Case('  number: "565602"', '  number: "56-56-02"', '"56-56-02"', None,
        "hotline.number: '56-56-02' is not 2 to 20 digits"),
}
# fmt: on


@pytest.mark.parametrize("case", KEYS.values(), ids=KEYS.keys())
def test_keys_names_and_kinds_are_checked(tmp_path: Path, case: Case) -> None:
    """Unknown and missing keys, names, phone keys, languages, time zones and strategies are checked."""
    check(tmp_path, case)


def test_a_missing_section_is_a_problem_about_the_file(tmp_path: Path) -> None:
    """Without `version:` the file as a whole is refused (line 0)."""
    [p] = problems_of(variant(tmp_path, ("version: 1\n", "")))
    assert (p.line, p.column, p.message) == (0, 0, "missing section 'version'")


def test_an_international_number_with_a_plus_is_accepted_when_quoted(tmp_path: Path) -> None:
    """`number: "+74951234567"` is a valid public number."""
    assert (
        loads(tmp_path, ('  number: "565602"', '  number: "+74951234567"')).hotline.number == "+74951234567"
    )


def test_a_name_must_be_on_one_line(tmp_path: Path) -> None:
    """A title with a line break (here an escaped one) is refused: it would break logs and config files."""
    message = "skill_groups.gas.title: the text must be on one line"
    check(tmp_path, Case(GAS_TITLE, '    title: "Газ\\nqueue=evil"', '"Газ', None, message))


def test_an_escaped_control_character_in_a_text_is_refused(tmp_path: Path) -> None:
    """A NUL written as an escape in double quotes is refused, even in a prompt's text."""
    old, new = "    ru: Такой клавиши нет в меню.", '    ru: "Такой\\0 клавиши нет"'
    check(
        tmp_path, Case(old, new, '"Такой', None, "prompts.invalid_key.ru: the text holds a control character")
    )


def test_a_prompt_text_may_span_several_lines(tmp_path: Path) -> None:
    """A literal block (|) keeps its line breaks in a prompt's text."""
    d = loads(
        tmp_path, ("    ru: Такой клавиши нет в меню.", "    ru: |\n      Такой клавиши\n      нет в меню.")
    )
    assert d.prompts["invalid_key"].texts["ru"] == "Такой клавиши\nнет в меню.\n"
