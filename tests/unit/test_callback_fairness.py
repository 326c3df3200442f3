"""Callbacks keep their place among live callers: who is dialled, held back or reserved, and where a
request stands in line."""

from __future__ import annotations

from hotline.callbacks.model import Attempt, AttemptResult, Request, Source
from hotline.dialplan.model import Operator
from router.fairness import GroupOperators, callbacks_ahead, classify, has_work, plan, reserve_reason
from router.state import QueueMember

OPERATORS = {
    op: Operator(op, op, ext, {"heating": level, "water": 1})
    for op, ext, level in (("op1", "101", 1), ("op2", "102", 2), ("op3", "103", 3))
}
IDLE, IN_USE, RINGING, UNAVAILABLE = 1, 2, 6, 5


def member(name: str, status: int = IDLE, *, paused: bool = False, reason: str = "") -> QueueMember:
    return QueueMember(
        interface=f"PJSIP/{name}", name=name, status=status, paused=paused, paused_reason=reason
    )


def request(
    *, created: float = 100.0, next_at: float | None = None, waiting_since: float | None = None
) -> Request:
    return Request(
        id="r1",
        number="79161234567",
        group="heating",
        source=Source.MENU,
        caller_display="79161234567",
        created_at=created,
        due_at=created + 600,
        next_attempt_at=created if next_at is None else next_at,
        waiting_since=waiting_since,
    )


# --- where a request stands --------------------------------------------------------------------------


def test_a_request_stands_in_line_where_it_was_registered() -> None:
    assert request(created=100.0).place_at == 100.0


def test_a_caller_who_pressed_the_key_in_the_queue_keeps_the_place_they_had_there() -> None:
    assert request(created=100.0, waiting_since=40.0).place_at == 40.0


def test_a_request_left_while_closed_stands_at_the_opening() -> None:
    assert request(created=100.0, next_at=5000.0).place_at == 5000.0


def test_a_retry_rejoins_the_line_when_it_falls_due() -> None:
    tried = Attempt(n=1, fence=1, owner="e", started_at=110.0, result=AttemptResult.NO_ANSWER, counts=True)
    retry = request(created=100.0, next_at=230.0, waiting_since=40.0)
    assert retry.with_attempt(tried).place_at == 230.0


# --- sorting a queue's members ----------------------------------------------------------------------


def test_members_are_sorted_into_free_reserved_and_busy_best_level_first() -> None:
    ops = classify(
        [
            member("op3"),
            member("op1"),
            member("op2", IN_USE),
        ],
        "heating",
        OPERATORS,
    )
    assert ops == GroupOperators(free=("op1", "op3"), busy=("op2",))


def test_an_operator_held_for_the_groups_callback_is_reserved_idle_or_busy() -> None:
    mine = reserve_reason("heating")
    ops = classify(
        [member("op1", paused=True, reason=mine), member("op2", IN_USE, paused=True, reason=mine)],
        "heating",
        OPERATORS,
    )
    assert (ops.reserved_idle, ops.reserved_busy) == (("op1",), ("op2",))


def test_operators_on_a_break_held_for_another_group_or_being_dialled_are_nobodys() -> None:
    ops = classify(
        [
            member("op1", paused=True, reason="lunch"),
            member("op2", IN_USE, paused=True, reason=reserve_reason("water")),
            member("op3"),
        ],
        "heating",
        OPERATORS,
        dialling=["op3"],
    )
    assert ops == GroupOperators()


def test_an_operator_still_wrapping_up_is_busy_not_free() -> None:
    wrapping = QueueMember(interface="PJSIP/op1", name="op1", status=IDLE, last_call=1000)
    ops = classify([wrapping], "heating", OPERATORS, wrapup=10, now=1005.0)
    assert (ops.free, ops.busy) == ((), ("op1",))
    ops = classify([wrapping], "heating", OPERATORS, wrapup=10, now=1011.0)
    assert ops.free == ("op1",)


def test_an_unreachable_phone_is_neither_free_nor_busy() -> None:
    assert classify([member("op1", UNAVAILABLE)], "heating", OPERATORS).count == 0


