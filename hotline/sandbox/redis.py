"""Redis for the sandbox: Debian's redis-server on loopback, append-only persistence on, and an ACL: the
password's user reaches only the hotline's keys and no administrative command (the sandbox stops Redis
with a signal, never with SHUTDOWN).

`appendfsync everysec`: Redis fsyncs the append-only file once a second, so a crash of the machine
(not of Redis: a killed or restarted Redis loses nothing written) can lose at most about one second of
writes. The callback engine records a promise before it tells the citizen, so what such a crash could
lose is a promise not yet made.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from hotline.constants import REDIS_PREFIX
from hotline.errors import SandboxError
from hotline.sandbox.pidfile import live_pid
from hotline.sandbox.preflight import require_tool


class RedisSandbox:
    def __init__(self, state_dir: Path, host: str, port: int, password: str) -> None:
        self.dir = state_dir / "redis"
        self.host = host
        self.port = port
        self.password = password

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}{self.host}:{self.port}/0"

    @property
    def pidfile(self) -> Path:
        return self.dir / "redis.pid"

    def config(self) -> str:
        return "\n".join(
            [
                f"bind {self.host}",
                f"port {self.port}",
                "protected-mode yes",
                # the one user (the engine's, and the admin commands'): its password, the hotline's keys
                # only, no @dangerous command (CONFIG, MODULE, DEBUG, KEYS, FLUSHALL, SHUTDOWN...).
                # "" only for the integration tests' own servers.
                *(
                    [f"user default on >{self.password} ~{REDIS_PREFIX}* &* +@all -@dangerous"]
                    if self.password
                    else []
                ),
                f"dir {self.dir}",
                "daemonize yes",
                f"pidfile {self.pidfile}",
                f"logfile {self.dir / 'redis.log'}",
                'save ""',
                "appendonly yes",
                "appendfsync everysec",
                'appendfilename "hotline.aof"',
                "",
            ]
        )

    def ping(self) -> bool:
        """True if our Redis answers; SandboxError if something else holds the port."""
        # no retries: redis-py retries a refused connection with backoff by default (seconds per probe)
        client = redis.Redis(
            host=self.host,
            port=self.port,
            password=self.password,
            socket_timeout=1.0,
            retry=Retry(NoBackoff(), 0),
        )
        try:
            return bool(client.ping())
        except redis.AuthenticationError as exc:
            raise SandboxError(
                f"another Redis listens on {self.host}:{self.port} (the Debian service?): stop it with "
                "`service redis-server stop`, or give the sandbox another port with HOTLINE_REDIS_PORT"
            ) from exc
        except redis.ResponseError as exc:
            if "AUTH" in str(exc):
                raise SandboxError(
                    f"another Redis without a password listens on {self.host}:{self.port}: stop it with "
                    "`service redis-server stop`, or set HOTLINE_REDIS_PORT"
                ) from exc
            raise
        except (redis.ConnectionError, redis.TimeoutError):
            return False
        finally:
            client.close()

    def start(self, timeout: float = 20.0) -> None:
        if self.ping():
            return
        server = require_tool("redis-server", "redis-server")
        self.dir.mkdir(parents=True, exist_ok=True)
        self.dir.chmod(0o700)  # the append-only file holds citizens' numbers
        conf = self.dir / "redis.conf"
        fd = os.open(conf, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(self.config())
        subprocess.run(
            [server, str(conf)],
            check=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.ping():
                return
            time.sleep(0.1)
        raise SandboxError(f"Redis did not start within {timeout:.0f} s: read {self.dir / 'redis.log'}")

    def pid(self) -> int | None:
        return live_pid(self.pidfile)

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM: Redis flushes the append-only file and exits."""
        pid = self.pid()
        if pid is None:
            return
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.pid() == pid:
            time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL, as a crash would (no chance to flush anything more); returns once it no longer
        answers. For the durability tests: `start` brings it back from its append-only file."""
        pid = self.pid()
        if pid is None:
            return
        os.kill(pid, signal.SIGKILL)
        while self.ping():
            time.sleep(0.05)
