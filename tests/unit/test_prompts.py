"""Prompts: synthesis with the real espeak-ng, conversion with the real ffmpeg, the manifest, the checks."""

from __future__ import annotations

import dataclasses
import os
import wave
from pathlib import Path

import pytest
from pydub import AudioSegment
from pydub.generators import Sine

from hotline.dialplan.model import WEEKDAYS, Action, Dialplan, Entry, Hotline, Prompt, Span, WeeklyHours
from hotline.dialplan.prompt_ids import MINUTES_GENDER
from hotline.errors import PromptError
from hotline.prompts import (
    MAX_SECONDS,
    SOUND_SET,
    TARGET_DBFS,
    BuildReport,
    BuiltPrompt,
    PromptFailure,
    build_prompts,
    missing_prompts,
    prompt_path,
    sound_set_files,
)
from hotline.prompts.audio import KEEP_SILENCE_MS

GREETING_RU = "Здравствуйте! Вы позвонили на горячую линию."


def make_dialplan(prompts: dict[str, dict[str, str]], *, spans: dict[str, Span] | None = None) -> Dialplan:
    """A Russian-first dialplan with just these prompts (the rest is never looked at here)."""
    spans = spans or {}
    return Dialplan(
        hotline=Hotline(
            name="Тест",
            number="565602",
            timezone="Europe/Moscow",
            language="ru",
            languages=("ru", "en"),
            capacity=1,
            general_group="general",
            fallback_prompt="fallback",
        ),
        hours=WeeklyHours(days={day: () for day in WEEKDAYS}),
        prompts={pid: Prompt(pid, texts, spans.get(pid)) for pid, texts in prompts.items()},
        skill_groups={},
        operators={},
        menus={},
        entry=Entry(greeting=None, menu="main", closed=Action(kind="hangup", target="closed")),
        source_files=("dialplans/hotline.yaml",),
    )


def wav_format(path: Path) -> tuple[int, int, int, float]:
    """(frame rate, channels, sample width in bytes, seconds) read from the WAV header."""
    with wave.open(str(path), "rb") as wav:
        rate = wav.getframerate()
        return rate, wav.getnchannels(), wav.getsampwidth(), wav.getnframes() / rate


def tone_with_silence(
    frame_rate: int, channels: int, *, seconds: int = 1, volume: float = -6.0
) -> AudioSegment:
    """A 440 Hz tone of `seconds` with one second of silence on each side."""
    tone = Sine(440, sample_rate=frame_rate).to_audio_segment(duration=1000, volume=volume) * seconds
    silence = AudioSegment.silent(duration=1000, frame_rate=frame_rate)
    return (silence + tone + silence).set_channels(channels)


def drop_recording(sounds: Path, lang: str, name: str, audio: AudioSegment, fmt: str) -> Path:
    """Export `audio` as an admin's recording sounds/recorded/<lang>/<name>."""
    path = sounds / "recorded" / lang / name
    path.parent.mkdir(parents=True, exist_ok=True)
    audio.export(str(path), format=fmt).close()
    return path


@pytest.fixture
def sounds(tmp_path: Path) -> Path:
    return tmp_path / "sounds"


@pytest.fixture
def out(tmp_path: Path) -> Path:
    return tmp_path / "sounds" / ".generated"


def test_russian_text_is_synthesized_to_8k_mono_16bit_wav(sounds: Path, out: Path) -> None:
    """A Russian text becomes out/ru/<id>.wav: 8 kHz, mono, 16-bit, and long enough to be speech."""
    report = build_prompts(make_dialplan({"greeting": {"ru": GREETING_RU}}), sounds, out)

    built = report.get("greeting", "ru")
    assert built.path == out / "ru" / "greeting.wav"
    assert (built.source, built.rebuilt) == ("synthesized", True)
    rate, channels, width, seconds = wav_format(built.path)
    assert (rate, channels, width) == (8000, 1, 2)
    assert seconds > 0.3
    assert built.duration == pytest.approx(seconds, abs=0.01)


def test_every_language_with_a_text_is_built(sounds: Path, out: Path) -> None:
    """A prompt with a Russian and an English text gets a file in each language."""
    report = build_prompts(make_dialplan({"transfer": {"ru": "Соединяю.", "en": "Connecting."}}), sounds, out)

    assert {(p.lang, p.path) for p in report.prompts} == {
        ("ru", out / "ru" / "transfer.wav"),
        ("en", out / "en" / "transfer.wav"),
    }
    assert "2 prompt files (en: 1, ru: 1)" in report.summary()


