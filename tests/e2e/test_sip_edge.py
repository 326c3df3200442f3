"""The SIP edge against the sandbox's real Asterisk: who may reach the hotline's contexts at all.

The carrier trunk is recognised by its source address only. A request that merely names a trunk
endpoint in its From header, from any other address, must be refused before a channel exists.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from harness import Hotline, new_caller
from structlog.testing import capture_logs

from hotline.engine import Engine
from hotline.render.fail2ban import JAIL, render_jail, security_log
from hotline.render.trunk import CARRIER_IN, CARRIER_OUT
from hotline.sandbox.sipp import OperatorPhone, probe_invite, register_once
from router.ami_wire import Message

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("claimed", [CARRIER_IN, CARRIER_OUT])
async def test_an_invite_naming_a_trunk_from_another_address_is_refused_before_any_channel(
    hotline: Hotline, engine: Engine, claimed: str
) -> None:
    """From: <sip:carrier@...> (or carrier-out) sent from 127.0.0.1, not the carrier's address: no
    channel is created for it, Asterisk refuses it, and the engine counts a security event from there."""
    assert hotline.settings.carrier_address != "127.0.0.1"
    channels: list[Message] = []
    sub = engine.ami.on_event("Newchannel", channels.append)
    try:
        status = await probe_invite(
            claimed,
            number=hotline.dialplan.hotline.number,
            asterisk=hotline.settings.host,
            port=hotline.settings.sip_port,
            local_ip="127.0.0.1",
            workdir=hotline.workdir / f"probe-{claimed}",
        )
    finally:
        sub.cancel()
    assert status in (401, 403, 404), f"the spoofed trunk INVITE got {status}"
    assert [ch.get("Channel") for ch in channels if "carrier" in ch.get("Channel", "")] == []
    for _ in range(50):  # the security event follows the refusal on the AMI link
        if engine.security.total.get("127.0.0.1"):
            break
        await asyncio.sleep(0.1)
    assert engine.security.total.get("127.0.0.1", 0) >= 1


async def guess_passwords(hotline: Hotline, account: str, name: str) -> None:
    """20 REGISTERs as `account`, each with a wrong password, from 127.0.0.1: a brute force."""
    await register_once(
        account,
        "not-the-password-" + "x" * 16,
        asterisk=hotline.settings.host,
        port=hotline.settings.sip_port,
        local_ip="127.0.0.1",
        workdir=hotline.workdir / name,
        times=20,
    )


async def test_twenty_wrong_passwords_from_one_address_raise_the_security_alarm(
    hotline: Hotline, engine: Engine
) -> None:
    """A brute force on an operator's account (20 REGISTERs with a wrong password from 127.0.0.1):
    Asterisk refuses each and writes each to its security log (what fail2ban reads), and the engine
    raises one alarm naming the address."""
    security_log = hotline.settings.asterisk_root / "var/log/asterisk/security.log"
    before = security_log.stat().st_size if security_log.exists() else 0
    with capture_logs() as logs:
        await guess_passwords(hotline, "op101", "brute-force")
        for _ in range(50):
            if engine.security.alarms:
                break
            await asyncio.sleep(0.1)
    assert [a.address for a in engine.security.alarms] == ["127.0.0.1"]
    alarms = [e for e in logs if e["event"] == "security.alarm"]
    assert [(e["log_level"], e["address"]) for e in alarms] == [("warning", "127.0.0.1")]
    with security_log.open(errors="replace") as f:
        f.seek(before)
        written = f.read()
    refusals = [ln for ln in written.splitlines() if "ChallengeResponseFailed" in ln and "127.0.0.1" in ln]
    assert len(refusals) >= 20


@pytest.fixture
def fail2ban(hotline: Hotline, tmp_path: Path) -> Iterator[Callable[[], str]]:
    """Debian's fail2ban server with Debian's own filters and the jail of `hotline fail2ban`, as an
    installation has it, except its action: `dummy` writes the bans to a file instead of the firewall
    (banning loopback would cut the sandbox off) and loopback is not exempt. Yields the jail's status."""
    conf = tmp_path / "fail2ban"
    shutil.copytree("/etc/fail2ban", conf, ignore=shutil.ignore_patterns("jail.d"))
    (conf / "jail.d").mkdir()
    (conf / "fail2ban.local").write_text(
        f"[Definition]\nsocket = {tmp_path}/f2b.sock\npidfile = {tmp_path}/f2b.pid\n"
        f"dbfile = :memory:\nlogtarget = {tmp_path}/f2b.log\n"
    )
    harmless = {"action": f"dummy[target={tmp_path}/banned]", "ignoreself": "false", "ignoreip": ""}
    harmless["logpath"] = f"{security_log(hotline.settings)} tail"  # earlier tests' failures not counted
    jail = render_jail(hotline.settings, hotline.dialplan, overrides=harmless)
    (conf / "jail.d/hotline.conf").write_text(jail)
    client = ["fail2ban-client", "-c", str(conf)]
    server = subprocess.Popen(
        ["fail2ban-server", "-c", str(conf), "-f", "-x"], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )

    def status() -> str:
        out = subprocess.run([*client, "status", JAIL], capture_output=True, text=True, check=False)
        return out.stdout

    try:
        for _ in range(100):
            if "File list" in status():
                break
            time.sleep(0.1)
        else:
            pytest.fail(f"fail2ban did not start: {(tmp_path / 'f2b.log').read_text(errors='replace')}")
        yield status
    finally:
        subprocess.run([*client, "stop"], capture_output=True, check=False)
        server.wait(timeout=10)


