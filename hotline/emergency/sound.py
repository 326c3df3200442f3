"""Where an announcement's sound lives, and how a typed text becomes one.

The prompts' directory (`settings.asterisk_sounds_dir`) is replaced whole each time the sandbox installs
the built prompts, so announcements live beside it, in `<its parent>/emergency/`, one file per
announcement (a new one never overwrites the file a caller is hearing). The engine hands Asterisk the
path as Asterisk sees it; the CLI, which writes the file, finds it under the sandbox's root.
"""

from __future__ import annotations

import datetime as dt
import posixpath
import secrets
from pathlib import Path

from hotline.prompts import audio
from hotline.prompts.names import check_name

SUBDIR = "emergency"


def emergency_dir(asterisk_sounds_dir: str) -> str:
    """The announcements' directory as Asterisk sees it: beside the prompts' one."""
    return posixpath.join(posixpath.dirname(asterisk_sounds_dir.rstrip("/")), SUBDIR)


def new_sound(asterisk_sounds_dir: str, now: float) -> str:
    """A fresh file name for an announcement, as Asterisk plays it (no extension): `.../em-<time>-<hex>`."""
    stamp = dt.datetime.fromtimestamp(now, dt.UTC).strftime("%Y%m%d%H%M%S")
    return posixpath.join(emergency_dir(asterisk_sounds_dir), f"em-{stamp}-{secrets.token_hex(3)}")


def on_host(asterisk_root: Path, sound: str) -> Path:
    """The WAV file of an announcement's sound, where a process outside the sandbox's root writes it."""
    return asterisk_root / (sound.lstrip("/") + ".wav")


def ensure_dir(asterisk_root: Path, asterisk_sounds_dir: str) -> Path:
    """Create the announcements' directory inside the sandbox's root, where the CLI writes and RECORD FILE
    (which creates no directory: without it a recording on a phone fails) writes; its path on the host."""
    path = asterisk_root / emergency_dir(asterisk_sounds_dir).lstrip("/")
    path.mkdir(parents=True, exist_ok=True)
    return path


def synthesize_to(text: str, language: str, dest: Path) -> float:
    """Speak `text` with espeak-ng through the prompts' pipeline into the 8 kHz WAV `dest`; its seconds.
    PromptError when the tools are missing or the text gives no sound."""
    check_name("language", language)
    espeak, ffmpeg = audio.find_tool("espeak-ng"), audio.find_tool("ffmpeg")
    voice = audio.DEFAULT_VOICES.get(language, language)
    what = f"the emergency announcement in {language}"
    raw = audio.synthesize(espeak, ffmpeg, text, voice, audio.DEFAULT_RATE, what)
    conditioned = audio.condition(raw, what, "shorten or check the text")
    audio.write_wav(conditioned, dest)
    return len(conditioned) / 1000
