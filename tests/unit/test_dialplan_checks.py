"""Scripted checks beside the dialplan (`hotline.scripted_checks`): read strictly, run, failures located."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from dialplan_edits import DEFAULT, at

from hotline.dialplan import dialplan_files, load_dialplan
from hotline.dialplan.model import Dialplan
from hotline.errors import ConfigError, Problem
from hotline.scripted_checks import (
    Expected,
    checks_beside,
    first_opening,
    load_checks,
    run_check,
    run_checks,
)

SHIPPED = DEFAULT.parent / "checks.yaml"


@pytest.fixture(scope="module")
def default() -> Dialplan:
    return load_dialplan(DEFAULT)


def checks_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "checks.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def lines_of(path: Path, needle: str) -> list[int]:
    """The 1-based line of each line holding `needle`."""
    return [
        n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1) if needle in line
    ]


def problems_of(path: Path, dialplan: Dialplan) -> list[Problem]:
    with pytest.raises(ConfigError) as info:
        load_checks(path, dialplan)
    return info.value.problems


# --- the shipped checks -------------------------------------------------------------------------------------


def test_the_shipped_checks_all_pass_on_the_default_dialplan(default: Dialplan) -> None:
    """dialplans/checks.yaml covers every main-menu option, both submenus, a wrong key, silence and
    closed hours; each passes, with the shipped calendar (dialplans/ as a whole)."""
    shipped = load_dialplan(DEFAULT.parent)
    checks = load_checks(SHIPPED, shipped)
    results = run_checks(shipped, checks)
    assert [str(r) for r in results if not r.passed] == []
    assert len(checks) >= 12
    first_keys = {c.keys.replace(" ", "")[:1] for c in checks}
    assert set(default.menus["main"].options) <= first_keys  # every main-menu option is pressed first once
    assert {"heating", "construction"} <= {s.menu for r in results for s in r.transcript.outcome.path}
    assert any(c.expected.kind == "closed" and c.at.weekday() == 6 for c in checks)


def test_the_dialplan_directory_is_loaded_without_its_checks_file(tmp_path: Path) -> None:
    """checks.yaml (or .yml) beside the dialplan's files is not read as a part of the dialplan."""
    (tmp_path / "hotline.yaml").write_text(DEFAULT.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "checks.yaml").write_text(SHIPPED.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "checks.yml").write_text("checks: []\n", encoding="utf-8")
    assert dialplan_files(tmp_path) == [tmp_path / "hotline.yaml"]
    assert load_dialplan(tmp_path).menus.keys() == {"main", "heating", "construction"}
    shipped = dialplan_files(DEFAULT.parent)  # hotline.yaml, calendar.yaml...
    assert DEFAULT in shipped
    assert DEFAULT.parent / "calendar.yaml" in shipped
    assert SHIPPED not in shipped


def test_the_checks_file_is_found_beside_a_dialplan_file_or_in_its_directory(tmp_path: Path) -> None:
    assert checks_beside(tmp_path) is None
    (tmp_path / "checks.yaml").write_text("checks: []\n", encoding="utf-8")
    assert checks_beside(tmp_path) == tmp_path / "checks.yaml"
    assert checks_beside(tmp_path / "hotline.yaml") == tmp_path / "checks.yaml"


def test_a_check_without_at_calls_at_the_first_opening_of_the_week(default: Dialplan) -> None:
    """Monday 08:00 with the default hours: checks do not depend on the time they are run."""
    assert first_opening(default) == dt.datetime(2026, 1, 5, 8, 0, tzinfo=ZoneInfo("Europe/Moscow"))


# --- running ------------------------------------------------------------------------------------------------


def test_a_failing_check_is_reported_at_its_line_with_what_was_expected_and_what_happened(
    tmp_path: Path, default: Dialplan
) -> None:
    path = checks_file(
        tmp_path,
        """\
        checks:
          - name: water is 2
            keys: "2"
            queue: water
          - name: heating is 2
            keys: "2"
            queue: heating
        """,
    )
    good, bad = run_checks(default, load_checks(path, default))
    assert good.passed
    line, column = at(path, "name: heating is 2")
    assert str(bad) == (
        f"{path}:{line}:{column}: check 'heating is 2': expected queue heating, but the call ends in "
        "queue water (chosen), path main:2"
    )


def test_a_check_with_the_right_end_but_another_path_fails_on_the_path(
    tmp_path: Path, default: Dialplan
) -> None:
    path = checks_file(
        tmp_path,
        """\
        checks:
          - name: water at once
            keys: "8 2"
            queue: water
            path: "main:2"
        """,
    )
    [result] = run_checks(default, load_checks(path, default))
    assert result.failure == "expected the path main:2, but it is main:8>main:2"


def test_expecting_closed_hours_at_an_open_hour_fails_saying_the_line_is_open(
    tmp_path: Path, default: Dialplan
) -> None:
    path = checks_file(
        tmp_path,
        """\
        checks:
          - name: closed on Tuesday morning?
            at: "2026-11-17 10:00"
            closed: true
        """,
    )
    [result] = run_checks(default, load_checks(path, default))
    assert result.failure == (
        "expected closed hours, but at Tue 2026-11-17 10:00 the line is open: the call ends in queue general "
        "(retries_exhausted), path main:->main:->main:-"
    )


