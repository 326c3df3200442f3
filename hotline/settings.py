"""Typed settings of one hotline installation, read once from the environment.

Every setting has a default that works in the sandbox. Each can be overridden by an environment
variable `HOTLINE_<NAME>` (e.g. `HOTLINE_AGI_PORT=4600`). An unknown `HOTLINE_*` variable, or a value of
the wrong type, is an error rather than silently ignored: a typo must not leave a setting at its default.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path

from hotline import constants as c
from hotline.errors import ConfigError, Problem

ENV_PREFIX = "HOTLINE_"
# Variables with the prefix that are not settings (read elsewhere on purpose).
_NOT_SETTINGS = frozenset({"HOTLINE_CLOCK", "HOTLINE_FAULT"})  # test-only switches, read where used


_WHERE = (
    "SIP, AMI, FastAGI and Redis listen on loopback (127.0.0.1) or on one private address of this server "
    "(10.x, 172.16-31.x, 192.168.x, fd00::/8), never on every address or a public one"
)


def address_problem(value: str) -> str | None:
    """Why `value` is not one loopback or private address (None: it is). Every service listens on such
    an address only, and the sandbox's carrier sends from one."""
    try:
        addr = ipaddress.ip_address(value)
    except ValueError:
        return "is not an IP address"
    if addr.is_unspecified:
        return "means every address of the machine"
    if addr.is_multicast or addr.is_link_local or addr.is_reserved:
        return "is a multicast, link-local or reserved address"
    if not (addr.is_loopback or addr.is_private):
        return "is a public address"
    return None


def _find_project_dir() -> Path:
    """The checkout that holds dialplans/, sounds/ and asterisk-conf/ (the package lives inside it)."""
    here = Path(__file__).resolve().parent.parent
    if (here / "dialplans").is_dir():
        return here
    return Path.cwd()


@dataclass(frozen=True, slots=True)
class Settings:
    project_dir: Path
    dialplan_path: Path  # a YAML file or a directory of them
    state_dir: Path  # runtime state: generated secrets, rendered config, logs (never committed)
    cache_dir: Path  # the Asterisk root, reused between runs (outside the work tree)
    host: str = c.DEFAULT_HOST  # where SIP, AMI, FastAGI and Redis listen, unless one is named apart
    sip_host: str = ""  # each service's own address ("": `host`): loopback or one private address
    ami_host: str = ""
    agi_host: str = ""
    redis_host: str = ""
    sip_port: int = c.DEFAULT_SIP_PORT
    ami_port: int = c.DEFAULT_AMI_PORT
    agi_port: int = c.DEFAULT_AGI_PORT
    redis_port: int = c.DEFAULT_REDIS_PORT
    carrier_address: str = "127.0.0.2"  # the carrier trunk is recognised by this source address
    carrier_port: int = 5090  # where callbacks are sent on the outbound trunk (SIPp citizens in tests)
    rtp_start: int = 10000
    rtp_end: int = 10999
    ami_username: str = "hotline-engine"
    ami_reload_username: str = "hotline-reload"  # only `hotline reload`: may reload Asterisk's modules
    asterisk_sounds_dir: str = "/var/lib/hotline/sounds"  # the prompts, as Asterisk sees the path
    callback_lease_seconds: int = 90  # an engine that dies mid-dispatch is taken over after this long
    security_alarm_failures: int = 20  # refused SIP requests from one address that raise an alarm...
    security_alarm_window: int = 60  # ...within this many seconds (router.security_watch)

    @property
    def sip_address(self) -> str:
        return self.sip_host or self.host

    @property
    def ami_address(self) -> str:
        return self.ami_host or self.host

    @property
    def agi_address(self) -> str:
        return self.agi_host or self.host

    @property
    def redis_address(self) -> str:
        return self.redis_host or self.host

    @property
    def redis_url(self) -> str:
        return f"redis://{self.redis_address}:{self.redis_port}/0"

    @property
    def sounds_dir(self) -> Path:
        return self.project_dir / "sounds"

    @property
    def asterisk_conf_dir(self) -> Path:
        return self.project_dir / "asterisk-conf"

    @property
    def asterisk_root(self) -> Path:
        return self.cache_dir / "asterisk-root"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Defaults, overridden by HOTLINE_* variables. Raises ConfigError listing every bad variable."""
        env = os.environ if env is None else env
        project = Path(env.get("HOTLINE_PROJECT_DIR") or _find_project_dir()).resolve()
        base = cls(
            project_dir=project,
            dialplan_path=project / "dialplans",
            # The sandbox is one per machine (fixed ports, one cached root), so is its state: every
            # checkout shares the same secrets and the same Redis data.
            state_dir=Path("/var/lib/hotline"),
            cache_dir=Path("/var/cache/hotline"),
        )
        known = {f.name: f for f in fields(cls)}
        problems: list[Problem] = []
        changes: dict[str, object] = {}
        for key, raw in sorted(env.items()):
            if not key.startswith(ENV_PREFIX) or key in _NOT_SETTINGS:
                continue
            name = key[len(ENV_PREFIX) :].lower()
            if name not in known:
                problems.append(
                    Problem(
                        "environment",
                        0,
                        0,
                        f"unknown setting {key}",
                        "see `hotline --help` for the HOTLINE_* variables",
                    )
                )
                continue
            current = getattr(base, name)
            try:
                if isinstance(current, bool):
                    raise TypeError("no boolean settings")
                if isinstance(current, int):
                    if not raw.isdigit():
                        raise ValueError(f"{key} must be a whole number, not {raw!r}")
                    changes[name] = int(raw)
                elif isinstance(current, Path):
                    changes[name] = Path(raw).resolve()
                else:
                    changes[name] = raw
            except ValueError as exc:
                problems.append(Problem("environment", 0, 0, str(exc)))
        settings = replace(base, **changes)  # type: ignore[arg-type]
        problems.extend(settings._problems())
        if problems:
            raise ConfigError(problems)
        return settings

    def _problems(self) -> list[Problem]:
        found: list[Problem] = []
        for name in ("host", "sip_host", "ami_host", "agi_host", "redis_host", "carrier_address"):
            value = getattr(self, name)
            if value == "" and name != "host":
                continue  # that service listens on `host`
            problem = address_problem(value)
            if problem is not None:
                message = f"HOTLINE_{name.upper()}={value!r} {problem}"
                found.append(Problem("environment", 0, 0, message, _WHERE))
        for name in (
            "sip_port",
            "ami_port",
            "agi_port",
            "redis_port",
            "carrier_port",
            "rtp_start",
            "rtp_end",
        ):
            port = getattr(self, name)
            if not 1 <= port <= 65535:
                found.append(
                    Problem("environment", 0, 0, f"HOTLINE_{name.upper()}={port} is not a port number")
                )
        if self.rtp_start >= self.rtp_end:
            found.append(Problem("environment", 0, 0, "HOTLINE_RTP_START must be below HOTLINE_RTP_END"))
        return found
