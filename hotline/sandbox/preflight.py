"""Checks made before touching the machine, each failing with what to do next."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from hotline.errors import SandboxError


def require_root(what: str) -> None:
    if os.geteuid() != 0:
        raise SandboxError(
            f"{what} needs root (it runs debootstrap and chroot, and writes under /var): "
            "run it with sudo, e.g. `sudo ./run.sh demo`"
        )


def require_tool(tool: str, package: str) -> str:
    path = shutil.which(tool)
    if path is None:
        raise SandboxError(
            f"`{tool}` is not installed: install it with `apt-get install {package}` "
            "(./run.sh installs everything the sandbox needs)"
        )
    return path


def require_disk(path: Path, need_mb: int) -> None:
    probe = path
    while not probe.exists():
        probe = probe.parent
    free_mb = shutil.disk_usage(probe).free // (1024 * 1024)
    if free_mb < need_mb:
        raise SandboxError(
            f"{free_mb} MB free under {probe}, the sandbox needs about {need_mb} MB: "
            "free some disk space or point HOTLINE_CACHE_DIR at a larger disk"
        )
