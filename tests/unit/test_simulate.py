"""`hotline.simulate`: a scripted caller walks the default dialplan; the transcript says what they heard."""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from dialplan_edits import DEFAULT
from structlog.contextvars import merge_contextvars
from structlog.testing import capture_logs

from hotline.dialplan import load_dialplan
from hotline.dialplan.model import Dialplan, Prompt
from hotline.errors import ScriptError
from hotline.simulate import (
    SILENCE,
    Ending,
    Event,
    Transcript,
    as_json,
    describe,
    parse_at,
    parse_keys,
    simulate,
)

MSK = ZoneInfo("Europe/Moscow")
TUESDAY_10 = dt.datetime(2026, 11, 17, 10, 0, tzinfo=MSK)
SUNDAY_NOON = dt.datetime(2026, 11, 22, 12, 0, tzinfo=MSK)


@pytest.fixture(scope="module")
def default() -> Dialplan:
    return load_dialplan(DEFAULT)


def prompts(t: Transcript) -> list[str]:
    return [e.value for e in t.events if e.kind == "prompt"]


# --- the keys notation --------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["6 1", "6,1", "61", " 6 , 1 "])
def test_spaces_and_commas_only_separate_keys(text: str) -> None:
    """`6 1`, `6,1` and `61` are the same two keys."""
    assert parse_keys(text) == ("6", "1")


def test_a_dash_or_an_underscore_is_a_silence_and_star_and_hash_are_keys() -> None:
    """- and _ both stand for a wait the caller lets run out."""
    assert parse_keys("-_*#0") == (SILENCE, SILENCE, "*", "#", "0")


@pytest.mark.parametrize("text", ["1 x", "1;2", "1+2", "один"])
def test_anything_else_in_the_keys_is_refused_saying_what_to_write(text: str) -> None:
    """A character that is no key names itself and lists what may be written."""
    with pytest.raises(ScriptError, match=r"is not a key: write keys 0-9, \* and #, - or _ for a silence"):
        parse_keys(text)


def test_a_time_is_read_in_the_hotlines_zone() -> None:
    """`2026-12-31 18:30` is local time of the zone given."""
    assert parse_at("2026-12-31 18:30", "Europe/Moscow") == dt.datetime(2026, 12, 31, 18, 30, tzinfo=MSK)


@pytest.mark.parametrize("text", ["tomorrow", "2026-12-31", "31.12.2026 18:30", "2026-02-30 10:00"])
def test_a_time_that_is_not_one_is_refused_with_the_format(text: str) -> None:
    with pytest.raises(ScriptError, match="YYYY-MM-DD HH:MM"):
        parse_at(text, "Europe/Moscow")


# --- the menus ----------------------------------------------------------------------------------------------


def test_a_key_pressed_during_the_greeting_is_the_first_menus_choice(default: Dialplan) -> None:
    """Type-ahead: 1 cuts the greeting and chooses heating, whose prompt the next 1 cuts; the main
    menu's prompt is never played."""
    t = simulate(default, "1 1", TUESDAY_10)
    assert t.events[:4] == (
        Event(
            "prompt",
            "greeting",
            "Здравствуйте! Вы позвонили на горячую линию жилищно-коммунального хозяйства. "
            "For English, press the hash key.",
        ),
        Event("key", "1", during="greeting"),
        Event("prompt", "heating_menu", t.events[2].text),
        Event("key", "1", during="heating_menu"),
    )
    assert prompts(t) == ["greeting", "heating_menu", "transfer"]
    assert (t.outcome.kind, t.outcome.group, t.outcome.reason, t.path) == (
        "queue",
        "heating",
        "chosen",
        "main:1>heating:1",
    )
    assert t.ending == Ending("queue", "heating")
    assert t.open


def test_a_wrong_key_is_answered_and_the_next_key_cuts_the_invalid_prompt(default: Dialplan) -> None:
    """8 is no option: invalid_key is played, and 2 pressed during it chooses cold water."""
    t = simulate(default, "8 2", TUESDAY_10)
    assert Event("key", "2", during="invalid_key") in t.events
    assert t.path == "main:8>main:2"
    assert [(s.key, s.result) for s in t.outcome.path] == [("8", "invalid"), ("2", "chosen")]
    assert t.outcome.group == "water"


