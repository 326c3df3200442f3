"""The Debian root that holds Asterisk: built once with debootstrap, then reused from the cache.

Debian 12 has no Asterisk package; Debian's unstable suite does, on the same mirror apt already uses.
The mirror is read from apt's sources at run time, never written into the code.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from hotline.errors import SandboxError
from hotline.sandbox.preflight import require_disk, require_root, require_tool

SUITE = "sid"
PACKAGES = ("asterisk", "asterisk-modules", "asterisk-core-sounds-ru-gsm", "asterisk-core-sounds-en-gsm")
MARKER = ".hotline-root.json"
_ROOT_OWNED = (
    "etc/asterisk",
    "var/lib/asterisk",
    "var/spool/asterisk",
    "var/log/asterisk",
    "run/asterisk",
    "usr/share/asterisk",
)
_NEED_MB = 1500

Progress = Callable[[str], None]


def debian_mirror(apt_dir: Path = Path("/etc/apt")) -> str:
    """The Debian mirror apt is configured with (deb822 `.sources` or one-line `sources.list`)."""
    candidates: list[str] = []
    for path in sorted((apt_dir / "sources.list.d").glob("*.sources")):
        for stanza in path.read_text(encoding="utf-8", errors="replace").split("\n\n"):
            fields = dict(re.findall(r"^(\w[\w-]*):\s*(.*)$", stanza, re.MULTILINE))
            if fields.get("Enabled", "yes").lower() == "no":
                continue
            suites = fields.get("Suites", "")
            if "deb" in fields.get("Types", "").split() and "security" not in suites:
                candidates += fields.get("URIs", "").split()
    legacy = apt_dir / "sources.list"
    if legacy.exists():
        for line in legacy.read_text(encoding="utf-8", errors="replace").splitlines():
            parts = line.split()
            if len(parts) >= 3 and parts[0] == "deb" and "security" not in parts[2]:
                uri = next((p for p in parts[1:] if "://" in p), None)
                if uri:
                    candidates.append(uri)
    for uri in candidates:
        if "/debian" in uri and "security" not in uri:
            return uri
    raise SandboxError(
        "no Debian mirror found in apt's sources (/etc/apt/sources.list*): "
        "this must run on Debian 12 with apt configured"
    )


def is_built(root: Path) -> bool:
    return (root / MARKER).exists() and (root / "usr/sbin/asterisk").exists()


def asterisk_version(root: Path) -> str:
    out = subprocess.run(["chroot", str(root), "asterisk", "-V"], capture_output=True, text=True, check=False)
    return out.stdout.strip()


def ensure_root(root: Path, progress: Progress) -> Path:
    """Build the root unless a complete one is cached. Idempotent; a half-built root is never reused."""
    if is_built(root):
        progress(f"Asterisk root: reusing {root} ({asterisk_version(root)})")
        return root
    require_root("building the Asterisk sandbox")
    debootstrap = require_tool("debootstrap", "debootstrap")
    require_disk(root.parent, _NEED_MB)
    mirror = debian_mirror()
    partial = root.with_name(root.name + ".partial")
    if partial.exists():
        shutil.rmtree(partial)
    partial.parent.mkdir(parents=True, exist_ok=True)
    progress(f"Asterisk root: building with debootstrap ({SUITE}), about a minute and 500 MB...")
    cmd = [debootstrap, "--variant=minbase", f"--include={','.join(PACKAGES)}", SUITE, str(partial), mirror]
    log_lines: list[str] = []
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            line = line.rstrip()
            log_lines.append(line)
            if line.startswith(
                (
                    "I: Retrieving",
                    "I: Validating",
                    "I: Extracting",
                    "I: Installing",
                    "I: Configuring",
                    "I: Base system",
                )
            ):
                progress(f"  {line[3:]}")
    if proc.returncode != 0:
        tail = "\n".join(log_lines[-15:])
        raise SandboxError(
            f"debootstrap failed (exit {proc.returncode}). Its last lines:\n{tail}\n"
            "Check that the Debian mirror is reachable and the disk has space, then run again."
        )
    _prepare(partial)
    if root.exists():
        shutil.rmtree(root)
    partial.rename(root)
    version = asterisk_version(root)
    (root / MARKER).write_text(
        json.dumps({"suite": SUITE, "packages": PACKAGES, "asterisk": version}), encoding="utf-8"
    )
    progress(f"Asterisk root: ready ({version})")
    return root


def _prepare(root: Path) -> None:
    """Set the package's samples aside and give Asterisk's directories to root: the sandbox then hands
    what Asterisk writes to its own user, renumbered so that no host user shares its uid
    (`AsteriskSandbox.own`, `hotline.sandbox.runuser`)."""
    (root / "run/asterisk").mkdir(parents=True, exist_ok=True)
    # Only the project's configuration is read: the package's samples (users.conf, ari.conf...) go aside.
    etc = root / "etc/asterisk"
    if etc.is_dir() and not (root / "etc/asterisk.dist").exists():
        etc.rename(root / "etc/asterisk.dist")
        etc.mkdir(mode=0o750)
    for rel in _ROOT_OWNED:
        path = root / rel
        if path.exists():
            subprocess.run(["chown", "-R", "root:root", str(path)], check=True)
    sounds = root / "usr/share/asterisk/sounds"
    ru = sounds / "ru"
    if not ru.exists() and (sounds / "ru_RU_f_IvrvoiceRU").is_dir():
        ru.symlink_to("ru_RU_f_IvrvoiceRU")
