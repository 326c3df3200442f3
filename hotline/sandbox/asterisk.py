"""Asterisk running inside the sandbox root: configuration, prompts, start, stop, CLI."""

from __future__ import annotations

import contextlib
import filecmp
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterable
from pathlib import Path

from hotline.errors import SandboxError
from hotline.log import get_logger
from hotline.prompts import BuiltPrompt
from hotline.render import write_config
from hotline.sandbox.pidfile import live_pid
from hotline.sandbox.runuser import RunUser, ensure_run_user

# Asterisk's own sounds inside the root: `astdatadir` (asterisk-conf/static/asterisk.conf) + "/sounds",
# where Debian's asterisk-core-sounds-* packages put them, one directory (or link) per language.
SOUNDS_INSIDE = "usr/share/asterisk/sounds"
_MAX_LINKS = 40
# What Asterisk writes inside its root (state, spool, logs, control socket); the rest it only reads.
_WRITES = ("var/lib/asterisk", "var/spool/asterisk", "var/log/asterisk", "run/asterisk")

log = get_logger(__name__)


def resolve_inside(root: Path, rel: str) -> Path:
    """`root/rel` with every symbolic link followed as a process chrooted in `root` would: an absolute
    target (Debian's `sounds/en -> /etc/alternatives/...`) is read under `root`, never on the host, and
    `..` stops at `root`. The result is always under `root`."""
    todo = [p for p in rel.split("/") if p not in ("", ".")]
    done: list[str] = []
    links = 0
    while todo:
        part = todo.pop(0)
        if part == "..":
            if done:
                done.pop()
            continue
        here = root.joinpath(*done, part)
        if not here.is_symlink():
            done.append(part)
            continue
        links += 1
        if links > _MAX_LINKS:
            raise SandboxError(f"too many symbolic links resolving /{rel} inside {root}")
        target = os.readlink(here)
        if target.startswith("/"):
            done = []
        todo = [p for p in target.split("/") if p not in ("", ".")] + todo
    return root.joinpath(*done)


def _packaged(root: Path, inside: str) -> bool:
    """True when a Debian package of the root ships the file `inside` (an absolute path in the root)."""
    for listing in sorted((root / "var/lib/dpkg/info").glob("*.list")):
        with listing.open(encoding="utf-8", errors="replace") as lines:
            if any(line.rstrip("\n") == inside for line in lines):
                return True
    return False


