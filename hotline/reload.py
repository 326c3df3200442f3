"""Applying a change of the dialplan to the running hotline: `hotline reload`, SIGHUP, `hotline rollback`.

    validate -> build the prompts -> render the Asterisk configuration -> reload through AMI -> record

1. The YAML is read strictly: a bad change raises `ConfigError` before anything is touched, and the
   hotline keeps answering on the last good version.
2. New or changed prompts are built and installed (file by file; the previous version's prompts stay,
   for the calls still on it).
3. The configuration files are rendered and only those that changed are written and reloaded, with the
   least disruption: `pjsip.conf` (endpoints) only when an operator changed; `queues.conf` by
   QueueReload, which keeps members, their pauses and the queues' statistics (Asterisk copies a
   member's calls and last call over, and never resets statistics on a reload; it drops a pause's
   reason, which is put back); `extensions.conf` by
   reloading pbx_config, which calls in progress do not notice.
   If Asterisk refuses a reload, the previous files are put back and reloaded, and the change fails.
4. The version is recorded in Redis (`hotline.versions`): every engine process takes it for new calls
   within a second, while the calls already in the menus finish on the version they started with.
"""

from __future__ import annotations

import asyncio
import getpass
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import redis.asyncio as aioredis

from hotline import constants as c
from hotline.dialplan import load_dialplan
from hotline.dialplan.model import Dialplan
from hotline.errors import AmiError, HotlineError
from hotline.log import get_logger
from hotline.render import render_all
from hotline.sandbox.ami_reload import reload_through_ami, reloadable_of
from hotline.sandbox.manage import Sandbox
from hotline.scripted_checks import CheckResult, checks_beside, load_checks, run_checks
from hotline.secrets import Secrets
from hotline.settings import Settings
from hotline.versions import Files, Version, VersionError, VersionStore, change_summary, load_files, snapshot
from router.redis_text import text

log = get_logger("hotline.reload")

Progress = Callable[[str], None]
LOCK_SECONDS = 300  # a crashed `hotline reload` holds the lock no longer than this


def failed_checks(dialplan: Dialplan, path: Path) -> list[CheckResult]:
    """The admins' scripted checks kept beside the dialplan (`checks.yaml`) that fail on it; problems in
    the checks file itself are raised as `ConfigError`."""
    checks = checks_beside(path)
    if checks is None:
        return []
    return [r for r in run_checks(dialplan, load_checks(checks, dialplan)) if not r.passed]


def _checked(path: Path) -> Dialplan:
    """The dialplan at `path`, refused (`ConfigError`, `ReloadError`) unless it and its scripted checks
    pass."""
    dialplan = load_dialplan(path)
    if failed := failed_checks(dialplan, path):
        raise ReloadError(
            f"{len(failed)} scripted check(s) failed, nothing was applied: "
            + "; ".join(str(f) for f in failed)
        )
    return dialplan


class ReloadError(HotlineError):
    """The change could not be applied; the hotline runs on as before."""


@dataclass(frozen=True, slots=True)
class Applied:
    version: Version  # the version the hotline runs now
    dialplan: Dialplan  # that version, read
    changed: bool  # False: the files were already that version, nothing was done
    reloaded: tuple[str, ...]  # the configuration files Asterisk reloaded
    restart_needed: tuple[str, ...]  # changed files that only a restart of Asterisk applies


def who() -> str:
    """The user and host applying a change, for the history (never a secret)."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "?"
    return f"{user}@{socket.gethostname()}"


class Reloader:
    """Applies the admins' files (or a stored version) to the running sandbox."""

    def __init__(
        self, settings: Settings, redis: aioredis.Redis, *, progress: Progress | None = None
    ) -> None:
        self.settings = settings
        self.sandbox = Sandbox(settings)
        self.redis = redis
        self.versions = VersionStore(redis, clock=time.time)
        self.progress = progress or (lambda _msg: None)

    async def apply_path(self, path: Path, *, source: str = "reload", by: str | None = None) -> Applied:
        """Validate the files at `path` and apply them. `ConfigError` (nothing changed) when invalid."""
        files = await asyncio.to_thread(snapshot, path)
        # every problem at once, with file and line; nothing touched yet (off the loop: SIGHUP's path)
        dialplan = await asyncio.to_thread(_checked, path)
        if await asyncio.to_thread(snapshot, path) != files:
            raise ReloadError(f"{path} changed while it was read: run the command again once it is saved")
        return await self._apply(files, dialplan, source=source, by=by or who())

    async def apply_version(self, version: Version, *, by: str | None = None) -> Applied:
        """Apply a stored version's files again, as a new version (`hotline rollback`)."""
        dialplan = await asyncio.to_thread(load_files, version.files)
        source = f"rollback to {version.number}"
        return await self._apply(version.files, dialplan, source=source, by=by or who())

    async def _apply(self, files: Files, new: Dialplan, *, source: str, by: str) -> Applied:
        if not await self.redis.set(c.KEY_DP_LOCK, by, nx=True, ex=LOCK_SECONDS):
            holder = text(await self.redis.get(c.KEY_DP_LOCK) or "someone")
            raise ReloadError(
                f"{holder} is applying a change right now: wait for it and run the command again"
            )
        try:
            return await self._apply_locked(files, new, source=source, by=by)
        finally:
            await self.redis.delete(c.KEY_DP_LOCK)

    async def _apply_locked(self, files: Files, new: Dialplan, *, source: str, by: str) -> Applied:
        current = await self.versions.current()
        # Parsing, building prompts and writing files take a while: off the event loop, so that an
        # engine applying a change on SIGHUP keeps answering calls meanwhile.
        summary = await asyncio.to_thread(change_summary, current.files if current else None, new)
        secrets, before, changed = await asyncio.to_thread(self._install, new)
        reloadable = reloadable_of(changed)
        restart = tuple(name for name in changed if name not in reloadable)
        asterisk = self.sandbox.asterisk
        if reloadable and asterisk.running():
            try:
                await reload_through_ami(self.settings, secrets, reloadable, self.progress)
            except (AmiError, OSError) as exc:
                await asyncio.to_thread(asterisk.install_config, before)
                try:
                    await reload_through_ami(self.settings, secrets, reloadable, self.progress)
                except (AmiError, OSError) as again:
                    log.error("reload.restore_failed", error=str(again))
                raise ReloadError(
                    f"Asterisk refused the new configuration ({exc}); the previous one is back in place. "
                    f"Read {asterisk.log_file} for Asterisk's reason."
                ) from exc
        if current is not None and current.files == files and not changed:
            return Applied(current, new, False, (), ())
        try:
            version = await self.versions.record(
                files, summary, source=source, by=by, expect=current.number if current else None
            )
        except VersionError as exc:
            raise ReloadError(str(exc)) from exc
        log.info(
            "reload.applied", version=version.number, summary=summary, reloaded=reloadable, source=source
        )
        return Applied(version, new, True, tuple(reloadable), restart)

    def _install(self, new: Dialplan) -> tuple[Secrets, dict[str, str], list[str]]:
        """Prompts and configuration files in place: (secrets, the files before, the changed names)."""
        secrets = self.sandbox.secrets(new)
        self.sandbox.install_prompts(new, self.progress, prune=False)
        rendered = render_all(new, self.settings, secrets)
        etc = self.sandbox.asterisk.etc
        before = {n: (etc / n).read_text(encoding="utf-8") for n in rendered if (etc / n).exists()}
        return secrets, before, self.sandbox.asterisk.install_config(rendered)
