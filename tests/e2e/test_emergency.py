"""Emergency mode through the real Asterisk: an announcement turned on with the real `hotline emergency`
command is played by the chrooted Asterisk before the greeting, a citizen who presses 1 is registered for
a callback, and an operator's phone turns it off with the feature code and its PIN.

What Asterisk did is read from its AGI replies: a STREAM FILE of a file Asterisk cannot open answers
`result=-1 endpos=0`, one it played answers `result=0` (or the key) with `endpos` the samples played."""

from __future__ import annotations

import asyncio
import collections
import os
import sys
import wave
from dataclasses import dataclass
from pathlib import Path

import pytest
from harness import Call, Hotline, cancel_every_open_request, journal_of, new_caller, prompt_seconds
from structlog.testing import capture_logs

from hotline.callbacks.model import Source
from hotline.emergency.model import Announcement
from hotline.emergency.sound import emergency_dir, on_host
from hotline.emergency.store import EmergencyStore
from hotline.engine import Engine
from hotline.sandbox.sipp import CitizenCall, Key, OperatorDial, SippResult, place_operator_dial
from ivr.agi import AgiReply
from ivr.channel import AgiChannel

pytestmark = pytest.mark.e2e
# seconds a caller stays after the greeting, to hear the menu begin: room for a call whose engine
# starts playing a second or two late (a freshly started engine, a busy machine)
LISTEN_ROOM = 4.0

TEXT = "Внимание. Авария на теплотрассе в пятом районе, бригады работают. Тепло дадут к восемнадцати часам."


@dataclass(frozen=True)
class Played:
    """One media command Asterisk answered on a call: the sound's file name and Asterisk's reply."""

    command: str
    path: str
    reply: AgiReply

    @property
    def prompt(self) -> str:
        return self.path.rpartition("/")[2]


def media_commands(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[Played]]:
    """Every STREAM FILE, GET DATA and RECORD FILE the engine sent over FastAGI, with Asterisk's reply,
    by caller ID."""
    seen: dict[str, list[Played]] = collections.defaultdict(list)
    command = AgiChannel.command

    async def spy(
        channel: AgiChannel, name: str, *args: str | int, reply_timeout: float | None = None
    ) -> AgiReply:
        reply = await command(channel, name, *args, reply_timeout=reply_timeout)
        if name in ("STREAM FILE", "GET DATA", "RECORD FILE"):
            seen[channel.env.callerid].append(Played(name, str(args[0]), reply))
        return reply

    monkeypatch.setattr(AgiChannel, "command", spy)
    return seen


