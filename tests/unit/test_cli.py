"""The `hotline` command as an administrator uses it: `check` and every `--help`."""

from __future__ import annotations

from pathlib import Path

import pytest
from dialplan_edits import DEFAULT, at, variant

from hotline.cli import build_parser, main


def test_check_accepts_the_default_dialplan(capsys: pytest.CaptureFixture[str]) -> None:
    """Exit 0 and a one-line summary (dialplans/ as shipped: the checks beside it need its calendar)."""
    assert main(["check", "--dialplan", str(DEFAULT.parent)]) == 0
    assert "OK: 3 menus, 7 skill groups, 6 operators" in capsys.readouterr().out


def test_check_refuses_a_broken_dialplan_with_file_line_and_what_to_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Exit 1; each problem on its own line as file:line:column, and a closing line saying nothing changed."""
    path = variant(tmp_path, ("  name: Горячая линия ЖКХ", "  name: no"))
    assert main(["check", "--dialplan", str(path)]) == 1
    err = capsys.readouterr().err
    line, column = at(path, "name: no", "no")
    assert f"{path}:{line}:{column}: hotline.name: ambiguous value 'no'" in err
    assert "nothing was applied" in err


@pytest.mark.parametrize("command", ["check", "prompts", "sandbox", "serve", "demo", "credentials"])
def test_every_command_has_help_that_says_what_it_does(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """`hotline COMMAND --help` exits 0 and describes the command."""
    with pytest.raises(SystemExit) as done:
        build_parser().parse_args([command, "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert f"usage: hotline {command}" in out
    assert len(out.splitlines()) > 3