def test_unchanged_prompts_are_reused_on_the_next_build(sounds: Path, out: Path) -> None:
    """A second build with the same texts synthesizes nothing and leaves the files alone."""
    dialplan = make_dialplan({"greeting": {"ru": GREETING_RU}, "no_input": {"ru": "Вы ничего не выбрали."}})
    build_prompts(dialplan, sounds, out)
    before = (out / "ru" / "greeting.wav").stat().st_mtime_ns

    report = build_prompts(dialplan, sounds, out)

    assert report.rebuilt == ()
    assert len(report.reused) == 2
    assert (out / "ru" / "greeting.wav").stat().st_mtime_ns == before


def test_changed_text_is_synthesized_again(sounds: Path, out: Path) -> None:
    """Changing one text rebuilds that prompt only."""
    first = make_dialplan({"greeting": {"ru": GREETING_RU}, "no_input": {"ru": "Вы ничего не выбрали."}})
    build_prompts(first, sounds, out)

    changed = make_dialplan({"greeting": {"ru": "Добрый день!"}, "no_input": {"ru": "Вы ничего не выбрали."}})
    report = build_prompts(changed, sounds, out)

    assert [(p.prompt_id, p.lang) for p in report.rebuilt] == [("greeting", "ru")]
    assert report.get("no_input", "ru").rebuilt is False


@pytest.mark.parametrize(
    ("filename", "fmt", "frame_rate", "channels"),
    [("greeting.mp3", "mp3", 44100, 1), ("greeting.wav", "wav", 44100, 2)],
)
def test_recording_wins_over_the_text_converted_to_8k_mono_with_silence_trimmed(
    sounds: Path, out: Path, filename: str, fmt: str, frame_rate: int, channels: int
) -> None:
    """A dropped-in recording is used instead of the text: 8 kHz mono 16-bit, its 1 s silences trimmed."""
    drop_recording(sounds, "ru", filename, tone_with_silence(frame_rate, channels), fmt)

    report = build_prompts(make_dialplan({"greeting": {"ru": GREETING_RU}}), sounds, out)

    built = report.get("greeting", "ru")
    assert built.source == "recorded"
    rate, channels_out, width, seconds = wav_format(built.path)
    assert (rate, channels_out, width) == (8000, 1, 2)
    assert 1.0 <= seconds <= 1.0 + 2 * KEEP_SILENCE_MS / 1000 + 0.05  # the tone, plus what is kept of silence


def test_recording_without_a_text_is_built(sounds: Path, out: Path) -> None:
    """A recording in a language the prompt has no text for is built too."""
    drop_recording(sounds, "en", "greeting.wav", tone_with_silence(8000, 1), "wav")

    report = build_prompts(make_dialplan({"greeting": {"ru": GREETING_RU}}), sounds, out)

    assert report.get("greeting", "en").source == "recorded"
    assert report.get("greeting", "ru").source == "synthesized"


def test_replaced_recording_is_converted_again(sounds: Path, out: Path) -> None:
    """A recording replaced by a different one is converted again; an untouched one is not."""
    dialplan = make_dialplan({"greeting": {"ru": GREETING_RU}})
    path = drop_recording(sounds, "ru", "greeting.wav", tone_with_silence(8000, 1), "wav")
    build_prompts(dialplan, sounds, out)
    assert build_prompts(dialplan, sounds, out).rebuilt == ()

    drop_recording(sounds, "ru", path.name, tone_with_silence(8000, 1, seconds=2), "wav")
    report = build_prompts(dialplan, sounds, out)

    assert report.get("greeting", "ru").rebuilt is True
    assert 2.0 <= wav_format(out / "ru" / "greeting.wav")[3] <= 2.0 + 2 * KEEP_SILENCE_MS / 1000 + 0.05


