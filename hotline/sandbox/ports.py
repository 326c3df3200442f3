"""Free loopback ports for the sandbox's throwaway servers and SIPp phones."""

from __future__ import annotations

import socket

from hotline.errors import SandboxError


def free_tcp_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def free_udp_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def free_udp_port_pair(host: str = "127.0.0.1") -> int:
    """An even port with the next one free too (RTP and RTCP), for SIPp's media port."""
    for _ in range(200):
        port = free_udp_port(host)
        port -= port % 2
        try:
            with (
                socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as a,
                socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as b,
            ):
                a.bind((host, port))
                b.bind((host, port + 1))
        except OSError:
            continue
        return port
    raise SandboxError("no free UDP port pair for SIPp media")
