"""`hotline simulate` and the scripted checks of `hotline check`, as an administrator uses them."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from dialplan_edits import DEFAULT, at, variant

from hotline.cli import build_parser, main

TUESDAY_10 = ["--at", "2026-11-17 10:00"]


def simulate(*args: str) -> int:
    return main(["simulate", "--dialplan", str(DEFAULT), *args])


def test_simulate_prints_each_prompt_and_key_then_where_the_call_ends(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Exit 0; one line per step, the prompts with their words, the end with the menu path."""
    assert simulate(*TUESDAY_10, "6", "1") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "call     Горячая линия ЖКХ, Tue 2026-11-17 10:00 Europe/Moscow: the line is open"
    assert lines[1].startswith('prompt   greeting             "Здравствуйте! Вы позвонили')
    assert lines[2] == "key      6                    during greeting"
    assert lines[3].startswith('prompt   construction_menu    "По вопросам капитального ремонта')
    assert lines[4] == "key      1                    during construction_menu"
    assert lines[6] == "ends     queue construction (chosen)  path main:6>construction:1"
    assert lines[7].startswith("note     before queueing, cb_offer_before_queue offers a callback")


def test_simulate_at_a_closed_hour_tells_the_hours_and_the_callback_offer(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Sunday noon: the hours, the offer; 9 is not the offer's key, so the engine says goodbye."""
    assert simulate("--at", "2026-11-22 12:00", "9") == 0
    out = capsys.readouterr().out
    assert "Sun 2026-11-22 12:00 Europe/Moscow: the line is closed" in out
    assert [line.split()[1] for line in out.splitlines() if line.startswith("prompt")] == [
        "closed",
        "cb_closed_offer",
        "cb_goodbye",
    ]
    assert "ends     callback general (closed)  path -" in out
    assert "then     callback offer not taken; the engine hangs up" in out


def test_simulate_shows_the_words_in_another_language(capsys: pytest.CaptureFixture[str]) -> None:
    assert simulate(*TUESDAY_10, "--lang", "en", "2") == 0
    assert '"Hello! You have reached the housing and utilities hotline."' in capsys.readouterr().out


def test_simulate_json_is_one_document_for_scripts(capsys: pytest.CaptureFixture[str]) -> None:
    assert simulate(*TUESDAY_10, "--json", "8", "2") == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["outcome"]["kind"], data["outcome"]["group"], data["outcome"]["path"]) == (
        "queue",
        "water",
        "main:8>main:2",
    )


def test_simulate_without_at_calls_now(capsys: pytest.CaptureFixture[str]) -> None:
    """Open or closed depends on the moment; either way the call ends somewhere."""
    assert simulate("0") == 0
    assert "\nends     " in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["1", "x"], "hotline simulate: bad keys: 'x' (character 3 of '1 x') is not a key"),
        (["--at", "31.12.2026", "1"], "is not a date and time written YYYY-MM-DD HH:MM"),
        (["--lang", "de", "1"], "the dialplan has no language 'de': its languages are ru, en"),
    ],
)
def test_simulate_refuses_what_it_cannot_read_with_exit_2(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert simulate(*args) == 2
    captured = capsys.readouterr()
    assert message in captured.err
    assert captured.out == ""


def test_simulate_reports_a_broken_dialplan_as_check_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Exit 1; each problem as file:line:column."""
    path = variant(tmp_path, ("  name: Горячая линия ЖКХ", "  name: no"))
    assert main(["simulate", "--dialplan", str(path), "1"]) == 1
    line, column = at(path, "name: no", "no")
    assert f"{path}:{line}:{column}: hotline.name: ambiguous value 'no'" in capsys.readouterr().err


def test_simulate_help_shows_examples_and_the_keys_notation(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        build_parser().parse_args(["simulate", "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert "usage: hotline simulate" in out
    assert 'hotline simulate --at "2026-11-22 12:00" 9' in out
    assert "- or _           silence" in out
    assert "not simulated" in out.lower()


# --- hotline check and the scripted checks ------------------------------------------------------------


def test_check_runs_the_scripted_checks_beside_the_dialplan(capsys: pytest.CaptureFixture[str]) -> None:
    """The default dialplan (dialplans/, with its calendar) and its shipped checks: exit 0, both reported."""
    assert main(["check", "--dialplan", str(DEFAULT.parent)]) == 0
    out = capsys.readouterr().out
    assert f"{DEFAULT.parent / 'checks.yaml'}: " in out
    assert "scripted checks passed" in out


def write_checks(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "checks.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_check_reports_a_failing_scripted_check_with_its_line_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dialplan = variant(tmp_path, ('"2": {queue: water}', '"2": {queue: gas}'))  # a slip in the YAML
    checks = write_checks(
        tmp_path,
        """\
        checks:
          - name: cold water
            keys: "2"
            queue: water
        """,
    )
    assert main(["check", "--dialplan", str(dialplan)]) == 1
    captured = capsys.readouterr()
    line, column = at(checks, "name: cold water")
    assert (
        f"{checks}:{line}:{column}: check 'cold water': expected queue water, but the call ends in "
        "queue gas (chosen), path main:2"
    ) in captured.err
    assert f"{checks}: 1 of 1 scripted check(s) failed" in captured.err
    assert "OK" not in captured.out


def test_check_refuses_a_broken_checks_file_with_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    checks = write_checks(
        tmp_path,
        """\
        checks:
          - name: cold water
            keys: "2"
            queue: watr
        """,
    )
    assert main(["check", "--dialplan", str(DEFAULT), "--checks", str(checks)]) == 1
    line, column = at(checks, "watr")
    err = capsys.readouterr().err
    assert f"{checks}:{line}:{column}: check 'cold water', queue: the dialplan has no 'watr'" in err
    assert f"{checks}: 1 problem(s) in the scripted checks" in err
