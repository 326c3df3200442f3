"""`hotline prompts list`: every prompt of the dialplan in each of the hotline's languages, where it comes
from (an admin's recording, or speech synthesized from the YAML's text) and how long it plays.

Nothing is built or converted here: the duration is the build manifest's (`hotline.prompts.manifest`),
and only while the built file still comes from the source the listing names (a recording added, or a
text changed, since the last build reads "not built" until `hotline prompts` runs again).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from hotline.dialplan.model import Dialplan
from hotline.prompts.manifest import ManifestEntry, load_manifest
from hotline.prompts.names import find_recordings, is_safe_name, output_path

Source = Literal["recorded", "synthesized", "missing", "ambiguous"]
ELLIPSIS = "…"


@dataclass(frozen=True, slots=True)
class PromptRow:
    """One prompt in one language."""

    prompt_id: str
    lang: str
    source: Source  # missing: no text and no recording; ambiguous: several recordings (the build refuses)
    recordings: tuple[str, ...]  # relative to the sounds directory: recorded/ru/greeting.wav
    text: str  # "" when the YAML has none in this language
    duration: float | None  # seconds, as built; None: not built from this source (yet)

    @property
    def source_label(self) -> str:
        if self.source == "recorded":
            return f"recording: {self.recordings[0]}"
        if self.source == "ambiguous":
            return f"{len(self.recordings)} recordings: keep one"
        return "synthesized" if self.source == "synthesized" else "missing: no text, no recording"

    @property
    def duration_label(self) -> str:
        return "not built" if self.duration is None else f"{self.duration:.1f}"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.prompt_id,
            "lang": self.lang,
            "source": self.source,
            "recordings": list(self.recordings),
            "duration": self.duration,
            "built": self.duration is not None,
            "text": self.text,
        }


@dataclass(frozen=True, slots=True)
class PromptListing:
    rows: tuple[PromptRow, ...]

    def summary(self) -> str:
        """`N prompts, M recorded, K synthesized, L not built` (and the missing ones, when there are)."""
        sources = Counter(row.source for row in self.rows)
        not_built = sum(row.duration is None for row in self.rows)
        text = (
            f"{len(self.rows)} prompts, {sources['recorded']} recorded, "
            f"{sources['synthesized']} synthesized, {not_built} not built"
        )
        if sources["missing"]:
            text += f"; {sources['missing']} missing (no text and no recording in that language)"
        if sources["ambiguous"]:
            text += f"; {sources['ambiguous']} with more than one recording"
        return text

    def table(self, width: int = 120) -> list[str]:
        """A table for a terminal of `width` columns: the texts are shortened to fit one line."""
        heads = ("PROMPT", "LANG", "SOURCE", "SECONDS")
        cells = [(r.prompt_id, r.lang, r.source_label, r.duration_label) for r in self.rows]
        widths = [max(len(h), *(len(c[i]) for c in cells)) if cells else len(h) for i, h in enumerate(heads)]
        lead = sum(widths) + 2 * len(widths)
        room = max(20, width - lead)

        def line(values: tuple[str, str, str, str], text: str) -> str:
            left = "  ".join(
                v.rjust(w) if i == 3 else v.ljust(w)
                for i, (v, w) in enumerate(zip(values, widths, strict=True))
            )
            return f"{left}  {text}".rstrip()

        lines = [line(heads, "TEXT")]
        for row, values in zip(self.rows, cells, strict=True):
            lines.append(line(values, shorten(row.text, room) if row.text else "(no text)"))
        return lines

    def to_json(self) -> dict[str, Any]:
        return {"prompts": [row.to_json() for row in self.rows], "summary": self.summary()}


def shorten(text: str, width: int) -> str:
    """The text on one line, cut to `width` characters with an ellipsis when longer."""
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1].rstrip() + ELLIPSIS


def list_prompts(
    dialplan: Dialplan, sounds_dir: Path, out_dir: Path, lang: str | None = None
) -> PromptListing:
    """Every prompt (the generated `group_<id>` ones included) in each of `hotline.languages`, the default
    first, or in `lang` only."""
    recordings = find_recordings(sounds_dir)
    manifest = load_manifest(out_dir)
    default = dialplan.hotline.language
    languages = [default, *(code for code in dialplan.hotline.languages if code != default)]
    if lang is not None:
        languages = [lang]
    rows: list[PromptRow] = []
    for prompt in dialplan.prompts.values():
        for code in languages:
            found = recordings.get((code, prompt.id), [])
            text = prompt.texts.get(code, "").strip()
            source = _source(found, text)
            names = tuple(p.relative_to(sounds_dir).as_posix() for p in found)
            entry = manifest.get(f"{code}/{prompt.id}")
            duration = _built_duration(entry, source, found, text, out_dir, code, prompt.id, sounds_dir)
            rows.append(PromptRow(prompt.id, code, source, names, text, duration))
    return PromptListing(tuple(rows))


def _source(found: list[Path], text: str) -> Source:
    if len(found) > 1:
        return "ambiguous"
    if found:
        return "recorded"
    return "synthesized" if text else "missing"


def _built_duration(
    entry: ManifestEntry | None,
    source: Source,
    found: list[Path],
    text: str,
    out_dir: Path,
    lang: str,
    prompt_id: str,
    sounds_dir: Path,
) -> float | None:
    """The manifest's duration when the built file is there and was made from this very source."""
    if entry is None or source in ("missing", "ambiguous") or not is_safe_name(prompt_id):
        return None
    try:
        if output_path(out_dir, lang, prompt_id).stat().st_size != entry.size:
            return None
    except FileNotFoundError:
        return None
    made = entry.fingerprint
    if source == "recorded":
        stat = found[0].stat()
        same = (
            made.get("source") == "recorded"
            and made.get("file") == found[0].relative_to(sounds_dir).as_posix()
            and made.get("size") == stat.st_size
            and made.get("mtime_ns") == stat.st_mtime_ns
        )
    else:
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        same = made.get("source") == "synthesized" and made.get("text_sha256") == digest
    return entry.duration if same else None
