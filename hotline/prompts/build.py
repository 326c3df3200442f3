"""Building every prompt of a dialplan into out_dir/<lang>/<prompt_id>.wav, from recordings or texts, and
the files of Asterisk's own sound set the hotline needs (`hotline.prompts.sound_set`) the same way."""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from hotline.dialplan.model import Dialplan, Prompt
from hotline.errors import PromptError
from hotline.log import get_logger
from hotline.prompts import audio
from hotline.prompts.manifest import Fingerprint, ManifestEntry, load_manifest, save_manifest
from hotline.prompts.names import (
    RECORDED_DIR,
    find_recordings,
    find_sound_recordings,
    output_of_key,
    output_path,
    sound_output_path,
)
from hotline.prompts.sound_set import sound_set_files

log = get_logger(__name__)

Source = Literal["recorded", "synthesized"]


@dataclass(frozen=True, slots=True)
class BuiltPrompt:
    """One prompt in one language, ready for Asterisk to play; or one file of Asterisk's sound set."""

    prompt_id: str  # for a file of Asterisk's sound set, its name there: "digits/1f"
    lang: str
    source: Source
    path: Path  # out_dir/<lang>/<prompt_id>.wav
    duration: float  # seconds, as played (after trimming)
    rebuilt: bool  # False: the file of an earlier build was still right and was kept
    in_sound_set: bool = False  # True: it goes beside Asterisk's own sounds, not among the prompts

    def __str__(self) -> str:
        state = "built" if self.rebuilt else "unchanged"
        where = " (for Asterisk's own sounds)" if self.in_sound_set else ""
        return f"{self.lang}/{self.prompt_id}: {self.source}, {self.duration:.1f} s, {state}{where}"


@dataclass(frozen=True, slots=True)
class PromptFailure:
    """One prompt in one language that could not be built, and why."""

    prompt_id: str
    lang: str
    reason: str

    def __str__(self) -> str:
        return f"{self.lang}/{self.prompt_id}: {self.reason}"


ProgressCallback = Callable[[int, int, BuiltPrompt | PromptFailure], None]  # (done, total, what)


@dataclass(frozen=True, slots=True)
class BuildReport:
    """What build_prompts made or kept, in dialplan order, and the stale files it removed."""

    prompts: tuple[BuiltPrompt, ...]
    removed: tuple[Path, ...] = ()
    sounds: tuple[BuiltPrompt, ...] = ()  # the files of Asterisk's sound set, by language

    @property
    def rebuilt(self) -> tuple[BuiltPrompt, ...]:
        return tuple(p for p in self.prompts if p.rebuilt)

    @property
    def reused(self) -> tuple[BuiltPrompt, ...]:
        return tuple(p for p in self.prompts if not p.rebuilt)

    def get(self, prompt_id: str, lang: str) -> BuiltPrompt:
        """The prompt `prompt_id` (or the sound `digits/1f`) in `lang`; KeyError when it was not built."""
        for p in (*self.prompts, *self.sounds):
            if (p.prompt_id, p.lang) == (prompt_id, lang):
                return p
        raise KeyError(f"{lang}/{prompt_id}")

    def summary(self) -> str:
        """One line for the CLI: counts per language, per source, rebuilt and reused."""
        langs = Counter(p.lang for p in self.prompts)
        sources = Counter(p.source for p in self.prompts)
        per_lang = ", ".join(f"{lang}: {n}" for lang, n in sorted(langs.items()))
        text = (
            f"{len(self.prompts)} prompt files ({per_lang}): "
            f"{sources['synthesized']} synthesized, {sources['recorded']} recorded; "
            f"{len(self.rebuilt)} rebuilt, {len(self.reused)} unchanged"
        )
        if self.sounds:
            per_lang = ", ".join(
                f"{lang}: {n}" for lang, n in sorted(Counter(s.lang for s in self.sounds).items())
            )
            rebuilt = sum(s.rebuilt for s in self.sounds)
            text += f"; {len(self.sounds)} for Asterisk's own sounds ({per_lang}), {rebuilt} rebuilt"
        if self.removed:
            text += f"; {len(self.removed)} stale removed"
        return text


@dataclass(frozen=True, slots=True)
class _Job:
    prompt_id: str
    lang: str
    source: Source
    output: Path
    fingerprint: Fingerprint
    recording: Path | None = None
    text: str = ""
    voice: str = ""
    in_sound_set: bool = False

    @property
    def key(self) -> str:
        return f"{self.lang}/{self.prompt_id}"


