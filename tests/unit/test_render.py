"""The Asterisk configuration rendered from a dialplan, checked against the expected text."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotline.dialplan.model import Dialplan
from hotline.errors import UnsafeValueError
from hotline.render import render_all, write_config
from hotline.render.conf import section
from hotline.render.extensions import render_extensions
from hotline.render.manager import render_manager
from hotline.render.pjsip import render_pjsip
from hotline.render.queues import render_queues
from hotline.secrets import Secrets
from hotline.settings import Settings

SECRETS = Secrets(ami="a" * 32, redis="r" * 32, operators={"op1": "p" * 32, "op2": "q" * 32})


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.from_env({"HOTLINE_STATE_DIR": str(tmp_path)})


def test_queues_have_one_queue_per_group_with_levels_as_penalties(tiny: Dialplan) -> None:
    """Each skill group is a prefixed queue; an operator's level 1 is penalty 0, level 2 penalty 1; a
    waiting caller hears the callback offer and the callback key takes them out to register it."""
    assert (
        render_queues(tiny, "/var/lib/hotline/sounds")
        == """\
; Rendered by `hotline` from the skill groups and operators of the dialplan YAML.

[general]
persistentmembers = yes
autofill = yes
shared_lastcall = yes

; Общие вопросы
[hotline-general]
strategy = rrmemory
timeout = 15
retry = 2
wrapuptime = 5
ringinuse = no
joinempty = yes
leavewhenempty = no
announce-frequency = 0
setinterfacevar = yes
setqueuevar = yes
setqueueentryvar = yes
context = hotline-queue-exit
periodic-announce = /var/lib/hotline/sounds/ru/cb_offer_in_queue
periodic-announce-frequency = 45
relative-periodic-announce = no
member = PJSIP/op1,1,op1,PJSIP/op1
member = PJSIP/op2,0,op2,PJSIP/op2