async def hotline_cli(hotline: Hotline, *args: str) -> str:
    """`python -m hotline.cli ARGS` as an administrator runs it (root, the same settings); its output."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "hotline.cli",
        *args,
        cwd=hotline.settings.project_dir,
        env=dict(os.environ),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 120)
    text = out.decode(errors="replace")
    assert proc.returncode == 0, f"hotline {' '.join(args)} exited {proc.returncode}:\n{text}"
    return text


def wav_samples(path: Path) -> int:
    with wave.open(str(path)) as w:
        assert w.getframerate() == 8000
        return int(w.getnframes())


async def test_an_announcement_turned_on_from_the_cli_is_played_by_asterisk_before_the_greeting(
    hotline: Hotline,
    cb_engine: Engine,
    emergency: EmergencyStore,
    call: Call,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`hotline emergency on --for 1h` writes a WAV that the chrooted Asterisk finds and plays to a
    citizen first, then the offer; 1 registers a callback request with source `emergency` for the
    announcement's group. After `hotline emergency off` the next caller hears the greeting and the menu."""
    heard = media_commands(monkeypatch)
    first, second = new_caller(), new_caller()
    wav: Path | None = None
    try:
        out = await hotline_cli(hotline, "emergency", "on", "--text", TEXT, "--for", "1h")
        assert "Emergency mode is ON" in out, out
        announcement = await emergency.current()
        assert announcement is not None
        assert announcement.sound.startswith(emergency_dir(hotline.settings.asterisk_sounds_dir) + "/")
        wav = on_host(hotline.settings.asterisk_root, announcement.sound)
        samples = wav_samples(wav)
        assert samples > 8000, f"{wav}: under a second of speech"
        # let the announcement play out, press 1 during the offer, then confirm the number read back
        # (2.5 s of room: the first call of a freshly started engine may start playing a second late)
        offer = samples / 8000 + 2.5
        # confirm while "press 1" is said or just after: the number read back is over by then
        confirm = prompt_seconds(hotline, "cb_confirm_intro") + 10.0
        keys = (Key("1", offer), Key("1", confirm))
        result = await call(CitizenCall(caller=first, keys=keys, wait_for_end=60))
        assert result.ok, result.errors or result.screen  # the engine said goodbye after the promise

        played = heard[first]
        assert [p.prompt for p in played[:2]] == [Path(announcement.sound).name, "em_callback_offer"], played
        reply = played[0].reply
        assert (reply.result, played[0].path) == ("0", announcement.sound), reply.raw  # played out
        assert int(reply.extras["endpos"]) >= samples * 0.9, reply.raw  # Asterisk found the file, all of it
        assert "greeting" not in [p.prompt for p in played]
        [request] = [r for r in await cb_engine.callbacks.list() if r.number == first]
        assert (request.source, request.group) == (Source.EMERGENCY, announcement.group)
        assert request.status.active
        record = await journal_of(cb_engine.journal, first)
        assert record.path == "emergency:1:chosen"

        out = await hotline_cli(hotline, "emergency", "off")
        assert "Emergency mode is off" in out, out
        assert await emergency.current() is None
        listen = prompt_seconds(hotline, "greeting") + LISTEN_ROOM
        result = await call(CitizenCall(caller=second, hang_up_after=listen))
        assert result.ok, result.errors or result.screen
        prompts = [p.prompt for p in heard[second]]
        main_menu = hotline.dialplan.menus[hotline.dialplan.entry.menu].prompt
        assert prompts[:2] == ["greeting", main_menu], prompts
        assert not any(p.startswith(("em-", "em_")) for p in prompts), prompts
        assert heard[second][0].reply.result == "0", heard[second][0].reply.raw
    finally:
        await emergency.turn_off("test")
        await cancel_every_open_request(cb_engine.callbacks)
        if wav is not None:
            wav.unlink(missing_ok=True)


# --- the feature code from an operator's phone -----------------------------------------------------------


async def dial_feature_code(
    hotline: Hotline, operator: str, keys: tuple[Key, ...], workdir: Path
) -> SippResult:
    """An operator's phone (digest auth with its generated password) dials the feature code, presses
    `keys` and waits for Asterisk to hang up."""
    assert hotline.dialplan.emergency is not None
    dial = OperatorDial(
        operator, hotline.secrets.operators[operator], hotline.dialplan.emergency.feature_code, keys
    )
    return await place_operator_dial(
        dial, asterisk=hotline.settings.host, port=hotline.settings.sip_port, workdir=workdir
    )


def typed(digits: str, first_after: float) -> tuple[Key, ...]:
    """`digits` then #, a key every 0.6 s, the first `first_after` seconds after the previous key."""
    return tuple(Key(d, first_after if i == 0 else 0.6) for i, d in enumerate(digits + "#"))


async def test_an_operator_turns_the_announcement_off_with_the_feature_code_and_the_pin(
    hotline: Hotline, engine: Engine, emergency: EmergencyStore, tmp_path: Path
) -> None:
    """An operator's phone dials the feature code, types the PIN and presses 2: emergency mode is off,
    logged as done from that operator's endpoint."""
    operator = next(iter(hotline.dialplan.operators))
    now = emergency.now()
    on = Announcement("e2e-off", "", "ru", "/nowhere/em-test", "general", now, now + 3600, "cli:test")
    await emergency.turn_on(on)
    keys = (*typed(hotline.secrets.emergency_pin, 2.0), Key("2", 2.0))
    with capture_logs() as logs:
        result = await dial_feature_code(hotline, operator, keys, tmp_path / "sipp")
    assert result.ok, result.errors or result.screen
    assert await emergency.current() is None
    events = [(e["event"], e.get("by")) for e in logs if e["event"].startswith("emergency.")]
    assert ("emergency.pin_accepted", operator) in events, events
    assert ("emergency.off", f"phone:{operator}") in events, events
    [last] = await emergency.history(1)
    assert (last.event.value, last.by, last.announcement.id) == ("off", f"phone:{operator}", "e2e-off")


