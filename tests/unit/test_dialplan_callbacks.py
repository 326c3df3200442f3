"""The callbacks in the dialplan: the `callbacks` section, the groups' callback settings, the `callback`
action, and the checks across sections (quiet hours against business hours, the engine's prompts).

Each case edits a copy of dialplans/hotline.yaml, so the rest of the file stays valid: any problem
besides the expected one (noise) fails the test.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from dialplan_edits import DEFAULT, Case, check, line_in_default, loads, problems_of, variant, where

from hotline.dialplan import load_dialplan
from hotline.dialplan.model import Action, CallbackPolicy, NumberRules, QuietHours, Span
from hotline.dialplan.prompt_ids import (
    CALLBACK_PROMPTS_ALWAYS,
    CALLBACK_PROMPTS_CLOSED,
    CB_CLOSED_OFFER,
    CB_OFFER_BEFORE_QUEUE,
    CB_OFFER_IN_QUEUE,
    CB_REGISTERED_CLOSED,
)

TEXT = DEFAULT.read_text(encoding="utf-8")
SECTION = TEXT[TEXT.index("\ncallbacks:") : TEXT.index("\nskill_groups:")]  # "\ncallbacks: ...\n"
QUEUE_KEY = '  queue_key: "1"   '
EVERY = "  queue_offer_every: 45 "
OFFER = "  offer_in_queue: true "
QUIET = '  quiet_hours: "21:00-09:00" '
GAS_TITLE = "    title: Газоснабжение"
MAIN_9 = '      "9": {callback: general}'
CLOSED_ACTION = "    callback: general\n    prompt: closed\n"
PREFIXES = '["7800", "7803", "7804", "7809", "7840", "7940"]'  # as the shipped YAML writes them


def prompt_block(pid: str) -> str:
    """The default file's definition of one cb_ prompt: its key line and its (more indented) text lines."""
    lines = TEXT.splitlines(keepends=True)
    first = next(n for n, line in enumerate(lines) if line.startswith(f"  {pid}:"))
    end = first + 1
    while end < len(lines) and lines[end].startswith("    "):
        end += 1
    return "".join(lines[first:end])


# --- what loads ----------------------------------------------------------------------------------------


def test_the_default_dialplan_spells_out_the_default_callback_policy() -> None:
    """dialplans/hotline.yaml's callbacks section is the built-in policy, key for key."""
    d = load_dialplan(DEFAULT)
    assert d.callbacks == CallbackPolicy()
    assert d.callbacks.quiet_hours == QuietHours(dt.time(21), dt.time(9))
    assert d.callbacks.numbers == NumberRules(
        "7", "8", 10, r"7[3489]\d{9}", ("7800", "7803", "7804", "7809", "7840", "7940")
    )
    assert (d.callback_sla_minutes("gas"), d.callback_order("gas")) == (10, "operator_first")


def test_the_default_dialplan_offers_callbacks_in_the_main_menu_and_when_closed() -> None:
    """Main menu 9 asks general for a callback; outside hours the hours are played, then a callback offer."""
    d = load_dialplan(DEFAULT)
    assert d.menus["main"].options["9"] == Action(
        "callback", "general", span=Span(*where(DEFAULT, MAIN_9.strip(), "{"))
    )
    assert (d.entry.closed.kind, d.entry.closed.target, d.entry.closed.prompt) == (
        "callback",
        "general",
        "closed",
    )
    assert "нажмите 9" in d.prompts["main_menu"].texts["ru"]
    assert "press 9" in d.prompts["main_menu"].texts["en"]


def test_every_callback_prompt_is_in_the_default_dialplan_in_russian_and_english() -> None:
    """Each prompt the callback engine may play has a Russian and an English text."""
    d = load_dialplan(DEFAULT)
    for pid in (*CALLBACK_PROMPTS_ALWAYS, *CALLBACK_PROMPTS_CLOSED, CB_OFFER_IN_QUEUE, CB_OFFER_BEFORE_QUEUE):
        assert set(d.prompts[pid].texts) == {"ru", "en"}, pid


def test_without_the_section_the_default_policy_applies(tmp_path: Path) -> None:
    """The section is optional: without it, every setting is the default one."""
    assert loads(tmp_path, (SECTION, "")).callbacks == CallbackPolicy()


