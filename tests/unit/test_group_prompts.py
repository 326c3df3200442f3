"""Each skill group's name is a prompt, `group_<id>`, derived from its title: loaded, checked and built like
the prompts the admins write, which may give it other words."""

from __future__ import annotations

import dataclasses
import wave
from pathlib import Path

from dialplan_edits import DEFAULT, loads, where
from pydub.generators import Sine

from hotline.dialplan import load_dialplan
from hotline.dialplan.model import Prompt, Span
from hotline.dialplan.prompt_ids import group_prompt, with_group_prompts
from hotline.prompts import build_prompts, missing_prompts

PROMPTS = "\nprompts:\n"


def test_every_group_has_a_prompt_saying_its_title_in_the_default_language() -> None:
    """group_gas says "Газоснабжение", is located at the group, and the derived prompts come last."""
    d = load_dialplan(DEFAULT)
    derived = [pid for pid in d.prompts if pid.startswith("group_")]
    assert derived == [group_prompt(g) for g in d.skill_groups]
    assert list(d.prompts)[-len(derived) :] == derived
    assert d.prompts["group_gas"] == Prompt(
        "group_gas", {"ru": "Газоснабжение"}, Span(*where(DEFAULT, "  gas:\n", "gas"))
    )
    assert all(d.prompts[group_prompt(g.id)].texts == {"ru": g.title} for g in d.skill_groups.values())


def test_the_admins_words_for_a_group_win_and_the_title_fills_a_missing_default_text(
    tmp_path: Path,
) -> None:
    """`group_water` written in full keeps its words; `group_gas` given in English only takes the title
    as its Russian text; the other groups keep their titles."""
    d = loads(
        tmp_path,
        (PROMPTS, PROMPTS + "  group_gas: {en: Gas supply}\n  group_water: {ru: Вода, en: Water}\n"),
    )
    assert d.prompts["group_gas"].texts == {"ru": "Газоснабжение", "en": "Gas supply"}
    assert d.prompts["group_water"].texts == {"ru": "Вода", "en": "Water"}
    assert d.prompts["group_gas"].span == Span(*where(tmp_path / "hotline.yaml", "  group_gas:", "group_gas"))
    assert d.prompts["group_heating"].texts == {"ru": "Отопление и горячая вода"}


def test_a_group_prompt_may_be_played_by_a_menu_action(tmp_path: Path) -> None:
    """The derived names are declared: `prompt: group_gas` refers to a defined prompt."""
    d = loads(tmp_path, ('"4": {queue: gas}', '"4": {queue: gas, prompt: group_gas}'))
    assert d.menus["main"].options["4"].prompt == "group_gas"


def test_merging_leaves_the_given_prompts_alone() -> None:
    """with_group_prompts returns a new dict; a prompt of another name is never touched."""
    d = load_dialplan(DEFAULT)
    given = {"greeting": d.prompts["greeting"]}
    merged = with_group_prompts(given, d.skill_groups, "ru")
    assert given == {"greeting": d.prompts["greeting"]}
    assert merged["greeting"] is d.prompts["greeting"]
    assert len(merged) == 1 + len(d.skill_groups)


def test_two_recordings_of_a_group_prompt_are_reported_at_the_group(tmp_path: Path) -> None:
    """`hotline check` checks the derived prompts too, and points at the group they come from."""
    sounds = tmp_path / "sounds"
    (sounds / "recorded" / "ru").mkdir(parents=True)
    for name in ("group_gas.wav", "group_gas.ogg"):
        (sounds / "recorded" / "ru" / name).write_bytes(b"")
    [problem] = missing_prompts(load_dialplan(DEFAULT), sounds)
    assert (problem.file, problem.line, problem.column) == where(DEFAULT, "  gas:\n", "gas")
    assert "prompt 'group_gas' has 2 recordings in 'ru'" in problem.message


def test_group_prompts_are_synthesized_from_the_title_unless_recorded(tmp_path: Path) -> None:
    """The builder speaks group_gas from its title and converts the recording of group_water."""
    d = load_dialplan(DEFAULT)
    only = {pid: d.prompts[pid] for pid in ("group_gas", "group_water")}
    sounds, out = tmp_path / "sounds", tmp_path / "sounds" / ".generated"
    recording = sounds / "recorded" / "ru" / "group_water.wav"
    recording.parent.mkdir(parents=True)
    Sine(440, sample_rate=8000).to_audio_segment(duration=1000, volume=-6.0).export(
        str(recording), format="wav"
    ).close()

    report = build_prompts(dataclasses.replace(d, prompts=only), sounds, out)

    assert [(p.prompt_id, p.lang, p.source) for p in report.prompts] == [
        ("group_gas", "ru", "synthesized"),
        ("group_water", "ru", "recorded"),
    ]
    with wave.open(str(out / "ru" / "group_gas.wav")) as wav:
        assert wav.getnframes() / wav.getframerate() > 0.5  # "Газоснабжение" was said
