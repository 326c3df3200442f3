"""Asterisk running inside the sandbox root: configuration, prompts, start, stop, CLI."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

from hotline.errors import SandboxError
from hotline.render import write_config
from hotline.sandbox.pidfile import live_pid


class AsteriskSandbox:
    def __init__(self, root: Path, sounds_dir_inside: str) -> None:
        self.root = root
        self.sounds_dir_inside = sounds_dir_inside  # the prompts' directory as Asterisk sees it

    @property
    def etc(self) -> Path:
        return self.root / "etc/asterisk"

    @property
    def pidfile(self) -> Path:
        return self.root / "run/asterisk/asterisk.pid"

    @property
    def log_file(self) -> Path:
        return self.root / "var/log/asterisk/messages.log"

    def install_config(self, files: dict[str, str]) -> list[str]:
        """Put the configuration in place; returns the names of the files that changed."""
        return write_config(files, self.etc)

    def install_sounds(self, built: Path) -> None:
        """Mirror the built prompts (`<lang>/<id>.wav`) where Asterisk plays them from."""
        dest = self.root / self.sounds_dir_inside.lstrip("/")
        tmp = dest.with_name(dest.name + ".new")
        if tmp.exists():
            shutil.rmtree(tmp)
        shutil.copytree(built, tmp)
        if dest.exists():
            old = dest.with_name(dest.name + ".old")
            dest.rename(old)
            tmp.rename(dest)
            shutil.rmtree(old)
        else:
            tmp.rename(dest)

    def pid(self) -> int | None:
        return live_pid(self.pidfile)

    def running(self) -> bool:
        return self.pid() is not None

    def cli(self, command: str, timeout: float = 20.0) -> str:
        """Run one Asterisk CLI command through the control socket and return its output."""
        try:
            out = subprocess.run(
                ["chroot", str(self.root), "asterisk", "-rx", command],
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise SandboxError(f"Asterisk did not answer `{command}` in {timeout:.0f} s") from exc
        if out.returncode != 0:
            raise SandboxError(f"Asterisk CLI `{command}` failed: {out.stderr.strip() or out.stdout.strip()}")
        return out.stdout

    def start(self, timeout: float = 60.0) -> None:
        """Start Asterisk as a daemon inside the root and wait until it is fully booted."""
        if self.running():
            return
        (self.root / "run/asterisk").mkdir(parents=True, exist_ok=True)
        self.pidfile.unlink(missing_ok=True)
        # -g: dump core on crash is not wanted; -n: no colour; daemon mode forks and returns
        subprocess.run(
            ["chroot", str(self.root), "asterisk", "-n"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=True,
            env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"},
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.running():
                try:
                    self.cli("core waitfullybooted", timeout=max(1.0, deadline - time.monotonic()))
                    return
                except SandboxError:
                    pass
            time.sleep(0.2)
        raise SandboxError(f"Asterisk did not start within {timeout:.0f} s: read {self.log_file}")

    def reload(self) -> None:
        """Apply changed configuration to the running Asterisk."""
        self.cli("core reload")

    def stop(self, timeout: float = 20.0) -> None:
        pid = self.pid()
        if pid is None:
            return
        with contextlib.suppress(SandboxError):
            self.cli("core stop now", timeout=timeout)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.pid() == pid:
            time.sleep(0.1)
        if self.pid() == pid:
            os.kill(pid, signal.SIGKILL)
        self.pidfile.unlink(missing_ok=True)