def test_a_silence_lets_the_wait_run_out_then_the_next_key_chooses(default: Dialplan) -> None:
    """`- 4`: the main menu times out once (its timeout, in seconds), then 4 cuts no_input."""
    t = simulate(default, "- 4", TUESDAY_10)
    assert Event("timeout", "5") in t.events
    assert Event("key", "4", during="no_input") in t.events
    assert t.path == "main:->main:4"
    assert t.outcome.group == "gas"


def test_a_caller_who_presses_nothing_is_queued_for_the_general_group_after_the_retries(
    default: Dialplan,
) -> None:
    """Three timeouts, the last no_input played whole, then the transfer to the general group."""
    t = simulate(default, "", TUESDAY_10)
    assert [e.kind for e in t.events].count("timeout") == default.menus["main"].retries
    assert prompts(t)[-2:] == ["no_input", "transfer"]
    assert (t.outcome.kind, t.outcome.group, t.outcome.reason) == ("queue", "general", "retries_exhausted")
    assert t.path == "main:->main:->main:-"
    assert simulate(default, "---", TUESDAY_10).events == t.events  # the same caller, written out


def test_the_repeat_key_replays_the_menu(default: Dialplan) -> None:
    t = simulate(default, "* 4", TUESDAY_10)
    assert prompts(t) == ["greeting", "main_menu", "transfer"]
    assert [s.result for s in t.outcome.path] == ["repeat", "chosen"]


def test_a_farewell_ends_the_call_and_later_keys_are_reported_unused(default: Dialplan) -> None:
    """6 3: the written-consultation notice, then the engine hangs up; the 2 after it is never taken."""
    t = simulate(default, "6 3 2", TUESDAY_10)
    assert (t.outcome.kind, t.outcome.farewell) == ("hangup", "written_consultation")
    assert t.ending == Ending("hangup")
    assert t.unused_keys == ("2",)
    assert "keys never taken (the call had ended): 2" in describe(t)[-1]


# --- time and language --------------------------------------------------------------------------------------


def test_closed_hours_tell_the_hours_offer_a_callback_and_say_goodbye_to_a_silent_caller(
    default: Dialplan,
) -> None:
    """Sunday noon: no menu at all; the hours, cb_closed_offer, its wait runs out, cb_goodbye."""
    t = simulate(default, "", SUNDAY_NOON)
    assert not t.open
    assert prompts(t) == ["closed", "cb_closed_offer", "cb_goodbye"]
    assert (t.outcome.kind, t.outcome.group, t.outcome.reason, t.path) == (
        "callback",
        "general",
        "closed",
        "",
    )
    assert t.ending == Ending("hangup", "general", "declined")


def test_closed_hours_with_the_offer_taken_promise_a_call_when_the_line_opens(default: Dialplan) -> None:
    """1 takes the offer, 1 confirms the number read back: the closed-hours promise, then goodbye."""
    t = simulate(default, "1 1", SUNDAY_NOON)
    assert prompts(t) == [
        "closed",
        "cb_closed_offer",
        "cb_confirm_intro",
        "cb_registered_closed",
        "cb_goodbye",
    ]
    assert t.ending == Ending("hangup", "general", "registered")


def test_a_time_without_a_zone_is_the_hotlines_local_time(default: Dialplan) -> None:
    """A naive time is Moscow time; an aware one is converted (07:00 UTC is 10:00 in Moscow)."""
    assert not simulate(default, "", dt.datetime(2026, 11, 22, 12, 0)).open
    t = simulate(default, "", dt.datetime(2026, 11, 17, 7, 0, tzinfo=dt.UTC))
    assert (t.open, t.at.hour, str(t.at.tzinfo)) == (True, 10, "Europe/Moscow")


def test_the_prompts_words_are_shown_in_the_chosen_language(default: Dialplan) -> None:
    t = simulate(default, "2", TUESDAY_10, "en")
    assert t.events[0].text == "Hello! You have reached the housing and utilities hotline."
    assert t.language == "en"


def test_a_prompt_without_a_text_in_that_language_is_shown_in_the_hotlines_with_a_note(
    default: Dialplan,
) -> None:
    prompts_ = dict(default.prompts)
    prompts_["greeting"] = Prompt("greeting", {"ru": default.prompts["greeting"].texts["ru"]})
    t = simulate(dataclasses.replace(default, prompts=prompts_), "2", TUESDAY_10, "en")
    assert t.events[0].text.startswith("Здравствуйте!")
    assert "no en text, shown in ru: greeting" in t.notes


