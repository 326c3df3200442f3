"""Integration fixtures: a real redis-server on a free loopback port, and a client flushed per test.

The fake AMI server lives with the unit tests (tests/unit/fake_ami.py); its directory is put on sys.path
here so the Router tests can use it too.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "unit"))

START_GUARD = 10.0  # seconds for redis-server to answer PING: a guard against a hung test, not a speed bound


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _answers_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A throwaway redis-server (Debian's binary) on 127.0.0.1, no persistence; yields its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is not on PATH: install it with `apt-get install redis-server`")
    workdir = tmp_path_factory.mktemp("redis")
    logfile = workdir / "redis.log"
    for _attempt in range(3):  # the free port may be taken between probing and binding
        port = _free_port()
        process = subprocess.Popen(
            [
                binary,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(workdir),
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
                "--logfile",
                str(logfile),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + START_GUARD
        while process.poll() is None and time.monotonic() < deadline and not _answers_ping(port):
            time.sleep(0.05)
        if process.poll() is None and _answers_ping(port):
            break
        _stop(process)
    else:
        tail = logfile.read_text(errors="replace")[-2000:] if logfile.exists() else "(no log)"
        pytest.fail(f"redis-server did not start on 127.0.0.1; its log ends with:\n{tail}")
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        _stop(process)


@pytest.fixture
async def redis(redis_server: str) -> AsyncIterator[Redis]:
    """A client of the test server (decode_responses=True), on an empty database."""
    client = Redis.from_url(redis_server, decode_responses=True)
    await client.flushdb()
    yield client
    await client.aclose()
