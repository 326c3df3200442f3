"""Turning a recording or a text into the one format Asterisk plays natively: 8 kHz mono 16-bit WAV.

The pipeline, the same for recordings and for espeak-ng's speech:

1. ffmpeg decodes the source, mixes it down to mono and resamples it to 8 kHz (its resampler filters
   what lies above 4 kHz; pydub's `set_frame_rate` would fold it back into the band as noise). At most
   MAX_SECONDS + 1 s are decoded, so a huge file costs no memory.
2. Refused: longer than MAX_SECONDS (as recorded, silence included), or silent (no 10 ms stretch above
   SILENCE_FLOOR_DBFS).
3. Leading and trailing silence is trimmed, keeping KEEP_SILENCE_MS at each end. Silence is anything
   SILENCE_BELOW_PEAK_DB below the recording's peak, and anything below SILENCE_FLOOR_DBFS in any
   case, so the room noise of a loud recording is trimmed too.
4. Loudness is set to TARGET_DBFS (RMS) so that every prompt sounds as loud as the next, except that
   the peak never goes above PEAK_CEILING_DBFS: the gain is lowered rather than the audio clipped.
5. pydub writes a plain 44-byte-header PCM WAV (Asterisk's `wav` format, slin at 8 kHz).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import warnings
from pathlib import Path
from typing import Any

from hotline.errors import PromptError

with warnings.catch_warnings():
    # pydub warns at import when ffmpeg is not on PATH; we never use its converter lookup and say what
    # to install ourselves (find_tool), so that one warning is noise.
    warnings.filterwarnings("ignore", message="Couldn't find ff", category=RuntimeWarning)
    from pydub import AudioSegment
    from pydub.silence import detect_leading_silence

SAMPLE_RATE = 8000
SAMPLE_WIDTH = 2  # bytes: 16-bit signed
CHANNELS = 1
MAX_SECONDS = 120.0
SILENCE_FLOOR_DBFS = -50.0
SILENCE_BELOW_PEAK_DB = 40.0
KEEP_SILENCE_MS = 150
TARGET_DBFS = -18.0
PEAK_CEILING_DBFS = -1.0
CHUNK_MS = 10
PIPELINE_VERSION = 1  # bump when anything above changes: every prompt is then rebuilt

DEFAULT_VOICES: dict[str, str] = {"ru": "ru", "en": "en-us"}  # language -> espeak-ng voice
DEFAULT_RATE = 150  # espeak-ng words per minute (its default, 175, is hurried on a phone line)

INSTALL_HINT = "install them with: apt-get install espeak-ng ffmpeg"
_TOOL_TIMEOUT = 120  # seconds; a stuck ffmpeg or espeak-ng must not hang the build for ever

_VOICE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_+-]{0,63}")  # e.g. ru, en-us, en-us+f3

Audio = Any  # pydub.AudioSegment; pydub has no type hints


def find_tool(name: str) -> str:
    """The full path of `name` on PATH, or PromptError saying what to install."""
    path = shutil.which(name)
    if path is None:
        raise PromptError(f"{name} is not installed (or not on PATH): {INSTALL_HINT}")
    return path


def _run(argv: list[str], what: str, failed: str, *, stdin: bytes = b"") -> bytes:
    """Run a tool (never through a shell) and return its stdout; PromptError with its last error line."""
    try:
        proc = subprocess.run(argv, input=stdin, capture_output=True, timeout=_TOOL_TIMEOUT, check=False)
    except subprocess.TimeoutExpired as exc:
        raise PromptError(f"{what}: {Path(argv[0]).name} took more than {_TOOL_TIMEOUT} s") from exc
    except OSError as exc:
        raise PromptError(f"{what}: cannot run {argv[0]}: {exc} ({INSTALL_HINT})") from exc
    if proc.returncode != 0:
        errors = proc.stderr.decode(errors="replace").strip().splitlines()
        raise PromptError(f"{what}: {failed}: {errors[-1] if errors else f'exit status {proc.returncode}'}")
    return proc.stdout


def decode(ffmpeg: str, source: Path, what: str) -> Audio:
    """Decode any audio file ffmpeg reads into 8 kHz mono 16-bit samples (at most MAX_SECONDS + 1 s)."""
    argv = [
        ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error",
        "-i", f"file:{source.resolve()}",  # file: so that a name is never taken for a protocol
        "-map", "0:a:0", "-vn", "-ac", str(CHANNELS), "-ar", str(SAMPLE_RATE),
        "-c:a", "pcm_s16le", "-f", "s16le", "-t", f"{MAX_SECONDS + 1:g}", "-",
    ]  # fmt: skip
    data = _run(argv, what, "ffmpeg cannot decode it (is it an audio file?)")
    return AudioSegment(data=data, sample_width=SAMPLE_WIDTH, frame_rate=SAMPLE_RATE, channels=CHANNELS)


def condition(audio: Audio, what: str, hint: str) -> Audio:
    """Refuse silent or over-long audio; trim its silent ends and set its loudness (see module doc)."""
    seconds = len(audio) / 1000
    if seconds > MAX_SECONDS:
        raise PromptError(f"{what} is longer than the {MAX_SECONDS:g} s limit ({hint})")
    if detect_leading_silence(audio, silence_threshold=SILENCE_FLOOR_DBFS, chunk_size=CHUNK_MS) >= len(audio):
        raise PromptError(
            f"{what} is silent: nothing in it is louder than {SILENCE_FLOOR_DBFS:g} dBFS ({hint})"
        )
    threshold = max(SILENCE_FLOOR_DBFS, audio.max_dBFS - SILENCE_BELOW_PEAK_DB)
    lead = detect_leading_silence(audio, silence_threshold=threshold, chunk_size=CHUNK_MS)
    tail = detect_leading_silence(audio.reverse(), silence_threshold=threshold, chunk_size=CHUNK_MS)
    start = max(0, lead - KEEP_SILENCE_MS)
    end = min(len(audio), len(audio) - tail + KEEP_SILENCE_MS)
    trimmed = audio[start:end]
    gain = min(TARGET_DBFS - trimmed.dBFS, PEAK_CEILING_DBFS - trimmed.max_dBFS)
    return trimmed.apply_gain(gain)


def write_wav(audio: Audio, path: Path) -> None:
    """Write 8 kHz mono 16-bit PCM WAV atomically: a reader sees the old file or the new one, never half."""
    if (audio.frame_rate, audio.channels, audio.sample_width) != (SAMPLE_RATE, CHANNELS, SAMPLE_WIDTH):
        raise PromptError(f"{path}: refusing to write {audio.frame_rate} Hz, {audio.channels} channel(s)")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("wb") as out:
            audio.export(out, format="wav")  # plain wav: pydub writes it itself, no ffmpeg involved
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def synthesize(espeak: str, ffmpeg: str, text: str, voice: str, rate: int, what: str) -> Audio:
    """Speak `text` with espeak-ng and decode it like a recording (not yet conditioned)."""
    if not _VOICE.fullmatch(voice):
        raise PromptError(f"{what}: unsafe espeak-ng voice name {voice!r}")
    with tempfile.TemporaryDirectory(prefix="hotline-tts-") as tmp:
        wav = Path(tmp) / "speech.wav"
        # The text goes through stdin, so a text starting with '-' is never read as an option.
        argv = [espeak, "-b", "1", "-v", voice, "-s", str(rate), "-w", str(wav), "--stdin"]
        _run(argv, what, f"espeak-ng cannot speak it with voice {voice!r}", stdin=text.encode("utf-8"))
        if not wav.is_file() or wav.stat().st_size == 0:
            raise PromptError(f"{what}: espeak-ng produced no sound for voice {voice!r}")
        return decode(ffmpeg, wav, what)
