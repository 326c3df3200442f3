"""Where prompts live on disk and on the AGI wire, and which names are safe there."""

from __future__ import annotations

import posixpath
import re
from pathlib import Path

from hotline.errors import PromptError

RECORDED_DIR = "recorded"  # sounds/recorded/<lang>/<prompt_id>.<ext>: the admins' recordings
GENERATED_DIR = ".generated"  # sounds/.generated/<lang>/<prompt_id>.wav: the usual out_dir (gitignored)
RECORDING_EXTENSIONS = (".wav", ".mp3", ".ogg", ".flac")

# Prompt ids and language codes become file names and words on the AGI wire: ASCII letters, digits,
# '_' and '-' only, which rules out '/', '..', spaces, quotes and line breaks by construction.
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
# The sounds directory is ours (settings), not the admins', but it goes onto the wire too.
_UNSAFE_DIR_CHARS = re.compile(r"[\s\x00-\x1f\x7f\"'\\]")


def is_safe_name(value: str) -> bool:
    """True when `value` is usable as a prompt id or language code."""
    return _SAFE_NAME.fullmatch(value) is not None


def check_name(kind: str, value: str) -> str:
    """Return `value`, or raise PromptError when it is not a safe prompt id / language code."""
    if not is_safe_name(value):
        raise PromptError(
            f"unsafe {kind} {value!r}: use ASCII letters, digits, '_' and '-' only "
            "(no '/', '..', spaces or line breaks; at most 64 characters)"
        )
    return value


def prompt_path(asterisk_sounds_dir: str, lang: str, prompt_id: str) -> str:
    """The name STREAM FILE / Playback take for a prompt: `<dir>/<lang>/<prompt_id>`, without extension."""
    check_name("language", lang)
    check_name("prompt id", prompt_id)
    if not asterisk_sounds_dir or _UNSAFE_DIR_CHARS.search(asterisk_sounds_dir):
        raise PromptError(
            f"unsafe sounds directory {asterisk_sounds_dir!r}: it must be non-empty, "
            "without spaces, quotes, backslashes or control characters"
        )
    if ".." in asterisk_sounds_dir.split("/"):
        raise PromptError(f"unsafe sounds directory {asterisk_sounds_dir!r}: no '..' components")
    return posixpath.join(asterisk_sounds_dir, lang, prompt_id)


def output_path(out_dir: Path, lang: str, prompt_id: str) -> Path:
    """Where the built prompt goes: `out_dir/<lang>/<prompt_id>.wav`."""
    return out_dir / check_name("language", lang) / (check_name("prompt id", prompt_id) + ".wav")


def sound_output_path(out_dir: Path, lang: str, name: str) -> Path:
    """Where a built file of Asterisk's sound set goes: `out_dir/<lang>/<dir>/<file>.wav` for a name
    `<dir>/<file>` (such as `digits/1f`), each part a safe name."""
    *dirs, file = name.split("/")
    parts = [check_name("sound directory", d) for d in dirs]
    return out_dir / check_name("language", lang) / Path(*parts) / (check_name("sound name", file) + ".wav")


def output_of_key(out_dir: Path, key: str) -> Path | None:
    """The built file of a manifest key (`<lang>/<prompt_id>` or `<lang>/<dir>/<file>`), or None when the
    key is not one we could have written (the manifest is a file: trust no path in it)."""
    lang, _, name = key.partition("/")
    parts = name.split("/")
    if not is_safe_name(lang) or len(parts) > 2 or not all(is_safe_name(p) for p in parts):
        return None
    return out_dir / lang / Path(*parts[:-1]) / (parts[-1] + ".wav")


def find_sound_recordings(sounds_dir: Path, lang: str, name: str) -> list[Path]:
    """The recordings of a file of Asterisk's sound set: `sounds_dir/recorded/<lang>/<name>.<ext>`."""
    *dirs, file = name.split("/")
    folder = sounds_dir / RECORDED_DIR / lang / Path(*dirs)
    if not folder.is_dir():
        return []
    return [
        path
        for path in sorted(folder.iterdir())
        if path.suffix.lower() in RECORDING_EXTENSIONS and path.stem == file and path.is_file()
    ]


def find_recordings(sounds_dir: Path) -> dict[tuple[str, str], list[Path]]:
    """Every recording under `sounds_dir/recorded`, keyed by (lang, prompt id); other files are ignored."""
    found: dict[tuple[str, str], list[Path]] = {}
    root = sounds_dir / RECORDED_DIR
    if not root.is_dir():
        return found
    for lang_dir in sorted(root.iterdir()):
        if not lang_dir.is_dir() or not is_safe_name(lang_dir.name):
            continue
        for path in sorted(lang_dir.iterdir()):
            if path.suffix.lower() in RECORDING_EXTENSIONS and is_safe_name(path.stem) and path.is_file():
                found.setdefault((lang_dir.name, path.stem), []).append(path)
    return found
