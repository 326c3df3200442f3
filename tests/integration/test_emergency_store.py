"""Emergency mode against a real Redis: on, off, the end by TTL, the log, and `hotline emergency`."""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path

import pytest
import structlog
from redis.asyncio import Redis

from hotline import constants as c
from hotline.dialplan import load_dialplan
from hotline.emergency.model import Announcement, Event
from hotline.emergency.store import EmergencyStore
from hotline.emergency_cli import run
from hotline.errors import EmergencyError
from hotline.settings import Settings

DEFAULT = Path(__file__).resolve().parents[2] / "dialplans" / "hotline.yaml"


def announcement(until_in: float, text: str = "Нет отопления") -> Announcement:
    now = time.time()
    return Announcement("a1", text, "ru", "/s/emergency/em-1", "heating", now, now + until_in, "cli:test")


async def test_on_sets_the_announcement_with_its_expiry_as_ttl(redis: Redis) -> None:
    """The key lives until the expiry; status reads it back; the log has the `on`."""
    store = EmergencyStore(redis)
    a = announcement(3600)
    await store.turn_on(a)
    assert await store.current() == a
    assert 3590_000 < await redis.pttl(c.KEY_EMERGENCY) <= 3600_000
    [entry] = await store.history()
    assert (entry.event, entry.by, entry.announcement) == (Event.ON, "cli:test", a)


async def test_off_ends_it_and_is_logged_once(redis: Redis) -> None:
    """Off removes it and logs who; a second off changes and logs nothing."""
    store = EmergencyStore(redis)
    await store.turn_on(announcement(3600))
    with structlog.testing.capture_logs() as logs:
        assert (await store.turn_off("phone:op1")) is not None
        assert await store.turn_off("phone:op1") is None
    assert await store.current() is None
    assert [(e.event, e.by) for e in await store.history()] == [
        (Event.ON, "cli:test"),
        (Event.OFF, "phone:op1"),
    ]
    assert [e["event"] for e in logs] == ["emergency.off"]


async def test_it_ends_by_itself_and_the_expiry_is_logged_once(redis: Redis) -> None:
    """After the TTL nobody hears it; the first reader logs `expired`, stamped at the expiry."""
    store = EmergencyStore(redis)
    a = announcement(1.0)
    await store.turn_on(a)
    await asyncio.sleep(1.3)
    with structlog.testing.capture_logs() as logs:
        assert await store.current() is None
        assert await store.current() is None
    history = await store.history()
    assert [e.event for e in history] == [Event.ON, Event.EXPIRED]
    assert history[-1].at == a.until
    assert [e["event"] for e in logs] == ["emergency.expired"]


def args(action: str, **options: object) -> argparse.Namespace:
    base: dict[str, object] = {
        "text": None,
        "until": None,
        "for_": None,
        "group": None,
        "lang": None,
        "n": 20,
    }
    return argparse.Namespace(action=action, **(base | options))


async def test_the_cli_turns_it_on_and_off_and_shows_the_log(
    redis: Redis, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`on` speaks the text into a file under the sandbox's root and says what callers hear until when;
    `status`, `off` and `log` follow."""
    dialplan = load_dialplan(DEFAULT)
    settings = Settings.from_env({"HOTLINE_CACHE_DIR": str(tmp_path)})
    spoken: list[tuple[str, str, Path]] = []

    def synthesize(text: str, language: str, dest: Path) -> float:
        spoken.append((text, language, dest))
        return 3.0

    on = args("on", text="Авария на теплотрассе в районе 5, восстановим к 18:00", for_="3h", group="heating")
    assert await run(on, redis, dialplan, settings, synthesize=synthesize) == 0
    out = capsys.readouterr().out
    assert "Emergency mode is ON until" in out
    assert "press 1 to be called back by heating" in out
    [(text, language, dest)] = spoken
    assert (text, language) == ("Авария на теплотрассе в районе 5, восстановим к 18:00", "ru")
    assert dest.is_relative_to(settings.asterisk_root)
    assert dest.parent.name == "emergency"
    await run(args("status"), redis, dialplan, settings)
    assert "left." in capsys.readouterr().out
    await run(args("off"), redis, dialplan, settings)
    assert "Emergency mode is off" in capsys.readouterr().out
    await run(args("log"), redis, dialplan, settings)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[3] for line in lines] == ["off", "on"]


async def test_the_cli_refuses_an_expiry_beyond_a_week(redis: Redis, tmp_path: Path) -> None:
    """Nothing is spoken or stored."""
    dialplan = load_dialplan(DEFAULT)
    settings = Settings.from_env({"HOTLINE_CACHE_DIR": str(tmp_path)})
    with pytest.raises(EmergencyError, match="more than 7 days"):
        await run(args("on", text="x", for_="8d"), redis, dialplan, settings, synthesize=lambda *a: 1.0)
    assert await redis.exists(c.KEY_EMERGENCY) == 0
