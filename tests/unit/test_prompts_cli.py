"""`hotline prompts add` and `hotline prompts list`, with real audio made by pydub and ffmpeg, and the real
espeak-ng for the prompts built from their texts."""

from __future__ import annotations

import dataclasses
import json
import wave
from pathlib import Path

import pytest
from dialplan_edits import DEFAULT
from pydub import AudioSegment
from pydub.generators import Sine

from hotline.cli import build_parser, main
from hotline.dialplan import load_dialplan
from hotline.dialplan.model import Dialplan, Prompt
from hotline.errors import PromptError
from hotline.prompts import GENERATED_DIR, MAX_SECONDS, TARGET_DBFS, build_prompts
from hotline.prompts.add import add_recording
from hotline.prompts.listing import list_prompts, shorten


@pytest.fixture(scope="module")
def default() -> Dialplan:
    return load_dialplan(DEFAULT)


@pytest.fixture
def sounds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The sounds directory of a project in tmp_path, which the CLI then uses, with the default YAML."""
    monkeypatch.setenv("HOTLINE_PROJECT_DIR", str(tmp_path))
    monkeypatch.setenv("HOTLINE_DIALPLAN_PATH", str(DEFAULT))
    return tmp_path / "sounds"


def recording(tmp_path: Path, name: str, fmt: str, *, seconds: int = 2, volume: float = -30.0) -> Path:
    """A 44.1 kHz stereo tone (between two silences) exported by ffmpeg in `fmt`, like an admin's file."""
    tone = Sine(440, sample_rate=44100).to_audio_segment(duration=1000 * seconds, volume=volume)
    silence = AudioSegment.silent(duration=500, frame_rate=44100)
    path = tmp_path / name
    (silence + tone + silence).set_channels(2).export(str(path), format=fmt).close()
    return path


def wav_format(path: Path) -> tuple[int, int, int, float]:
    with wave.open(str(path), "rb") as wav:
        rate = wav.getframerate()
        return rate, wav.getnchannels(), wav.getsampwidth(), wav.getnframes() / rate