async def test_debian_fail2ban_with_the_hotlines_jail_bans_an_address_that_guesses_passwords(
    hotline: Hotline, fail2ban: Callable[[], str]
) -> None:
    """20 wrong passwords from one address: Debian's `asterisk` filter finds each in Asterisk's security
    log, and the jail bans the address (here through the harmless `dummy` action)."""
    await guess_passwords(hotline, "op103", "fail2ban-flood")
    for _ in range(100):
        if "Banned IP list:\t127.0.0.1" in (seen := fail2ban()):
            break
        await asyncio.sleep(0.1)
    assert "Banned IP list:\t127.0.0.1" in seen, seen
    assert "Total failed:\t20" in seen, seen


async def test_a_phone_that_vanishes_without_unregistering_is_unavailable_in_the_queues_within_seconds(
    hotline: Hotline, engine: Engine, tmp_path: Path
) -> None:
    """An operator's phone stops answering (unplugged: no unregister). Asterisk's qualify notices and
    the queues see the member unavailable, so no caller rings a dead phone (before: up to an hour)."""
    operator = "op102"
    phone = OperatorPhone(
        operator,
        hotline.secrets.operators[operator],
        hotline.settings.host,
        hotline.settings.sip_port,
        tmp_path,
    )
    await phone.start()
    try:
        assert await member_statuses(engine, operator) - {QUEUE_MEMBER_UNAVAILABLE} != set()
        await phone.phone.stop()  # the SIPp process ends; nothing tells Asterisk
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 25
        while await member_statuses(engine, operator) != {QUEUE_MEMBER_UNAVAILABLE}:
            assert loop.time() < deadline, "the dead phone still looks reachable to the queues"
            await asyncio.sleep(1)
    finally:
        await phone.stop()


QUEUE_MEMBER_UNAVAILABLE = "5"  # app_queue's AST_DEVICE_UNAVAILABLE in QueueMember's Status


async def member_statuses(engine: Engine, operator: str) -> set[str]:
    """The device status of the operator's queue members, as Asterisk reports them now."""
    items = await engine.ami.send_list_action({"Action": "QueueStatus", "Member": f"PJSIP/{operator}"})
    return {m.get("Status", "") for m in items if m.name == "QueueMember"}


async def test_a_phone_offering_only_g722_is_answered_and_an_unknown_codec_is_refused(
    hotline: Hotline, engine: Engine
) -> None:
    """G.722 alone (many softphones' default) was refused with 488: now answered. A codec the hotline
    does not speak (Opus alone) is still 488 Not Acceptable Here (README, "Phones and codecs")."""
    statuses = {}
    for codec in ("g722", "opus"):
        statuses[codec] = await probe_invite(
            new_caller(),
            number=hotline.dialplan.hotline.number,
            asterisk=hotline.settings.sip_address,
            port=hotline.settings.sip_port,
            local_ip=hotline.settings.carrier_address,
            workdir=hotline.workdir / f"codec-{codec}",
            codec=codec,
        )
    assert statuses == {"g722": 200, "opus": 488}