def test_every_key_of_the_section_is_optional(tmp_path: Path) -> None:
    """`callbacks: {sla_minutes: 15}` changes that one setting; `limits` and `numbers` may be partial too."""
    d = loads(tmp_path, (SECTION, "\ncallbacks: {sla_minutes: 15, limits: {requests_per_minute: 60}}\n"))
    assert d.callbacks == CallbackPolicy(sla_minutes=15, requests_per_minute=60)
    d = loads(tmp_path, (SECTION, "\ncallbacks:\n  numbers:\n    national_length: 9\n"))
    assert d.callbacks.numbers == NumberRules(national_length=9)
    assert loads(tmp_path, (SECTION, "\ncallbacks: {}\n")).callbacks == CallbackPolicy()


def test_offer_in_queue_false_means_no_in_queue_key(tmp_path: Path) -> None:
    """`offer_in_queue: false` (without queue_key and queue_offer_every) leaves no key: queue_key is None,
    and the in-queue offer's prompt is no longer needed."""
    d = loads(
        tmp_path,
        (SECTION, "\ncallbacks:\n  offer_in_queue: false\n"),
        (prompt_block(CB_OFFER_IN_QUEUE), ""),
    )
    assert d.callbacks.queue_key is None
    assert CB_OFFER_IN_QUEUE not in d.prompts


def test_other_values_of_the_section_are_read(tmp_path: Path) -> None:
    """Quiet hours within one day, citizen first, another key, no trunk prefix, no refused prefix."""
    d = loads(
        tmp_path,
        (QUIET, '  quiet_hours: "00:00-08:00" '),
        ("  order: operator_first ", "  order: citizen_first "),
        (QUEUE_KEY, '  queue_key: "#"   '),
        ('    trunk_prefix: "8" ', '    trunk_prefix: "" '),
        (PREFIXES, "[]"),
        ("  backoff_minutes: [2, 5, 10]", "  backoff_minutes:\n    - 1\n    - 1440\n "),
        ("  offer_over_wait: 180 ", "  offer_over_wait: 0 "),
    )
    c = d.callbacks
    assert c.quiet_hours == QuietHours(dt.time(0), dt.time(8))
    assert (c.order, c.queue_key, c.numbers.trunk_prefix, c.numbers.refused_prefixes) == (
        "citizen_first",
        "#",
        "",
        (),
    )
    assert (c.backoff_minutes, c.offer_over_wait) == ((1, 1440), 0)
    assert d.callback_order("gas") == "citizen_first"


def test_a_skill_group_may_have_its_own_callback_sla_and_order(tmp_path: Path) -> None:
    """A group's `callback_sla_minutes` and `callback_order` override the policy's, for that group only."""
    d = loads(
        tmp_path, (GAS_TITLE, GAS_TITLE + "\n    callback_sla_minutes: 5\n    callback_order: citizen_first")
    )
    assert (d.skill_groups["gas"].callback_sla_minutes, d.skill_groups["gas"].callback_order) == (
        5,
        "citizen_first",
    )
    assert (d.callback_sla_minutes("gas"), d.callback_order("gas")) == (5, "citizen_first")
    assert (d.callback_sla_minutes("water"), d.callback_order("water")) == (10, "operator_first")


def test_a_callback_action_may_play_a_prompt_first(tmp_path: Path) -> None:
    """`{callback: heating, prompt: cb_lines_busy}` keeps its prompt, like a queue action."""
    d = loads(
        tmp_path, ('      "3": {queue: management}', '      "3": {callback: heating, prompt: cb_lines_busy}')
    )
    three = d.menus["heating"].options["3"]
    assert (three.kind, three.target, three.prompt) == ("callback", "heating", "cb_lines_busy")


def test_on_failure_may_be_a_callback(tmp_path: Path) -> None:
    """menu_defaults.on_failure may ask for a callback."""
    d = loads(tmp_path, ("  on_failure:\n    queue: general", "  on_failure:\n    callback: general"))
    assert {m.on_failure.kind for m in d.menus.values()} == {"callback"}


def test_a_closed_line_that_hangs_up_needs_no_closed_offer_prompts(tmp_path: Path) -> None:
    """cb_closed_offer and cb_registered_closed are only needed when entry.closed is a callback action."""
    d = loads(
        tmp_path,
        (CLOSED_ACTION, "    hangup: closed\n"),
        (prompt_block(CB_CLOSED_OFFER), ""),
        (prompt_block(CB_REGISTERED_CLOSED), ""),
    )
    assert d.entry.closed.kind == "hangup"


# --- bad values ----------------------------------------------------------------------------------------

