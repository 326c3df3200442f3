"""The build manifest: what each built prompt was made from, so an unchanged one is not made again."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from hotline.log import get_logger

MANIFEST_NAME = ".manifest.json"  # in out_dir, next to the <lang>/ directories
_FORMAT = 1

log = get_logger(__name__)

Fingerprint = dict[str, str | int]  # what the output depends on: text hash + voice, or file size + mtime


@dataclass(frozen=True, slots=True)
class ManifestEntry:
    """One built prompt: what it was made from, and what came out."""

    fingerprint: Fingerprint
    duration: float  # seconds
    size: int  # bytes of the output: an output replaced or truncated behind our back is made again

    def to_json(self) -> dict[str, object]:
        return {"fingerprint": self.fingerprint, "duration": self.duration, "size": self.size}


def _entry(value: object) -> ManifestEntry | None:
    """A ManifestEntry from its JSON, or None when it is not one (then the prompt is simply rebuilt)."""
    if not isinstance(value, dict):
        return None
    fingerprint, duration, size = value.get("fingerprint"), value.get("duration"), value.get("size")
    if not isinstance(fingerprint, dict) or not all(
        isinstance(k, str) and isinstance(v, str | int) for k, v in fingerprint.items()
    ):
        return None
    if not isinstance(duration, int | float) or not isinstance(size, int):
        return None
    return ManifestEntry(dict(fingerprint), float(duration), size)


def load_manifest(out_dir: Path) -> dict[str, ManifestEntry]:
    """The manifest's entries keyed "<lang>/<prompt_id>"; empty when there is none or it is unreadable."""
    path = out_dir / MANIFEST_NAME
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        log.warning("prompts.manifest_unreadable", path=str(path), error=str(exc), effect="rebuilding all")
        return {}
    if not isinstance(raw, dict) or raw.get("format") != _FORMAT or not isinstance(raw.get("prompts"), dict):
        return {}
    entries: dict[str, ManifestEntry] = {}
    for key, value in raw["prompts"].items():
        entry = _entry(value)
        if entry is not None:
            entries[key] = entry
    return entries


def save_manifest(out_dir: Path, entries: dict[str, ManifestEntry]) -> None:
    """Write the manifest atomically."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / MANIFEST_NAME
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    body = {"format": _FORMAT, "prompts": {key: entries[key].to_json() for key in sorted(entries)}}
    try:
        tmp.write_text(json.dumps(body, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