; Отопление
[hotline-heating]
strategy = linear
timeout = 20
retry = 2
wrapuptime = 10
ringinuse = no
joinempty = yes
leavewhenempty = no
announce-frequency = 0
setinterfacevar = yes
setqueuevar = yes
setqueueentryvar = yes
context = hotline-queue-exit
periodic-announce = /var/lib/hotline/sounds/ru/cb_offer_in_queue
periodic-announce-frequency = 45
relative-periodic-announce = no
member = PJSIP/op1,0,op1,PJSIP/op1
"""
    )


def test_manager_binds_loopback_denies_all_and_grants_least_classes(settings: Settings) -> None:
    """AMI listens on loopback only, permits only loopback; the engine may originate callbacks but has
    neither `system`, `command` nor `config`."""
    text = render_manager(settings, SECRETS)
    assert "bindaddr = 127.0.0.1\n" in text
    assert "webenabled = no\n" in text
    assert f"[{settings.ami_username}]\nsecret = {'a' * 32}\ndeny = 0.0.0.0/0.0.0.0\n" in text
    assert "permit = 127.0.0.1/255.255.255.255\n" in text
    assert "read = system,call,agent,user,security\n" in text
    assert "write = agent,reporting,originate\n" in text
    write = next(line for line in text.splitlines() if line.startswith("write"))
    assert not {"system", "command", "config", "all"} & set(write.split("= ")[1].split(","))


def test_pjsip_identifies_the_trunk_by_address_and_operators_by_password(
    tiny: Dialplan, settings: Settings
) -> None:
    """The carrier is matched by source address; each operator has an endpoint, digest auth and one AOR."""
    text = render_pjsip(tiny, settings, SECRETS)
    assert "[carrier-identify]\ntype = identify\nendpoint = carrier\nmatch = 127.0.0.2\n" in text
    assert "bind = 127.0.0.1:5060\n" in text
    assert "[op1-auth]\ntype = auth\nauth_type = digest\nusername = op1\npassword = " + "p" * 32 in text
    assert "[op2]\ntype = aor\nmax_contacts = 1\n" in text
    # a quote in a name would break the caller-ID syntax: it is dropped
    assert 'callerid = "Анна Ann Иванова" <101>\n' in text
    assert "trust_id_inbound = no\n" in text


def test_extensions_hand_calls_to_fastagi_and_fall_back_to_the_general_queue(
    tiny: Dialplan, settings: Settings
) -> None:
    """The entry runs AGI; anything but SUCCESS goes to the fallback announcement and the general queue."""
    text = render_extensions(tiny, settings)
    assert "exten => 565602,1,NoOp(hotline call from …${CALLERID(num):-4})\n" in text
    assert " same => n,AGI(agi://127.0.0.1:4573/hotline)\n" in text
    assert ' same => n,GotoIf($["${AGISTATUS}" = "SUCCESS"]?hotline-after-ivr,s,1)\n' in text
    assert " same => n,Goto(hotline-fallback,s,1)\n" in text
    assert "[hotline-fallback]\n" in text
    assert (
        " same => n,Playback(/var/lib/hotline/sounds/ru/fallback)\n"
        " same => n,Goto(hotline-queues,general,1)\n" in text
    )
    assert (
        "exten => heating,1,Set(HOTLINE_GROUP=heating)\n same => n,Set(HOTLINE_QUEUE=hotline-heating)\n"
        " same => n,Set(HOTLINE_QUEUED_AT=${EPOCH})\n"
        " same => n,Set(__HOTLINE_QUEUE_CALLER=${UNIQUEID})\n"
        " same => n,Set(__HOTLINE_WHISPER_GROUP=heating)\n" in text
    )
    assert (
        " same => n,Set(QUEUE_MAX_PENALTY=4)\n"
        " same => n,Queue(hotline-heating,r,,,300,,hotline-queue-whisper)\n"
        " same => n,SoftHangup(Local/${FILTER(0-9.,${UNIQUEID})}@hotline-announce,a)\n" in text
    )
    assert "exten => 101,hint,PJSIP/op1\n" in text
    # a `;` in the hotline's name must not turn the rest of a line into a comment
    assert r"Тест\; линия" in text


def test_render_all_includes_the_static_files(tiny: Dialplan, settings: Settings) -> None:
    """modules.conf and asterisk.conf come from asterisk-conf/static, the rest is rendered."""
    files = render_all(tiny, settings, SECRETS)
    assert "autoload = no" in files["modules.conf"]
    assert "live_dangerously = no" in files["asterisk.conf"]
    assert {"pjsip.conf", "manager.conf", "queues.conf", "extensions.conf", "rtp.conf"} <= files.keys()


def test_a_line_break_in_a_value_is_refused() -> None:
    """A value with a line break would add a forged line to the configuration."""
    with pytest.raises(UnsafeValueError):
        section("x", [("callerid", "a\nsecret = stolen")])


def test_written_secret_files_are_readable_by_their_owner_only(
    tiny: Dialplan, settings: Settings, tmp_path: Path
) -> None:
    """pjsip.conf and manager.conf hold passwords: mode 0600; unchanged files are not rewritten."""
    files = render_all(tiny, settings, SECRETS)
    dest = tmp_path / "etc"
    assert set(write_config(files, dest)) == set(files)
    assert (dest / "manager.conf").stat().st_mode & 0o777 == 0o600
    assert (dest / "pjsip.conf").stat().st_mode & 0o777 == 0o600
    assert write_config(files, dest) == []


def test_the_operator_first_whisper_names_the_group_and_the_minutes_in_their_plural_form(
    tiny: Dialplan, settings: Settings
) -> None:
    """The operator hears the intro, the group's prompt, the minutes (feminine: "одна минута") and the
    words of their plural form; the engine's group and form make file names only once REGEX checked them,
    and a bad one skips that part of the whisper, never the call."""
    text = render_extensions(tiny, settings)
    sounds = "/var/lib/hotline/sounds/ru"
    assert (
        ' same => n,GotoIf($[${REGEX("^[+]?[0-9]{6,15}$" ${HOTLINE_CB_NUMBER})}]?:bad)\n'
        f" same => n,Playback({sounds}/cb_whisper_intro)\n"
        ' same => n,GotoIf($[${REGEX("^[a-z][a-z0-9_-]{0,39}$" ${HOTLINE_CB_GROUP})}]?:ago)\n'
        f" same => n,Playback({sounds}/group_${{HOTLINE_CB_GROUP}})\n"
        ' same => n(ago),GotoIf($[${REGEX("^[0-9]{1,6}$" ${HOTLINE_CB_AGO})} & '
        '${REGEX("^(one|few|many)$" ${HOTLINE_CB_AGO_FORM})}]?:citizen)\n'
        " same => n,SayNumber(${HOTLINE_CB_AGO},f)\n"
        f" same => n,Playback({sounds}/cb_whisper_asked_${{HOTLINE_CB_AGO_FORM}})\n"
        " same => n(citizen),Set(HOTLINE_CB_STAGE=citizen)\n"
        " same => n,Dial(PJSIP/${HOTLINE_CB_NUMBER}@carrier-out,${HOTLINE_CB_RING})\n"
    ) in text