def test_every_kind_of_end_can_be_expected(tmp_path: Path, default: Dialplan) -> None:
    """queue, callback, hangup (with its farewell), closed; lang and at are read; path "" is no menu."""
    path = checks_file(
        tmp_path,
        """\
        checks:
          - name: gas
            keys: 4
            queue: gas
          - name: call me back
            keys: "9, 1"
            callback: general
          - name: written consultation
            keys: "63"
            lang: en
            hangup: written_consultation
            path: "main:6 > construction:3"
          - name: Sunday
            at: 2026-11-22 12:00
            closed: true
            path: ""
        """,
    )
    checks = load_checks(path, default)
    assert [c.expected for c in checks] == [
        Expected("queue", "gas"),
        Expected("callback", "general"),
        Expected("hangup", "written_consultation"),
        Expected("closed", ""),
    ]
    assert checks[2].language == "en"
    assert checks[2].path == "main:6>construction:3"
    assert checks[3].at == dt.datetime(2026, 11, 22, 12, 0, tzinfo=ZoneInfo("Europe/Moscow"))
    assert all(run_check(default, c).passed for c in checks)


# --- a broken checks file -----------------------------------------------------------------------------------


def test_a_broken_checks_file_is_refused_with_file_line_and_hint_for_each_problem(
    tmp_path: Path, default: Dialplan
) -> None:
    path = checks_file(
        tmp_path,
        """\
        checks:
          - name: typo in a key
            kesy: "2"
            queue: water
          - name: unknown group
            keys: "2"
            queue: watr
          - name: bad keys
            keys: "2 x"
            queue: water
          - name: two ends
            keys: "2"
            queue: water
            callback: general
          - name: two ends
            keys: "2"
            queue: water
          - name: octal-looking keys
            keys: 012
            queue: water
          - name: unknown menu in the path
            keys: "2"
            queue: water
            path: "mian:2"
          - name: a language the hotline lacks
            keys: "2"
            lang: de
            queue: water
          - name: not a time
            at: "tomorrow"
            queue: water
        """,
    )
    problems = problems_of(path, default)
    shown = [(p.line, p.message, p.hint) for p in problems]
    first_two_ends, second_two_ends = lines_of(path, "name: two ends")
    assert shown == [
        (at(path, "kesy")[0], "check 'typo in a key': unknown key 'kesy'", "did you mean 'keys'?"),
        (
            at(path, "watr")[0],
            "check 'unknown group', queue: the dialplan has no 'watr'",
            "did you mean 'water'?",
        ),
        (
            at(path, '"2 x"')[0],
            "check 'bad keys', keys: 'x' (character 3 of '2 x') is not a key: write keys 0-9, * and #, "
            "- or _ for a silence, spaces or commas between them",
            'such as "6 1", "8, 2" or "- 1"',
        ),
        (
            first_two_ends,
            "check 'two ends': a check expects exactly one end (queue, callback, hangup or closed), found "
            "queue, callback",
            "write one of queue: <group>, callback: <group>, hangup: <prompt>, closed: true",
        ),
        (
            second_two_ends,
            f"check 'two ends': another check has this name (line {first_two_ends})",
            "name each check apart",
        ),
        (
            at(path, "012")[0],
            "check 'octal-looking keys', keys: ambiguous value '012': YAML tools read it as an octal number, "
            "not as text",
            'quote it: "012"',
        ),
        (
            at(path, "mian")[0],
            "check 'unknown menu in the path', path: the dialplan has no menu 'mian'",
            "did you mean 'main'?",
        ),
        (
            at(path, "de\n")[0],
            "check 'a language the hotline lacks', lang: 'de' is not one of hotline.languages",
            "known languages: en, ru",
        ),
        (
            at(path, "tomorrow")[0],
            "check 'not a time', at: 'tomorrow' is not a date and time written YYYY-MM-DD HH:MM, such as "
            "2026-12-31 18:30",
            "in the hotline's time zone, Europe/Moscow",
        ),
    ]
    assert {p.file for p in problems} == {str(path)}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty"),
        ("checks: []\n", "checks: no check"),
        ("- name: x\n", "the top level of the file: expected a mapping (key: value lines), found a list"),
        ("checks:\n  - name: x\n    queue: [water\n", "YAML syntax error"),
        ("check:\n  - name: x\n", "the top level of the file: unknown key 'check'"),
    ],
)
def test_a_checks_file_that_is_not_a_list_of_checks_is_refused(
    tmp_path: Path, default: Dialplan, text: str, message: str
) -> None:
    problems = problems_of(checks_file(tmp_path, text), default)
    assert any(p.message.startswith(message) for p in problems), problems
    assert all(p.file == str(tmp_path / "checks.yaml") for p in problems)
