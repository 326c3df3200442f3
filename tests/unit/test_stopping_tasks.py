"""Stopping background tasks: a lost cancellation never hangs a shutdown."""

from __future__ import annotations

import asyncio

from structlog.testing import capture_logs

from hotline import tasks


async def loop_that_logs_errors_and_carries_on(swallow: list[int], passes: list[int]) -> None:
    """Like the engine's loops, with a library that turns the first `swallow[0]` cancellations into an
    ordinary error (the loop logs it and carries on)."""
    while True:
        passes.append(1)
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            if swallow[0] <= 0:
                raise
            swallow[0] -= 1


async def test_a_task_that_lost_one_cancellation_is_cancelled_again_until_it_ends() -> None:
    passes: list[int] = []
    task = asyncio.create_task(loop_that_logs_errors_and_carries_on([2], passes))
    await asyncio.sleep(0)

    stopped = await tasks.stop([task], what="test loop", grace=30, every=0.01)

    assert stopped
    assert task.cancelled()
    assert len(passes) == 3  # it went round twice more before a cancellation reached it


async def test_a_task_that_never_lets_go_is_left_behind_with_an_error_naming_it() -> None:
    swallow = [10**9]
    task = asyncio.create_task(loop_that_logs_errors_and_carries_on(swallow, []), name="stubborn")
    await asyncio.sleep(0)
    with capture_logs() as logs:
        stopped = await tasks.stop([task], what="test loop", grace=0.05, every=0.01)

    assert not stopped
    assert not task.done()
    [error] = [e for e in logs if e["event"] == "task.ignores_cancel"]
    assert (error["log_level"], error["what"], error["tasks"]) == ("error", "test loop", ["stubborn"])
    swallow[0] = 0  # the test's own cleanup: now it lets go
    task.cancel()
    await asyncio.wait([task])


async def test_an_error_a_task_ended_with_is_not_raised_by_stop() -> None:
    async def fails() -> None:
        raise RuntimeError("it broke while closing")

    task = asyncio.create_task(fails())
    await asyncio.sleep(0)

    assert await tasks.stop([task, None], what="test", grace=1)
    assert isinstance(task.exception(), RuntimeError)


async def test_nothing_to_stop_returns_at_once() -> None:
    assert await tasks.stop([], what="nothing")
    assert await tasks.stop([None], what="nothing")
