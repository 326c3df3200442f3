"""Pure pieces of the sandbox: finding apt's Debian mirror, DTMF pcaps, citizens' SIPp scenarios."""

from __future__ import annotations

import itertools
import struct
from pathlib import Path

import pytest

from hotline.errors import SandboxError
from hotline.sandbox.dtmf import EVENT_CODES, press, write_presses
from hotline.sandbox.preflight import require_disk, require_root, require_tool
from hotline.sandbox.rootfs import debian_mirror
from hotline.sandbox.sipp import CitizenCall, Key


def apt_dir(tmp_path: Path, sources: str = "", legacy: str = "") -> Path:
    (tmp_path / "sources.list.d").mkdir()
    if sources:
        (tmp_path / "sources.list.d" / "debian.sources").write_text(sources)
    if legacy:
        (tmp_path / "sources.list").write_text(legacy)
    return tmp_path


def test_the_mirror_is_read_from_deb822_sources_skipping_security(tmp_path: Path) -> None:
    """Debian 12's debian.sources: the main archive, not the security one."""
    sources = (
        "Types: deb\nURIs: http://mirror.example/debian-security\nSuites: bookworm-security\n\n"
        "Types: deb\nURIs: http://mirror.example/debian\nSuites: bookworm bookworm-updates\n"
    )
    assert debian_mirror(apt_dir(tmp_path, sources=sources)) == "http://mirror.example/debian"


def test_the_mirror_is_read_from_a_one_line_sources_list(tmp_path: Path) -> None:
    """The older format works too, options in brackets included."""
    legacy = "# comment\ndeb [arch=amd64] http://mirror.example/debian bookworm main\n"
    assert debian_mirror(apt_dir(tmp_path, legacy=legacy)) == "http://mirror.example/debian"


def test_no_mirror_says_what_is_wrong(tmp_path: Path) -> None:
    """Not a Debian machine: a clear error rather than a debootstrap failure later."""
    with pytest.raises(SandboxError, match="no Debian mirror"):
        debian_mirror(apt_dir(tmp_path))


def rtp_packets(pcap: bytes) -> list[tuple[int, int, int, bool]]:
    """(sequence, timestamp, event, end) of every RTP packet in a pcap written by `press`."""
    packets, offset = [], 24
    while offset < len(pcap):
        length = struct.unpack_from("<I", pcap, offset + 8)[0]
        frame = pcap[offset + 16 : offset + 16 + length]
        rtp = frame[14 + 20 + 8 :]
        _, pt, seq, ts = struct.unpack_from("!BBHI", rtp)
        event, flags = rtp[12], rtp[13]
        assert pt & 0x7F == 101
        packets.append((seq, ts, event, bool(flags & 0x80)))
        offset += 16 + length
    return packets


def test_each_key_press_continues_the_rtp_stream(tmp_path: Path) -> None:
    """Pressing 6 then 1 then 1: later presses have later sequence numbers and timestamps, so Asterisk
    never takes one for an old or repeated packet."""
    paths = write_presses("611", tmp_path)
    presses = [rtp_packets(p.read_bytes()) for p in paths]
    assert [p[0][2] for p in presses] == [6, 1, 1]
    for earlier, later in itertools.pairwise(presses):
        assert later[0][0] > earlier[-1][0]
        assert later[0][1] > earlier[-1][1]
    assert all(end for *_, end in presses[0][-3:])  # the end of the event, sent three times
    assert not any(end for *_, end in presses[0][:-3])


def test_star_and_pound_are_events_10_and_11() -> None:
    """RFC 4733's codes for the two non-digit keys."""
    assert rtp_packets(press("*", 0))[0][2] == EVENT_CODES["*"] == 10
    assert rtp_packets(press("#", 0))[0][2] == 11


def test_a_citizen_scenario_plays_each_key_after_its_pause(tmp_path: Path) -> None:
    """The scenario waits, then plays the press's own pcap, for every key in order."""
    call = CitizenCall(caller="79161234567", keys=(Key("1", 2.0), Key("2", 1.5)))
    xml = call.scenario([tmp_path / "a.pcap", tmp_path / "b.pcap"])
    assert (
        xml.index('<pause milliseconds="2000"/>')
        < xml.index("a.pcap")
        < xml.index('<pause milliseconds="1500"/>')
        < xml.index("b.pcap")
    )
    assert "sip:79161234567@" in xml


def test_a_caller_number_that_is_not_digits_is_refused() -> None:
    """The number is written into SIP headers: nothing but digits (and a leading +) gets there."""
    with pytest.raises(ValueError, match="digits"):
        CitizenCall(caller="7916\r\nX: y").scenario([])


def test_not_root_says_to_use_sudo(monkeypatch: pytest.MonkeyPatch) -> None:
    """The sandbox needs root for debootstrap and chroot; the message says how to run it."""
    monkeypatch.setattr("os.geteuid", lambda: 1000)
    with pytest.raises(SandboxError, match=r"needs root .* `sudo \./run\.sh demo`"):
        require_root("`hotline sandbox up`")


def test_a_missing_tool_names_the_package_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    """No debootstrap on PATH: the error names the Debian package."""
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(SandboxError, match="apt-get install debootstrap"):
        require_tool("debootstrap", "debootstrap")


def test_too_little_disk_says_how_much_is_needed_and_where(tmp_path: Path) -> None:
    """Checked before debootstrap starts, on the nearest existing parent of the cache directory."""
    with pytest.raises(SandboxError, match=r"needs about 999999999 MB: free some disk space"):
        require_disk(tmp_path / "not" / "yet", 999_999_999)
