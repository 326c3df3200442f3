"""Secrets the installation generates for itself: AMI and Redis passwords, one SIP password per operator.

They are made with `secrets` (CSPRNG), stored in the state directory with mode 0600 and never committed.
Existing secrets are kept, so operators' phones stay registered across restarts; an operator added to the
YAML gets a new password the next time the configuration is rendered.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from hotline.emergency.pin import is_pin, new_pin
from hotline.errors import HotlineError
from hotline.log import get_logger

log = get_logger("hotline.secrets")

_FILE = "secrets.json"


def new_secret() -> str:
    """A strong random password: 32 characters of URL-safe base64 (192 bits)."""
    return secrets.token_urlsafe(24)


@dataclass(frozen=True, slots=True)
class Secrets:
    ami: str  # the engine's AMI user: the least privilege that works (render/manager.py)
    redis: str
    operators: dict[str, str]  # operator id -> SIP password
    ami_reload: str = ""  # the AMI user that only `hotline reload` logs in as (Reload of modules)
    emergency_pin: str = ""  # digits: the PIN of the emergency feature code (hotline.emergency.pin)
    log_key: str = ""  # keys the hash of citizens' numbers in logs (hotline.redact)
    trunk: str = ""  # the provider's password for trunk.username: given by the admin, never generated


def _keep_private(path: Path) -> None:
    """An existing secrets file readable by others (copied, restored from a backup, chmod'ed by hand) is
    made the owner's alone again, with a warning: the passwords in it may have been read."""
    try:
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        return
    if mode & 0o077:
        os.chmod(path, 0o600)
        log.warning(
            "secrets.mode_repaired",
            path=str(path),
            was=oct(mode),
            hint="others could read it: consider new secrets (move the file away and re-provision phones)",
        )


def load_or_create(state_dir: Path, operator_ids: Iterable[str]) -> Secrets:
    """Read the secrets, adding any that are missing (a new operator), and write them back if changed."""
    path = state_dir / _FILE
    data: dict[str, object] = {}
    _keep_private(path)
    if path.exists():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise HotlineError(
                f"cannot read {path}: {exc}; move it away to generate new secrets "
                "(operators' phones must then be given their new passwords)"
            ) from exc
    ami = data.get("ami")
    ami_reload = data.get("ami_reload")
    redis_pw = data.get("redis")
    ops_raw = data.get("operators")
    pin = data.get("emergency_pin")
    log_key = data.get("log_key")
    ops: dict[str, str] = dict(ops_raw) if isinstance(ops_raw, dict) else {}
    changed = False
    if not isinstance(ami, str) or len(ami) < 24:
        ami = new_secret()
        changed = True
    if not isinstance(ami_reload, str) or len(ami_reload) < 24:
        ami_reload = new_secret()
        changed = True
    if not isinstance(redis_pw, str) or len(redis_pw) < 24:
        redis_pw = new_secret()
        changed = True
    if not isinstance(log_key, str) or len(log_key) < 24:
        log_key = new_secret()
        changed = True
    if not is_pin(pin):
        pin = new_pin()
        changed = True
    for op in operator_ids:
        if not isinstance(ops.get(op), str) or len(ops[op]) < 24:
            ops[op] = new_secret()
            changed = True
    trunk = data.get("trunk")
    if not isinstance(trunk, str):
        trunk = ""
    if changed:
        data = {"ami": ami, "ami_reload": ami_reload, "redis": redis_pw, "operators": ops}
        data |= {"emergency_pin": pin, "log_key": log_key, "trunk": trunk}
        _write(path, data)
    return Secrets(
        ami=ami,
        redis=redis_pw,
        operators=ops,
        ami_reload=ami_reload,
        emergency_pin=str(pin),
        log_key=log_key,
        trunk=trunk,
    )


def _write(path: Path, data: dict[str, object]) -> None:
    """The whole file at once, readable by its owner alone from the first byte."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2, sort_keys=True)
    os.replace(tmp, path)


def set_trunk_password(state_dir: Path, operator_ids: Iterable[str], password: str) -> Secrets:
    """Store the provider's password (the admin gives it once; it is never in the YAML). Refused with
    the reason when it could not be a SIP password: empty, too long, or with a control character."""
    if not password or len(password) > 128:
        raise HotlineError("the trunk's password must be 1 to 128 characters: give it as the provider did")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in password):
        raise HotlineError("the trunk's password has a control character (a line break?): type it again")
    current = load_or_create(state_dir, operator_ids)
    path = state_dir / _FILE
    data = json.loads(path.read_text(encoding="utf-8"))
    data["trunk"] = password
    _write(path, data)
    return replace(current, trunk=password)
