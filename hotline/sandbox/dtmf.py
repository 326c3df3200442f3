"""DTMF key presses as RFC 4733 telephone-events in pcap files, for SIPp's `play_pcap_audio`.

The pcaps Debian's sip-tester ships were cut from one recorded session: each digit has fixed RTP
sequence numbers and timestamps, so a call that presses 6 then 1 (or the same key twice) sends packets
that go backwards, and Asterisk rightly drops them as old or duplicate. These files continue one RTP
stream across the whole call: every press gets later sequence numbers and a later timestamp.
"""

from __future__ import annotations

import struct
from pathlib import Path

EVENT_CODES = {**{str(d): d for d in range(10)}, "*": 10, "#": 11}
PAYLOAD_TYPE = 101  # telephone-event/8000, as the SIPp scenarios offer it
PACKET_MS = 20
TONE_PACKETS = 10  # 200 ms of tone
END_PACKETS = 3  # the end of an event is sent three times (RFC 4733, 2.5.1.4)
VOLUME = 10  # -10 dBm0
SSRC = 0x48_4C_49_4E  # "HLIN"
_SRC = (bytes([10, 0, 0, 2]), 40000)  # SIPp rewrites addresses and ports when it plays the file
_DST = (bytes([10, 0, 0, 1]), 10000)


def _checksum(header: bytes) -> int:
    total: int = sum(struct.unpack(f"!{len(header) // 2}H", header))
    while total > 0xFFFF:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def _frame(rtp: bytes) -> bytes:
    """Ethernet + IPv4 + UDP around one RTP packet."""
    udp = struct.pack("!HHHH", _SRC[1], _DST[1], 8 + len(rtp), 0) + rtp
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0, _SRC[0], _DST[0])
    ip = ip[:10] + struct.pack("!H", _checksum(ip)) + ip[12:]
    return b"\x00\x11\x22\x33\x44\x55" + b"\x66\x77\x88\x99\xaa\xbb" + b"\x08\x00" + ip + udp


def press(key: str, index: int) -> bytes:
    """The pcap of the `index`-th key press of a call (0-based)."""
    event = EVENT_CODES[key]
    seq0 = 1000 + index * (TONE_PACKETS + END_PACKETS + 7)
    timestamp = 8000 * (1 + index * 2)  # a later event start for every press
    samples = 8 * PACKET_MS
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]  # pcap header, Ethernet
    packets: list[tuple[int, int, bool, bool]] = []  # (seq, duration, marker, end)
    for i in range(TONE_PACKETS):
        packets.append((seq0 + i, samples * (i + 1), i == 0, False))
    last = seq0 + TONE_PACKETS
    packets += [(last, samples * TONE_PACKETS, False, True)] * END_PACKETS
    for n, (seq, duration, marker, end) in enumerate(packets):
        header = struct.pack(
            "!BBHII", 0x80, (0x80 if marker else 0) | PAYLOAD_TYPE, seq & 0xFFFF, timestamp, SSRC
        )
        payload = struct.pack("!BBH", event, (0x80 if end else 0) | VOLUME, min(duration, 0xFFFF))
        frame = _frame(header + payload)
        usec = min(n, TONE_PACKETS) * PACKET_MS * 1000
        out.append(struct.pack("<IIII", usec // 1_000_000, usec % 1_000_000, len(frame), len(frame)) + frame)
    return b"".join(out)


def write_presses(keys: str, dest: Path) -> list[Path]:
    """One pcap per key press, in order, in `dest`."""
    dest.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, key in enumerate(keys):
        if key not in EVENT_CODES:
            raise ValueError(f"not a DTMF key: {key!r}")
        path = dest / f"dtmf-{i:02d}.pcap"
        path.write_bytes(press(key, i))
        paths.append(path)
    return paths