class AsteriskSandbox:
    """Asterisk in its root, run as the root's own `asterisk` user (`runuser` in asterisk.conf): it
    reads its configuration and prompts, and writes only its state, its logs and `writable_inside`."""

    def __init__(self, root: Path, sounds_dir_inside: str, writable_inside: Iterable[str] = ()) -> None:
        self.root = root
        self.sounds_dir_inside = sounds_dir_inside  # the prompts' directory as Asterisk sees it
        self.writable_inside = tuple(writable_inside)  # more directories it writes (recordings)
        self._user: RunUser | None = None

    @property
    def etc(self) -> Path:
        return self.root / "etc/asterisk"

    @property
    def pidfile(self) -> Path:
        return self.root / "run/asterisk/asterisk.pid"

    @property
    def log_file(self) -> Path:
        return self.root / "var/log/asterisk/messages.log"

    def run_user(self) -> RunUser:
        if self._user is None:
            self._user = ensure_run_user(self.root)
        return self._user

    def own(self) -> RunUser:
        """Give Asterisk's user what it needs and no more: its configuration is root's, readable by its
        group only; its state, logs, control socket and `writable_inside` are its own."""
        user = self.run_user()
        self.etc.mkdir(parents=True, exist_ok=True)
        for path in [self.etc, *sorted(self.etc.iterdir())]:
            if path.is_symlink() or not (path.is_file() or path == self.etc):
                continue
            os.chown(path, 0, user.gid)
            os.chmod(path, 0o750 if path == self.etc else 0o640)
        writable = [resolve_inside(self.root, rel) for rel in (*_WRITES, *self.writable_inside)]
        for path in writable:
            path.mkdir(parents=True, exist_ok=True)
        subprocess.run(["chown", "-R", f"{user.uid}:{user.gid}", *map(str, writable)], check=True)
        return user

    def install_config(self, files: dict[str, str]) -> list[str]:
        """Put the configuration in place; returns the names of the files that changed."""
        return write_config(files, self.etc, group=self.run_user().gid)

    def install_sounds(self, built: Path, *, prune: bool = True) -> None:
        """Mirror the built prompts (`<lang>/<id>.wav`) where Asterisk plays them from.

        Each file is replaced whole (written aside, then renamed over the old one), so a call playing a
        prompt at that moment hears the old or the new recording, never a missing file. `prune=False`
        keeps prompts the new build no longer has: calls still on the previous dialplan may play them.
        """
        dest = self.root / self.sounds_dir_inside.lstrip("/")
        wanted = set()
        for src in sorted(p for p in built.rglob("*") if p.is_file() and not p.name.startswith(".")):
            rel = src.relative_to(built)
            wanted.add(rel)
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.exists() and filecmp.cmp(src, target, shallow=False):
                continue
            tmp = target.with_name(f".{target.name}.tmp")
            shutil.copyfile(src, tmp)
            os.replace(tmp, target)
        if prune and dest.exists():
            for old in [p for p in dest.rglob("*") if p.is_file()]:
                if old.relative_to(dest) not in wanted:
                    old.unlink()

    def install_sound_set(self, sounds: Iterable[BuiltPrompt]) -> list[str]:
        """Add the built files of Asterisk's own sound set (`hotline.prompts.SOUND_SET`, such as
        ru/digits/1f) where Asterisk looks for them, `<root>/usr/share/asterisk/sounds/<lang>/<name>.wav`;
        returns the `<lang>/<name>` of those written.

        Only adds: a file already there with the same bytes is left alone (running `up` again writes
        nothing), a file a Debian package ships is never replaced, nothing is removed. Asterisk opens
        sound files when it plays them, so no reload is needed."""
        written: list[str] = []
        for sound in sounds:
            rel = f"{sound.lang}/{sound.prompt_id}"
            dest = resolve_inside(self.root, f"{SOUNDS_INSIDE}/{rel}.wav")
            data = sound.path.read_bytes()
            if dest.is_file() and dest.read_bytes() == data:
                continue
            inside = "/" + dest.relative_to(self.root).as_posix()
            if dest.exists() and _packaged(self.root, inside):
                log.warning(
                    "sandbox.sound_packaged", sound=rel, path=inside, effect="the packaged one is kept"
                )
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
            try:
                tmp.write_bytes(data)
                os.replace(tmp, dest)
            finally:
                tmp.unlink(missing_ok=True)
            log.info("sandbox.sound_added", sound=rel, path=inside)
            written.append(rel)
        return written

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
        """Start Asterisk as a daemon inside the root and wait until it is fully booted. It starts as
        root, reads asterisk.conf and becomes its own user (`runuser`) before it loads any module."""
        if self.running():
            return
        self.own()
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

    def hang_up_all(self, operators: Iterable[str]) -> int:
        """End every call still up and let every operator's phone back into the queues: the sandbox
        after a run that stopped its phones mid-call. How many channels were up."""
        channels = self.cli("core show channels concise").strip()
        if channels:
            self.cli("channel request hangup all")
        for op in operators:
            self.cli(f"queue unpause member PJSIP/{op}")
        return len(channels.splitlines()) if channels else 0

    def reload(self) -> None:
        """Apply changed configuration to the running Asterisk."""
        self.cli("core reload")

    def kill(self) -> None:
        """SIGKILL, as a crash or `kill -9` would: no hangup handler runs, no call is ended cleanly.
        For the failure tests; `start` brings it back."""
        pid = self.pid()
        if pid is None:
            return
        os.kill(pid, signal.SIGKILL)
        while self.pid() == pid:
            time.sleep(0.05)
        self.pidfile.unlink(missing_ok=True)

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
