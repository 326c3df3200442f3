"""The history of applied dialplan versions in a real Redis: current, previous, conflicts, forgetting."""

from __future__ import annotations

from pathlib import Path

import pytest
from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from hotline import constants as c
from hotline.versions import VersionError, VersionStore, load_files, restore, snapshot

SHIPPED = Path(__file__).resolve().parents[2] / "dialplans"


def store(redis: Redis) -> VersionStore:
    return VersionStore(redis, clock=lambda: 1_800_000_000.0)


async def test_a_recorded_version_becomes_current_and_keeps_its_files_and_summary(redis: Redis) -> None:
    """What is recorded is read back whole, and new calls take it (it is current)."""
    versions = store(redis)
    files = snapshot(SHIPPED)
    first = await versions.record(files, ["first version"], source="start", by="test", expect=None)
    assert await versions.current_number() == first.number
    assert await versions.current() == first
    assert first.summary == ("first version",)
    assert {"main", "heating", "construction"} <= load_files(first.files).menus.keys()


async def test_a_change_made_from_an_outdated_version_is_refused(redis: Redis) -> None:
    """Two admins applying at once: the one who prepared from an older version is told to run again."""
    versions = store(redis)
    first = await versions.record({"a.yaml": "1"}, ["first version"], source="reload", by="a", expect=None)
    await versions.record({"a.yaml": "2"}, ["x"], source="reload", by="b", expect=first.number)
    with pytest.raises(VersionError, match="run the command again"):
        await versions.record({"a.yaml": "3"}, ["y"], source="reload", by="c", expect=first.number)
    assert (await versions.current()).files == {"a.yaml": "2"}  # type: ignore[union-attr]


async def test_a_version_made_between_reading_current_and_storing_is_a_version_error(
    redis: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two `hotline serve` started together both record the admins' files. When the other one stores
    its version after this one read the current version and before it stored its own, this one gets
    VersionError, which makes an engine look again; Redis's own WatchError ended the engine (seen in a
    CI run: `hotline serve` exited with 1)."""
    versions, other = store(redis), store(redis)
    plain_get = Pipeline.get
    raced = False

    async def get_then_another_engine_records(self: Pipeline, name: str) -> object:
        nonlocal raced
        value = await plain_get(self, name)  # type: ignore[misc]
        if not raced:
            raced = True
            await other.record({"a.yaml": "1"}, ["start"], source="start", by="engine-2", expect=None)
        return value

    monkeypatch.setattr(Pipeline, "get", get_then_another_engine_records)
    with pytest.raises(VersionError, match="run the command again"):
        await versions.record({"a.yaml": "1"}, ["start"], source="start", by="engine-1", expect=None)
    assert (await versions.current()).by == "engine-2"  # type: ignore[union-attr]


async def test_previous_and_history_go_back_in_order_and_old_versions_are_forgotten(redis: Redis) -> None:
    """History is newest first; previous() is the one before; past DP_VERSIONS_KEPT the oldest go."""
    versions = store(redis)
    expect = None
    for n in range(c.DP_VERSIONS_KEPT + 3):
        v = await versions.record({"a.yaml": str(n)}, [str(n)], source="reload", by="t", expect=expect)
        expect = v.number
    history = await versions.history(3)
    assert [v.files["a.yaml"] for v in history] == [str(c.DP_VERSIONS_KEPT + 2 - i) for i in range(3)]
    before = await versions.previous(history[0].number)
    assert before == history[1]
    assert await versions.get(1) is None
    assert await redis.zcard(c.KEY_DP_VERSIONS) == c.DP_VERSIONS_KEPT


def test_restore_writes_a_versions_files_and_drops_dialplan_files_it_did_not_have(tmp_path: Path) -> None:
    """Rollback's files: the version's YAML exactly; other files (scripted checks) are left alone."""
    (tmp_path / "hotline.yaml").write_text("new", encoding="utf-8")
    (tmp_path / "extra.yaml").write_text("added later", encoding="utf-8")
    (tmp_path / "checks.yaml").write_text("checks", encoding="utf-8")
    assert restore({"hotline.yaml": "old"}, tmp_path) == ["hotline.yaml"]
    assert snapshot(tmp_path) == {"hotline.yaml": "old"}
    assert (tmp_path / "checks.yaml").read_text(encoding="utf-8") == "checks"