def _languages(prompt: Prompt, default: str, recorded: set[tuple[str, str]]) -> list[str]:
    """The default language first, then every other one with a text or a recording, sorted."""
    others = set(prompt.texts) | {lang for lang, pid in recorded if pid == prompt.id}
    others.discard(default)
    return [default, *sorted(others)]


@dataclass(frozen=True, slots=True)
class _Sources:
    """Where one file can come from: the admins' sounds directory, the voices and the speech rate."""

    sounds_dir: Path
    voices: Mapping[str, str]
    rate: int

    def job(
        self, name: str, lang: str, output: Path, found: list[Path], text: str, *, in_sound_set: bool = False
    ) -> _Job | PromptFailure:
        """The job that makes `output`: from the one recording found, else from the text."""
        if len(found) > 1:
            names = ", ".join(p.name for p in found)
            return PromptFailure(name, lang, f"more than one recording ({names}): keep one")
        if found:
            stat = found[0].stat()
            fingerprint: Fingerprint = {
                "source": "recorded",
                "file": found[0].relative_to(self.sounds_dir).as_posix(),
                "size": stat.st_size,
                "mtime_ns": stat.st_mtime_ns,
                "pipeline": audio.PIPELINE_VERSION,
            }
            return _Job(
                name, lang, "recorded", output, fingerprint, recording=found[0], in_sound_set=in_sound_set
            )
        if text:
            voice = self.voices.get(lang, lang)
            fingerprint = {
                "source": "synthesized",
                "text_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
                "voice": voice,
                "rate": self.rate,
                "pipeline": audio.PIPELINE_VERSION,
            }
            return _Job(
                name,
                lang,
                "synthesized",
                output,
                fingerprint,
                text=text,
                voice=voice,
                in_sound_set=in_sound_set,
            )
        where = self.sounds_dir / RECORDED_DIR / lang
        return PromptFailure(name, lang, f"no {lang} text and no recording in {where}")


def _plan(
    dialplan: Dialplan, sounds_dir: Path, out_dir: Path, voices: Mapping[str, str], rate: int
) -> list[_Job | PromptFailure]:
    """What to make for every prompt and language (a recording wins over a text), then for the files of
    Asterisk's sound set in each of the hotline's languages."""
    sources = _Sources(sounds_dir, voices, rate)
    recordings = find_recordings(sounds_dir)
    default = dialplan.hotline.language
    plan: list[_Job | PromptFailure] = []
    for prompt in dialplan.prompts.values():
        for lang in _languages(prompt, default, set(recordings)):
            try:
                output = output_path(out_dir, lang, prompt.id)
            except PromptError as exc:
                plan.append(PromptFailure(prompt.id, lang, str(exc)))
                continue
            found = recordings.get((lang, prompt.id), [])
            plan.append(sources.job(prompt.id, lang, output, found, prompt.texts.get(lang, "").strip()))
    for lang in [default, *sorted(set(dialplan.hotline.languages) - {default})]:
        for sound in sound_set_files(lang):
            try:
                output = sound_output_path(out_dir, lang, sound.name)
            except PromptError as exc:
                plan.append(PromptFailure(sound.name, lang, str(exc)))
                continue
            found = find_sound_recordings(sounds_dir, lang, sound.name)
            plan.append(sources.job(sound.name, lang, output, found, sound.text, in_sound_set=True))
    return plan


def _is_current(job: _Job, entry: ManifestEntry | None) -> bool:
    """True when the output on disk was made from exactly this source and is still intact."""
    if entry is None or entry.fingerprint != job.fingerprint:
        return False
    try:
        return job.output.stat().st_size == entry.size
    except FileNotFoundError:
        return False


def _make(job: _Job, ffmpeg: str, espeak: str, rate: int) -> ManifestEntry | PromptFailure:
    """Convert or synthesize one prompt into its output file (runs in a worker thread)."""
    try:
        if job.recording is not None:
            what = str(job.recording)
            raw = audio.decode(ffmpeg, job.recording, what)
            hint = "record it again, or check the file"
        else:
            what = f"the speech synthesized from the {job.lang} text"
            raw = audio.synthesize(espeak, ffmpeg, job.text, job.voice, rate, what)
            hint = "check the text and the voice"
        sound = audio.condition(raw, what, hint)
        audio.write_wav(sound, job.output)
        return ManifestEntry(job.fingerprint, round(len(sound) / 1000, 3), job.output.stat().st_size)
    except PromptError as exc:
        return PromptFailure(job.prompt_id, job.lang, str(exc))
    except OSError as exc:
        return PromptFailure(job.prompt_id, job.lang, f"cannot write {job.output}: {exc.strerror or exc}")


