"""`hotline status`: every skill group and every operator, live, refreshing in place in a terminal.

`collect` reads one consistent-enough picture from Redis (the engine's live state of the queues and
channels, the operators' presence, today's call counts, the open callback requests) and builds a
`hotline.status_view.StatusView`; the drawing is `status_view`'s. `run` prints it once (`--once`, as
text or `--json`) or redraws it every `--every` seconds with ANSI "home + clear" until Ctrl-C. Nothing
here talks to Asterisk: the engine's mirror in Redis is the source, so the command is cheap to leave
running, and says so when that mirror may be stale (no engine running) or absent.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Callable, Mapping
from typing import Final, TextIO

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from hotline import constants as c
from hotline.admin_redis import admin_redis, unreachable
from hotline.callbacks.store import CallbackStore
from hotline.dialplan import load_dialplan
from hotline.dialplan.model import Dialplan
from hotline.errors import AmiNotConnected
from hotline.settings import Settings
from hotline.status_view import StatusView, build, render_text, to_json
from router.ami_wire import Message
from router.calls_today import CallsToday
from router.presence import Presence
from router.state import LiveState

HOME_AND_CLEAR: Final = "\x1b[H\x1b[2J"  # cursor home, erase the screen: redraw in place, no curses
NO_STATE: Final = (
    "no live state in Redis: no engine has connected to Asterisk since Redis started "
    "(start it with `hotline serve`, or the whole sandbox with `sudo hotline sandbox up`)"
)
MAYBE_STALE: Final = (
    "the engine keeps this state current from Asterisk's events; if no engine is running, it is only "
    "as recent as the line above says"
)
NO_ENGINE: Final = (
    f"NO ENGINE IS RUNNING (none has reported in the last {c.ENGINE_ALIVE_TTL} s): the calls, waits and "
    "operators below are what the last engine saw before it stopped, and may be long over. Start it with "
    "`hotline serve`"
)


class _NoAmi:
    """The presence is only read here: any attempt to change Asterisk through it is a bug."""

    async def send_action(self, action: Mapping[str, str]) -> Message:
        raise AmiNotConnected("hotline status only reads; it never sends AMI actions")

    async def send_list_action(self, action: Mapping[str, str]) -> list[Message]:
        raise AmiNotConnected("hotline status only reads; it never sends AMI actions")


async def collect(redis: Redis, dialplan: Dialplan, *, clock: Callable[[], float] = time.time) -> StatusView:
    """Everything `hotline status` shows, read from Redis now."""
    state = LiveState(redis, clock=clock)
    queues = await state.queues()
    calls = await state.calls()
    meta = await state.meta()
    presence = await Presence(redis, _NoAmi(), lambda: dialplan, clock=clock).states()
    calls_today = await CallsToday(redis, lambda: dialplan, clock=clock).counts()
    store = CallbackStore(redis, clock=clock)
    open_callbacks = {g: await store.open_count(g) for g in dialplan.skill_groups}
    rebuilt = meta.get("resynced_at", "")
    engines = [key async for key in redis.scan_iter(match=c.KEY_ENGINE_ALIVE.format(owner="*"), count=100)]
    freshness = MAYBE_STALE if engines else NO_ENGINE
    notes = [NO_STATE] if not meta and not queues else [freshness]
    return build(
        dialplan,
        queues,
        calls,
        presence,
        calls_today,
        open_callbacks,
        now=clock(),
        state_rebuilt_at=float(rebuilt) if rebuilt else None,
        notes=notes,
    )


def draw(view: StatusView, *, as_json: bool) -> str:
    return json.dumps(to_json(view), ensure_ascii=False, indent=2) if as_json else render_text(view)


async def run(
    args: argparse.Namespace,
    redis: Redis,
    dialplan: Dialplan,
    *,
    out: TextIO = sys.stdout,
    clock: Callable[[], float] = time.time,
) -> int:
    """Print the status once (`args.once`, or `--json`), or redraw it in place every `args.every` s
    until interrupted. A Redis that cannot be reached is a HotlineError saying to start the sandbox."""
    try:
        if args.once or args.json:
            out.write(draw(await collect(redis, dialplan, clock=clock), as_json=args.json) + "\n")
            return 0
        while True:
            text = draw(await collect(redis, dialplan, clock=clock), as_json=False)
            out.write(f"{HOME_AND_CLEAR}{text}\n\n(refreshing every {args.every:g}s; Ctrl-C to quit)\n")
            out.flush()
            await asyncio.sleep(args.every)
    except (RedisConnectionError, RedisTimeoutError) as exc:
        raise unreachable(redis, exc) from exc
    except RedisError as exc:
        raise unreachable(redis, exc) from exc


async def main(settings: Settings, args: argparse.Namespace) -> int:
    """`hotline status`: the dialplan (groups, operators, time zone), a client of the sandbox's Redis."""
    dialplan = load_dialplan(settings.dialplan_path)
    redis = admin_redis(settings, dialplan.operators, "hotline status")
    try:
        return await run(args, redis, dialplan)
    finally:
        await redis.aclose()
