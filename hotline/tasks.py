"""Stopping the engine's background tasks without ever hanging its shutdown.

A cancellation can be lost: a library that catches it at the wrong moment (redis-py's asyncio client
has had such races, redis/redis-py#2028 and #2551) turns it into an ordinary error, and a loop that
logs errors and carries on then runs for ever, so `await task` after `task.cancel()` never returns.
That once held a test's engine shutdown for five minutes. `stop` cancels again every `every` seconds
until the task ends, and after `grace` seconds leaves it behind with an error log that names it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any, Final

from hotline.log import get_logger

log = get_logger("hotline.tasks")

DEFAULT_GRACE: Final = 5.0
RECANCEL_EVERY: Final = 0.5


async def stop(
    tasks: Iterable[asyncio.Task[Any] | None],
    *,
    what: str,
    grace: float = DEFAULT_GRACE,
    every: float = RECANCEL_EVERY,
) -> bool:
    """Cancel `tasks` and wait until they end, at most `grace` seconds; True when every one ended.

    An error a task ended with is logged at debug level, never raised: it was stopping anyway.
    """
    left = {task for task in tasks if task is not None}
    loop = asyncio.get_running_loop()
    deadline = loop.time() + grace
    while left:
        for task in left:
            task.cancel()
        remaining = deadline - loop.time()
        if remaining <= 0:
            break
        done, left = await asyncio.wait(left, timeout=min(every, remaining))
        for task in done:
            if not task.cancelled() and task.exception() is not None:
                log.debug(
                    "task.failed_while_stopping",
                    what=what,
                    task=task.get_name(),
                    error=repr(task.exception()),
                )
    if left:
        log.error(
            "task.ignores_cancel",
            what=what,
            tasks=sorted(task.get_name() for task in left),
            grace_s=grace,
            hint="left running: its loop swallowed the cancellation; the process exit ends it",
        )
        return False
    return True
