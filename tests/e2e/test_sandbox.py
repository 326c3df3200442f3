"""The sandbox as admins and the engine meet it: a YAML change applied without rebuilding anything, and
the engine's AMI user held to least privilege by the real Asterisk."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest
from harness import Hotline

from hotline.errors import AmiActionFailed
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
