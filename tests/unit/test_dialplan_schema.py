"""The JSON Schema of the dialplan YAML, for admins' editors: kept in the repository, true to the parsers.

The schema is what an editor with a YAML language server checks while the admin types; `hotline check`
stays the judge. So: the committed file is what the program generates, every shipped file passes it, the
usual mistakes are flagged by both, and the schema knows exactly the keys and ranges the parsers accept.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from dialplan_edits import DEFAULT, problems_of, variant

from hotline.cli import main
from hotline.dialplan import dialplan_files, schema
from hotline.dialplan.draft import ACTION_KEYS
from hotline.dialplan.model import CALLBACK_ORDERS, WEEKDAYS
from hotline.dialplan.parse import (
    ENTRY_OPTIONAL,
    ENTRY_REQUIRED,
    GROUP_REQUIRED,
    GROUP_SETTINGS,
    HOTLINE_KEYS,
    OPERATOR_KEYS,
    OPTIONAL_SECTIONS,
    QUEUE_STRATEGIES,
    REQUIRED_SECTIONS,
)
from hotline.dialplan.parse_calendar import CALENDAR_KEYS, DATED_OPTIONAL, DATED_REQUIRED
from hotline.dialplan.parse_callbacks import CALLBACK_SETTINGS, LIMIT_SETTINGS, NUMBER_SETTINGS
from hotline.dialplan.parse_emergency import EMERGENCY_SETTINGS
from hotline.dialplan.parse_menus import MENU_REQUIRED, MENU_SETTINGS
from hotline.dialplan.schema import MODELINE, SCHEMA_FILE, dialplan_schema, schema_text

DIALPLANS = DEFAULT.parent
COMMITTED = DIALPLANS / SCHEMA_FILE
REGENERATE = f"hotline schema --output dialplans/{SCHEMA_FILE}"


def validator() -> jsonschema.protocols.Validator:
    return jsonschema.Draft202012Validator(dialplan_schema())


def schema_errors(path: Path) -> list[jsonschema.ValidationError]:
    """The schema's errors on a YAML 1.1 reading of the file, as editors read it (`12:30` a number)."""
    return list(validator().iter_errors(yaml.safe_load(path.read_text(encoding="utf-8"))))


def node(path: Sequence[str]) -> dict[str, Any]:
    """The schema of the value at `path`; `*` stands for any name of a map (a menu, a group)."""
    here: dict[str, Any] = dialplan_schema()
    for step in path:
        if step == "*":
            here = here["additionalProperties"]
        elif step == "[]":
            here = here["items"]
        else:
            here = here["properties"][step]
    return here


# --- kept in the repository ----------------------------------------------------------------------------


