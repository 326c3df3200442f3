"""`hotline emergency on | off | status | log`: the announcement every caller hears before the menus.

Like `hotline callbacks`: the `format_*` functions are pure; `run` does the work on a Redis client it is
given (tests hand it the real test server's) and a synthesizer it is given (tests pass a fake one); `main`
builds both from the settings. Times are shown in the hotline's time zone.

`on` speaks the text with espeak-ng through the prompts' pipeline into a new WAV file beside the prompts
as Asterisk sees them (`hotline.emergency.sound`), then stores the announcement with its expiry.
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import os
import secrets
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from zoneinfo import ZoneInfo

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from hotline.admin_redis import admin_redis, unreachable
from hotline.callbacks_cli import duration
from hotline.dialplan import load_dialplan
from hotline.dialplan.model import Dialplan
from hotline.emergency.model import Announcement, LogEntry, expiry
from hotline.emergency.sound import new_sound, on_host, synthesize_to
from hotline.emergency.store import EmergencyStore
from hotline.errors import EmergencyError
from hotline.settings import Settings

Synthesize = Callable[[str, str, Path], float]  # text, language, WAV file -> seconds
MAX_TEXT = 1000  # characters: about a minute and a half of speech


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The `emergency` subcommand's actions and options."""
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    q = actions.add_parser(
        "on",
        help="turn emergency mode on with a text (spoken by espeak-ng)",
        description="Every caller first hears TEXT, then `em_callback_offer` (1: be called back by "
        "--group when there is news). It replaces any announcement on now and ends by itself at its "
        "expiry: --until (local time of the hotline) or --for, at most 7 days away.",
    )
    q.add_argument("--text", required=True, help="what callers hear, in the --lang language")
    when = q.add_mutually_exclusive_group(required=True)
    when.add_argument("--until", metavar="HH:MM", help="18:00 (the next 18:00) or '2026-11-22 18:00'")
    when.add_argument("--for", dest="for_", metavar="SPAN", help="3h, 90m, 1h30m, 2d")
    q.add_argument("--group", metavar="G", help="the skill group that calls back (default: the YAML's)")
    q.add_argument("--lang", metavar="CODE", help="the text's language (default: hotline.language)")
    actions.add_parser("off", help="turn emergency mode off now", description="Callers go to the menus.")
    actions.add_parser("status", help="is emergency mode on, with what and until when")
    q = actions.add_parser("log", help="every on, off and expiry, last first", description="From Redis.")
    q.add_argument("-n", type=int, default=20, metavar="N", help="how many entries (default: 20)")


# --- pure: text ------------------------------------------------------------------------------------------


def _local(ts: float, tz: ZoneInfo) -> str:
    return dt.datetime.fromtimestamp(ts, tz).strftime("%a %Y-%m-%d %H:%M")


def _words(a: Announcement) -> str:
    return f'"{a.text}"' if a.text else f"a recording made on a phone ({a.sound}.wav)"


def format_on(a: Announcement, now: float, tz: ZoneInfo) -> str:
    return "\n".join(
        [
            f"Emergency mode is ON until {_local(a.until, tz)} ({tz.key}), in {duration(a.until - now)}.",
            f"Every caller now hears first: {_words(a)}",
            f"then: press 1 to be called back by {a.group} when there is news; other keys go to the menus.",
            "Turn it off earlier with `hotline emergency off`.",
        ]
    )


def format_status(a: Announcement | None, now: float, tz: ZoneInfo) -> str:
    if a is None:
        return "Emergency mode is off: callers go straight to the menus."
    return "\n".join(
        [
            f"Emergency mode is ON until {_local(a.until, tz)} ({tz.key}), {duration(a.until - now)} left.",
            f"Announcement ({a.language}): {_words(a)}",
            f"Callback group: {a.group}. Turned on {_local(a.set_at, tz)} by {a.set_by}.",
        ]
    )


def format_off(a: Announcement | None, tz: ZoneInfo) -> str:
    if a is None:
        return "Emergency mode was not on: nothing changed."
    return (
        f"Emergency mode is off: callers go straight to the menus (it was on since {_local(a.set_at, tz)}, "
        f"by {a.set_by})."
    )


