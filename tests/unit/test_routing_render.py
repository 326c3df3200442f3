"""Skill routing in the rendered configuration: widening rules, the caller's priority, the whisper."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from hotline.dialplan.model import Dialplan, Operator
from hotline.plural import plural_form
from hotline.render import render_all
from hotline.render.extensions import render_extensions
from hotline.render.queue_rules import render_queue_rules
from hotline.render.queue_whisper import plural_form_lines
from hotline.sandbox.ami_reload import reloadable_of
from hotline.secrets import Secrets
from hotline.settings import Settings

SECRETS = Secrets(ami="a" * 32, redis="r" * 32, operators={"op1": "p" * 32, "op2": "q" * 32})


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.from_env({"HOTLINE_STATE_DIR": str(tmp_path)})


def widened(dialplan: Dialplan, group: str, steps: tuple[int, ...]) -> Dialplan:
    groups = dict(dialplan.skill_groups)
    groups[group] = dataclasses.replace(groups[group], widen_after=steps)
    return dataclasses.replace(dialplan, skill_groups=groups)


def queue_extension(text: str, group: str) -> str:
    start = text.index(f"exten => {group},1,")
    return text[start : text.index("Hangup(16)", start)]


def test_queue_rules_widen_one_level_per_step_and_every_level_after_the_last(tiny: Dialplan) -> None:
    """Step i lets level i+2 ring (max penalty i+1); the last step opens the group's lowest level too."""
    ops = dict(tiny.operators)
    ops["op3"] = Operator(id="op3", name="Вера", extension="103", skills={"general": 4})
    dialplan = widened(dataclasses.replace(tiny, operators=ops), "general", (8, 20))
    assert render_queue_rules(dialplan) == (
        "; Rendered by `hotline` from the skill groups' widen_after steps of the dialplan YAML.\n"
        "\n"
        "[hotline-general]\n"
        "penaltychange = 8,1\n"
        "penaltychange = 20,3\n"
    )


def test_a_group_without_steps_has_no_rule_and_rings_every_level_at_once(
    tiny: Dialplan, settings: Settings
) -> None:
    """No widen_after: no rule, QUEUE_MAX_PENALTY every level (a caller overflowing from a narrowed group
    must not keep its narrow search), and Queue() gets no rule argument."""
    dialplan = widened(tiny, "heating", (10,))
    assert "[hotline-general]" not in render_queue_rules(dialplan)
    general = queue_extension(render_extensions(dialplan, settings), "general")
    assert " same => n,Set(QUEUE_MAX_PENALTY=4)\n" in general
    assert " same => n,Queue(hotline-general,r,,,,,hotline-queue-whisper)\n" in general


def test_a_group_with_steps_starts_at_level_one_and_queues_under_its_rule(
    tiny: Dialplan, settings: Settings
) -> None:
    """The caller joins with QUEUE_MAX_PENALTY=0 and the rule is Queue()'s 8th argument (after gosub)."""
    heating = queue_extension(render_extensions(widened(tiny, "heating", (10, 30)), settings), "heating")
    assert " same => n,Set(QUEUE_MAX_PENALTY=0)\n" in heating
    assert " same => n,Queue(hotline-heating,r,,,300,,hotline-queue-whisper,hotline-heating)\n" in heating


def test_the_callers_priority_is_checked_before_it_becomes_queue_prio(
    tiny: Dialplan, settings: Settings
) -> None:
    """Only 1 to 3 digits from the engine become QUEUE_PRIO; anything else (or nothing) is priority 0."""
    heating = queue_extension(render_extensions(tiny, settings), "heating")
    assert (
        ' same => n,Set(QUEUE_PRIO=${IF($[${REGEX("^[0-9]{1,3}$" ${HOTLINE_PRIORITY})}]'
        "?${HOTLINE_PRIORITY}:0)})\n" in heating
    )
    assert heating.index("QUEUE_PRIO") < heating.index("Queue(")


