"""The sandbox as admins and the engine meet it: a YAML change applied without rebuilding anything, the
engine's AMI user held to least privilege by the real Asterisk, and the feminine "одна" and "две" that
Debian's Russian sounds lack, found by Asterisk where the sandbox added them."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest
from harness import OPEN, Call, Hotline, ask_to_be_called_back, cancel_every_open_request

from hotline.clock import running_from
from hotline.engine import Engine
from hotline.errors import AmiActionFailed
from hotline.prompts import GENERATED_DIR
from hotline.sandbox.asterisk import SOUNDS_INSIDE, resolve_inside
from hotline.sandbox.manage import Sandbox
from hotline.sandbox.rootfs import MARKER
from router.ami import AmiClient

pytestmark = pytest.mark.e2e

NEW_GROUP = """
  heating_outage:
    title: Авария на теплосети
"""


def test_a_dialplan_change_reaches_the_running_asterisk_without_rebuilding_the_root(
    hotline: Hotline, tmp_path: Path
) -> None:
    """A new skill group in the YAML becomes a queue in the running Asterisk; the root is not rebuilt
    and Asterisk is not restarted."""
    marker = hotline.settings.asterisk_root / MARKER
    built_at = marker.stat().st_mtime
    pid = hotline.sandbox.asterisk.pid()
    changed = tmp_path / "dialplans"
    shutil.copytree(hotline.settings.dialplan_path, changed)
    yaml = changed / "hotline.yaml"
    text = yaml.read_text(encoding="utf-8")
    text = text.replace("\nskill_groups:\n", "\nskill_groups:" + NEW_GROUP, 1)
    text = text.replace(
        "skills: {heating: 1, water: 2, general: 1}",
        "skills: {heating: 1, water: 2, general: 1, heating_outage: 1}",
        1,
    )
    text = text.replace(
        '"2": {queue: heating}               # no hot water',
        '"2": {queue: heating_outage}        # an outage',
        1,
    )
    yaml.write_text(text, encoding="utf-8")
    try:
        Sandbox(dataclasses.replace(hotline.settings, dialplan_path=changed)).up(lambda _: None)
        assert "op101" in hotline.sandbox.asterisk.cli("queue show hotline-heating_outage")
    finally:
        hotline.sandbox.up(lambda _: None)  # back to the default dialplan for the other tests
    assert "No such queue" in hotline.sandbox.asterisk.cli("queue show hotline-heating_outage")
    assert marker.stat().st_mtime == built_at
    assert hotline.sandbox.asterisk.pid() == pid


async def test_the_engine_ami_user_cannot_run_commands_or_originate_system_applications(
    hotline: Hotline,
) -> None:
    """Asterisk itself refuses the engine's user a CLI Command and an Originate of the System application
    (CVE-2024-42365's path): `originate` is granted for callbacks, `system` and `command` are not."""
    ami = AmiClient(
        username=hotline.settings.ami_username,
        secret=hotline.secrets.ami,
        host=hotline.settings.host,
        port=hotline.settings.ami_port,
    )
    await ami.start()
    try:
        await ami.wait_connected(10)
        listed = await ami.send_list_action({"Action": "QueueStatus", "Queue": "hotline-general"})
        assert any(m.name == "QueueParams" for m in listed)
        for action in (
            {
                "Action": "Originate",
                "Channel": "Local/s@hotline-nowhere",
                "Application": "System",
                "Data": "touch /tmp/hotline-pwned",
            },
            {"Action": "Command", "Command": "core show version"},
        ):
            with pytest.raises(AmiActionFailed, match=r"Permission denied|Access Forbidden"):
                await ami.send_action(action)
    finally:
        await ami.close()
    assert not (hotline.settings.asterisk_root / "tmp/hotline-pwned").exists()


async def test_only_the_reload_user_may_reload_and_it_may_do_nothing_else(hotline: Hotline) -> None:
    """`hotline reload`'s AMI user reloads modules and queues, and is refused a CLI Command and an
    Originate; the engine's user is refused a Reload."""

    def client(username: str, secret: str) -> AmiClient:
        s = hotline.settings
        return AmiClient(username=username, secret=secret, host=s.host, port=s.ami_port)

    reload_user = client(hotline.settings.ami_reload_username, hotline.secrets.ami_reload)
    engine_user = client(hotline.settings.ami_username, hotline.secrets.ami)
    for ami in (reload_user, engine_user):
        await ami.start()
    try:
        await reload_user.wait_connected(10)
        await engine_user.wait_connected(10)
        await reload_user.send_action({"Action": "Reload", "Module": "pbx_config"})
        await reload_user.send_action({"Action": "QueueReload", "Members": "yes", "Parameters": "yes"})
        for action in (
            {"Action": "Command", "Command": "core show version"},
            {"Action": "Originate", "Channel": "Local/s@hotline-nowhere", "Application": "Wait", "Data": "1"},
        ):
            with pytest.raises(AmiActionFailed, match=r"Permission denied|Access Forbidden"):
                await reload_user.send_action(action)
        with pytest.raises(AmiActionFailed, match=r"Permission denied|Access Forbidden"):
            await engine_user.send_action({"Action": "Reload", "Module": "pbx_config"})
    finally:
        await reload_user.close()
        await engine_user.close()


async def test_twenty_one_minutes_are_said_with_the_feminine_one_that_the_sandbox_added(
    hotline: Hotline, call: Call
) -> None:
    """The built ru/digits/1f.wav and 2f.wav are beside Asterisk's own Russian digits; with a callback
    SLA of 21 minutes the promise says "двадцать одна" (SAY NUMBER 21 f) and Asterisk finds digits/1f
    instead of skipping it with a warning."""
    digits = resolve_inside(hotline.settings.asterisk_root, f"{SOUNDS_INSIDE}/ru/digits")
    built = hotline.settings.sounds_dir / GENERATED_DIR / "ru" / "digits"
    for name in ("1f.wav", "2f.wav"):
        assert (digits / name).read_bytes() == (built / name).read_bytes()
    assert (digits / "1n.gsm").is_file()  # the packaged sounds are still there
    policy = dataclasses.replace(hotline.dialplan.callbacks, sla_minutes=21)
    dialplan = dataclasses.replace(hotline.dialplan, callbacks=policy)
    assert dialplan.callback_sla_minutes("general") == 21
    log = hotline.sandbox.asterisk.log_file
    start = log.stat().st_size
    engine = Engine(hotline.settings, dialplan=dialplan, clock=running_from(OPEN), grace=5)
    async with engine:
        await engine.ami.wait_connected(15)
        await cancel_every_open_request(engine.callbacks)
        try:
            caller = await ask_to_be_called_back(call)  # due in 21 minutes: nobody is dialled meanwhile
            [request] = [r for r in await engine.callbacks.list() if r.number == caller]
            assert request.due_at - request.created_at == 21 * 60  # the promise said 21 minutes
        finally:
            await cancel_every_open_request(engine.callbacks)
    with log.open("rb") as lines:
        lines.seek(start)
        during = lines.read().decode("utf-8", errors="replace")
    assert "digits/1f" not in during, [line for line in during.splitlines() if "digits/" in line]