def test_a_member_who_is_not_an_operator_of_the_dialplan_is_ignored() -> None:
    assert classify([member("stranger")], "heating", OPERATORS).count == 0


# --- who goes first ----------------------------------------------------------------------------------


def test_with_nobody_waiting_live_a_free_operator_takes_the_callback_at_once() -> None:
    decided = plan(GroupOperators(free=("op1", "op2")), [100.0], None)
    assert (decided.dial, decided.reserve, decided.release) == (("op1",), (), ())


def test_a_caller_who_joined_earlier_is_served_before_the_callback() -> None:
    """Nothing dialled, nothing reserved: the next operator freed is the queue's."""
    decided = plan(GroupOperators(free=("op1",), busy=("op2",)), [100.0], oldest_caller=90.0)
    assert (decided.dial, decided.reserve, decided.ahead) == ((), (), 0)


def test_a_callback_before_every_waiting_caller_reserves_the_next_operator() -> None:
    """A free operator would be rung by the queue: it is held, not dialled; a busy one otherwise."""
    decided = plan(GroupOperators(free=("op3",), busy=("op1",)), [100.0], oldest_caller=150.0)
    assert (decided.dial, decided.reserve, decided.ahead) == ((), ("op3",), 1)
    decided = plan(GroupOperators(busy=("op1", "op2")), [100.0], oldest_caller=150.0)
    assert decided.reserve == ("op1",)


def test_a_reserved_operator_who_hangs_up_is_dialled_for_the_callback() -> None:
    decided = plan(GroupOperators(reserved_idle=("op2",), busy=("op1",)), [100.0], oldest_caller=150.0)
    assert (decided.dial, decided.reserve, decided.release) == (("op2",), (), ())


def test_a_reservation_is_kept_while_its_operator_is_still_on_a_call() -> None:
    decided = plan(GroupOperators(reserved_busy=("op1",), busy=("op2",)), [100.0], oldest_caller=150.0)
    assert (decided.dial, decided.reserve, decided.release) == ((), (), ())


def test_as_many_operators_are_reserved_as_callbacks_stand_before_the_live_callers() -> None:
    decided = plan(GroupOperators(busy=("op1", "op2", "op3")), [100.0, 120.0, 200.0], oldest_caller=150.0)
    assert decided.reserve == ("op1", "op2")


def test_reservations_no_callback_needs_are_released_idle_ones_first() -> None:
    ops = GroupOperators(reserved_idle=("op1",), reserved_busy=("op2",))
    assert plan(ops, [], oldest_caller=150.0).release == ("op1", "op2")
    assert plan(ops, [200.0], oldest_caller=150.0).release == ("op1", "op2")  # the caller is older


def test_with_nobody_waiting_a_reserved_operator_is_dialled_before_a_free_one() -> None:
    ops = GroupOperators(free=("op1",), reserved_idle=("op2",))
    assert plan(ops, [100.0], None).dial == ("op2",)


def test_with_nobody_waiting_no_new_operator_is_reserved_but_a_held_one_is_kept() -> None:
    ops = GroupOperators(reserved_busy=("op1",), busy=("op2",))
    decided = plan(ops, [100.0, 110.0], None)
    assert (decided.reserve, decided.release) == ((), ())


def test_callbacks_behind_a_live_caller_wait_even_if_a_later_one_stands_earlier() -> None:
    """Claims take the earliest deadline first, so the count stops at the first that stands behind."""
    assert callbacks_ahead([100.0, 200.0, 120.0], oldest_caller=150.0) == 1
    assert callbacks_ahead([100.0, 200.0], None) == 2


def test_a_group_whose_operators_are_all_busy_with_nobody_waiting_has_nothing_to_decide() -> None:
    """The dispatcher then skips reading the group's requests: no plan could dial, hold or release."""
    busy = GroupOperators(busy=("op1", "op2"))
    assert not has_work(busy, None)
    decided = plan(busy, [100.0, 110.0], None)
    assert (decided.dial, decided.reserve, decided.release) == ((), (), ())
    assert has_work(busy, oldest_caller=150.0)
    assert has_work(GroupOperators(reserved_busy=("op1",)), None)
