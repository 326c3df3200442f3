"""The `hotline` command as an administrator uses it: `check` and every `--help`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from dialplan_edits import DEFAULT, at, variant

import hotline.engine
import hotline.log
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


@pytest.mark.parametrize(
    ("given", "starts"),
    [
        (["--as-if-open"], "2026-11-17T10:00:00+03:00"),
        (["--clock", "2026-11-22T12:00:00+03:00"], "2026-11-22T12:00:00+03:00"),
    ],
)
def test_serve_can_run_the_sandbox_as_if_the_line_were_open(
    monkeypatch: pytest.MonkeyPatch, given: list[str], starts: str
) -> None:
    """`hotline serve --as-if-open` starts the engine's clock on the demo's open Tuesday morning (so the
    README's "call it yourself" works in the evening); `--clock` at any moment given."""
    seen: list[str] = []

    async def serve_forever(settings: object, clock: Callable[[], dt.datetime]) -> int:
        seen.append(clock().isoformat(timespec="minutes"))
        return 0

    monkeypatch.setattr(hotline.engine, "serve_forever", serve_forever)
    monkeypatch.setattr(hotline.log, "configure_logging", lambda **kwargs: None)  # keep pytest's own
    assert main(["serve", *given]) == 0
    assert seen == [starts[: len("2026-11-17T10:00")] + starts[-6:]]


def test_serve_refuses_a_clock_without_its_offset(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A moment without its time zone could be read three hours off: refused, with an example."""
    monkeypatch.setattr(hotline.log, "configure_logging", lambda **kwargs: None)
    assert main(["serve", "--clock", "2026-11-17 10:00"]) != 0
    assert "2026-11-17T10:00:00+03:00" in capsys.readouterr().err
