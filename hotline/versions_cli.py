"""`hotline reload`, `hotline rollback`, `hotline versions`: applying the admins' changes, and going back.

`hotline.cli` prints a `HotlineError` from here and exits 1; a refused dialplan is printed problem by
problem (file, line, column, what, how to fix) by the caller's `report` before anything is touched.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from hotline.admin_redis import admin_redis, unreachable
from hotline.dialplan import load_dialplan
from hotline.errors import ConfigError, HotlineError
from hotline.reload import Applied, Reloader
from hotline.settings import Settings
from hotline.versions import Version, VersionStore, restore, snapshot

Report = Callable[[ConfigError, Path], None]


async def main(settings: Settings, args: argparse.Namespace, report: Report) -> int:
    path = Path(args.dialplan) if getattr(args, "dialplan", None) else settings.dialplan_path
    try:
        dialplan = load_dialplan(path)
    except ConfigError as exc:
        if args.command != "reload":
            raise
        report(exc, path)
        return 1
    redis = admin_redis(settings, dialplan.operators, f"hotline {args.command}")
    try:
        if args.command == "reload":
            return await _reload(settings, redis, path, report)
        if args.command == "rollback":
            return await _rollback(settings, redis, path, args.to, force=args.force)
        return await _versions(redis, ZoneInfo(dialplan.hotline.timezone), limit=args.limit)
    except (RedisConnectionError, RedisTimeoutError) as exc:
        raise unreachable(redis, exc) from exc
    except RedisError as exc:
        raise HotlineError(f"Redis failed: {exc}") from exc
    finally:
        await redis.aclose()


async def _reload(settings: Settings, redis: Redis, path: Path, report: Report) -> int:
    reloader = Reloader(settings, redis, progress=_say)
    try:
        applied = await reloader.apply_path(path)
    except ConfigError as exc:
        report(exc, path)
        return 1
    _print_applied(applied)
    return 0


async def _rollback(settings: Settings, redis: Redis, path: Path, to: int | None, *, force: bool) -> int:
    store = VersionStore(redis, clock=lambda: 0.0)
    current = await store.current()
    if current is None:
        raise HotlineError("no version has been applied yet: there is nothing to go back to")
    target = await store.get(to) if to is not None else await store.previous(current.number)
    if target is None:
        which = f"version {to} is not kept" if to is not None else "no version before the current one"
        raise HotlineError(f"{which}: `hotline versions` lists the versions there are")
    if snapshot(path) != current.files and not force:
        raise HotlineError(
            f"the files in {path} have changes that were never applied; a rollback would overwrite them. "
            "Apply them with `hotline reload`, save them elsewhere, or run `hotline rollback --force`"
        )
    applied = await Reloader(settings, redis, progress=_say).apply_version(target)
    written = restore(target.files, path)
    _print_applied(applied)
    print(f"{path}: {', '.join(written)} restored to version {target.number}")
    return 0


async def _versions(redis: Redis, tz: ZoneInfo, *, limit: int) -> int:
    store = VersionStore(redis, clock=lambda: 0.0)
    history = await store.history(limit)
    if not history:
        print("No version applied yet: `hotline sandbox up` or the engine's start records the first one.")
        return 0
    current = await store.current_number()
    for line in format_versions(history, current, tz):
        print(line)
    return 0


def format_versions(history: list[Version], current: int | None, tz: ZoneInfo) -> list[str]:
    """One block per version, newest first: number (* for the current one), time, how, who, what."""
    lines = []
    for v in history:
        mark = "*" if v.number == current else " "
        when = dt.datetime.fromtimestamp(v.applied_at, tz).strftime("%Y-%m-%d %H:%M:%S")
        lines.append(f"{mark}{v.number:>4}  {when}  {v.source}  by {v.by}")
        lines += [f"        {change}" for change in v.summary]
    return lines


def _print_applied(applied: Applied) -> None:
    v = applied.version
    if not applied.changed:
        print(f"Nothing changed: these files are version {v.number}, which the hotline runs.")
        return
    print(f"Applied version {v.number}:")
    for change in v.summary:
        print(f"  {change}")
    reloaded = ", ".join(applied.reloaded) or "nothing (only the engine's part changed)"
    print(f"Asterisk reloaded: {reloaded}. New calls take it now; calls in the menus finish on theirs.")
    if applied.restart_needed:
        print(
            f"Also changed: {', '.join(applied.restart_needed)}, which Asterisk takes only when it starts: "
            "run `sudo hotline sandbox up` at a quiet moment (calls in progress are dropped)."
        )


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
