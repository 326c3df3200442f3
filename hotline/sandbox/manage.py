"""`hotline sandbox up | down | status`: the whole local hotline on loopback, idempotently.

up: build (or reuse) the Asterisk root, generate secrets, render the configuration from the YAML, build
the prompts (and add the files Asterisk's own sounds lack), start Asterisk and Redis, check SIPp.
Running `up` again after a YAML change re-renders and reloads Asterisk without rebuilding anything else.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hotline.dialplan import load_dialplan
from hotline.dialplan.model import Dialplan
from hotline.emergency.sound import emergency_dir, ensure_dir
from hotline.prompts import GENERATED_DIR, build_prompts
from hotline.render import render_all
from hotline.sandbox.ami_reload import reload_through_ami, reloadable_of
from hotline.sandbox.asterisk import AsteriskSandbox
from hotline.sandbox.preflight import require_root, require_tool
from hotline.sandbox.redis import RedisSandbox
from hotline.sandbox.rootfs import ensure_root, is_built
from hotline.secrets import Secrets, load_or_create
from hotline.settings import Settings

Progress = Callable[[str], None]


@dataclass
class SandboxStatus:
    root_built: bool
    asterisk_running: bool
    redis_running: bool
    asterisk_version: str
    registered: list[str]

    def lines(self) -> list[str]:
        yes = {True: "yes", False: "no"}
        return [
            f"Asterisk root built: {yes[self.root_built]}",
            f"Asterisk running:    {yes[self.asterisk_running]} {self.asterisk_version}",
            f"Redis running:       {yes[self.redis_running]}",
            f"Operators' phones registered: {', '.join(self.registered) or 'none'}",
        ]


class Sandbox:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.asterisk = AsteriskSandbox(
            settings.asterisk_root,
            settings.asterisk_sounds_dir,
            writable_inside=[emergency_dir(settings.asterisk_sounds_dir)],  # RECORD FILE writes there
        )

    def secrets(self, dialplan: Dialplan) -> Secrets:
        return load_or_create(self.settings.state_dir, dialplan.operators)

    def redis(self, secrets: Secrets) -> RedisSandbox:
        s = self.settings
        return RedisSandbox(s.state_dir, s.redis_address, s.redis_port, secrets.redis)

    @property
    def prompts_dir(self) -> Path:
        return self.settings.sounds_dir / GENERATED_DIR

    def up(self, progress: Progress) -> tuple[Dialplan, Secrets]:
        require_root("`hotline sandbox up`")
        require_tool("sipp", "sip-tester")
        dialplan = load_dialplan(self.settings.dialplan_path)  # a bad YAML stops here, before any change
        progress(
            f"Dialplan: {len(dialplan.menus)} menus, {len(dialplan.skill_groups)} skill groups, "
            f"{len(dialplan.operators)} operators"
        )
        ensure_root(self.settings.asterisk_root, progress)
        secrets = self.secrets(dialplan)
        self.install_prompts(dialplan, progress)
        ensure_dir(self.settings.asterisk_root, self.settings.asterisk_sounds_dir)  # emergency announcements
        changed = self.asterisk.install_config(render_all(dialplan, self.settings, secrets))
        if self.asterisk.running():
            if "modules.conf" in changed or "asterisk.conf" in changed:
                # a reload does not load newly listed modules: restart (calls in progress are dropped)
                progress(f"Asterisk: restarting ({', '.join(changed)} changed)")
                self.asterisk.stop()
                self.asterisk.start()
            elif changed:
                progress(f"Asterisk: reloading ({', '.join(changed)} changed)")
                if "manager.conf" in changed:  # first: the AMI users the reload below logs in as
                    self.asterisk.cli("module reload manager")
                if reloadable := reloadable_of(changed):  # keeps members' pauses and their reasons
                    in_own_loop(reload_through_ami(self.settings, secrets, reloadable, progress))
                if set(changed) - {*reloadable, "manager.conf"}:  # the rest (rtp, static files)
                    self.asterisk.reload()
            else:
                progress("Asterisk: running, configuration unchanged")
        else:
            progress("Asterisk: starting...")
            self.asterisk.start()
        progress(
            f"Asterisk: ready, SIP udp {self.settings.sip_address}:{self.settings.sip_port}, "
            f"AMI {self.settings.ami_address}:{self.settings.ami_port}"
        )
        redis = self.redis(secrets)
        redis.start()
        progress(
            f"Redis: ready on {self.settings.redis_address}:{self.settings.redis_port} (append-only file on)"
        )
        return dialplan, secrets

    def install_prompts(self, dialplan: Dialplan, progress: Progress, *, prune: bool = True) -> None:
        """Build the dialplan's prompts (only what changed) and put them where Asterisk plays them;
        `prune=False` keeps the prompts of the previous version for the calls still on it."""
        progress("Prompts: building (synthesized with espeak-ng unless a recording exists)...")
        report = build_prompts(
            dialplan,
            self.settings.sounds_dir,
            self.prompts_dir,
            progress=lambda done, total, item: progress(f"  [{done}/{total}] {item}"),
        )
        progress(f"Prompts: {report.summary()}")
        self.asterisk.install_sounds(self.prompts_dir, prune=prune)
        if report.sounds:
            added = self.asterisk.install_sound_set(report.sounds)
            names = ", ".join(f"{s.lang}/{s.prompt_id}" for s in report.sounds)
            written = f" ({', '.join(added)} written now)" if added else ""
            progress(f"Asterisk's own sounds: {names} in place{written}")

    def down(self, progress: Progress) -> None:
        require_root("`hotline sandbox down`")
        if self.asterisk.running():
            self.asterisk.stop()
            progress("Asterisk: stopped")
        else:
            progress("Asterisk: was not running")
        try:
            dialplan = load_dialplan(self.settings.dialplan_path)
            redis = self.redis(self.secrets(dialplan))
        except Exception:
            redis = None
        if redis is not None and redis.pid() is not None:
            redis.stop()
            progress("Redis: stopped (its data stays in the state directory)")
        else:
            progress("Redis: was not running")

    def status(self) -> SandboxStatus:
        running = self.asterisk.running()
        version = registered = None
        if running:
            version = self.asterisk.cli("core show version").split(" built")[0]
            contacts = self.asterisk.cli("pjsip show contacts")
            registered = sorted(
                {
                    line.split("/")[0].split()[-1]
                    for line in contacts.splitlines()
                    if "Contact:" in line and "sip:" in line and "carrier" not in line
                }
            )
        redis_running = False
        try:
            dialplan = load_dialplan(self.settings.dialplan_path)
            redis_running = self.redis(self.secrets(dialplan)).ping()
        except Exception:
            redis_running = False
        return SandboxStatus(
            is_built(self.settings.asterisk_root), running, redis_running, version or "", registered or []
        )


def in_own_loop(work: Coroutine[Any, Any, None]) -> None:
    """Run `work` to its end on an event loop of its own, in a thread: `Sandbox.up` is called from
    plain code and from async code (through a thread) alike."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, work).result()
