"""The Redis client of the admins' and supervisors' commands (`hotline callbacks`, `reload`, ...).

A person at a terminal is told at once, in words that say what to do, when Redis is not there or
refuses the password, instead of waiting through the engine's retries.
"""

from __future__ import annotations

from collections.abc import Iterable

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import AuthenticationError, AuthorizationError

from hotline.errors import HotlineError
from hotline.secrets import load_or_create
from hotline.settings import Settings

CONNECT_TIMEOUT = 5.0  # seconds to reach Redis before saying it is not there
RETRIES = 1  # at once, without backoff: a supervisor at a terminal is told quickly that Redis is down
SANDBOX_HINT = "is the sandbox up? Start it with `sudo hotline sandbox up`"


def admin_redis(settings: Settings, operator_ids: Iterable[str], command: str) -> Redis:
    """A client of the sandbox's Redis with the password from the secrets. `command` is how the user
    ran it (`hotline reload`), for the hint when the secrets cannot be read."""
    try:
        password = load_or_create(settings.state_dir, operator_ids).redis
    except (HotlineError, OSError) as exc:
        cause = exc if isinstance(exc, OSError) else exc.__cause__
        if isinstance(cause, PermissionError):
            raise HotlineError(
                f"cannot read the hotline's secrets in {settings.state_dir} ({cause.strerror}): run the "
                f"command as root, e.g. `sudo {command}`"
            ) from exc
        raise
    return Redis(
        host=settings.redis_address,
        port=settings.redis_port,
        password=password,
        decode_responses=True,
        socket_connect_timeout=CONNECT_TIMEOUT,
        retry=Retry(NoBackoff(), RETRIES),
    )


def unreachable(redis: Redis, exc: Exception) -> HotlineError:
    """A Redis that cannot be reached or will not let us in, as a message that says what to do."""
    kwargs = redis.connection_pool.connection_kwargs
    where = f"{kwargs.get('host', '?')}:{kwargs.get('port', '?')}"
    if isinstance(exc, (AuthenticationError, AuthorizationError)):
        return HotlineError(
            f"Redis at {where} refused the hotline's password ({exc}): it is not the sandbox's Redis, "
            f"or it was started with other secrets; {SANDBOX_HINT}"
        )
    return HotlineError(f"cannot reach Redis at {where} ({exc}): {SANDBOX_HINT}")
