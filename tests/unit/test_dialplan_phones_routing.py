"""The `phones` and `routing` sections and a skill group's routing settings: read, and refused with file,
line and a hint when wrong.

Each case edits a copy of dialplans/hotline.yaml, so any problem besides the expected one fails the test.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from dialplan_edits import Case, check, line_in_default, loads

from hotline.dialplan.model import PhonePolicy, RoutingPolicy

LOGIN = '  login: "*21" '
PAUSE = '  pause: "*23" '
REASONS = '{"1": break, "2": lunch, "3": paperwork, "4": training}'
EVERY = "  announce_every: 60 "
WIDEN = "    widen_after: [20] "
GAS_RING = "    ring_timeout: 20"
GENERAL = "    title: Общие вопросы"


def test_the_default_dialplan_reads_its_phones_routing_and_group_settings(tmp_path: Path) -> None:
    d = loads(tmp_path)
    assert d.phones == PhonePolicy()
    assert d.routing == RoutingPolicy()
    assert d.skill_groups["management"].widen_after == (20,)
    assert d.skill_groups["general"].widen_after == ()
    # a group's code is its place in skill_groups unless it says otherwise
    assert [g.code for g in d.skill_groups.values()] == ["1", "2", "3", "4", "5", "6", "7"]
    assert (d.skill_groups["gas"].missed_rings, d.skill_groups["gas"].reject_pause) == (2, 30)


def test_the_settings_given_are_the_ones_used(tmp_path: Path) -> None:
    d = loads(
        tmp_path,
        (LOGIN, '  login: "*31" '),
        (REASONS, '{"1": lunch, "7": training}'),
        ("    repeat: 1 ", "    repeat: 3 "),
        (EVERY, "  announce_every: 0 "),
        (GAS_RING, GAS_RING + '\n    code: "44"\n    widen_after: [10, 25]\n    missed_rings: 0'),
    )
    assert d.phones.login == "*31"
    assert d.phones.pause_reasons == {"1": "lunch", "7": "training"}
    assert (d.routing.repeat_priority, d.routing.announce_every) == (3, 0)
    gas = d.skill_groups["gas"]
    assert (gas.code, gas.widen_after, gas.missed_rings) == ("44", (10, 25), 0)


CASES = {
    "a code without its star": Case(LOGIN, '  login: "21" ', '"21"', None,
        "phones.login: '21' is not a feature code", 'write a star and 1 to 4 digits, quoted: "*21"'),
    "a code that begins another": Case(PAUSE, '  pause: "*2" ', '"*2"', None,
        "phones.pause: '*2' is the beginning of phones.login, phones.logout, phones.resume, phones.wrapup",
        "give each its own code, none the beginning of another, such as *21 and *22"),
    "the emergency code taken by a phone code": Case(LOGIN, '  login: "*77" ', 'login: "*77"', '"*77"',
        "phones.login: '*77' is also the code of emergency.feature_code"),
    "a reason the program gives itself": Case(REASONS, '{"1": missed}', "missed", None,
        "phones.pause_reasons.1: 'missed' is a reason the program gives itself", "choose another word"),
    "a reason given twice": Case(REASONS, '{"1": lunch, "2": lunch}', "lunch}", None,
        f"phones.pause_reasons.2: the reason 'lunch' is already given at line {line_in_default(REASONS)}"),
    "a reason's key that is not a digit": Case(REASONS, '{"#": lunch}', '{"#": lunch}', '"#"',
        "phones.pause_reasons: '#' is not a digit", "use the keys 1 to 9"),
    "announcements closer than one lasts": Case(EVERY, "  announce_every: 5 ", "announce_every: 5 ", "5 ",
        "routing.announce_every: 5 s is shorter than the announcement itself"),
    "a priority out of range": Case("    repeat: 1 ", "    repeat: 10 ", "repeat: 10", "10",
        "routing.priorities.repeat: expected a whole number from 0 to 9, found '10'"),
    "widening steps out of order": Case(WIDEN, "    widen_after: [30, 20] ", "[30, 20]", None,
        "skill_groups.management.widen_after: the times must increase"),
    "more widening steps than levels": Case(WIDEN, "    widen_after: [1, 2, 3, 4, 5] ", "[1, 2", None,
        "skill_groups.management.widen_after: 5 steps, but levels go from 1 to 5"),
    "two groups with one code": Case(GAS_RING, GAS_RING + '\n    code: "1"', 'code: "1"', '"1"',
        f"skill_groups.gas.code: group code '1' is already used at line {line_in_default(GENERAL) - 1}",
        "give each skill group its own group code"),
}  # fmt: skip


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_wrong_phones_and_routing_settings_are_refused_where_they_are_written(
    tmp_path: Path, case: Case
) -> None:
    check(tmp_path, case)
