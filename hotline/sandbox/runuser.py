"""Asterisk's own user in the sandbox root, so that Asterisk never runs as root.

Debian's package creates the user `asterisk` inside the root with whatever uid the root's `adduser` chose,
and on the host that uid is often another service's (PostgreSQL's, say): Asterisk's files would be that
service's files. The sandbox therefore gives the root's `asterisk` a uid and gid that no user or group of
the host has, and reserves them on the host under HOST_NAME (a system user with no home and no shell), as
a package does for its daemon.
"""

from __future__ import annotations

import grp
import pwd
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from hotline.errors import SandboxError

ROOT_USER = "asterisk"  # the user and group Debian's package creates in the root
HOST_NAME = "hotline-asterisk"  # the same ids, reserved on the host
ID_SPAN = range(999, 899, -1)  # system ids (Debian gives them 100-999), from the top: seldom taken


@dataclass(frozen=True)
class RunUser:
    name: str
    uid: int
    gid: int


def ids_of(table: str) -> dict[str, int]:
    """Name -> id of a passwd or group file's text (`name:x:id:...` lines)."""
    ids: dict[str, int] = {}
    for line in table.splitlines():
        fields = line.split(":")
        if len(fields) >= 3 and fields[2].isdigit():
            ids[fields[0]] = int(fields[2])
    return ids


def free_id(taken: Iterable[int], span: Iterable[int] = ID_SPAN) -> int:
    """The first id of `span` that is neither a uid nor a gid in `taken`."""
    used = set(taken)
    for candidate in span:
        if candidate not in used:
            return candidate
    raise SandboxError(
        "no free system id (900-999) for Asterisk's own user: "
        f"create the host's user {HOST_NAME} with a free uid and gid of your choice, then run again"
    )


def _host_ids() -> tuple[dict[str, int], dict[str, int]]:
    users = {entry.pw_name: entry.pw_uid for entry in pwd.getpwall()}
    groups = {entry.gr_name: entry.gr_gid for entry in grp.getgrall()}
    return users, groups


def _run(cmd: list[str], what: str) -> None:
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SandboxError(f"{what} failed: {out.stderr.strip() or out.stdout.strip()}")


def _reserve_on_host(root_users: dict[str, int], root_groups: dict[str, int]) -> RunUser:
    """HOST_NAME's ids, creating that system user and group on the host if it has none yet."""
    users, groups = _host_ids()
    if HOST_NAME in users and HOST_NAME in groups:
        return RunUser(ROOT_USER, users[HOST_NAME], groups[HOST_NAME])
    others = {i for name, i in [*root_users.items(), *root_groups.items()] if name != ROOT_USER}
    chosen = free_id([*users.values(), *groups.values(), *others])
    if HOST_NAME not in groups:
        _run(
            ["groupadd", "--system", "--gid", str(chosen), HOST_NAME],
            f"creating the host's group {HOST_NAME}",
        )
    gid = grp.getgrnam(HOST_NAME).gr_gid
    _run(
        [
            "useradd",
            "--system",
            "--uid",
            str(chosen),
            "--gid",
            str(gid),
            "--no-create-home",
            "--home-dir",
            "/nonexistent",
            "--shell",
            "/usr/sbin/nologin",
            "--comment",
            "Asterisk of the hotline's sandbox",
            HOST_NAME,
        ],
        f"creating the host's user {HOST_NAME}",
    )
    return RunUser(ROOT_USER, pwd.getpwnam(HOST_NAME).pw_uid, gid)


def ensure_run_user(root: Path) -> RunUser:
    """The root's `asterisk` with the host's HOST_NAME ids (reserved now if need be). Idempotent."""
    root_users = ids_of((root / "etc/passwd").read_text(encoding="utf-8"))
    root_groups = ids_of((root / "etc/group").read_text(encoding="utf-8"))
    if ROOT_USER not in root_users or ROOT_USER not in root_groups:
        raise SandboxError(
            f"the Asterisk root {root} has no user or group `{ROOT_USER}` (Debian's asterisk package "
            "creates them): remove the root and run `hotline sandbox up` to build it again"
        )
    user = _reserve_on_host(root_users, root_groups)
    if root_groups[ROOT_USER] != user.gid:
        _run(
            ["chroot", str(root), "groupmod", "--gid", str(user.gid), ROOT_USER],
            "renumbering the root's group",
        )
    if root_users[ROOT_USER] != user.uid:
        _run(
            ["chroot", str(root), "usermod", "--uid", str(user.uid), "--gid", str(user.gid), ROOT_USER],
            "renumbering the root's user",
        )
    return user