# fmt: off
SECTION_VALUES = {
    "sla of 0": Case("  sla_minutes: 10 ", "  sla_minutes: 0 ", "sla_minutes: 0", "0",
        "callbacks.sla_minutes: expected a whole number from 1 to 240, found '0'",
        "write a whole number from 1 to 240"),
    "sla over 240": Case("  sla_minutes: 10 ", "  sla_minutes: 241 ", "sla_minutes: 241", "241",
        "callbacks.sla_minutes: expected a whole number from 1 to 240, found '241'"),
    "sla quoted": Case("  sla_minutes: 10 ", '  sla_minutes: "10" ', 'sla_minutes: "10"', '"10"',
        'callbacks.sla_minutes: expected a whole number from 1 to 240, found the text "10"',
        "remove the quotes"),
    "max_attempts over 10": Case("  max_attempts: 3 ", "  max_attempts: 11 ", "max_attempts: 11", "11",
        "callbacks.max_attempts: expected a whole number from 1 to 10, found '11'"),
    "max_attempts of 0": Case("  max_attempts: 3 ", "  max_attempts: 0 ", "max_attempts: 0", "0",
        "callbacks.max_attempts: expected a whole number from 1 to 10, found '0'"),
    "backoff empty": Case("  backoff_minutes: [2, 5, 10]", "  backoff_minutes: []", "[]", None,
        "callbacks.backoff_minutes: the list is empty",
        "list 1 to 10 waits in minutes, such as [2, 5, 10] (the last one repeats)"),
    "backoff of 11 steps": Case("  backoff_minutes: [2, 5, 10]", "  backoff_minutes: [" + "1, " * 10 + "1]",
        "[1, 1", None, "callbacks.backoff_minutes: the list has 11 items"),
    "backoff step of 0": Case("  backoff_minutes: [2, 5, 10]", "  backoff_minutes: [2, 0, 10]", "0, 10]", "0",
        "callbacks.backoff_minutes: expected a whole number from 1 to 1440, found '0'"),
    "backoff step over a day": Case("  backoff_minutes: [2, 5, 10]", "  backoff_minutes: [2, 5, 1441]",
        "1441", None, "callbacks.backoff_minutes: expected a whole number from 1 to 1440, found '1441'"),
    "backoff not a list": Case("  backoff_minutes: [2, 5, 10]", "  backoff_minutes: 5",
        "backoff_minutes: 5", "5",
        "callbacks.backoff_minutes: expected a list, found a single value"),
    "min_talk over 600": Case("  min_talk_seconds: 10 ", "  min_talk_seconds: 601 ", "601", None,
        "callbacks.min_talk_seconds: expected a whole number from 0 to 600, found '601'"),
    "quiet start equals end": Case(QUIET, '  quiet_hours: "21:00-21:00" ', '"21:00-21:00"', None,
        "callbacks.quiet_hours: in '21:00-21:00' the start and the end are the same time:"
        " quiet all day, or never?",
        'write one range "HH:MM-HH:MM", such as "21:00-09:00" (it may cross midnight)'),
    "quiet not a range": Case(QUIET, '  quiet_hours: "21:00" ', '"21:00"', None,
        "callbacks.quiet_hours: '21:00' is not a range like 21:00-09:00"),
    "quiet hour of 25": Case(QUIET, "  quiet_hours: 21:00-25:00 ", "21:00-25:00", None,
        "callbacks.quiet_hours: '25:00' is not a time of day (hours 00-23, minutes 00-59)"),
    "quiet until 24:00": Case(QUIET, '  quiet_hours: "22:00-24:00" ', '"22:00-24:00"', None,
        "callbacks.quiet_hours: '24:00' is not a time of day (hours 00-23, minutes 00-59)"),
    "quiet hour of one digit": Case(QUIET, '  quiet_hours: "21:00-9:00" ', '"21:00-9:00"', None,
        "callbacks.quiet_hours: '9:00' is not a time written HH:MM (two digits each, e.g. 08:00)"),
    "order misspelt": Case("  order: operator_first ", "  order: operator-first ", "operator-first", None,
        "callbacks.order: unknown callback order 'operator-first'", "did you mean 'operator_first'?"),
    "order unknown": Case("  order: operator_first ", "  order: random ", "random", None,
        "callbacks.order: unknown callback order 'random'", "known orders: citizen_first, operator_first"),
    "offer_in_queue yes": Case(OFFER, "  offer_in_queue: yes ", "offer_in_queue: yes", "yes",
        "callbacks.offer_in_queue: expected true or false, found 'yes'", "write true or false, unquoted"),
    "queue_key of two keys": Case(QUEUE_KEY, '  queue_key: "12"   ', '"12"', None,
        "callbacks.queue_key: '12' is not a phone key", 'use one of 0-9, "*" or "#" (quote * and #)'),
    "queue_key none": Case(QUEUE_KEY, "  queue_key: none   ", "none", None,
        "callbacks.queue_key: 'none' is not a phone key"),
    "queue_offer_every under 10": Case(EVERY, "  queue_offer_every: 5 ", "queue_offer_every: 5", "5",
        "callbacks.queue_offer_every: expected a whole number from 10 to 600, found '5'"),
    "offer_over_wait over an hour": Case("  offer_over_wait: 180 ", "  offer_over_wait: 3601 ", "3601", None,
        "callbacks.offer_over_wait: expected a whole number from 0 to 3600, found '3601'"),
    "abandoned_after negative": Case("  abandoned_after: 30 ", "  abandoned_after: -1 ",
        "abandoned_after: -1", "-1",
        "callbacks.abandoned_after: expected a whole number from 0 to 3600, found '-1'"),
    "unknown key": Case("  sla_minutes: 10 ", "  sla_minute: 10 ", "sla_minute", None,
        "callbacks: unknown key 'sla_minute'", "did you mean 'sla_minutes'?"),
    "duplicate key": Case("  sla_minutes: 10 ", "  sla_minutes: 10\n  max_attempts: 2\n ", "max_attempts: 3",
        "max_attempts",
        f"duplicate key 'max_attempts' (first at line {line_in_default('  sla_minutes: 10') + 1}, column 3)"),
    "section left empty": Case(SECTION, "\ncallbacks:\n", "callbacks:\n", "\n",
        "callbacks: expected a mapping (key: value lines), found nothing"),
    "per number per day over 50": Case("    attempts_per_number_per_day: 6",
        "    attempts_per_number_per_day: 51", "51", None,
        "callbacks.limits.attempts_per_number_per_day: expected a whole number from 1 to 50, found '51'"),
    "per caller per hour of 0": Case("    requests_per_caller_per_hour: 5",
        "    requests_per_caller_per_hour: 0", "requests_per_caller_per_hour: 0", "0",
        "callbacks.limits.requests_per_caller_per_hour: expected a whole number from 1 to 100, found '0'"),
    "per minute over 10000": Case("    requests_per_minute: 120", "    requests_per_minute: 10001",
        "10001", None,
        "callbacks.limits.requests_per_minute: expected a whole number from 1 to 10000, found '10001'"),
    "unknown limit": Case("    requests_per_minute: 120", "    requests_per_hour: 120",
        "requests_per_hour", None,
        "callbacks.limits: unknown key 'requests_per_hour'", "did you mean 'requests_per_minute'?"),
    "country code of 4 digits": Case('    country_code: "7"', '    country_code: "1234"', '"1234"', None,
        "callbacks.numbers.country_code: '1234' is not 1 to 3 digits", "write digits only"),
    "country code with a plus": Case('    country_code: "7"', '    country_code: "+7"', '"+7"', None,
        "callbacks.numbers.country_code: '+7' is not 1 to 3 digits"),
    "trunk prefix of 3 digits": Case('    trunk_prefix: "8"', "    trunk_prefix: 888", "888", None,
        "callbacks.numbers.trunk_prefix: '888' is not 0 to 2 digits"),
    "trunk prefix left empty": Case('    trunk_prefix: "8" ', "    trunk_prefix: ", "trunk_prefix: ", " ",
        "callbacks.numbers.trunk_prefix: no value given",
        "write \"\" (quoted) for none: a bare empty value is YAML's null"),
    "trunk prefix with a leading zero": Case('    trunk_prefix: "8"', "    trunk_prefix: 08",
        "trunk_prefix: 08", "08",
        "callbacks.numbers.trunk_prefix: ambiguous value '08': YAML tools read it as a number, not as text"),
    "national length of 5": Case("    national_length: 10", "    national_length: 5",
        "national_length: 5", "5",
        "callbacks.numbers.national_length: expected a whole number from 6 to 12, found '5'"),
    "allowed does not compile": Case(r"'7[3489]\d{9}'", r"'7[3489\d{9}'", r"'7[3489\d{9}'", None,
        "callbacks.numbers.allowed: not a valid regular expression: unterminated character set at position 2",
        "write a Python regular expression, in single quotes so that backslashes stay as written"),
    "allowed ambiguous": Case(r"'7[3489]\d{9}'", "no", "allowed: no", "no",
        "callbacks.numbers.allowed: ambiguous value 'no': YAML tools read it as a yes/no value, not as text"),
    "refused prefix with a letter": Case(PREFIXES, '["7800", "78O3"]', '"78O3"', None,
        "callbacks.numbers.refused_prefixes: '78O3' is not 1 to 15 digits"),
    "refused prefix twice": Case(PREFIXES, '["7800", "7803", "7800"]', '"7800"]', None,
        "callbacks.numbers.refused_prefixes: '7800' is listed twice", "list each prefix once"),
    "refused prefixes not a list": Case(PREFIXES, '"7800"', 'prefixes: "7800"', '"7800"',
        "callbacks.numbers.refused_prefixes: expected a list, found a single value"),
    "unknown number rule": Case("    national_length: 10", "    national_lenght: 10", "national_lenght", None,
        "callbacks.numbers: unknown key 'national_lenght'", "did you mean 'national_length'?"),
}
# fmt: on