def test_the_committed_schema_is_the_one_the_program_generates() -> None:
    """dialplans/hotline.schema.json is `hotline schema`'s output: a model change without it fails here."""
    assert COMMITTED.read_text(encoding="utf-8") == schema_text(), (
        f"{COMMITTED.name} is out of date: run `{REGENERATE}`"
    )


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    """Editors and validators accept the schema itself."""
    jsonschema.Draft202012Validator.check_schema(dialplan_schema())
    assert dialplan_schema()["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_the_schema_command_prints_the_schema(capsys: pytest.CaptureFixture[str]) -> None:
    """`hotline schema` prints sorted, indented JSON ending with a newline."""
    assert main(["schema"]) == 0
    assert capsys.readouterr().out == schema_text()


def test_the_schema_command_writes_the_output_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`hotline schema --output FILE` writes the file, UTF-8 kept as is, and says so."""
    out = tmp_path / SCHEMA_FILE
    assert main(["schema", "--output", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == schema_text()
    assert f"{out}: written" in capsys.readouterr().out


def test_every_dialplan_file_names_the_schema_in_its_first_line() -> None:
    """Each YAML file of dialplans/ (not checks.yaml, which has its own format) starts with the modeline."""
    files = dialplan_files(DIALPLANS)
    assert DEFAULT in files
    for path in files:
        assert path.read_text(encoding="utf-8").splitlines()[0] == MODELINE, path.name


# --- the shipped files ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", dialplan_files(DIALPLANS), ids=lambda p: p.name)
def test_every_shipped_dialplan_file_passes_the_schema(path: Path) -> None:
    """No editor flags anything in the files as shipped."""
    assert [f"{list(e.absolute_path)}: {e.message}" for e in schema_errors(path)] == []


def test_one_file_of_a_split_dialplan_needs_no_other_section() -> None:
    """No section is required by the schema of one file: `hotline check` checks the whole set."""
    top = dialplan_schema()
    assert "required" not in top
    assert "hotline check" in top["description"]
    assert list(validator().iter_errors({"calendar": {"short_by_minutes": 60}})) == []


# --- the usual mistakes: flagged by the editor and by hotline check ---------------------------------------

MISTAKES = {
    "unknown key in hotline": (
        ("  timezone: Europe/Moscow", "  timezone: Europe/Moscow\n  city: Moscow"),
        "hotline: unknown key 'city'",
        ["hotline"],
    ),
    "misspelt section": (
        ("callbacks:                     # the promise", "callback:                     # the promise"),
        "unknown section 'callback'",
        [],
    ),
    "bad time range": (
        ('  mon: "08:00-20:00"', '  mon: "08:00-25:00"'),
        "hours.mon: '25:00' is not a time of day",
        ["hours", "mon"],
    ),
    "unquoted time": (
        ('  mon: "08:00-20:00"', "  mon: 12:30"),
        "hours.mon: '12:30' is not a range",
        ["hours", "mon"],
    ),
    "two-digit phone key": (
        ('      "0": {queue: general}', '      "10": {queue: general}'),
        "'10' is not a phone key",
        ["menus", "main", "options"],
    ),
    "unquoted leading zero": (
        ('    extension: "102"', "    extension: 0102"),
        "ambiguous value '0102'",
        ["operators", 1, "extension"],
    ),
    "a title YAML reads as no": (
        ("    title: Газоснабжение", "    title: no"),
        "skill_groups.gas.title: ambiguous value 'no'",
        ["skill_groups", "gas", "title"],
    ),
    "in-queue key without an in-queue offer": (
        ("  offer_in_queue: true ", "  offer_in_queue: false"),
        "callbacks.queue_key: no use while offer_in_queue is false",
        ["callbacks", "queue_key"],
    ),
    "a hangup with a prompt": (
        ('      "0": {queue: general}', '      "0": {hangup: closed, prompt: transfer}'),
        "menus.main.options.0: a hangup action takes no prompt",
        ["menus", "main", "options", "0"],
    ),
}


@pytest.mark.parametrize(("edit", "problem", "where"), MISTAKES.values(), ids=MISTAKES.keys())
def test_a_usual_mistake_is_flagged_by_the_schema_and_by_hotline_check(
    tmp_path: Path, edit: tuple[str, str], problem: str, where: list[str | int]
) -> None:
    """The editor marks the value where `hotline check` reports it."""
    path = variant(tmp_path, edit)
    assert any(problem in p.message for p in problems_of(path)), problem
    flagged = [list(e.absolute_path) for e in schema_errors(path)]
    assert where in flagged, flagged


# --- true to the parsers ------------------------------------------------------------------------------------

SECTION_KEYS: dict[str, tuple[Sequence[str], tuple[str, ...]]] = {
    "top level": ((), (*REQUIRED_SECTIONS, *OPTIONAL_SECTIONS)),
    "hotline": (("hotline",), HOTLINE_KEYS),
    "hours": (("hours",), WEEKDAYS),
    "entry": (("entry",), (*ENTRY_REQUIRED, *ENTRY_OPTIONAL)),
    "entry.closed": (("entry", "closed"), tuple(k for k in ACTION_KEYS if k != "menu")),
    "menu_defaults": (("menu_defaults",), MENU_SETTINGS),
    "a menu": (("menus", "*"), (*MENU_REQUIRED, *MENU_SETTINGS)),
    "an action": (("menus", "*", "options", "*"), ACTION_KEYS),
    "a skill group": (("skill_groups", "*"), (*GROUP_REQUIRED, *GROUP_SETTINGS)),
    "a group's hours": (("skill_groups", "*", "hours"), WEEKDAYS),
    "an operator": (("operators", "[]"), OPERATOR_KEYS),
    "callbacks": (("callbacks",), CALLBACK_SETTINGS),
    "callbacks.limits": (("callbacks", "limits"), LIMIT_SETTINGS),
    "callbacks.numbers": (("callbacks", "numbers"), NUMBER_SETTINGS),
    "calendar": (("calendar",), CALENDAR_KEYS),
    "emergency": (("emergency",), EMERGENCY_SETTINGS),
}


@pytest.mark.parametrize(("path", "keys"), SECTION_KEYS.values(), ids=SECTION_KEYS.keys())
def test_the_schema_knows_exactly_the_keys_the_parser_accepts(
    path: Sequence[str], keys: tuple[str, ...]
) -> None:
    """Each mapping's properties are the parser's keys, and no other key is allowed."""
    here = node(path)
    assert set(here["properties"]) == set(keys)
    assert here["additionalProperties"] is False


def test_a_dated_calendar_entry_has_the_parsers_keys() -> None:
    """`{date: ..., note: ...}` in the calendar's lists: the date required, the note optional."""
    dated = node(("calendar", "holidays"))["items"]["anyOf"][1]
    assert set(dated["properties"]) == {*DATED_REQUIRED, *DATED_OPTIONAL}
    assert dated["required"] == list(DATED_REQUIRED)


def test_the_fixed_sets_are_the_parsers() -> None:
    """Queue strategies, callback orders and weekdays are offered as the parsers read them."""
    assert node(("skill_groups", "*", "strategy"))["enum"] == list(QUEUE_STRATEGIES)
    assert node(("callbacks", "order"))["enum"] == list(CALLBACK_ORDERS)
    assert node(("skill_groups", "*", "callback_order"))["enum"] == list(CALLBACK_ORDERS)
    assert node(("calendar", "working_days"))["additionalProperties"]["enum"] == list(WEEKDAYS)


def test_a_key_the_parser_accepts_without_a_description_stops_the_build(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A setting added to a parser and not to the schema fails `hotline schema` (and the tests) at once."""
    monkeypatch.setattr(schema, "GROUP_SETTINGS", (*GROUP_SETTINGS, "priority"))
    with pytest.raises(AssertionError, match=r"skill_groups.<group>: the parser accepts \['priority'\]"):
        dialplan_schema()


def test_every_value_has_a_description() -> None:
    """Hovering any key in the editor explains it."""

    def walk(s: dict[str, Any], where: str) -> list[str]:
        missing = [] if "description" in s else [where]
        for key, sub in s.get("properties", {}).items():
            if isinstance(sub, dict) and sub:
                missing += walk(sub, f"{where}.{key}")
        for key in ("additionalProperties", "items"):
            if isinstance(s.get(key), dict):
                missing += walk(s[key], f"{where}.{key}")
        return missing

    assert walk(dialplan_schema(), "") == []


RANGES = {
    "hotline.capacity": ("  capacity: ", ("hotline", "capacity")),
    "menu_defaults.timeout": ("  timeout: ", ("menu_defaults", "timeout")),
    "menu_defaults.retries": ("  retries: ", ("menu_defaults", "retries")),
    "callbacks.sla_minutes": ("  sla_minutes: ", ("callbacks", "sla_minutes")),
    "callbacks.max_attempts": ("  max_attempts: ", ("callbacks", "max_attempts")),
    "callbacks.min_talk_seconds": ("  min_talk_seconds: ", ("callbacks", "min_talk_seconds")),
    "callbacks.queue_offer_every": ("  queue_offer_every: ", ("callbacks", "queue_offer_every")),
    "callbacks.offer_over_wait": ("  offer_over_wait: ", ("callbacks", "offer_over_wait")),
    "callbacks.abandoned_after": ("  abandoned_after: ", ("callbacks", "abandoned_after")),
    "limits.attempts_per_number_per_day": (
        "    attempts_per_number_per_day: ",
        ("callbacks", "limits", "attempts_per_number_per_day"),
    ),
    "limits.requests_per_caller_per_hour": (
        "    requests_per_caller_per_hour: ",
        ("callbacks", "limits", "requests_per_caller_per_hour"),
    ),
    "limits.requests_per_minute": (
        "    requests_per_minute: ",
        ("callbacks", "limits", "requests_per_minute"),
    ),
    "numbers.national_length": ("    national_length: ", ("callbacks", "numbers", "national_length")),
    "emergency.default_hours": ("  default_hours: ", ("emergency", "default_hours")),
    "group ring_timeout": ("    ring_timeout: ", ("skill_groups", "*", "ring_timeout")),
    "group wrapup": ("    wrapup: ", ("skill_groups", "*", "wrapup")),
}


@pytest.mark.parametrize(("prefix", "path"), RANGES.values(), ids=RANGES.keys())
def test_the_schema_has_the_range_hotline_check_applies(
    tmp_path: Path, prefix: str, path: Sequence[str]
) -> None:
    """One over the schema's maximum is refused by `hotline check` naming the same range."""
    low, high = node(path)["minimum"], node(path)["maximum"]
    text = DEFAULT.read_text(encoding="utf-8")
    lines = re.findall(rf"^{re.escape(prefix)}[0-9]+", text, flags=re.M)
    assert len(lines) == 1, lines
    edited = variant(tmp_path, (lines[0], f"{prefix}{high + 1}"))
    rule = f"expected a whole number from {low} to {high}, found '{high + 1}'"
    assert any(rule in p.message for p in problems_of(edited)), rule
