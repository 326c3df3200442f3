"""The files of Asterisk's own sound set that the hotline needs and the packaged sounds lack.

The minutes are said with a feminine number (`MINUTES_GENDER`, "f": AGI `SAY NUMBER n keys f` and
`SayNumber(n,f)`). For Russian, Asterisk's say.c (`ast_say_number_full_ru`) then plays `digits/1f`
("одна") and `digits/2f` ("две") for a number ending in 1 or 2 (not 11 or 12), but Debian's
asterisk-core-sounds-ru has only `digits/1`, `digits/2`, `digits/1n` and `digits/2n`, and Asterisk skips a
missing file with a warning: "21 минута" would be heard as "двадцать минута". The packaged set also lacks
the hundreds (`digits/100` .. `digits/900`) and the plural thousands that say.c's Russian plays for 100
and more: not added yet (a whisper for a request over 99 minutes old misses those words). English says
numbers without gender, so it needs nothing.

The prompt builder makes these like prompts: `<out_dir>/<lang>/<name>.wav` (`sounds/.generated/ru/digits/
1f.wav`), from an admin's recording at `sounds/recorded/<lang>/<name>.<ext>` when there is one, else
synthesized from `text`. The sandbox adds them beside the packaged sounds (`<astdatadir>/sounds/<lang>/
<name>.wav`); a production Asterisk needs the same copy (docs/dialplan.md, `prompts`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final


@dataclass(frozen=True, slots=True)
class SoundSetFile:
    """One file of Asterisk's sound set, named as Asterisk plays it (without extension)."""

    name: str  # "digits/1f": a directory of the sound set and a file name, each a safe name
    text: str  # what it says, synthesized when no recording of it exists


# Per language; a language not listed needs nothing. Keep in step with MINUTES_GENDER
# (hotline.dialplan.prompt_ids): another gender would need other files (say.c's "digits/1n"...).
SOUND_SET: Final[Mapping[str, tuple[SoundSetFile, ...]]] = MappingProxyType(
    {
        "ru": (SoundSetFile("digits/1f", "одна"), SoundSetFile("digits/2f", "две")),
        "en": (),
    }
)


def sound_set_files(lang: str) -> tuple[SoundSetFile, ...]:
    """The files of Asterisk's sound set the hotline adds in `lang` (none for most languages)."""
    return SOUND_SET.get(lang, ())