def format_log(entries: Sequence[LogEntry], tz: ZoneInfo) -> str:
    if not entries:
        return "No emergency mode yet."
    lines = []
    for e in reversed(entries):  # last first
        a = e.announcement
        until = f"until {_local(a.until, tz)}" if e.event.value == "on" else ""
        lines.append(
            f"{_local(e.at, tz)}  {e.event.value:<7}  {e.by:<16}  {until:<26}  {a.group:<10}  {_words(a)}"
        )
    return "\n".join(line.rstrip() for line in lines)


# --- the work -------------------------------------------------------------------------------------------


def who_am_i() -> str:
    """`cli:<user>`: the user behind sudo when there is one."""
    return "cli:" + (os.environ.get("SUDO_USER") or getpass.getuser())


async def run(
    args: argparse.Namespace,
    redis: Redis,
    dialplan: Dialplan,
    settings: Settings,
    *,
    synthesize: Synthesize = synthesize_to,
    clock: Callable[[], float] = time.time,
) -> int:
    """Run `hotline emergency ACTION` and print its output; 0 when done. EmergencyError for a refused
    `on`; HotlineError (saying to start the sandbox) when Redis cannot be reached."""
    store = EmergencyStore(redis, clock=clock)
    tz = ZoneInfo(dialplan.hotline.timezone)
    try:
        if args.action == "on":
            announcement = _announcement(args, dialplan, settings, clock(), tz, synthesize)
            await store.turn_on(announcement)
            text = format_on(announcement, clock(), tz)
        elif args.action == "off":
            text = format_off(await store.turn_off(who_am_i()), tz)
        elif args.action == "status":
            text = format_status(await store.current(), clock(), tz)
        else:
            await store.current()  # logs an expiry nobody noticed yet
            text = format_log(await store.history(max(1, args.n)), tz)
    except (RedisConnectionError, RedisTimeoutError) as exc:
        raise unreachable(redis, exc) from exc
    print(text)
    return 0


def _announcement(
    args: argparse.Namespace,
    dialplan: Dialplan,
    settings: Settings,
    now: float,
    tz: ZoneInfo,
    synthesize: Synthesize,
) -> Announcement:
    """Check the options, speak the text into its file and make the announcement (not stored yet)."""
    policy = dialplan.emergency
    if policy is None:
        raise EmergencyError(
            "the dialplan has no `emergency:` section: add one (docs/dialplan.md, Emergency mode), "
            "with its prompts, then `hotline check`"
        )
    until = expiry(now, tz, until=args.until, for_=args.for_)
    text = " ".join(args.text.split())
    if not text or len(text) > MAX_TEXT:
        raise EmergencyError(f"--text: give the words callers hear, at most {MAX_TEXT} characters")
    language = args.lang or dialplan.hotline.language
    if language not in dialplan.hotline.languages:
        raise EmergencyError(
            f"--lang {language!r}: the dialplan's languages are " + ", ".join(dialplan.hotline.languages)
        )
    group = args.group or policy.callback_group or dialplan.hotline.general_group
    if group not in dialplan.skill_groups:
        raise EmergencyError(f"--group {group!r}: the skill groups are " + ", ".join(dialplan.skill_groups))
    sound = new_sound(settings.asterisk_sounds_dir, now)
    synthesize(text, language, on_host(settings.asterisk_root, sound))
    return Announcement(secrets.token_hex(8), text, language, sound, group, now, until, who_am_i())


# --- the command line's way in --------------------------------------------------------------------------


async def main(settings: Settings, args: argparse.Namespace) -> int:
    """`hotline emergency`: the dialplan, the Redis password from the secrets, the sandbox's Redis."""
    dialplan = load_dialplan(settings.dialplan_path)
    redis = admin_redis(settings, dialplan.operators, "hotline emergency status")
    try:
        return await run(args, redis, dialplan, settings)
    finally:
        await redis.aclose()