@pytest.mark.parametrize("case", SECTION_VALUES.values(), ids=SECTION_VALUES.keys())
def test_each_callback_setting_refuses_bad_values_where_they_are(tmp_path: Path, case: Case) -> None:
    """Every key of `callbacks` (and of its `limits` and `numbers`) checks its type and range, located."""
    check(tmp_path, case)


def test_offer_in_queue_false_refuses_every_in_queue_setting(tmp_path: Path) -> None:
    """Both queue_key and queue_offer_every would do nothing: each is reported at its key."""
    path = variant(tmp_path, (OFFER, "  offer_in_queue: false"))
    problems = problems_of(path)
    assert [(p.file, p.line, p.column) for p in problems] == [
        where(path, QUEUE_KEY, "queue_key"),
        where(path, EVERY, "queue_offer_every"),
    ]
    assert [p.message for p in problems] == [
        "callbacks.queue_key: no use while offer_in_queue is false (no in-queue offer is made)",
        "callbacks.queue_offer_every: no use while offer_in_queue is false (no in-queue offer is made)",
    ]


# fmt: off
GROUPS_AND_ACTIONS = {
    "group sla of 0": Case(GAS_TITLE, GAS_TITLE + "\n    callback_sla_minutes: 0",
        "callback_sla_minutes: 0", "0",
        "skill_groups.gas.callback_sla_minutes: expected a whole number from 1 to 240, found '0'"),
    "group sla over 240": Case(GAS_TITLE, GAS_TITLE + "\n    callback_sla_minutes: 241", "241", None,
        "skill_groups.gas.callback_sla_minutes: expected a whole number from 1 to 240, found '241'"),
    "group order misspelt": Case(GAS_TITLE, GAS_TITLE + "\n    callback_order: citizen",
        "citizen\n", "citizen",
        "skill_groups.gas.callback_order: unknown callback order 'citizen'", "did you mean 'citizen_first'?"),
    "callback to an unknown group": Case(MAIN_9, '      "9": {callback: generl}', "generl", None,
        "menus.main.options.9.callback: unknown skill group 'generl'", "did you mean 'general'?"),
    "callback and hangup at once": Case(MAIN_9, '      "9": {callback: general, hangup: closed}',
        "{callback: general, hangup", "{",
        "menus.main.options.9: an action needs exactly one of menu, queue, callback or hangup"
        " (found callback and hangup)"),
    "callback with an unknown prompt": Case(MAIN_9, '      "9": {callback: general, prompt: cb_lines_bsy}',
        "cb_lines_bsy", None,
        "menus.main.options.9.prompt: unknown prompt 'cb_lines_bsy'", "did you mean 'cb_lines_busy'?"),
    "callback with an ambiguous group": Case(MAIN_9, '      "9": {callback: no}', "callback: no", "no",
        "menus.main.options.9.callback: ambiguous value 'no': YAML tools read it as a yes/no value,"
        " not as text"),
    "closed callback to an unknown group": Case(CLOSED_ACTION, "    callback: night\n    prompt: closed\n",
        "callback: night", "night", "entry.closed.callback: unknown skill group 'night'"),
}
# fmt: on


