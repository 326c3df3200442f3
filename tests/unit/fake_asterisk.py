"""A fake Asterisk for FastAGI tests: Asterisk's end of one connection over a real TCP socket, and a
helper that runs one scripted call through the real FastAgiServer.

It plays Asterisk's side from a script: it checks each command line the engine writes and answers with
the bytes res_agi.c would send, optionally one byte per write to exercise fragmented reads.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ivr.channel import AgiChannel
from ivr.server import FastAgiServer

ENV_22 = (Path(__file__).parent / "agi_transcripts" / "asterisk22_env.bin").read_bytes()
DEAD = b"511 Command Not Permitted on a dead channel or intercept routine\n"


class FakeAsterisk:
    """Asterisk's end of one FastAGI connection, over a real TCP socket."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, chunk: int | None) -> None:
        self.reader, self.writer, self.chunk = reader, writer, chunk

    @classmethod
    async def connect(cls, port: int, *, chunk: int | None = None, env: bytes = ENV_22) -> FakeAsterisk:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        fake = cls(reader, writer, chunk)
        await fake.send(env)
        return fake

    async def send(self, data: bytes) -> None:
        step = self.chunk or len(data) or 1
        for start in range(0, len(data), step):
            self.writer.write(data[start : start + step])
            await self.writer.drain()
            for _ in range(3):  # a few loop turns, so the engine reads this piece on its own
                await asyncio.sleep(0)

    async def command(self) -> bytes:
        """The next command line the engine wrote."""
        return await self.reader.readline()

    async def expect(self, line: bytes, reply: bytes) -> None:
        assert await self.command() == line
        await self.send(reply)

    async def expect_eof(self) -> None:
        assert await self.reader.read() == b""

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError):  # the engine may have reset it first
            await self.writer.wait_closed()


async def settle(server: FastAgiServer) -> None:
    """Wait until every connection task has ended (the fake may see EOF before its task is done), then
    check that nothing is left behind."""
    if server.tasks:
        await asyncio.wait(server.tasks)
    assert server.active_calls == 0
    assert server.tasks == frozenset()


async def scripted_call(
    handler: Callable[[AgiChannel], Awaitable[None]], reply: Callable[[str], str], *, env: bytes = ENV_22
) -> None:
    """One FastAGI call to the real server running `handler`: the fake Asterisk answers each command with
    `reply(command)` until the engine hangs up; returns once every connection task has ended."""
    async with FastAgiServer(handler, port=0) as server:
        fake = await FakeAsterisk.connect(server.port, env=env)
        try:
            while line := await fake.command():
                await fake.send(reply(line.decode()).encode())
        finally:
            await fake.close()
        await settle(server)


@dataclass
class Outcome:
    """What the handler saw, for the test to assert on after the call."""

    values: list[Any] = field(default_factory=list)
    error: BaseException | None = None


async def call(
    body: Callable[[AgiChannel, Outcome], Awaitable[None]],
    script: list[tuple[bytes, bytes]],
    *,
    chunk: int | None = None,
    **server_options: Any,
) -> Outcome:
    """Run one call: the handler runs `body`; the fake Asterisk answers each expected command in turn.

    The handler's exception (CallHangup included) is kept in `outcome.error` and re-raised to the server.
    """
    outcome = Outcome()

    async def handler(channel: AgiChannel) -> None:
        try:
            await body(channel, outcome)
        except BaseException as exc:
            outcome.error = exc
            raise

    async with FastAgiServer(handler, port=0, **server_options) as server:
        fake = await FakeAsterisk.connect(server.port, chunk=chunk)
        try:
            for line, reply in script:
                await fake.expect(line, reply)
            await fake.expect_eof()
        finally:
            await fake.close()
        await settle(server)
    return outcome
