"""`hotline status`'s view: who counts as free, ringing, in a call, paused or logged out, and how it reads."""

from __future__ import annotations

import dataclasses
import re

from hotline.dialplan.model import PAUSE_LOGGED_OUT, PAUSE_MISSED, Dialplan
from hotline.status_view import build, member_state, render_text, span, to_json
from router.estimate import WaitEstimate
from router.presence_rules import OperatorState
from router.state import LiveCall, QueueMember, QueueSnapshot, WaitingCaller

NOW = 1_800_000_000.0


def member(op: str, **changes: object) -> QueueMember:
    base = QueueMember(interface=f"PJSIP/{op}", name=op, status=1)
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def row(text: str, first: str) -> list[str]:
    """The cells of the table line that starts with `first` (columns are 2+ spaces apart)."""
    line = next(ln for ln in text.splitlines() if ln.startswith(first + " "))
    return re.split(r"\s{2,}", line.strip())


def caller(uid: str, wait: int, position: int) -> WaitingCaller:
    return WaitingCaller(position, uid, f"PJSIP/carrier-{uid}", "79160000000", "", wait)


def test_member_states_follow_the_documented_order() -> None:
    assert member_state(member("op1")) == ("free", None)
    assert member_state(member("op1", status=5)) == ("unreachable", None)
    assert member_state(member("op1", paused=True, paused_reason=PAUSE_LOGGED_OUT)) == ("logged_out", None)
    assert member_state(member("op1", talking_to="1.2", paused=True, paused_reason="wrapup")) == (
        "in_call",
        None,
    )
    assert member_state(member("op1", ringing_for="1.2")) == ("ringing", None)
    assert member_state(member("op1", paused=True, paused_reason=PAUSE_MISSED)) == ("paused", PAUSE_MISSED)


def test_groups_show_waiting_callers_longest_wait_estimate_and_operators_by_state(tiny: Dialplan) -> None:
    """heating: two callers (longest 95 s), op1 paused 'missed'; general: op1 paused, op2 in a call."""
    heating = QueueSnapshot(
        "hotline-heating",
        talktime=120,
        callers=(caller("a", 95, 1), caller("b", 10, 2)),
        members=(member("op1", paused=True, paused_reason=PAUSE_MISSED),),
    )
    general = QueueSnapshot(
        "hotline-general",
        members=(
            member("op1", paused=True, paused_reason=PAUSE_MISSED),
            member("op2", status=2, talking_to="c"),
        ),
    )
    call = LiveCall("c2", "c", "PJSIP/op2-00000001", "Up", "102", "", "", "", NOW - 125)
    presence = {
        "op1": OperatorState("op1", frozenset({"heating", "general"}), PAUSE_MISSED, None, NOW - 30),
        "op2": OperatorState("op2", frozenset({"general"}), None, None, 0.0),
    }
    view = build(
        tiny,
        [general, heating],
        [call],
        presence,
        {"op2": 7},
        {"heating": 1},
        now=NOW,
        state_rebuilt_at=NOW - 60,
    )
    groups = {g.id: g for g in view.groups}
    assert groups["heating"].waiting == 2
    assert groups["heating"].longest_wait == 95
    assert groups["heating"].estimate == WaitEstimate(None, 3, 0)  # nobody on duty: unknown
    assert groups["heating"].operators == {f"paused:{PAUSE_MISSED}": 1}
    assert groups["general"].operators == {"in_call": 1, f"paused:{PAUSE_MISSED}": 1}
    ops = {o.id: o for o in view.operators}
    assert (ops["op1"].state, ops["op1"].pause_reason) == ("paused", PAUSE_MISSED)
    assert (ops["op2"].state, ops["op2"].calls_today, ops["op2"].in_call_since) == ("in_call", 7, NOW - 125)

    text = render_text(view)
    assert row(text, "heating") == ["heating", "2", "1m35s", "no one on duty", "1 paused (missed)"]
    assert row(text, "op2") == ["op2", "Борис", "in a call", "-", "7", "2m05s"]
    data = to_json(view)
    assert data["operators"]["op1"]["pause_reason"] == PAUSE_MISSED
    assert data["groups"]["heating"]["estimate"] == {"seconds": None, "ahead": 3, "staffed": 0}


def test_an_operator_logged_out_everywhere_is_logged_out_not_paused(tiny: Dialplan) -> None:
    out = member("op2", paused=True, paused_reason=PAUSE_LOGGED_OUT)
    view = build(
        tiny,
        [QueueSnapshot("hotline-general", members=(out,))],
        [],
        None,
        {},
        {},
        now=NOW,
        state_rebuilt_at=None,
    )
    op2 = next(o for o in view.operators if o.id == "op2")
    assert (op2.state, op2.pause_reason, op2.logged_in) == ("logged_out", None, ())


def test_without_presence_data_the_groups_come_from_asterisks_logged_out_pauses(tiny: Dialplan) -> None:
    queues = [
        QueueSnapshot(
            "hotline-general", members=(member("op1", paused=True, paused_reason=PAUSE_LOGGED_OUT),)
        ),
        QueueSnapshot("hotline-heating", members=(member("op1"),)),
    ]
    view = build(tiny, queues, [], None, {}, {}, now=NOW, state_rebuilt_at=None)
    op1 = next(o for o in view.operators if o.id == "op1")
    assert (op1.state, op1.logged_in) == ("free", ("heating",))


def test_a_queue_the_live_state_does_not_know_is_shown_as_unknown_not_as_empty(tiny: Dialplan) -> None:
    view = build(tiny, [], [], None, {}, {}, now=NOW, state_rebuilt_at=None, notes=("no live state",))
    assert all(not g.known for g in view.groups)
    text = render_text(view)
    assert "! no live state" in text
    assert "queue not in the live state" in text
    assert {o.state for o in view.operators} == {"unreachable"}


def test_a_timed_pause_shows_when_it_ends() -> None:
    assert span(None) == "-"
    assert span(5) == "5s"
    assert span(3725) == "1h02m"