async def test_three_wrong_pins_end_the_operators_call_and_the_announcement_stays_on(
    hotline: Hotline, engine: Engine, emergency: EmergencyStore, tmp_path: Path
) -> None:
    """After three wrong PINs the call is ended (Asterisk hangs up), a warning is logged, and the
    announcement is still on."""
    operator = next(iter(hotline.dialplan.operators))
    now = emergency.now()
    on = Announcement("e2e-stays", "", "ru", "/nowhere/em-test", "general", now, now + 3600, "cli:test")
    await emergency.turn_on(on)
    pin = hotline.secrets.emergency_pin
    wrong = "".join(str((int(d) + 1) % 10) for d in pin)
    again = prompt_seconds(hotline, "em_pin_wrong") + 1.5  # keys during em_pin_wrong are not read
    keys = (*typed(wrong, 2.0), *typed(wrong, again), *typed(wrong, again))
    with capture_logs() as logs:
        result = await dial_feature_code(hotline, operator, keys, tmp_path / "sipp")
    assert result.ok, result.errors or result.screen
    current = await emergency.current()
    assert current is not None
    assert current.id == "e2e-stays"
    refused = [e for e in logs if e["event"] == "emergency.pin_refused"]
    assert [(e["log_level"], e["by"], e["tries"]) for e in refused] == [("warning", operator, 3)]
    assert not [e for e in logs if e["event"] in ("emergency.pin_accepted", "emergency.off")]


async def test_an_announcement_recorded_on_an_operators_phone_is_written_where_asterisk_plays_it(
    hotline: Hotline,
    engine: Engine,
    emergency: EmergencyStore,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """PIN, 1, # after the tone, 1 to confirm: RECORD FILE succeeded into the announcements' directory
    inside the sandbox's root (which `hotline sandbox up` creates), Asterisk played the recording back
    from there, and it is the announcement turned on, by that operator's endpoint."""
    heard = media_commands(monkeypatch)
    operator = next(iter(hotline.dialplan.operators))
    after_tone = prompt_seconds(hotline, "em_record") + 2.5  # a key during em_record is not read
    keys = (*typed(hotline.secrets.emergency_pin, 2.0), Key("1", 2.0), Key("#", after_tone), Key("1", 2.0))
    recorded: Path | None = None
    try:
        result = await dial_feature_code(hotline, operator, keys, tmp_path / "sipp")
        assert result.ok, result.errors or result.screen
        announcement = await emergency.current()
        assert announcement is not None
        recorded = on_host(hotline.settings.asterisk_root, announcement.sound)
        assert announcement.set_by == f"phone:{operator}"
        assert announcement.sound.startswith(emergency_dir(hotline.settings.asterisk_sounds_dir) + "/")
        assert recorded.is_file()
        commands = [p for played in heard.values() for p in played]
        [record] = [p for p in commands if p.command == "RECORD FILE"]
        assert (record.path, record.reply.result) == (announcement.sound, str(ord("#"))), record.reply.raw
        [playback] = [p for p in commands if p.command == "STREAM FILE" and p.path == announcement.sound]
        assert playback.reply.result == "0", playback.reply.raw  # Asterisk opened the file it had written
    finally:
        if recorded is not None:
            recorded.unlink(missing_ok=True)


async def test_an_announcement_whose_file_asterisk_cannot_find_lets_the_caller_reach_the_menu(
    hotline: Hotline,
    engine: Engine,
    emergency: EmergencyStore,
    call: Call,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The real Asterisk answers STREAM FILE of a missing file with result=-1: the caller hears no offer
    and goes on to the greeting and the menu, not to the fallback."""
    heard = media_commands(monkeypatch)
    caller = new_caller()
    now = emergency.now()
    gone = emergency_dir(hotline.settings.asterisk_sounds_dir) + "/em-never-written"
    await emergency.turn_on(Announcement("e2e-gone", "", "ru", gone, "general", now, now + 3600, "cli:test"))
    listen = prompt_seconds(hotline, "greeting") + LISTEN_ROOM
    with capture_logs() as logs:
        result = await call(CitizenCall(caller=caller, hang_up_after=listen))
    assert result.ok, result.errors or result.screen
    played = heard[caller]
    assert (played[0].path, played[0].reply.result) == (gone, "-1"), played[0].reply.raw
    assert [p.prompt for p in played[1:3]] == [
        "greeting",
        hotline.dialplan.menus[hotline.dialplan.entry.menu].prompt,
    ], played
    assert [e["announcement"] for e in logs if e["event"] == "emergency.announcement_unplayable"] == [
        "e2e-gone"
    ]
