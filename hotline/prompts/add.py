"""`hotline prompts add ID FILE`: an admin's recording of a prompt, checked and converted at once.

The file may be in any format ffmpeg reads (wav, mp3, ogg, flac, m4a...). It goes through the pipeline
of every prompt (`hotline.prompts.audio`: 8 kHz mono, silence trimmed, loudness set; refused when too
long, silent or unreadable), and what comes out is stored as THE recording of that prompt:
`sounds/recorded/<lang>/<id>.wav`. Any other recording of that prompt and language (`<id>.mp3`,
`<id>.ogg`...) is removed, so there is only one and the next `hotline prompts` build takes it.

The converted WAV is kept rather than the original: it is what callers hear, it was checked once, and
building from it again changes nothing audible. An admin who may want the original later (for another
pipeline, a better line) keeps it elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hotline.dialplan.fields import did_you_mean
from hotline.dialplan.model import Dialplan
from hotline.errors import PromptError
from hotline.log import get_logger
from hotline.prompts import audio
from hotline.prompts.names import RECORDED_DIR, check_name, find_recordings

log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class AddedRecording:
    """A recording stored for a prompt: where, how long it plays, and how its loudness was changed."""

    prompt_id: str
    lang: str
    path: Path  # sounds/recorded/<lang>/<id>.wav
    duration: float  # seconds, as played (after trimming)
    loudness_before: float  # dBFS RMS of the file as given (silence included)
    loudness_after: float  # dBFS RMS as stored
    removed: tuple[Path, ...]  # the prompt's earlier recordings of other formats

    @property
    def gain(self) -> float:
        return self.loudness_after - self.loudness_before

    def __str__(self) -> str:
        text = (
            f"{self.lang}/{self.prompt_id}: stored {self.path} ({self.duration:.1f} s; loudness "
            f"{self.loudness_before:.1f} -> {self.loudness_after:.1f} dBFS RMS, {self.gain:+.1f} dB)"
        )
        if self.removed:
            text += "; replaced " + ", ".join(p.name for p in self.removed)
        return text


def add_recording(
    dialplan: Dialplan, sounds_dir: Path, prompt_id: str, source: Path, lang: str | None = None
) -> AddedRecording:
    """Convert `source` and store it as the recording of `prompt_id` in `lang` (default: the hotline's).

    PromptError, with nothing stored, for a prompt the dialplan does not have, a language it does not
    offer, a file that is missing, unreadable, silent or too long.
    """
    lang = lang or dialplan.hotline.language
    if lang not in dialplan.hotline.languages:
        raise PromptError(
            f"language {lang!r} is not offered by the hotline: hotline.languages is "
            + ", ".join(dialplan.hotline.languages)
        )
    if prompt_id not in dialplan.prompts:
        hint = did_you_mean(prompt_id, dialplan.prompts, what="prompts")
        raise PromptError(f"unknown prompt {prompt_id!r}: {hint} (`hotline prompts list` shows them all)")
    check_name("prompt id", prompt_id)
    if not source.is_file():
        raise PromptError(f"{source}: no such file")
    what = str(source)
    raw = audio.decode(audio.find_tool("ffmpeg"), source, what)
    if len(raw) == 0:
        raise PromptError(f"{what} holds no sound (is it an audio file?)")
    sound = audio.condition(raw, what, "record it again, or check the file")
    target = sounds_dir / RECORDED_DIR / lang / f"{prompt_id}.wav"
    audio.write_wav(sound, target)
    removed = []
    for old in find_recordings(sounds_dir).get((lang, prompt_id), []):
        if old != target:
            old.unlink()
            removed.append(old)
    added = AddedRecording(
        prompt_id, lang, target, round(len(sound) / 1000, 3), raw.dBFS, sound.dBFS, tuple(removed)
    )
    log.info(
        "prompt.recording_added",
        prompt=prompt_id,
        lang=lang,
        path=str(target),
        duration=added.duration,
        gain=round(added.gain, 1),
        removed=[str(p) for p in removed],
    )
    return added
