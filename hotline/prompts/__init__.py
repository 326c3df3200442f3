"""Voice prompts: admins' recordings and synthesized texts, made into what Asterisk plays natively.

Layout (sounds_dir is the repository's `sounds/`):

    sounds/recorded/<lang>/<prompt_id>.{wav,mp3,ogg,flac}   recordings an admin dropped in: they win
    sounds/.generated/<lang>/<prompt_id>.wav               the usual out_dir (gitignored): 8 kHz mono
    sounds/.generated/.manifest.json                        16-bit WAV, and what each was made from
    sounds/recorded/<lang>/digits/1f.<ext>                 the same for the files of Asterisk's own
    sounds/.generated/<lang>/digits/1f.wav                 sound set that the hotline adds (`SOUND_SET`)

`build_prompts` makes every prompt (see `hotline.prompts.audio` for the conversion: 8 kHz mono 16-bit,
silence trimmed, loudness -18 dBFS RMS with peaks at most -1 dBFS, refused when silent or over 120 s);
the files of Asterisk's sound set that the hotline needs and the packaged sounds lack (`SOUND_SET`:
Russian "одна", "две" for the feminine minutes) are built with them, and the sandbox adds them beside
Asterisk's own sounds. `missing_prompts` is the check behind `hotline check`; `prompt_path` is the name
the engine hands to STREAM FILE.
"""

from __future__ import annotations

from hotline.prompts.audio import DEFAULT_RATE, DEFAULT_VOICES, MAX_SECONDS, TARGET_DBFS
from hotline.prompts.build import BuildReport, BuiltPrompt, ProgressCallback, PromptFailure, build_prompts
from hotline.prompts.check import missing_prompts
from hotline.prompts.manifest import MANIFEST_NAME
from hotline.prompts.names import GENERATED_DIR, RECORDED_DIR, RECORDING_EXTENSIONS, prompt_path
from hotline.prompts.sound_set import SOUND_SET, SoundSetFile, sound_set_files

__all__ = [
    "DEFAULT_RATE",
    "DEFAULT_VOICES",
    "GENERATED_DIR",
    "MANIFEST_NAME",
    "MAX_SECONDS",
    "RECORDED_DIR",
    "RECORDING_EXTENSIONS",
    "SOUND_SET",
    "TARGET_DBFS",
    "BuildReport",
    "BuiltPrompt",
    "ProgressCallback",
    "PromptFailure",
    "SoundSetFile",
    "build_prompts",
    "missing_prompts",
    "prompt_path",
    "sound_set_files",
]
