"""The SIP provider in Asterisk's configuration, its password in the secrets, and the numbers callbacks
dial: checked against the expected text."""

from __future__ import annotations

import argparse
import io
import json
import stat
from dataclasses import replace
from pathlib import Path

import pytest
from trunks import PROVIDER

from hotline.callbacks.numbers import dial_form
from hotline.dialplan.model import Dialplan, NumberRules
from hotline.errors import ConfigError, HotlineError, UnsafeValueError
from hotline.render.extensions import render_extensions
from hotline.render.fail2ban import render_jail
from hotline.render.pjsip import render_pjsip
from hotline.secrets import Secrets, load_or_create, set_trunk_password
from hotline.settings import Settings
from hotline.trunk_cli import main as trunk_main

SECRETS = Secrets(ami="a" * 32, redis="r" * 32, operators={"op1": "p" * 32, "op2": "q" * 32})


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.from_env({"HOTLINE_STATE_DIR": str(tmp_path)})


def section_of(text: str, name: str, kind: str) -> str:
    """The `[name]` section of `type = kind`."""
    for block in text.split("\n["):
        if block.startswith(f"{name}]") and f"\ntype = {kind}\n" in block:
            return "[" + block if not block.startswith("[") else block
    raise AssertionError(f"no [{name}] of type {kind}")


def test_without_a_trunk_the_sandboxs_carrier_is_known_by_its_address_and_nothing_registers(
    tiny: Dialplan, settings: Settings
) -> None:
    text = render_pjsip(tiny, settings, SECRETS)
    assert "match = 127.0.0.2\n" in section_of(text, "carrier-identify", "identify")
    assert "contact = sip:127.0.0.2:5090\n" in section_of(text, "carrier-out", "aor")
    assert "type = registration" not in text
    assert "outbound_auth" not in text
    assert "from_user = 565602\n" in section_of(text, "carrier-out", "endpoint")


def test_a_registering_provider_gets_its_account_its_registration_and_only_its_addresses(
    tiny: Dialplan, settings: Settings
) -> None:
    """Calls in are still known by their source address alone (no `line` that a stranger could copy);
    registrations and callbacks answer the provider's challenge with the account's password."""
    dialplan = replace(tiny, trunk=PROVIDER)
    text = render_pjsip(dialplan, settings, replace(SECRETS, trunk="pro;vider-pass"))
    identify = section_of(text, "carrier-identify", "identify")
    assert "match = 203.0.113.0/28,198.51.100.7\n" in identify
    inbound = section_of(text, "carrier", "endpoint")
    assert "identify_by = ip\n" in inbound
    assert "allow = alaw,ulaw\n" in inbound
    out = section_of(text, "carrier-out", "endpoint")
    assert "outbound_auth = carrier-auth\n" in out
    assert "from_user = 74951234567\nfrom_domain = sip.provider.example\n" in out
    assert section_of(text, "carrier-out", "aor").endswith("contact = sip:sip.provider.example:5080\n")
    auth = section_of(text, "carrier-auth", "auth")
    assert "username = 74951234567\npassword = pro\\;vider-pass\n" in auth  # ';' would start a comment
    registration = section_of(text, "carrier-reg", "registration")
    assert "server_uri = sip:sip.provider.example:5080\n" in registration
    assert "client_uri = sip:74951234567@sip.provider.example:5080\n" in registration
    assert "line" not in registration


def test_a_provider_at_an_ipv6_address_is_written_in_brackets_in_its_uris(
    tiny: Dialplan, settings: Settings
) -> None:
    trunk = replace(PROVIDER, provider="2001:db8::5", allow_from=())
    text = render_pjsip(replace(tiny, trunk=trunk), settings, replace(SECRETS, trunk="pw-of-the-account"))
    assert "contact = sip:[2001:db8::5]:5080\n" in section_of(text, "carrier-out", "aor")
    assert "client_uri = sip:74951234567@[2001:db8::5]:5080\n" in text
    assert "match = 2001:db8::5\n" in section_of(text, "carrier-identify", "identify")