# --- add -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["mp3", "ogg"])
def test_an_mp3_or_ogg_is_stored_as_the_prompts_8k_mono_wav(
    tmp_path: Path, sounds: Path, fmt: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """`hotline prompts add greeting FILE`: 8 kHz mono 16-bit, trimmed, at the target loudness, stored as
    sounds/recorded/ru/greeting.wav; the duration and the loudness change are printed."""
    source = recording(tmp_path, f"greeting.{fmt}", fmt)
    assert main(["prompts", "add", "greeting", str(source)]) == 0
    stored = sounds / "recorded" / "ru" / "greeting.wav"
    rate, channels, width, seconds = wav_format(stored)
    assert (rate, channels, width) == (8000, 1, 2)
    assert 2.0 <= seconds < 2.5  # the tone, with at most 150 ms of silence kept at each end
    with stored.open("rb") as wav:
        assert AudioSegment.from_wav(wav).dBFS == pytest.approx(TARGET_DBFS, abs=0.5)
    out = capsys.readouterr().out
    assert f"ru/greeting: stored {stored} ({seconds:.1f} s; loudness" in out
    assert "dB)" in out
    assert source.exists()  # the admin's own file is left alone


def test_a_new_recording_replaces_one_of_another_format(tmp_path: Path, default: Dialplan) -> None:
    """Only one recording per prompt and language remains, so that the build knows which one plays."""
    sounds = tmp_path / "sounds"
    old = sounds / "recorded" / "en" / "greeting.mp3"
    old.parent.mkdir(parents=True)
    old.write_bytes(recording(tmp_path, "old.mp3", "mp3").read_bytes())
    added = add_recording(default, sounds, "greeting", recording(tmp_path, "new.ogg", "ogg"), "en")
    assert added.removed == (old,)
    assert sorted(p.name for p in old.parent.iterdir()) == ["greeting.wav"]
    assert added.gain > 0  # a -30 dBFS tone is brought up to -18 dBFS RMS


def test_a_silent_file_is_refused_with_the_reason(tmp_path: Path, sounds: Path) -> None:
    """Silence is refused and nothing is stored; the CLI says why and exits 1."""
    source = tmp_path / "silence.wav"
    AudioSegment.silent(duration=3000, frame_rate=44100).export(str(source), format="wav").close()
    assert main(["prompts", "add", "greeting", str(source)]) == 1
    assert not (sounds / "recorded").exists()


def test_a_silent_file_says_it_is_silent(tmp_path: Path, default: Dialplan) -> None:
    source = tmp_path / "silence.mp3"
    AudioSegment.silent(duration=3000, frame_rate=44100).export(str(source), format="mp3").close()
    with pytest.raises(PromptError, match="is silent"):
        add_recording(default, tmp_path / "sounds", "greeting", source)


def test_a_file_over_the_limit_is_refused_with_the_reason(tmp_path: Path, default: Dialplan) -> None:
    """Longer than MAX_SECONDS: refused, saying the limit."""
    source = recording(tmp_path, "long.ogg", "ogg", seconds=int(MAX_SECONDS) + 5)
    with pytest.raises(PromptError, match=rf"longer than the {MAX_SECONDS:g} s limit"):
        add_recording(default, tmp_path / "sounds", "main_menu", source)
    assert not (tmp_path / "sounds" / "recorded").exists()


def test_a_file_that_is_not_audio_is_refused(tmp_path: Path, default: Dialplan) -> None:
    source = tmp_path / "notes.mp3"
    source.write_text("not a recording", encoding="utf-8")
    with pytest.raises(PromptError, match="ffmpeg cannot decode it"):
        add_recording(default, tmp_path / "sounds", "greeting", source)


def test_an_unknown_prompt_or_language_is_refused_before_any_conversion(
    tmp_path: Path, default: Dialplan
) -> None:
    """A misspelt prompt gets a suggestion; a language outside hotline.languages the list of them."""
    missing = tmp_path / "never-read.wav"
    with pytest.raises(PromptError, match="unknown prompt 'greting': did you mean 'greeting'"):
        add_recording(default, tmp_path / "sounds", "greting", missing)
    with pytest.raises(PromptError, match=r"language 'de' is not offered by the hotline: .* ru, en"):
        add_recording(default, tmp_path / "sounds", "greeting", missing, "de")


# --- list ----------------------------------------------------------------------------------------------


def test_list_shows_recorded_and_synthesized_prompts_with_their_durations(
    tmp_path: Path, default: Dialplan
) -> None:
    """After a build: the recording by its file, the synthesized ones as such, each with its duration;
    a text changed since the build reads "not built"."""
    sounds = tmp_path / "sounds"
    out = sounds / GENERATED_DIR
    small = Dialplan(
        hotline=default.hotline,
        hours=default.hours,
        prompts={pid: default.prompts[pid] for pid in ("greeting", "no_input", "transfer")},
        skill_groups={},
        operators={},
        menus={},
        entry=default.entry,
    )
    add_recording(small, sounds, "greeting", recording(tmp_path, "greeting.mp3", "mp3"))
    report = build_prompts(small, sounds, out)
    rows = {(r.prompt_id, r.lang): r for r in list_prompts(small, sounds, out).rows}
    assert rows["greeting", "ru"].source_label == "recording: recorded/ru/greeting.wav"
    assert rows["greeting", "ru"].duration == report.get("greeting", "ru").duration
    assert rows["no_input", "en"].source_label == "synthesized"
    assert rows["no_input", "en"].duration == report.get("no_input", "en").duration
    texts = {**small.prompts, "transfer": Prompt("transfer", {"ru": "Другой текст."})}
    changed = dataclasses.replace(small, prompts=texts)
    rows = {(r.prompt_id, r.lang): r for r in list_prompts(changed, sounds, out).rows}
    assert rows["transfer", "ru"].duration_label == "not built"
    assert rows["transfer", "en"].source_label == "missing: no text, no recording"


def test_list_prints_a_table_and_a_summary_line(sounds: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The whole dialplan, group prompts included, before any build: every prompt "not built"."""
    assert main(["prompts", "list", "--lang", "ru"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["PROMPT", "LANG", "SOURCE", "SECONDS", "TEXT"]
    assert any(line.startswith("group_heating ") and "Отопление и горячая вода" in line for line in lines)
    greeting = next(line for line in lines if line.startswith("greeting "))
    assert "synthesized" in greeting
    assert "not built" in greeting
    n = len(load_dialplan(DEFAULT).prompts)  # the YAML grows with each feature's prompts
    assert lines[-1].endswith(f"synthesized, {n} not built")
    assert lines[-1].startswith(f"{n} prompts, 0 recorded, {n} synthesized")


def test_list_json_has_the_whole_texts(sounds: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--json: one document, each prompt's text whole, the duration null until built."""
    assert main(["prompts", "list", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    main_menu = next(p for p in data["prompts"] if (p["id"], p["lang"]) == ("main_menu", "ru"))
    assert main_menu["text"].endswith("нажмите звёздочку.")
    assert (main_menu["source"], main_menu["duration"], main_menu["built"]) == ("synthesized", None, False)
    whisper = next(p for p in data["prompts"] if (p["id"], p["lang"]) == ("group_gas", "en"))
    assert whisper["source"] == "missing"


def test_list_refuses_a_language_the_hotline_lacks(sounds: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["prompts", "list", "--lang", "de"]) == 2
    assert "no language 'de'" in capsys.readouterr().err


def test_a_long_text_is_shortened_to_its_column() -> None:
    """One line per prompt: spaces and line breaks folded, an ellipsis where it is cut."""
    assert shorten("Один  два\nтри", 20) == "Один два три"
    assert shorten("abcdefghij klmnop", 10) == "abcdefghi…"


def test_prompts_without_an_action_still_builds() -> None:
    """`hotline prompts` (README, scripts) keeps building: no action is the build."""
    args = build_parser().parse_args(["prompts"])
    assert args.action is None
    assert build_parser().parse_args(["prompts", "build"]).action == "build"
