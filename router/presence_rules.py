"""Operator presence as pure rules: what each feature code does to an operator's state, and how every
queue member of that operator should look in Asterisk for that state.

No I/O here (`router.presence` stores the state in Redis and makes Asterisk match it), so the rules are
tested on their own.

The model decided for the hotline: queue members are static (queues.conf lists every operator in each
of their groups' queues). Being logged out of a group is a pause of that one member with the reason
`PAUSE_LOGGED_OUT`; a pause (break, lunch, missed, wrapup...) pauses the operator in every queue they
are logged in to, with its reason. The callback dispatcher's holds (`PAUSE_CALLBACK`, `PAUSE_RESERVED`)
are the dispatcher's: presence never overrides a member holding one.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from hotline import constants as c
from hotline.dialplan.model import PAUSE_LOGGED_OUT, Dialplan, Operator


@dataclass(frozen=True, slots=True)
class OperatorState:
    """What an operator asked for (stored in Redis; Asterisk is made to match it)."""

    operator: str  # operator id (PJSIP endpoint), e.g. "op101"
    logged_in: frozenset[str]  # skill groups the operator is logged in to
    pause_reason: str | None  # None: not paused (a break, lunch, "missed", "rejected", "wrapup"...)
    pause_until: float | None  # epoch s when a timed pause ends by itself; None: until resumed
    since: float  # epoch s of the last change (for `hotline status`)

    def paused_at(self, now: float) -> str | None:
        """The pause reason in force at `now`: a timed pause that is due counts as over already, even
        before the engine's task has resumed it (so a reconcile never re-applies a stale pause)."""
        if self.pause_reason is None:
            return None
        if self.pause_until is not None and self.pause_until <= now:
            return None
        return self.pause_reason


@dataclass(frozen=True, slots=True)
class MemberWanted:
    """How one queue member of an operator should be: paused or not, and with which reason."""

    queue: str  # Asterisk queue name (hotline-<group>)
    interface: str  # PJSIP/<operator>
    paused: bool
    reason: str  # "" when not paused


def interface_of(operator: str) -> str:
    return f"PJSIP/{operator}"


def initial_state(operator: Operator, dialplan: Dialplan, now: float) -> OperatorState:
    """An operator never stored: logged in to every group or to none (`phones.start_logged_in`)."""
    groups = frozenset(operator.skills) if dialplan.phones.start_logged_in else frozenset()
    return OperatorState(operator.id, groups, None, None, now)


def logged_in(state: OperatorState, operator: Operator, group: str | None, now: float) -> OperatorState:
    """Log in to one group (or, None, to every group of the operator). A pause is left as it is."""
    added = frozenset(operator.skills) if group is None else frozenset({group})
    groups = (state.logged_in | added) & frozenset(operator.skills)
    return replace(state, logged_in=groups, since=now)


def logged_out(state: OperatorState, operator: Operator, group: str | None, now: float) -> OperatorState:
    """Log out of one group (or, None, of every group)."""
    groups = frozenset() if group is None else state.logged_in - {group}
    return replace(state, logged_in=groups & frozenset(operator.skills), since=now)


def paused(state: OperatorState, reason: str, until: float | None, now: float) -> OperatorState:
    """A pause replaces any earlier one (a break during a wrap-up extension ends the timer)."""
    return replace(state, pause_reason=reason, pause_until=until, since=now)


def resumed(state: OperatorState, now: float) -> OperatorState:
    return replace(state, pause_reason=None, pause_until=None, since=now)


def is_dispatcher_hold(reason: str) -> bool:
    """A pause the callback dispatcher put there: presence leaves it alone until `restore`."""
    return reason.startswith((c.PAUSE_CALLBACK, c.PAUSE_RESERVED))


def wanted_members(state: OperatorState, operator: Operator, now: float) -> list[MemberWanted]:
    """Each queue member of the operator as the state wants it (one per skill group, sorted)."""
    reason = state.paused_at(now)
    members = []
    for group in sorted(operator.skills):
        if group not in state.logged_in:
            paused_, why = True, PAUSE_LOGGED_OUT
        elif reason is not None:
            paused_, why = True, reason
        else:
            paused_, why = False, ""
        members.append(MemberWanted(c.queue_name(group), interface_of(operator.id), paused_, why))
    return members


def needs_change(wanted: MemberWanted, paused_now: bool, reason_now: str) -> bool:
    """Whether the member as Asterisk shows it must be corrected (a dispatcher's hold never is)."""
    if paused_now and is_dispatcher_hold(reason_now):
        return False
    if wanted.paused != paused_now:
        return True
    return wanted.paused and wanted.reason != reason_now