def test_an_account_without_its_password_is_refused_with_what_to_run(
    tiny: Dialplan, settings: Settings
) -> None:
    with pytest.raises(ConfigError) as info:
        render_pjsip(replace(tiny, trunk=PROVIDER), settings, SECRETS)
    [problem] = info.value.problems
    assert problem.message == "the provider's password for 74951234567 is not set"
    assert "hotline trunk password" in problem.hint


def test_a_password_with_a_line_break_never_reaches_pjsip_conf(tiny: Dialplan, settings: Settings) -> None:
    with pytest.raises(UnsafeValueError):
        render_pjsip(replace(tiny, trunk=PROVIDER), settings, replace(SECRETS, trunk="x\n[evil]"))


def test_every_number_of_the_provider_reaches_the_hotline_and_no_other(
    tiny: Dialplan, settings: Settings
) -> None:
    text = render_extensions(replace(tiny, trunk=PROVIDER), settings)
    assert "exten => 74951234567,1,Goto(hotline-inbound,565602,1)\n" in text
    assert "exten => +74951234567,1,Goto(hotline-inbound,565602,1)\n" in text
    assert text.count("exten => 565602,1,") == 2  # the number itself, and the operators' way to it
    assert "exten => _[+0-9].,1,Hangup(1)\n" in text


@pytest.mark.parametrize(
    ("fmt", "dialled"), [("e164", "79161234567"), ("plus", "+79161234567"), ("national", "89161234567")]
)
def test_a_callbacks_number_is_dialled_in_the_providers_format(fmt: str, dialled: str) -> None:
    assert dial_form("79161234567", fmt, NumberRules()) == dialled  # type: ignore[arg-type]


def test_fail2ban_never_bans_the_providers_addresses(tiny: Dialplan, settings: Settings) -> None:
    jail = render_jail(settings, replace(tiny, trunk=PROVIDER))
    assert "ignoreip = 127.0.0.1/8 ::1 203.0.113.0/28 198.51.100.7\n" in jail


def test_the_trunks_password_is_kept_beside_the_generated_secrets_and_only_there(tmp_path: Path) -> None:
    """Stored once, kept by every later load (which never generates one), in the 0600 file."""
    set_trunk_password(tmp_path, ["op1"], "s3cret-from-the-provider")
    again = load_or_create(tmp_path, ["op1", "op2"])  # a new operator rewrites the file
    assert again.trunk == "s3cret-from-the-provider"
    assert json.loads((tmp_path / "secrets.json").read_text())["trunk"] == "s3cret-from-the-provider"
    assert stat.S_IMODE((tmp_path / "secrets.json").stat().st_mode) == 0o600


@pytest.mark.parametrize("bad", ["", "two\nlines", "tab\there", "x" * 129])
def test_a_trunk_password_that_cannot_be_one_is_refused_and_nothing_stored(tmp_path: Path, bad: str) -> None:
    with pytest.raises(HotlineError, match="trunk's password"):
        set_trunk_password(tmp_path, ["op1"], bad)
    assert load_or_create(tmp_path, ["op1"]).trunk == ""


def test_trunk_show_says_whether_the_password_is_set_but_never_shows_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dialplans = tmp_path / "dialplans"
    dialplans.mkdir()
    shipped = Path(__file__).resolve().parents[2] / "dialplans"
    for name in ("hotline.yaml", "calendar.yaml"):
        (dialplans / name).write_text((shipped / name).read_text(encoding="utf-8"), encoding="utf-8")
    (dialplans / "trunk.yaml").write_text(
        'trunk:\n  provider: 203.0.113.9\n  username: "acc1"\n  register: true\n', encoding="utf-8"
    )
    settings = Settings.from_env(
        {"HOTLINE_STATE_DIR": str(tmp_path / "state"), "HOTLINE_DIALPLAN_PATH": str(dialplans)}
    )
    show = argparse.Namespace(action="show")
    assert trunk_main(settings, show) == 0
    assert "password NOT SET: run `hotline trunk password`" in capsys.readouterr().out
    stdin = io.StringIO("very-secret-provider-pw\n")
    assert trunk_main(settings, argparse.Namespace(action="password"), stdin) == 0
    assert trunk_main(settings, show) == 0
    out = capsys.readouterr().out
    assert "Account:        acc1, password set" in out
    assert "Registration:   yes" in out
    assert "very-secret" not in out
