"""A SIP provider as providers work, played by SIPp on its own address: the hotline registers with the
account (digest), the provider's calls to any of the hotline's numbers reach the menus, a callback goes
out through it answering its challenge and in its number format, and the same INVITE from any other
address is refused.

The session's sandbox is switched to a dialplan with a `trunk:` section for each test and back after.
"""

from __future__ import annotations

import asyncio
import dataclasses
import secrets
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from harness import OPEN, Hotline, cancel_every_open_request, journal_of, new_caller, settled

from hotline.callbacks.model import AttemptResult, Source, Status
from hotline.clock import running_from
from hotline.dialplan import load_dialplan
from hotline.dialplan.model import Dialplan
from hotline.engine import Engine
from hotline.render import render_all
from hotline.sandbox.asterisk import AsteriskSandbox
from hotline.sandbox.ports import free_udp_port
from hotline.sandbox.sipp import (
    CitizenCall,
    OperatorPhone,
    Phone,
    place_call,
    probe_invite,
    provider_scenario,
)
from hotline.secrets import Secrets, set_trunk_password

pytestmark = pytest.mark.e2e

PROVIDER_IP = "127.0.0.3"  # neither the sandbox's carrier (127.0.0.2) nor the phones' address
ACCOUNT = "hotline-trunk"
DID = "74950000001"  # the provider's long number for the hotline, beside the short one
TALK = 12.0


@dataclasses.dataclass
class Provider:
    phone: Phone  # the provider's SIPp: its message log shows what the hotline sent it
    dialplan: Dialplan  # the shipped dialplan with the trunk


def apply(asterisk: AsteriskSandbox, files: dict[str, str]) -> None:
    """Asterisk's configuration in place, and what changed reloaded."""
    changed = asterisk.install_config(files)
    if "pjsip.conf" in changed:
        asterisk.cli("module reload res_pjsip.so")
    if "extensions.conf" in changed:
        asterisk.cli("dialplan reload")


@pytest_asyncio.fixture
async def provider(hotline: Hotline, tmp_path: Path) -> AsyncIterator[Provider]:
    password = secrets.token_urlsafe(18)
    port = free_udp_port(PROVIDER_IP)
    scenario = provider_scenario(tmp_path / "provider", ACCOUNT, password, TALK)
    phone = Phone("provider", tmp_path / "provider", local_ip=PROVIDER_IP, port=port, scenario=scenario)
    files = tmp_path / "dialplans"
    shutil.copytree(hotline.settings.dialplan_path, files)
    (files / "trunk.yaml").write_text(
        "trunk:\n"
        f"  provider: {PROVIDER_IP}\n"
        f"  port: {port}\n"
        f"  username: {ACCOUNT}\n"
        "  register: true\n"
        f'  dids: ["{DID}", "{hotline.dialplan.hotline.number}"]\n'
        "  dial_format: plus\n",
        encoding="utf-8",
    )
    dialplan = load_dialplan(files)
    with_password: Secrets = set_trunk_password(hotline.settings.state_dir, dialplan.operators, password)
    await phone.start()
    asterisk = hotline.sandbox.asterisk
    try:
        apply(asterisk, render_all(dialplan, hotline.settings, with_password))
        yield Provider(phone, dialplan)
    finally:  # the session's own trunk again, for every other test
        apply(asterisk, render_all(hotline.dialplan, hotline.settings, hotline.secrets))
        await phone.stop()


async def registered(asterisk: AsteriskSandbox, limit: float = 20.0) -> str:
    """`pjsip show registrations` once the provider's registration is no longer being tried."""
    shown = ""
    for _ in range(int(limit / 0.25)):
        shown = asterisk.cli("pjsip show registrations")
        if "Registered" in shown or "Rejected" in shown:
            break
        await asyncio.sleep(0.25)
    return shown


def messages(phone: Phone) -> list[str]:
    """Each SIP message the provider's SIPp sent or received."""
    log = phone.message_file.read_text(errors="replace") if phone.message_file.exists() else ""
    return [m for m in log.split("\n\n") if m.strip()]


async def test_the_hotline_registers_with_the_providers_account_answering_its_challenge(
    hotline: Hotline, provider: Provider
) -> None:
    shown = await registered(hotline.sandbox.asterisk)
    assert "Registered" in shown, shown
    sent = [m for m in messages(provider.phone) if "REGISTER sip:" in m and "Authorization: Digest" in m]
    assert sent, "no REGISTER answered the provider's challenge"
    assert f'username="{ACCOUNT}"' in sent[0]


async def test_a_call_from_the_provider_to_another_of_the_hotlines_numbers_reaches_the_menus(
    hotline: Hotline, provider: Provider
) -> None:
    """The provider sends the long number: the call is the hotline's, and the engine answers it."""
    engine = Engine(hotline.settings, dialplan=provider.dialplan, clock=running_from(OPEN), grace=5)
    async with engine:
        await engine.ami.wait_connected(15)
        caller = new_caller()
        result = await place_call(
            CitizenCall(caller=caller, number=DID, hang_up_after=4.0),
            asterisk=hotline.settings.host,
            port=hotline.settings.sip_port,
            local_ip=PROVIDER_IP,
            workdir=provider.phone.workdir.parent / "citizen",
        )
        assert result.ok, result.errors or result.screen
        record = await journal_of(engine.journal, caller)
    # the engine took the call into its menus and was still playing them when the caller hung up
    assert record.ivr_outcome == "caller_hung_up", record
    assert record.reason.startswith("during:"), record


async def test_an_invite_to_the_hotlines_number_from_an_address_the_trunk_does_not_list_is_refused(
    hotline: Hotline, provider: Provider
) -> None:
    """127.0.0.2 was the sandbox's carrier; with the trunk it is nobody: refused, no channel."""
    status = await probe_invite(
        "carrier",
        number=DID,
        asterisk=hotline.settings.host,
        port=hotline.settings.sip_port,
        local_ip=hotline.settings.carrier_address,
        workdir=provider.phone.workdir.parent / "probe",
    )
    assert status in (401, 403, 404), f"the INVITE from an unlisted address got {status}"


async def test_a_callback_goes_out_through_the_provider_with_the_account_and_in_its_number_format(
    hotline: Hotline, provider: Provider, long_talking_operators: dict[str, OperatorPhone]
) -> None:
    """The provider challenges the callback's INVITE: answered with the account's digest, to
    +7XXXXXXXXXX (dial_format: plus), and the citizen talks: the request is done."""
    callbacks = dataclasses.replace(provider.dialplan.callbacks, min_talk_seconds=2)
    dialplan = dataclasses.replace(provider.dialplan, callbacks=callbacks)
    engine = Engine(hotline.settings, dialplan=dialplan, clock=running_from(OPEN), grace=5)
    async with engine:
        await engine.ami.wait_connected(15)
        await cancel_every_open_request(engine.callbacks)
        number = new_caller()
        try:
            await engine.register_callback(number, "general", Source.MENU, number)
            request = await settled(engine, number)
        finally:
            await cancel_every_open_request(engine.callbacks)
    assert request.status is Status.DONE, request
    [attempt] = request.attempts
    assert attempt.result is AttemptResult.ANSWERED
    invites = [m for m in messages(provider.phone) if m.lstrip().startswith("INVITE sip:")]
    assert any(f"INVITE sip:+{number}@{PROVIDER_IP}" in m and "Authorization: Digest" in m for m in invites)
