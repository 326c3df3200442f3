"""The process a daemon's pid file names, if it is still alive."""

from __future__ import annotations

from pathlib import Path


def live_pid(pidfile: Path) -> int | None:
    """The pid, unless the process is gone or a zombie (dead, waiting for a parent to reap it: a daemon
    killed in a container whose first process does not reap)."""
    try:
        pid = int(pidfile.read_text().strip())
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (OSError, ValueError):
        return None
    state = stat.rsplit(")", 1)[-1].split()[0] if ")" in stat else ""
    return None if state in ("Z", "X") else pid
