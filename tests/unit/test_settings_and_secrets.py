"""Settings from the environment, and the secrets the installation generates for itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotline.errors import ConfigError, HotlineError
from hotline.secrets import load_or_create
from hotline.settings import Settings


def test_defaults_are_the_documented_loopback_ports() -> None:
    """SIP 5060, AMI 5038, FastAGI 4573 and Redis 6379 on 127.0.0.1 unless configured otherwise."""
    s = Settings.from_env({})
    assert (s.host, s.sip_port, s.ami_port, s.agi_port, s.redis_port) == ("127.0.0.1", 5060, 5038, 4573, 6379)


def test_an_override_is_typed() -> None:
    """HOTLINE_AGI_PORT=4600 becomes the integer 4600."""
    assert Settings.from_env({"HOTLINE_AGI_PORT": "4600"}).agi_port == 4600


def test_a_mistyped_variable_is_an_error_not_a_silent_default() -> None:
    """An unknown HOTLINE_* name and a non-number port are both reported."""
    with pytest.raises(ConfigError) as err:
        Settings.from_env({"HOTLINE_AGI_PROT": "4600", "HOTLINE_SIP_PORT": "five"})
    text = str(err.value)
    assert "unknown setting HOTLINE_AGI_PROT" in text
    assert "HOTLINE_SIP_PORT must be a whole number" in text


def test_a_public_listen_address_is_refused() -> None:
    """AMI, FastAGI and Redis may only listen on loopback or a private address."""
    with pytest.raises(ConfigError, match="public address"):
        Settings.from_env({"HOTLINE_HOST": "8.8.8.8"})


@pytest.mark.parametrize(
    ("variable", "value", "why"),
    [
        ("HOTLINE_HOST", "0.0.0.0", "means every address"),  # noqa: S104 - refused, the point of the test
        ("HOTLINE_HOST", "::", "means every address"),
        ("HOTLINE_AGI_HOST", "0.0.0.0", "means every address"),  # noqa: S104 - refused, likewise
        ("HOTLINE_REDIS_HOST", "169.254.10.1", "link-local"),
        ("HOTLINE_SIP_HOST", "fe80::1", "link-local"),
        ("HOTLINE_AMI_HOST", "224.0.0.5", "multicast"),
        ("HOTLINE_SIP_HOST", "8.8.4.4", "public address"),
        ("HOTLINE_AGI_HOST", "agi.example", "not an IP address"),
    ],
)
def test_a_wildcard_link_local_or_public_address_is_refused_for_every_service(
    variable: str, value: str, why: str
) -> None:
    """0.0.0.0 and :: would listen everywhere; link-local, multicast and public addresses are not one
    private address of this server either. The error names the variable and says what is allowed."""
    with pytest.raises(ConfigError) as err:
        Settings.from_env({variable: value})
    text = str(err.value)
    assert f"{variable}={value!r} " in text
    assert why in text
    assert "loopback (127.0.0.1) or on one private address" in text


def test_each_service_listens_on_its_own_address_or_the_common_one() -> None:
    """SIP on the centre's LAN, the rest on loopback: each service its own setting, else HOTLINE_HOST."""
    s = Settings.from_env({"HOTLINE_SIP_HOST": "192.168.10.5"})
    assert (s.sip_address, s.ami_address, s.agi_address, s.redis_address) == (
        "192.168.10.5",
        "127.0.0.1",
        "127.0.0.1",
        "127.0.0.1",
    )
    assert s.redis_url == "redis://127.0.0.1:6379/0"


def test_secrets_are_generated_strong_private_and_kept(tmp_path: Path) -> None:
    """Passwords are long and random, the file is 0600, and a second load returns the same ones."""
    first = load_or_create(tmp_path, ["op1", "op2"])
    assert len(first.ami) >= 32
    assert len(first.redis) >= 32
    assert first.operators["op1"] != first.operators["op2"]
    assert (tmp_path / "secrets.json").stat().st_mode & 0o777 == 0o600
    again = load_or_create(tmp_path, ["op1", "op2"])
    assert again == first


def test_a_secrets_file_readable_by_others_is_made_private_again(tmp_path: Path) -> None:
    """A copy restored with mode 0644 is not left so: it is 0600 again after the next load, secrets kept."""
    first = load_or_create(tmp_path, ["op1"])
    (tmp_path / "secrets.json").chmod(0o644)
    again = load_or_create(tmp_path, ["op1"])
    assert (tmp_path / "secrets.json").stat().st_mode & 0o777 == 0o600
    assert again == first
    assert len(again.log_key) >= 32


def test_a_new_operator_gets_a_password_and_the_others_keep_theirs(tmp_path: Path) -> None:
    """Adding an operator to the YAML does not change the passwords phones already use."""
    first = load_or_create(tmp_path, ["op1"])
    second = load_or_create(tmp_path, ["op1", "op2"])
    assert second.operators["op1"] == first.operators["op1"]
    assert len(second.operators["op2"]) >= 32


def test_an_unreadable_secrets_file_says_what_to_do(tmp_path: Path) -> None:
    """A corrupt file is not silently replaced: the phones' passwords would change under them."""
    (tmp_path / "secrets.json").write_text("{not json")
    with pytest.raises(HotlineError, match="move it away"):
        load_or_create(tmp_path, ["op1"])
