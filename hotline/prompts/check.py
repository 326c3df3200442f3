"""`hotline check` for prompts: can every prompt be played in the default language?"""

from __future__ import annotations

from pathlib import Path

from hotline.dialplan.model import Dialplan, Prompt
from hotline.errors import Problem
from hotline.prompts.names import RECORDED_DIR, RECORDING_EXTENSIONS, find_recordings, is_safe_name


def _problem(dialplan: Dialplan, prompt: Prompt, message: str, hint: str) -> Problem:
    """A Problem at the prompt's place in the YAML when known, else at the dialplan file."""
    if prompt.span is not None:
        return Problem(prompt.span.file, prompt.span.line, prompt.span.column, message, hint)
    file = dialplan.source_files[0] if dialplan.source_files else "dialplan"
    return Problem(file, 0, 0, message, hint)


def missing_prompts(dialplan: Dialplan, sounds_dir: Path) -> list[Problem]:
    """Every prompt that cannot be produced in the default language (no text there and no recording).

    Also reported, as they stop a prompt from being built: an unsafe prompt id, and two recordings of one
    prompt in one language (which one should play?). Not reported for now: a prompt without a text in
    another language (say English) while other prompts have one; it is then played in the default
    language. The language lints of a later issue will report it.
    """
    recordings = find_recordings(sounds_dir)
    lang = dialplan.hotline.language
    exts = ", ".join(RECORDING_EXTENSIONS)
    problems: list[Problem] = []
    for prompt in dialplan.prompts.values():
        if not is_safe_name(prompt.id):
            problems.append(
                _problem(
                    dialplan,
                    prompt,
                    f"prompt id {prompt.id!r} cannot be a file name",
                    "use ASCII letters, digits, '_' and '-' only",
                )
            )
            continue
        found = recordings.get((lang, prompt.id), [])
        if len(found) > 1:
            names = ", ".join(str(p) for p in found)
            problems.append(
                _problem(
                    dialplan,
                    prompt,
                    f"prompt {prompt.id!r} has {len(found)} recordings in {lang!r}: {names}",
                    "keep one",
                )
            )
        elif not found and not prompt.texts.get(lang, "").strip():
            where = sounds_dir / RECORDED_DIR / lang / f"{prompt.id}.wav"
            problems.append(
                _problem(
                    dialplan,
                    prompt,
                    f"prompt {prompt.id!r} has no text in the default language {lang!r} and no recording",
                    f"add a `{lang}:` text to it, or a recording such as {where} ({exts})",
                )
            )
    return problems
