"""The process a daemon's pid file names, if it is still alive."""

from __future__ import annotations

from pathlib import Path


def live_pid(pidfile: Path) -> int | None:
    try:
        pid = int(pidfile.read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if Path(f"/proc/{pid}").exists() else None