def test_the_whisper_group_and_first_join_time_are_inherited_by_the_operators_channel(
    tiny: Dialplan, settings: Settings
) -> None:
    """`__` variables reach the channel Queue() dials; an overflow keeps the first join time."""
    heating = queue_extension(render_extensions(tiny, settings), "heating")
    assert " same => n,Set(__HOTLINE_WHISPER_GROUP=heating)\n" in heating
    assert (
        ' same => n,Set(__HOTLINE_WHISPER_SINCE=${IF($["${HOTLINE_WHISPER_SINCE}" = ""]'
        "?${EPOCH}:${HOTLINE_WHISPER_SINCE})})\n" in heating
    )


def test_the_whisper_says_the_group_then_the_minutes_waited_with_their_plural_word(
    tiny: Dialplan, settings: Settings
) -> None:
    """Checked values make the file names; under a minute a prompt of its own; then Return()."""
    text = render_extensions(tiny, settings)
    whisper = text[text.index("[hotline-queue-whisper]") :]
    sounds = "/var/lib/hotline/sounds/ru"
    assert (
        "exten => s,1,SoftHangup(Local/${FILTER(0-9.,${HOTLINE_QUEUE_CALLER})}@hotline-announce,a)\n"
        " same => n,UserEvent(HotlineWhisper,Stage: start)\n"
        " same => n,Set(CHANNEL(language)=ru)\n"
        ' same => n,GotoIf($[${REGEX("^[a-z][a-z0-9_-]{0,39}$" ${HOTLINE_WHISPER_GROUP})}]?:waited)\n'
        f" same => n,Playback({sounds}/group_${{HOTLINE_WHISPER_GROUP}})\n" in whisper
    )
    assert (
        f" same => n,Playback({sounds}/q_whisper_waited)\n same => n,SayNumber(${{minutes}},f)\n" in whisper
    )
    assert f" same => n,Playback({sounds}/cb_minutes_${{form}})\n same => n,Goto(done)\n" in whisper
    assert f" same => n(under),Playback({sounds}/q_whisper_under_minute)\n" in whisper
    assert " same => n(done),UserEvent(HotlineWhisper,Stage: end)\n same => n,Return()\n" in whisper


def _evaluate(lines: list[str], minutes: int) -> str:
    """Run the rendered Set(form=${IF($[...]?a:b)}) lines the way Asterisk would, for one count."""
    form = ""
    for line in lines:
        body = line.replace("${minutes}", str(minutes)).replace("${LOCAL(form)}", form)
        m = re.fullmatch(r"Set\(LOCAL\(form\)=\$\{IF\(\$\[(.*)\]\?(\w+):(\w+)\)\}\)", body)
        assert m is not None, body
        expr = m.group(1).replace("!=", "<>").replace("=", "==").replace("<>", "!=")
        expr = expr.replace(">==", ">=").replace("<==", "<=").replace("&", " and ").replace("|", " or ")
        form = m.group(2) if eval(expr) else m.group(3)  # noqa: S307 - our own rendered arithmetic
    return form


@pytest.mark.parametrize("language", ["ru", "en"])
def test_the_dialplans_plural_form_agrees_with_hotline_plural(language: str) -> None:
    """The dialplan picks cb_minutes_<form> as `plural_form` would, for 0 to 250 minutes."""
    lines = plural_form_lines("minutes", "LOCAL(form)", language)
    assert [_evaluate(lines, n) for n in range(251)] == [plural_form(n, language) for n in range(251)]


def test_render_all_renders_queuerules_from_the_yaml(tiny: Dialplan, settings: Settings) -> None:
    """queuerules.conf is no longer a static file: the groups' steps make it."""
    files = render_all(widened(tiny, "heating", (15,)), settings, SECRETS)
    assert "[hotline-heating]\npenaltychange = 15,1\n" in files["queuerules.conf"]


def test_a_changed_queuerules_is_reloaded_before_the_queues_that_use_it() -> None:
    """`hotline reload` and `sandbox up` reload the rules (QueueReload Rules: yes) before queues.conf."""
    assert reloadable_of(["extensions.conf", "queues.conf", "queuerules.conf"]) == [
        "queuerules.conf",
        "queues.conf",
        "extensions.conf",
    ]
