"""What `hotline status` shows: every skill group and every operator, built and drawn from plain data.

Pure: the live state's queues and channels, the operators' presence, today's call counts and the open
callback requests come in; a `StatusView` (and its text or JSON) comes out. Reading them from Redis is
`hotline.status_cli`'s business, so this part is tested without any server.

An operator's state in one queue, the first that applies:
    unreachable  the phone is not registered (or Asterisk does not know its state)
    logged_out   paused there with the reason "logged-out" (presence: not logged in to that group)
    in_call      on a call (a queue call, a callback, or any call of the phone)
    ringing      a queue call is being offered to them
    paused       paused with any other reason (break, missed, rejected, wrapup, a callback hold...)
    free         ready to be rung
Their overall state is the same, read across all their queues, with the presence's own pause reason
first when it has one (Asterisk shows it in every queue they are logged in to).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final
from zoneinfo import ZoneInfo

from hotline.constants import queue_name
from hotline.dialplan.model import PAUSE_LOGGED_OUT, Dialplan
from router.estimate import WaitEstimate, estimate_wait
from router.presence_rules import OperatorState
from router.state import LiveCall, QueueMember, QueueSnapshot

STATES: Final = ("free", "in_call", "ringing", "paused", "logged_out", "unreachable")
_LABELS: Final = {
    "free": "free",
    "in_call": "in a call",
    "ringing": "ringing",
    "paused": "paused",
    "logged_out": "logged out",
    "unreachable": "unreachable",
}


@dataclass(frozen=True, slots=True)
class GroupView:
    id: str
    title: str
    known: bool  # Asterisk has the queue (False: the live state has not seen it yet)
    waiting: int
    longest_wait: int | None  # seconds, None when nobody waits
    estimate: WaitEstimate | None  # None when the queue is not known
    operators: dict[str, int]  # state -> how many; "paused:<reason>" for each pause reason


@dataclass(frozen=True, slots=True)
class OperatorView:
    id: str
    name: str
    state: str  # one of STATES
    pause_reason: str | None
    pause_until: float | None  # epoch s when a timed pause ends by itself
    logged_in: tuple[str, ...]  # skill groups, sorted
    calls_today: int
    in_call_since: float | None  # epoch s the operator's current call started


@dataclass(frozen=True, slots=True)
class StatusView:
    at: float  # epoch s the view was built
    timezone: str
    state_rebuilt_at: float | None  # when the engine last rebuilt the live state from Asterisk
    groups: tuple[GroupView, ...]
    operators: tuple[OperatorView, ...]
    notes: tuple[str, ...] = field(default=())  # what the reader must know about the data's freshness


def member_state(member: QueueMember) -> tuple[str, str | None]:
    """One queue member's state (see the module's table) and its pause reason."""
    if not member.reachable:
        return "unreachable", None
    if member.paused and member.paused_reason == PAUSE_LOGGED_OUT:
        return "logged_out", None
    if member.talking_to or member.in_call or member.status in (2, 3, 8):
        return "in_call", None
    if member.ringing_for or member.status in (6, 7):
        return "ringing", None
    if member.paused:
        return "paused", member.paused_reason or "paused"
    return "free", None


def _group_counts(snapshot: QueueSnapshot) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for member in snapshot.members:
        state, reason = member_state(member)
        counts[f"paused:{reason}" if state == "paused" else state] += 1
    return dict(sorted(counts.items()))


def _operator_view(
    op_id: str,
    name: str,
    found: Sequence[tuple[str, QueueMember]],
    presence: OperatorState | None,
    calls_today: int,
    call_started: float | None,
) -> OperatorView:
    members = [m for _, m in found]
    states = [member_state(m) for m in members]
    kinds = {s for s, _ in states}
    reason = presence.pause_reason if presence is not None else None
    if reason is None:
        reason = next((r for s, r in states if s == "paused"), None)
    if presence is not None:
        logged_in = tuple(sorted(presence.logged_in))
    else:  # no presence data: logged in where Asterisk does not say "logged-out"
        logged_in = tuple(sorted(g for g, m in found if member_state(m)[0] != "logged_out"))
    if not members:
        state = "unreachable"  # Asterisk lists no member for them (the live state has not seen them)
    elif "unreachable" in kinds:
        state = "unreachable"
    elif "in_call" in kinds or call_started is not None:
        state = "in_call"
    elif "ringing" in kinds:
        state = "ringing"
    elif kinds == {"logged_out"} or (presence is not None and not presence.logged_in):
        state = "logged_out"
    elif reason is not None:
        state = "paused"
    else:
        state = "free"
    return OperatorView(
        id=op_id,
        name=name,
        state=state,
        pause_reason=reason if state in ("paused", "in_call", "ringing") else None,
        pause_until=presence.pause_until if presence is not None and reason is not None else None,
        logged_in=logged_in,
        calls_today=calls_today,
        in_call_since=call_started,
    )


def build(
    dialplan: Dialplan,
    queues: Sequence[QueueSnapshot],
    calls: Sequence[LiveCall],
    presence: Mapping[str, OperatorState] | None,
    calls_today: Mapping[str, int],
    open_callbacks: Mapping[str, int],
    *,
    now: float,
    state_rebuilt_at: float | None,
    notes: Sequence[str] = (),
) -> StatusView:
    """The view of every skill group of `dialplan` and every operator, from what was read at `now`."""
    by_queue = {q.name: q for q in queues}
    groups = []
    members_of: dict[str, list[tuple[str, QueueMember]]] = {op: [] for op in dialplan.operators}
    for group in dialplan.skill_groups.values():
        snapshot = by_queue.get(queue_name(group.id))
        if snapshot is None:
            groups.append(GroupView(group.id, group.title, False, 0, None, None, {}))
            continue
        waits = [c.wait for c in snapshot.callers]
        groups.append(
            GroupView(
                id=group.id,
                title=group.title,
                known=True,
                waiting=len(snapshot.callers),
                longest_wait=max(waits) if waits else None,
                estimate=estimate_wait(snapshot, open_callbacks.get(group.id, 0)),
                operators=_group_counts(snapshot),
            )
        )
        for member in snapshot.members:
            op_id = _operator_of(member, members_of)
            if op_id is not None:
                members_of[op_id].append((group.id, member))
    operators = []
    for op in dialplan.operators.values():
        operators.append(
            _operator_view(
                op.id,
                op.name,
                members_of[op.id],
                presence.get(op.id) if presence is not None else None,
                calls_today.get(op.id, 0),
                _call_started(op.id, calls),
            )
        )
    return StatusView(
        at=now,
        timezone=dialplan.hotline.timezone,
        state_rebuilt_at=state_rebuilt_at,
        groups=tuple(groups),
        operators=tuple(operators),
        notes=tuple(notes),
    )


def _operator_of(member: QueueMember, operators: Mapping[str, object]) -> str | None:
    """The operator of a member: its name (queues.conf names members by operator id), else the
    endpoint of its interface (a member added by hand under a person's name)."""
    if member.name in operators:
        return member.name
    endpoint = member.interface.partition("/")[2]
    return endpoint if endpoint in operators else None


def _call_started(operator: str, calls: Sequence[LiveCall]) -> float | None:
    """When the operator's phone's oldest answered channel started (None: no call up)."""
    prefix = f"PJSIP/{operator}-"
    started = [c.started_at for c in calls if c.channel.startswith(prefix) and c.state == "Up"]
    return min(started) if started else None


# --- drawing ----------------------------------------------------------------------------------------


def span(seconds: float | None) -> str:
    """A duration for a glance: `-`, `45s`, `3m05s`, `1h02m`."""
    if seconds is None:
        return "-"
    s = max(0, int(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{s % 3600 // 60:02d}m"


def _clock(ts: float, tz: str) -> str:
    return dt.datetime.fromtimestamp(ts, ZoneInfo(tz)).strftime("%H:%M:%S")


def _estimate(estimate: WaitEstimate | None) -> str:
    if estimate is None:
        return "?"
    return "no one on duty" if estimate.seconds is None else span(estimate.seconds)


def _counts(counts: Mapping[str, int]) -> str:
    if not counts:
        return "-"
    parts = []
    for key, n in counts.items():
        state, _, reason = key.partition(":")
        parts.append(f"{n} {_LABELS.get(state, state)}" + (f" ({reason})" if reason else ""))
    return ", ".join(parts)


def render_text(view: StatusView) -> str:
    """The view as a terminal shows it: a header, a table of groups, a table of operators."""
    tz = view.timezone
    lines = [f"Hotline status at {_clock(view.at, tz)} ({tz})"]
    if view.state_rebuilt_at is not None:
        lines.append(
            f"Live state rebuilt from Asterisk at {_clock(view.state_rebuilt_at, tz)} "
            f"({span(view.at - view.state_rebuilt_at)} ago), kept current by the engine"
        )
    lines.extend(f"! {note}" for note in view.notes)
    lines.append("")
    group_rows = [("GROUP", "WAITING", "LONGEST", "ESTIMATE", "OPERATORS")]
    for g in view.groups:
        if not g.known:
            group_rows.append((g.id, "?", "?", "?", "queue not in the live state"))
            continue
        group_rows.append(
            (g.id, str(g.waiting), span(g.longest_wait), _estimate(g.estimate), _counts(g.operators))
        )
    lines.extend(_table(group_rows))
    lines.append("")
    op_rows = [("OPERATOR", "NAME", "STATE", "REASON", "CALLS TODAY", "IN A CALL FOR")]
    for o in view.operators:
        reason = o.pause_reason or ""
        if reason and o.pause_until is not None:
            reason += f" (until {_clock(o.pause_until, tz)})"
        since = span(view.at - o.in_call_since) if o.in_call_since is not None else "-"
        op_rows.append((o.id, o.name, _LABELS[o.state], reason or "-", str(o.calls_today), since))
    lines.extend(_table(op_rows))
    return "\n".join(lines)


def _table(rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]


def to_json(view: StatusView) -> dict[str, Any]:
    """The view for machines: groups and operators keyed by id, times as epoch seconds."""
    return {
        "at": view.at,
        "timezone": view.timezone,
        "state_rebuilt_at": view.state_rebuilt_at,
        "notes": list(view.notes),
        "groups": {
            g.id: {
                "title": g.title,
                "known": g.known,
                "waiting": g.waiting,
                "longest_wait": g.longest_wait,
                "estimate": None
                if g.estimate is None
                else {
                    "seconds": g.estimate.seconds,
                    "ahead": g.estimate.ahead,
                    "staffed": g.estimate.staffed,
                },
                "operators": dict(g.operators),
            }
            for g in view.groups
        },
        "operators": {
            o.id: {
                "name": o.name,
                "state": o.state,
                "pause_reason": o.pause_reason,
                "pause_until": o.pause_until,
                "logged_in": list(o.logged_in),
                "calls_today": o.calls_today,
                "in_call_since": o.in_call_since,
            }
            for o in view.operators
        },
    }