@pytest.mark.parametrize("case", GROUPS_AND_ACTIONS.values(), ids=GROUPS_AND_ACTIONS.keys())
def test_group_callback_settings_and_callback_actions_are_checked(tmp_path: Path, case: Case) -> None:
    """Groups' callback settings are checked like the rest; a callback's group and prompt must exist."""
    check(tmp_path, case)


def test_a_group_called_back_from_must_have_an_operator(tmp_path: Path) -> None:
    """`{callback: night}` to a group nobody staffs is refused at the group, like a queue action."""
    path = variant(
        tmp_path,
        (MAIN_9, '      "9": {callback: night}'),
        (GAS_TITLE, GAS_TITLE + "\n  night:\n    title: Ночная смена"),
    )
    [p] = problems_of(path)
    assert (p.file, p.line, p.column) == where(path, "  night:", "night")
    assert p.message == (
        "skill_groups.night: no operator has this skill, but callers are sent here"
        " (menus.main.options.9.callback)"
    )


# --- across sections -----------------------------------------------------------------------------------


def test_quiet_hours_covering_all_the_business_hours_are_refused(tmp_path: Path) -> None:
    """Quiet from 07:00 to 21:00 leaves no open hour in which to call anyone back."""
    check(
        tmp_path,
        Case(
            QUIET,
            '  quiet_hours: "07:00-21:00" ',
            '"07:00-21:00"',
            None,
            "callbacks.quiet_hours: 07:00-21:00 covers all the business hours:"
            " no callback could ever be placed",
            "callbacks are placed while the line is open and outside quiet hours: shorten the quiet hours",
        ),
    )


