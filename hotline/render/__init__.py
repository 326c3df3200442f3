"""Asterisk configuration rendered from the admins' dialplan and the installation's settings.

One generator per `.conf` file (the xivo-confgend way); each is a pure function from typed objects to
text and is tested against the expected text. `render_all` adds the static files of `asterisk-conf/static`.
"""

from __future__ import annotations

import os
from pathlib import Path

from hotline.dialplan.model import Dialplan
from hotline.render.extensions import render_extensions
from hotline.render.manager import render_manager
from hotline.render.pjsip import render_pjsip, render_rtp
from hotline.render.queue_rules import render_queue_rules
from hotline.render.queues import render_queues
from hotline.secrets import Secrets
from hotline.settings import Settings

# Rendered files that hold secrets: never readable by others.
_SECRET_FILES = frozenset({"manager.conf", "pjsip.conf"})


def render_all(dialplan: Dialplan, settings: Settings, secrets: Secrets) -> dict[str, str]:
    """Every file Asterisk needs, by file name: the static ones and the rendered ones."""
    files: dict[str, str] = {}
    static = settings.asterisk_conf_dir / "static"
    for path in sorted(static.glob("*.conf")):
        files[path.name] = path.read_text(encoding="utf-8")
    files["pjsip.conf"] = render_pjsip(dialplan, settings, secrets)
    files["rtp.conf"] = render_rtp(settings)
    files["manager.conf"] = render_manager(settings, secrets)
    files["queues.conf"] = render_queues(dialplan, settings.asterisk_sounds_dir)
    files["queuerules.conf"] = render_queue_rules(dialplan)
    files["extensions.conf"] = render_extensions(dialplan, settings)
    return files


def write_config(files: dict[str, str], dest: Path, *, group: int | None = None) -> list[str]:
    """Write the files into `dest` atomically (each file whole or not at all); return the changed names.

    With `group` (Asterisk's own, when it does not run as root), every file is root's, readable by that
    group and by nobody else; without, the secret ones are root's only and the rest readable by all."""
    dest.mkdir(parents=True, exist_ok=True)
    changed = []
    for name, text in sorted(files.items()):
        path = dest / name
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        tmp = dest / f".{name}.tmp"
        mode = 0o640 if group is not None else 0o600 if name in _SECRET_FILES else 0o644
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            if group is not None:
                os.fchown(fh.fileno(), 0, group)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
        changed.append(name)
    return changed
