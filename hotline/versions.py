"""Every applied version of the dialplan, kept in Redis: its files, when, by whom and what changed.

The current version is the one new calls take. Each engine process follows it (`Engine` watches
KEY_DP_CURRENT), so several engines switch together; `hotline rollback` applies an older version's files
again as a new version, so the history only grows (the oldest are forgotten past DP_VERSIONS_KEPT).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import WatchError

from hotline import constants as c
from hotline.dialplan import dialplan_files, load_dialplan
from hotline.dialplan.diff import summarize
from hotline.dialplan.model import Dialplan
from hotline.errors import ConfigError, HotlineError
from router.redis_text import fields, text, text_hash

Files = dict[str, str]  # file name -> its text


@dataclass(frozen=True, slots=True)
class Version:
    number: int
    applied_at: float  # epoch seconds
    files: Files
    summary: tuple[str, ...]  # what changed from the version before (`hotline.dialplan.diff`)
    source: str  # how it came: "start", "reload", "rollback to 3"
    by: str  # who applied it: a user and host, or an engine process

    def to_hash(self) -> dict[str, str]:
        return {
            "number": str(self.number),
            "applied_at": f"{self.applied_at:.3f}",
            "files": json.dumps(self.files, ensure_ascii=False, sort_keys=True),
            "summary": json.dumps(self.summary, ensure_ascii=False),
            "source": self.source,
            "by": self.by,
        }

    @classmethod
    def from_hash(cls, h: dict[str, str]) -> Version:
        return cls(
            number=int(h["number"]),
            applied_at=float(h["applied_at"]),
            files=dict(json.loads(h["files"])),
            summary=tuple(json.loads(h["summary"])),
            source=h.get("source", ""),
            by=h.get("by", ""),
        )


class VersionError(HotlineError):
    """A version that is not there, or a change applied by someone else at the same time."""


def snapshot(path: str | Path) -> Files:
    """The texts of the files `load_dialplan(path)` reads, by file name."""
    return {f.name: f.read_text(encoding="utf-8") for f in dialplan_files(path)}


def load_files(files: Files) -> Dialplan:
    """The dialplan of a stored version (its files were valid when it was applied)."""
    with tempfile.TemporaryDirectory(prefix="hotline-version-") as tmp:
        root = Path(tmp)
        for name, text in files.items():
            (root / name).write_text(text, encoding="utf-8")
        return load_dialplan(root)


def change_summary(previous: Files | None, new: Dialplan) -> list[str]:
    """What `new` changes from the version whose files are `previous` (`hotline.dialplan.diff`). A
    previous version this program no longer reads (an upgrade made a prompt required, say) is only
    compared no further: a change is never refused because of the version it replaces."""
    if previous is None:
        return summarize(None, new)
    try:
        old = load_files(previous)
    except ConfigError:
        return ["everything (the previous version does not load with this program)"]
    return summarize(old, new) or ["no change callers can notice"]


def restore(files: Files, path: Path) -> list[str]:
    """Write a version's files back where the admins keep the dialplan; return the names written.

    A directory keeps its other files (scripted checks, notes) but loses the dialplan files that the
    version did not have, so that what the loader reads is exactly the version.
    """
    if not path.is_dir():
        (text,) = files.values()  # a one-file dialplan has one file in each version
        path.write_text(text, encoding="utf-8")
        return [path.name]
    for old in dialplan_files(path):
        if old.name not in files:
            old.unlink()
    for name, text in files.items():
        tmp = path / f".{name}.tmp"
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path / name)
    return sorted(files)


class VersionStore:
    def __init__(self, redis: aioredis.Redis, clock: Callable[[], float]) -> None:
        self.redis = redis
        self.clock = clock

    async def current_number(self) -> int | None:
        raw = await self.redis.get(c.KEY_DP_CURRENT)
        return int(text(raw)) if raw is not None else None

    async def get(self, number: int) -> Version | None:
        h = text_hash(await self.redis.hgetall(c.KEY_DP_VERSION.format(n=number)))
        return Version.from_hash(h) if h else None

    async def current(self) -> Version | None:
        number = await self.current_number()
        return None if number is None else await self.get(number)

    async def history(self, limit: int = 20) -> list[Version]:
        """The newest versions first."""
        numbers = _numbers(await self.redis.zrevrange(c.KEY_DP_VERSIONS, 0, limit - 1))
        versions = [await self.get(n) for n in numbers]
        return [v for v in versions if v is not None]

    async def previous(self, number: int) -> Version | None:
        """The version applied just before `number`, if it is still kept."""
        older = await self.redis.zrevrangebyscore(c.KEY_DP_VERSIONS, f"({number}", "-inf", start=0, num=1)
        numbers = _numbers(older)
        return await self.get(numbers[0]) if numbers else None

    async def record(
        self, files: Files, summary: list[str], *, source: str, by: str, expect: int | None
    ) -> Version:
        """Store a new version and make it current. `expect`: the version it was made from; if another
        change became current meanwhile, nothing is stored (VersionError)."""
        number = int(await self.redis.incr(c.KEY_DP_SEQ))
        version = Version(number, self.clock(), files, tuple(summary), source, by)
        async with self.redis.pipeline(transaction=True) as pipe:
            await pipe.watch(c.KEY_DP_CURRENT)
            raw = await pipe.get(c.KEY_DP_CURRENT)
            current = int(text(raw)) if raw is not None else None
            if current != expect:
                raise VersionError(
                    f"version {current} was applied while this change was prepared: run the command again"
                )
            pipe.multi()  # type: ignore[no-untyped-call]  # redis-py leaves Pipeline.multi unannotated
            pipe.hset(c.KEY_DP_VERSION.format(n=number), mapping=fields(version.to_hash()))
            pipe.zadd(c.KEY_DP_VERSIONS, {str(number): number})
            pipe.set(c.KEY_DP_CURRENT, str(number))
            try:
                await pipe.execute()
            except WatchError as exc:  # another version became current after the check above
                raise VersionError(
                    "another version was applied at the same moment: run the command again"
                ) from exc
        await self._forget_old()
        return version

    async def _forget_old(self) -> None:
        old = _numbers(await self.redis.zrange(c.KEY_DP_VERSIONS, 0, -c.DP_VERSIONS_KEPT - 1))
        if old:
            await self.redis.delete(*(c.KEY_DP_VERSION.format(n=n) for n in old))
            await self.redis.zrem(c.KEY_DP_VERSIONS, *old)


def _numbers(members: Iterable[Any]) -> list[int]:
    """Version numbers from a sorted set's members (redis-py types them loosely)."""
    return [int(text(m)) for m in members]