def test_a_language_the_dialplan_lacks_is_refused(default: Dialplan) -> None:
    with pytest.raises(ScriptError, match="no language 'de': its languages are ru, en"):
        simulate(default, "1", TUESDAY_10, "de")


# --- the callback flow --------------------------------------------------------------------------------------


def test_the_menus_callback_reads_the_number_back_and_makes_the_promise(default: Dialplan) -> None:
    """9 then 1 during the number read back: registered, the SLA's minutes said, goodbye."""
    t = simulate(default, "9 1", TUESDAY_10, caller_id="+7 916 123-45-67")
    assert Event("says", "79161234567") in t.events
    assert Event("key", "1", during="79161234567") in t.events
    assert Event("says", "10") in t.events
    assert prompts(t)[-3:] == ["cb_registered", "cb_minutes_many", "cb_goodbye"]
    assert (t.outcome.kind, t.outcome.reason, t.path) == ("callback", "chosen", "main:9")
    assert t.ending == Ending("hangup", "general", "registered")


def test_the_callback_flows_log_lines_say_the_call_was_simulated(default: Dialplan) -> None:
    """Nothing is registered: a log reader can tell the flow's `callback.registered` from a real one."""
    with capture_logs(processors=[merge_contextvars]) as logs:
        simulate(default, "9 1", TUESDAY_10)
    [registered] = [e for e in logs if e["event"] == "callback.registered"]
    assert registered["simulated"] is True


def test_a_menu_callback_without_a_confirmed_number_queues_the_caller(default: Dialplan) -> None:
    """As the IVR does: no usable number after the tries, and the caller keeps waiting in the queue."""
    t = simulate(default, "9", TUESDAY_10)
    assert t.ending == Ending("queue", "general", "no_number")
    assert "cb_registered" not in prompts(t)


def test_a_hidden_caller_types_a_number_ended_by_hash(default: Dialplan) -> None:
    """Without a caller ID the flow asks for the number; the keys up to # are the number typed."""
    t = simulate(default, "9 89161234567# 1", TUESDAY_10, caller_id="")
    assert Event("typed", "89161234567#") in t.events
    assert Event("says", "79161234567") in t.events
    assert t.ending.callback == "registered"


# --- notes and output ---------------------------------------------------------------------------------------


def test_a_queue_ending_says_the_offer_before_queueing_is_left_to_the_live_wait(default: Dialplan) -> None:
    t = simulate(default, "4", TUESDAY_10)
    assert any("cb_offer_before_queue" in note and "not simulated" in note for note in t.notes)
    never = dataclasses.replace(default, callbacks=dataclasses.replace(default.callbacks, offer_over_wait=0))
    assert simulate(never, "4", TUESDAY_10).notes == ()


def test_the_transcript_for_people_has_one_line_per_step(default: Dialplan) -> None:
    lines = describe(simulate(default, "6 1", TUESDAY_10), "Горячая линия ЖКХ")
    assert lines[0] == "call     Горячая линия ЖКХ, Tue 2026-11-17 10:00 Europe/Moscow: the line is open"
    assert lines[1].startswith('prompt   greeting             "Здравствуйте!')
    assert lines[2] == "key      6                    during greeting"
    assert lines[5].startswith('prompt   transfer             "Соединяю с оператором.')
    assert lines[6] == "ends     queue construction (chosen)  path main:6>construction:1"


def test_the_transcript_for_scripts_is_plain_json_data(default: Dialplan) -> None:
    data = as_json(simulate(default, "8 2", TUESDAY_10))
    assert data["outcome"]["path"] == "main:8>main:2"
    assert data["outcome"]["steps"][0] == {"menu": "main", "key": "8", "result": "invalid"}
    assert data["ending"] == {"action": "queue", "group": "water", "callback": None}
    assert data["events"][1] == {"kind": "key", "value": "8", "during": "greeting"}
    assert data["at"] == "2026-11-17T10:00:00+03:00"


async def test_a_simulation_runs_inside_a_running_event_loop(default: Dialplan) -> None:
    """`simulate` never waits, so async code (the end-to-end tests) calls it as a plain function."""
    assert simulate(default, "2", TUESDAY_10).outcome.group == "water"
