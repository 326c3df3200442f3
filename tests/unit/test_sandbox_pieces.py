"""Pure pieces of the sandbox: finding apt's Debian mirror, DTMF pcaps, citizens' SIPp scenarios, adding
the files Asterisk's own sounds lack to a root."""

from __future__ import annotations

import itertools
import struct
from collections.abc import Iterable
from pathlib import Path

import pytest

from hotline.errors import SandboxError
from hotline.prompts import BuiltPrompt
from hotline.sandbox.asterisk import AsteriskSandbox, resolve_inside
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


# --- Asterisk's own sound set, added to the root ----------------------------------------------------

SOUNDS = "usr/share/asterisk/sounds"


def debian_sounds(root: Path) -> Path:
    """A root laid out like Debian's sound packages: ru a relative link to the voice's directory (with
    1n, not 1f), en an absolute link through /etc/alternatives. Returns the Russian digits directory."""
    digits = root / SOUNDS / "ru_RU_f_IvrvoiceRU" / "digits"
    digits.mkdir(parents=True)
    for name in ("1.gsm", "1n.gsm", "2n.gsm"):
        (digits / name).write_bytes(b"packaged " + name.encode())
    (root / SOUNDS / "ru").symlink_to("ru_RU_f_IvrvoiceRU")
    (root / SOUNDS / "en_US_f_Allison" / "digits").mkdir(parents=True)
    (root / "etc/alternatives").mkdir(parents=True)
    (root / "etc/alternatives/asterisk-prompt-en").symlink_to("/" + SOUNDS + "/en_US_f_Allison")
    (root / SOUNDS / "en").symlink_to("/etc/alternatives/asterisk-prompt-en")
    return digits


def built_sound(built: Path, lang: str, name: str, data: bytes) -> BuiltPrompt:
    """A file of the sound set as the prompt builder reports it."""
    path = built / lang / f"{name}.wav"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return BuiltPrompt(name, lang, "synthesized", path, 0.5, True, in_sound_set=True)


def packaged_state(digits: Path, names: Iterable[str]) -> dict[str, tuple[bytes, int]]:
    """The bytes and modification time of each named file."""
    return {name: ((digits / name).read_bytes(), (digits / name).stat().st_mtime_ns) for name in names}


def test_the_sound_set_is_added_beside_the_packaged_russian_sounds_once(tmp_path: Path) -> None:
    """ru/digits/1f.wav and 2f.wav land in the voice's directory through the ru link; the packaged files
    are left as they were; a second run writes nothing, a rebuilt file is written again."""
    root = tmp_path / "root"
    digits = debian_sounds(root)
    packaged = packaged_state(digits, [p.name for p in digits.iterdir()])
    asterisk = AsteriskSandbox(root, "/sounds")
    sounds = [
        built_sound(tmp_path / "built", "ru", n, f"wav {n}".encode()) for n in ("digits/1f", "digits/2f")
    ]

    assert asterisk.install_sound_set(sounds) == ["ru/digits/1f", "ru/digits/2f"]

    assert sorted(p.name for p in digits.iterdir()) == ["1.gsm", "1f.wav", "1n.gsm", "2f.wav", "2n.gsm"]
    assert (root / SOUNDS / "ru" / "digits" / "1f.wav").read_bytes() == b"wav digits/1f"
    assert packaged_state(digits, packaged) == packaged
    written_at = (digits / "1f.wav").stat().st_mtime_ns

    assert asterisk.install_sound_set(sounds) == []
    assert (digits / "1f.wav").stat().st_mtime_ns == written_at

    rebuilt = built_sound(tmp_path / "built", "ru", "digits/1f", b"another voice")
    assert asterisk.install_sound_set([rebuilt, sounds[1]]) == ["ru/digits/1f"]
    assert (digits / "1f.wav").read_bytes() == b"another voice"
    assert not list(digits.glob(".*"))  # no temporary file left behind


def test_a_sound_file_a_debian_package_ships_is_never_replaced(tmp_path: Path) -> None:
    """Were a package to ship digits/1f.wav itself (dpkg lists it), it is kept and ours is not written."""
    root = tmp_path / "root"
    digits = debian_sounds(root)
    (digits / "1f.wav").write_bytes(b"packaged one")
    info = root / "var/lib/dpkg/info"
    info.mkdir(parents=True)
    (info / "asterisk-core-sounds-ru-gsm.list").write_text(f"/{SOUNDS}/ru_RU_f_IvrvoiceRU/digits/1f.wav\n")
    sounds = [built_sound(tmp_path / "built", "ru", n, b"ours") for n in ("digits/1f", "digits/2f")]

    assert AsteriskSandbox(root, "/sounds").install_sound_set(sounds) == ["ru/digits/2f"]

    assert (digits / "1f.wav").read_bytes() == b"packaged one"
    assert (digits / "2f.wav").read_bytes() == b"ours"


def test_absolute_links_in_the_root_are_followed_inside_it_never_on_the_host(tmp_path: Path) -> None:
    """sounds/en -> /etc/alternatives/... is the root's /etc, as Asterisk sees it in its chroot; '..'
    never climbs out of the root."""
    root = tmp_path / "root"
    debian_sounds(root)

    added = AsteriskSandbox(root, "/sounds").install_sound_set(
        [built_sound(tmp_path / "b", "en", "digits/1f", b"x")]
    )

    assert added == ["en/digits/1f"]
    assert (root / SOUNDS / "en_US_f_Allison" / "digits" / "1f.wav").read_bytes() == b"x"
    assert resolve_inside(root, f"{SOUNDS}/en/digits") == root / SOUNDS / "en_US_f_Allison" / "digits"
    assert resolve_inside(root, "usr/../../../../etc/alternatives") == root / "etc" / "alternatives"


def test_a_link_loop_in_the_root_is_an_error_not_a_hang(tmp_path: Path) -> None:
    """Two links pointing at each other stop the install with a clear error."""
    (tmp_path / "a").symlink_to("b")
    (tmp_path / "b").symlink_to("/a")

    with pytest.raises(SandboxError, match="too many symbolic links"):
        resolve_inside(tmp_path, "a/digits/1f.wav")
