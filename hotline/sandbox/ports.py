"""Free loopback ports for the sandbox's throwaway servers and SIPp phones."""

from __future__ import annotations

import random
import socket
import time

from hotline.errors import SandboxError


def free_tcp_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


# SIPp's ports come from below the kernel's ephemeral range (32768 and up on Linux), so that no other
# program's bind to port 0 takes one between our check and SIPp's own bind, and a port handed out is not
# handed out again for a while: twenty SIPp processes started at once each get ports of their own.
_SIGNALLING = range(20000, 26000)
_MEDIA = range(26000, 32000, 4)  # RTP, RTCP, and SIPp's video pair above them
_REUSE_AFTER = 300.0  # seconds before a port handed out may be handed out again
_given: dict[int, float] = {}
_pick = random.Random()  # noqa: S311 - spreading test ports, not a secret


def _bindable(host: str, ports: range) -> bool:
    sockets = []
    try:
        for port in ports:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sockets.append(s)
            s.bind((host, port))
    except OSError:
        return False
    finally:
        for s in sockets:
            s.close()
    return True


def _hand_out(host: str, candidates: range, width: int, what: str) -> int:
    now = time.monotonic()
    for _ in range(500):
        port = _pick.choice(candidates)
        if now - _given.get(port, -_REUSE_AFTER) < _REUSE_AFTER:
            continue
        if _bindable(host, range(port, port + width)):
            _given[port] = now
            return port
    raise SandboxError(f"no free UDP port for SIPp {what} on {host}")


def free_udp_port(host: str = "127.0.0.1") -> int:
    """A UDP port for a SIPp phone's signalling."""
    return _hand_out(host, _SIGNALLING, 1, "signalling")


def free_udp_port_pair(host: str = "127.0.0.1") -> int:
    """A port divisible by 4 with the three above it free too (audio RTP and RTCP, then SIPp's video
    pair), for SIPp's media port."""
    return _hand_out(host, _MEDIA, 4, "media")