def test_default_quiet_hours_covering_a_night_line_are_reported_at_the_hours(tmp_path: Path) -> None:
    """A line open only at night (Monday 22:00-24:00, Tuesday 00:00-06:00) is all inside the default quiet
    hours 21:00-09:00: without a quiet_hours key, the problem is reported at the hours section."""
    night = {"mon": "22:00-24:00", "tue": "00:00-06:00", "wed": "closed", "thu": "closed", "fri": "closed"}
    path = variant(
        tmp_path,
        (SECTION, ""),
        *[(f'  {day}: "08:00-20:00"', f'  {day}: "{hours}"') for day, hours in night.items()],
        ('  sat: "09:00-15:00"', "  sat: closed"),
    )
    [p] = problems_of(path)
    assert (p.file, p.line, p.column) == where(path, "\nhours:", "hours")
    assert p.message == (
        "callbacks.quiet_hours (default 21:00-09:00) covers all the business hours: "
        "no callback could ever be placed"
    )


def test_quiet_hours_leaving_one_open_hour_are_accepted(tmp_path: Path) -> None:
    """Quiet from 09:00 to 19:30 still leaves weekday evenings until 20:00."""
    assert loads(tmp_path, (QUIET, '  quiet_hours: "09:00-19:30" ')).callbacks.quiet_hours == QuietHours(
        dt.time(9), dt.time(19, 30)
    )


def test_a_prompt_the_callback_engine_plays_must_be_defined(tmp_path: Path) -> None:
    """Without cb_goodbye and cb_minutes_few the dialplan is refused, once, at the prompts section."""
    path = variant(tmp_path, (prompt_block("cb_goodbye"), ""), (prompt_block("cb_minutes_few"), ""))
    [p] = problems_of(path)
    assert (p.file, p.line, p.column) == where(path, "\nprompts:", "prompts")
    assert (
        p.message
        == "prompts: the callback engine plays prompts that are not defined: cb_minutes_few, cb_goodbye"
    )


@pytest.mark.parametrize("pid", [CB_OFFER_IN_QUEUE, CB_OFFER_BEFORE_QUEUE, *CALLBACK_PROMPTS_CLOSED])
def test_the_prompts_of_the_offers_in_use_must_be_defined(tmp_path: Path, pid: str) -> None:
    """The in-queue offer, the offer before queueing and the closed offer are used by the default file."""
    [p] = problems_of(variant(tmp_path, (prompt_block(pid), "")))
    assert p.message == f"prompts: the callback engine plays prompts that are not defined: {pid}"


def test_the_offer_before_queueing_needs_no_prompt_when_it_is_off(tmp_path: Path) -> None:
    """`offer_over_wait: 0` never offers before queueing: cb_offer_before_queue may go."""
    d = loads(
        tmp_path,
        ("  offer_over_wait: 180 ", "  offer_over_wait: 0 "),
        (prompt_block(CB_OFFER_BEFORE_QUEUE), ""),
    )
    assert d.callbacks.offer_over_wait == 0