def test_quiet_recording_is_brought_to_the_target_loudness(sounds: Path, out: Path) -> None:
    """A recording at -36 dBFS comes out at the target loudness (RMS)."""
    drop_recording(sounds, "ru", "greeting.flac", tone_with_silence(16000, 1, volume=-36.0), "flac")

    report = build_prompts(make_dialplan({"greeting": {"ru": GREETING_RU}}), sounds, out)

    with report.get("greeting", "ru").path.open("rb") as wav:  # pydub leaves a file it opened open
        loudness = AudioSegment.from_wav(wav).dBFS
    assert loudness == pytest.approx(TARGET_DBFS, abs=0.5)


def test_silent_recording_is_refused_with_the_reason_and_the_others_are_built(
    sounds: Path, out: Path
) -> None:
    """A silent recording fails the build, saying it is silent; the other prompts are still made."""
    drop_recording(sounds, "ru", "greeting.wav", AudioSegment.silent(duration=3000, frame_rate=44100), "wav")
    dialplan = make_dialplan({"greeting": {"ru": GREETING_RU}, "no_input": {"ru": "Вы ничего не выбрали."}})

    with pytest.raises(PromptError, match=r"1 prompt could not be built") as refused:
        build_prompts(dialplan, sounds, out)

    assert "ru/greeting:" in str(refused.value)
    assert "greeting.wav is silent" in str(refused.value)
    assert not (out / "ru" / "greeting.wav").exists()
    assert wav_format(out / "ru" / "no_input.wav")[0] == 8000


def test_recording_longer_than_the_limit_is_refused(sounds: Path, out: Path) -> None:
    """A recording over MAX_SECONDS is refused, saying so."""
    too_long = int(MAX_SECONDS) + 5
    drop_recording(sounds, "ru", "greeting.wav", tone_with_silence(8000, 1, seconds=too_long), "wav")

    with pytest.raises(PromptError, match=rf"longer than the {MAX_SECONDS:g} s limit"):
        build_prompts(make_dialplan({"greeting": {"ru": GREETING_RU}}), sounds, out)


def test_two_recordings_of_one_prompt_are_refused(sounds: Path, out: Path) -> None:
    """greeting.wav next to greeting.mp3 is ambiguous: the build names both."""
    drop_recording(sounds, "ru", "greeting.wav", tone_with_silence(8000, 1), "wav")
    drop_recording(sounds, "ru", "greeting.mp3", tone_with_silence(8000, 1), "mp3")

    with pytest.raises(PromptError, match=r"more than one recording \(greeting.mp3, greeting.wav\)"):
        build_prompts(make_dialplan({"greeting": {"ru": GREETING_RU}}), sounds, out)


def test_prompt_with_no_default_language_text_nor_recording_fails_the_build(sounds: Path, out: Path) -> None:
    """An English-only prompt cannot be built in the default language (Russian)."""
    with pytest.raises(PromptError, match=r"ru/greeting: no ru text and no recording"):
        build_prompts(make_dialplan({"greeting": {"en": "Hello!"}}), sounds, out)


def test_failed_prompt_keeps_the_file_of_the_earlier_build(sounds: Path, out: Path) -> None:
    """A new, silent recording is refused and the prompt built before from the text stays playable."""
    dialplan = make_dialplan({"greeting": {"ru": GREETING_RU}})
    build_prompts(dialplan, sounds, out)
    drop_recording(sounds, "ru", "greeting.wav", AudioSegment.silent(duration=2000, frame_rate=8000), "wav")

    with pytest.raises(PromptError, match="silent"):
        build_prompts(dialplan, sounds, out)

    assert wav_format(out / "ru" / "greeting.wav")[3] > 0.3


def test_text_starting_with_a_dash_is_spoken_not_taken_for_an_option(sounds: Path, out: Path) -> None:
    """A text like "-5 градусов" reaches espeak-ng as text."""
    report = build_prompts(make_dialplan({"frost": {"ru": "-5 градусов, --help"}}), sounds, out)

    assert report.get("frost", "ru").duration > 0.3


def test_missing_espeak_ng_says_what_to_install(
    sounds: Path, out: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With ffmpeg on PATH but no espeak-ng, the error names the package to install."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    ffmpeg = next(
        Path(d) / "ffmpeg" for d in os.environ["PATH"].split(os.pathsep) if (Path(d) / "ffmpeg").exists()
    )
    (bin_dir / "ffmpeg").symlink_to(ffmpeg)
    monkeypatch.setenv("PATH", str(bin_dir))

    with pytest.raises(PromptError, match=r"espeak-ng is not installed.*apt-get install espeak-ng ffmpeg"):
        build_prompts(make_dialplan({"greeting": {"ru": GREETING_RU}}), sounds, out)