def _result(
    job: _Job, making: dict[str, Future[ManifestEntry | PromptFailure]], manifest: dict[str, ManifestEntry]
) -> BuiltPrompt | PromptFailure:
    """The outcome for one job: what its worker made (the manifest learns it), or what was kept."""
    future = making.get(job.key)
    if future is not None:
        made = future.result()
        if isinstance(made, PromptFailure):
            return made
        manifest[job.key] = made
        log.info(
            "prompt.built", prompt=job.prompt_id, lang=job.lang, source=job.source, duration=made.duration
        )
    entry = manifest[job.key]
    return BuiltPrompt(
        job.prompt_id, job.lang, job.source, job.output, entry.duration, future is not None, job.in_sound_set
    )


def _remove_stale(out_dir: Path, manifest: dict[str, ManifestEntry], wanted: set[str]) -> list[Path]:
    """Delete the outputs we made earlier for prompts or languages the dialplan no longer has."""
    removed: list[Path] = []
    for key in sorted(set(manifest) - wanted):
        del manifest[key]
        path = output_of_key(out_dir, key)
        if path is not None and path.exists():
            path.unlink()
            removed.append(path)
            log.info("prompt.removed", path=str(path))
    return removed


def build_prompts(
    dialplan: Dialplan,
    sounds_dir: Path,
    out_dir: Path,
    *,
    progress: ProgressCallback | None = None,
    voices: Mapping[str, str] | None = None,
    rate: int = audio.DEFAULT_RATE,
) -> BuildReport:
    """Make out_dir/<lang>/<prompt_id>.wav for every prompt and language; unchanged ones are kept.

    Then, for each of the hotline's languages, out_dir/<lang>/<name>.wav for the files of Asterisk's own
    sound set that the hotline needs (`SOUND_SET`, such as ru/digits/1f): from a recording
    sounds_dir/recorded/<lang>/<name>.<ext> when there is one, else from its text. They are reported
    (and passed to `progress`) after the prompts, in BuildReport.sounds.

    A recording in sounds_dir/recorded/<lang>/ wins over the text; a text is spoken by espeak-ng
    (`voices` maps a language to a voice, over DEFAULT_VOICES; else the language code is the voice).
    Every prompt is built in the default language and in each language it has a text or a recording
    for. A prompt that cannot be built does not stop the others: PromptError at the end lists them all,
    and the file of an earlier build, if any, stays in place. Files made earlier for prompts the
    dialplan no longer has are removed. Raises PromptError at once when ffmpeg or espeak-ng is needed
    and missing.
    """
    voice_map = {**audio.DEFAULT_VOICES, **(voices or {})}
    plan = _plan(dialplan, sounds_dir, out_dir, voice_map, rate)
    manifest = load_manifest(out_dir)
    todo = {job.key for job in plan if isinstance(job, _Job) and not _is_current(job, manifest.get(job.key))}
    ffmpeg = audio.find_tool("ffmpeg") if todo else ""
    needs_speech = any(isinstance(j, _Job) and j.key in todo and j.source == "synthesized" for j in plan)
    espeak = audio.find_tool("espeak-ng") if needs_speech else ""

    built: list[BuiltPrompt] = []
    sounds: list[BuiltPrompt] = []
    failures: list[PromptFailure] = []
    # Each prompt costs an ffmpeg start (~0.1 s) and an espeak-ng run: make them side by side. Results
    # are taken in dialplan order, here, so progress and the manifest stay in this thread.
    pool = ThreadPoolExecutor(max_workers=max(1, min(len(todo), os.cpu_count() or 1)))
    try:
        making = {
            job.key: pool.submit(_make, job, ffmpeg, espeak, rate)
            for job in plan
            if isinstance(job, _Job) and job.key in todo
        }
        for done, item in enumerate(plan, start=1):
            result = item if isinstance(item, PromptFailure) else _result(item, making, manifest)
            if isinstance(result, PromptFailure):
                failures.append(result)
                log.warning("prompt.refused", prompt=result.prompt_id, lang=result.lang, reason=result.reason)
            else:
                (sounds if result.in_sound_set else built).append(result)
            if progress is not None:
                progress(done, len(plan), result)
        wanted = {f"{item.lang}/{item.prompt_id}" for item in plan}
        removed = _remove_stale(out_dir, manifest, wanted)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)  # on Ctrl-C: finish what runs, start nothing new
        save_manifest(out_dir, manifest)  # even when interrupted: what was made is not made again
    if failures:
        count = len(failures)
        raise PromptError(
            f"{count} prompt{'s' if count != 1 else ''} could not be built (the others were):\n"
            + "\n".join(f"  {f}" for f in failures)
        )
    return BuildReport(tuple(built), tuple(removed), tuple(sounds))
