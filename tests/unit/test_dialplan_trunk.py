"""The `trunk` section: the SIP provider, read, and refused with file, line and a hint when wrong.

Each case adds a trunk to a copy of dialplans/hotline.yaml, so any problem besides the expected one fails
the test.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from dialplan_edits import Case, check, loads
from trunks import PROVIDER, PROVIDER_YAML

from hotline.dialplan.model import CODECS, Trunk

ROUTING = "routing:                       # who goes first"


def with_trunk(trunk: str = PROVIDER_YAML) -> tuple[str, str]:
    return ROUTING, trunk + ROUTING


def test_without_a_trunk_the_dialplan_has_none_the_sandboxs_carrier_is_used(tmp_path: Path) -> None:
    """The shipped dialplan has no trunk: `Dialplan.trunk` is None (the renderer takes the settings')."""
    assert loads(tmp_path).trunk is None


def test_a_providers_trunk_is_read_as_written(tmp_path: Path) -> None:
    d = loads(tmp_path, with_trunk())
    assert d.trunk == PROVIDER


def test_a_provider_known_by_its_address_needs_only_that_address(tmp_path: Path) -> None:
    """The defaults: port 5060, no account, calls accepted from the provider's own address, the hotline's
    number as the only DID, e164 numbers, every codec."""
    trunk = loads(tmp_path, with_trunk("trunk:\n  provider: 203.0.113.9\n\n")).trunk
    assert trunk == Trunk(provider="203.0.113.9")
    assert (trunk.port, trunk.username, trunk.register, trunk.codecs) == (5060, "", False, CODECS)
    assert trunk.sources == ("203.0.113.9",)


def trunk_case(bad: str, needle: str, part: str | None, message: str, hint: str | None = None) -> Case:
    """A trunk of the provider at 203.0.113.9 with `bad` lines added."""
    return Case(ROUTING, f"trunk:\n  provider: 203.0.113.9\n{bad}\n\n{ROUTING}", needle, part, message, hint)


CASES = {
    "a provider that is no host": trunk_case("", "", None, ""),  # replaced below
    "a network as wide as the internet": trunk_case("  allow_from: [0.0.0.0/0]", "0.0.0.0/0", None,
        "trunk.allow_from[0]: '0.0.0.0/0' is too wide for one provider's signalling addresses",
        "name the provider's own addresses, or a network of at least /16"),
    "a host name in allow_from": trunk_case("  allow_from: [sip.evil.example]", "sip.evil.example", None,
        "trunk.allow_from[0]: 'sip.evil.example' is not an address or a network",
        "write an address (203.0.113.5) or a network (203.0.113.0/28): no host names"),
    "registering without an account": trunk_case("  register: true", "register: true", "true",
        "trunk.register: registering needs a username", "add username: <the account>"),
    "a user name with an @": trunk_case('  username: "user@host"', '"user@host"', None,
        "trunk.username: 'user@host' is not a SIP user name"),
    "a DID with letters": trunk_case('  dids: ["74951234567", "12a"]', '"12a"', None,
        "trunk.dids[1]: '12a' is not 2 to 15 digits"),
    "a DID given twice": trunk_case('  dids: ["122", "122"]', '["122"', None,
        "trunk.dids: give one or more numbers, each once"),
    "an unknown dial format": trunk_case("  dial_format: e.164", "e.164", None,
        "trunk.dial_format: unknown dial format 'e.164'"),
    "a codec Asterisk here does not offer": trunk_case("  codecs: [ulaw, gsm]", "gsm]", None,
        "trunk.codecs[1]: unknown codec 'gsm'"),
    "an unknown key": trunk_case("  password: hunter2", "password", None,
        "trunk: unknown key 'password'"),
}  # fmt: skip
CASES["a provider that is no host"] = Case(
    ROUTING,
    f"trunk:\n  provider: sip provider\n\n{ROUTING}",
    "sip provider",
    None,
    "trunk.provider: 'sip provider' is neither an address nor a host name",
    "such as sip.example.net",
)


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_wrong_trunk_settings_are_refused_where_they_are_written(tmp_path: Path, case: Case) -> None:
    check(tmp_path, case)


def test_a_provider_known_by_name_must_list_the_addresses_it_calls_from(tmp_path: Path) -> None:
    """A host name may resolve to anything later: the addresses whose calls are accepted are written."""
    check(
        tmp_path,
        Case(
            ROUTING,
            f"trunk:\n  provider: sip.provider.example\n\n{ROUTING}",
            "provider: sip.provider.example",
            None,
            "trunk: the provider 'sip.provider.example' is a host name, so allow_from must list its "
            "addresses",
        ),
    )