def test_up_to_date_build_needs_no_tools(sounds: Path, out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Once built, an unchanged dialplan builds without espeak-ng or ffmpeg on PATH."""
    dialplan = make_dialplan({"greeting": {"ru": GREETING_RU}})
    build_prompts(dialplan, sounds, out)
    monkeypatch.setenv("PATH", "")

    assert build_prompts(dialplan, sounds, out).get("greeting", "ru").rebuilt is False


def test_prompts_dropped_from_the_dialplan_are_removed(sounds: Path, out: Path) -> None:
    """A prompt no longer in the dialplan loses its built file."""
    build_prompts(make_dialplan({"greeting": {"ru": GREETING_RU}, "old": {"ru": "Старое."}}), sounds, out)

    report = build_prompts(make_dialplan({"greeting": {"ru": GREETING_RU}}), sounds, out)

    assert report.removed == (out / "ru" / "old.wav",)
    assert not (out / "ru" / "old.wav").exists()
    assert (out / "ru" / "greeting.wav").exists()


def test_unreadable_manifest_means_everything_is_built_again(sounds: Path, out: Path) -> None:
    """A corrupt manifest is not an error: the prompts are simply made again."""
    dialplan = make_dialplan({"greeting": {"ru": GREETING_RU}})
    build_prompts(dialplan, sounds, out)
    (out / ".manifest.json").write_text("{not json", encoding="utf-8")

    assert build_prompts(dialplan, sounds, out).get("greeting", "ru").rebuilt is True
    assert build_prompts(dialplan, sounds, out).get("greeting", "ru").rebuilt is False


def test_progress_hears_of_every_prompt_in_order(sounds: Path, out: Path) -> None:
    """The progress callback gets (done, total, outcome) once per prompt and language, failures included,
    then once per file of Asterisk's sound set."""
    seen: list[tuple[int, int, str]] = []

    def progress(done: int, total: int, outcome: BuiltPrompt | PromptFailure) -> None:
        seen.append((done, total, f"{outcome.lang}/{outcome.prompt_id}:{type(outcome).__name__}"))

    dialplan = make_dialplan({"greeting": {"ru": GREETING_RU, "en": "Hello!"}, "bad": {"en": "Bad."}})
    with pytest.raises(PromptError):
        build_prompts(dialplan, sounds, out, progress=progress)

    assert seen == [
        (1, 6, "ru/greeting:BuiltPrompt"),
        (2, 6, "en/greeting:BuiltPrompt"),
        (3, 6, "ru/bad:PromptFailure"),
        (4, 6, "en/bad:BuiltPrompt"),
        (5, 6, "ru/digits/1f:BuiltPrompt"),
        (6, 6, "ru/digits/2f:BuiltPrompt"),
    ]


def test_summary_counts_sources_and_rebuilds(sounds: Path, out: Path) -> None:
    """The CLI's summary line says what was synthesized, recorded, rebuilt and kept, prompts apart from
    the files of Asterisk's sound set."""
    drop_recording(sounds, "ru", "closed.wav", tone_with_silence(8000, 1), "wav")
    dialplan = make_dialplan({"greeting": {"ru": GREETING_RU}, "closed": {"ru": "Закрыто."}})
    build_prompts(dialplan, sounds, out)

    report: BuildReport = build_prompts(dialplan, sounds, out)

    assert report.summary() == (
        "2 prompt files (ru: 2): 1 synthesized, 1 recorded; 0 rebuilt, 2 unchanged; "
        "2 for Asterisk's own sounds (ru: 2), 0 rebuilt"
    )


# --- Asterisk's own sound set: the files Debian's Russian sounds lack ------------------------------


def test_the_sound_set_says_the_feminine_one_and_two_that_minutes_take_in_russian() -> None:
    """say.c plays digits/1f and digits/2f for SayNumber(n,f) in Russian: the table has exactly those,
    for the gender the minutes are said in; English numbers have no gender and need nothing."""
    assert MINUTES_GENDER == "f"
    assert [(f.name, f.text) for f in sound_set_files("ru")] == [("digits/1f", "одна"), ("digits/2f", "две")]
    assert sound_set_files("en") == () == SOUND_SET["en"]
    assert sound_set_files("de") == ()


def test_the_russian_sound_set_files_are_synthesized_to_8k_mono_16bit_wav(sounds: Path, out: Path) -> None:
    """Beside the prompts, the builder makes ru/digits/1f.wav and ru/digits/2f.wav, 8 kHz mono 16-bit,
    reported apart from the prompts and listed as Asterisk's own sounds."""
    report = build_prompts(make_dialplan({"greeting": {"ru": GREETING_RU}}), sounds, out)

    assert [(p.prompt_id, p.lang) for p in report.prompts] == [("greeting", "ru")]
    assert [(s.prompt_id, s.lang, s.source, s.path) for s in report.sounds] == [
        ("digits/1f", "ru", "synthesized", out / "ru" / "digits" / "1f.wav"),
        ("digits/2f", "ru", "synthesized", out / "ru" / "digits" / "2f.wav"),
    ]
    for sound in report.sounds:
        rate, channels, width, seconds = wav_format(sound.path)
        assert (rate, channels, width) == (8000, 1, 2)
        assert seconds > 0.3  # a word, and the silence kept at each end
    assert str(report.get("digits/1f", "ru")).startswith("ru/digits/1f: synthesized, ")
    assert str(report.get("digits/1f", "ru")).endswith(", built (for Asterisk's own sounds)")
    assert (
        build_prompts(make_dialplan({"greeting": {"ru": GREETING_RU}}), sounds, out).sounds[0].rebuilt
        is False
    )


def test_an_admins_recording_of_a_sound_set_file_wins_over_the_synthesized_word(
    sounds: Path, out: Path
) -> None:
    """sounds/recorded/ru/digits/1f.mp3 is converted (8 kHz mono, silence trimmed) instead of espeak-ng's
    "одна"; 2f, not recorded, is still synthesized."""
    drop_recording(sounds, "ru", "digits/1f.mp3", tone_with_silence(44100, 2), "mp3")

    report = build_prompts(make_dialplan({"greeting": {"ru": GREETING_RU}}), sounds, out)

    one, two = report.get("digits/1f", "ru"), report.get("digits/2f", "ru")
    assert (one.source, one.path, two.source) == ("recorded", out / "ru" / "digits" / "1f.wav", "synthesized")
    rate, channels, width, seconds = wav_format(one.path)
    assert (rate, channels, width) == (8000, 1, 2)
    assert 1.0 <= seconds <= 1.0 + 2 * KEEP_SILENCE_MS / 1000 + 0.05  # the tone, not a synthesized word
    assert report.get("greeting", "ru").source == "synthesized"  # no prompt "digits" came of the folder


def test_two_recordings_of_a_sound_set_file_are_refused(sounds: Path, out: Path) -> None:
    """digits/1f.wav next to digits/1f.ogg is ambiguous, as for a prompt: the build names both."""
    drop_recording(sounds, "ru", "digits/1f.wav", tone_with_silence(8000, 1), "wav")
    drop_recording(sounds, "ru", "digits/1f.ogg", tone_with_silence(8000, 1), "ogg")

    with pytest.raises(PromptError, match=r"ru/digits/1f: more than one recording \(1f.ogg, 1f.wav\)"):
        build_prompts(make_dialplan({"greeting": {"ru": GREETING_RU}}), sounds, out)


def test_the_sound_set_of_a_language_the_hotline_dropped_is_removed(sounds: Path, out: Path) -> None:
    """A hotline that became English-only loses the built ru/digits files; English needs none."""
    build_prompts(make_dialplan({"greeting": {"ru": GREETING_RU, "en": "Hello!"}}), sounds, out)
    russian = make_dialplan({"greeting": {"ru": GREETING_RU, "en": "Hello!"}})
    english = dataclasses.replace(
        russian, hotline=dataclasses.replace(russian.hotline, language="en", languages=("en",))
    )

    report = build_prompts(english, sounds, out)

    assert report.sounds == ()
    assert set(report.removed) >= {out / "ru" / "digits" / "1f.wav", out / "ru" / "digits" / "2f.wav"}
    assert not (out / "ru" / "digits" / "1f.wav").exists()


# --- missing_prompts: `hotline check` --------------------------------------------------------------


def test_missing_prompts_reports_a_prompt_without_default_text_nor_recording(sounds: Path) -> None:
    """A prompt with only an English text is reported at its line in the YAML."""
    dialplan = make_dialplan(
        {"greeting": {"ru": GREETING_RU}, "closed": {"en": "We are closed."}},
        spans={"closed": Span("dialplans/hotline.yaml", 42, 3)},
    )

    problems = missing_prompts(dialplan, sounds)

    assert [(p.file, p.line, p.column) for p in problems] == [("dialplans/hotline.yaml", 42, 3)]
    assert "'closed' has no text in the default language 'ru' and no recording" in problems[0].message
    assert "recorded/ru/closed.wav" in problems[0].hint


def test_missing_prompts_accepts_a_recording_instead_of_a_text(sounds: Path) -> None:
    """A recording in the default language makes a prompt without a text producible."""
    drop_recording(sounds, "ru", "closed.ogg", tone_with_silence(8000, 1), "ogg")

    assert missing_prompts(make_dialplan({"closed": {"en": "We are closed."}}), sounds) == []


def test_missing_prompts_ignores_a_missing_english_text(sounds: Path) -> None:
    """A prompt without English while others have it is fine for now (the language lints come later)."""
    dialplan = make_dialplan({"greeting": {"ru": GREETING_RU, "en": "Hello!"}, "closed": {"ru": "Закрыто."}})

    assert missing_prompts(dialplan, sounds) == []


def test_missing_prompts_without_a_span_points_at_the_dialplan_file(sounds: Path) -> None:
    """With no span the problem is about the dialplan file as a whole (line 0)."""
    problems = missing_prompts(make_dialplan({"closed": {"ru": "  "}}), sounds)

    assert [(p.file, p.line) for p in problems] == [("dialplans/hotline.yaml", 0)]


# --- prompt_path: what goes onto the AGI wire ------------------------------------------------------


def test_prompt_path_is_the_name_without_extension() -> None:
    """Asterisk appends the format itself, so the path has no extension."""
    assert prompt_path("/var/lib/asterisk/sounds/hotline", "ru", "main_menu") == (
        "/var/lib/asterisk/sounds/hotline/ru/main_menu"
    )
    assert prompt_path("/srv/sounds/", "en-us", "no-input") == "/srv/sounds/en-us/no-input"


@pytest.mark.parametrize(
    ("lang", "prompt_id"),
    [
        ("ru", "../secrets"),
        ("ru", ".."),
        ("ru", "a/b"),
        ("ru", "main menu"),
        ("ru", "greeting\nHANGUP"),
        ("ru", "greeting\r"),
        ("ru", "greeting\x00"),
        ("ru", ""),
        ("ru", "меню"),
        ("../ru", "greeting"),
        ("ru\n", "greeting"),
    ],
)
def test_prompt_path_refuses_unsafe_names(lang: str, prompt_id: str) -> None:
    """Prompt ids and languages that could escape the directory or break the AGI line are refused."""
    with pytest.raises(PromptError, match="unsafe"):
        prompt_path("/var/lib/asterisk/sounds/hotline", lang, prompt_id)


@pytest.mark.parametrize("sounds_dir", ["", "/var/lib/my sounds", "/var/lib/x\n", "/var/../etc"])
def test_prompt_path_refuses_an_unsafe_sounds_directory(sounds_dir: str) -> None:
    """The directory goes onto the wire too: no spaces, line breaks or '..'."""
    with pytest.raises(PromptError, match="unsafe sounds directory"):
        prompt_path(sounds_dir, "ru", "greeting")


def test_unsafe_prompt_id_in_the_dialplan_is_neither_built_nor_written_outside(
    sounds: Path, out: Path, tmp_path: Path
) -> None:
    """A prompt id like '../escape' fails the build and writes nothing outside out_dir."""
    with pytest.raises(PromptError, match=r"unsafe prompt id '\.\./escape'"):
        build_prompts(make_dialplan({"../escape": {"ru": "Побег."}}), sounds, out)

    assert not (out / "escape.wav").exists()
    written = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.wav"))
    assert written == ["sounds/.generated/ru/digits/1f.wav", "sounds/.generated/ru/digits/2f.wav"]
    assert (
        "cannot be a file name"
        in missing_prompts(make_dialplan({"../escape": {"ru": "Побег."}}), sounds)[0].message
    )
