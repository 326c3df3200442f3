"""Callback requests and their attempts: enums and frozen records, JSON in and out (never pickle).

Timestamps are epoch seconds (float). A request lives in Redis as a hash of text fields with one JSON
field per attempt (`hotline.callbacks.store`); `Request.to_json` is the whole record as one document, for
the CLI and for exports.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol

PRIORITY_FIRST = 0  # served first among requests due at the same time: left while the hotline was closed
PRIORITY_NORMAL = 5


class Status(enum.StrEnum):
    OPEN = "open"  # waiting for its next attempt
    DISPATCHING = "dispatching"  # claimed by an engine: an attempt is being placed or its outcome is unknown
    DONE = "done"  # the citizen answered and talked long enough
    FAILED = "failed"  # every counted attempt used up; the attempts keep their reasons
    CANCELLED = "cancelled"  # the citizen got through on a later call, or a supervisor cancelled it

    @property
    def active(self) -> bool:
        """Open or dispatching: a new request for the same number and group merges into this one."""
        return self in (Status.OPEN, Status.DISPATCHING)


class Source(enum.StrEnum):
    IN_QUEUE = "in_queue"  # the caller pressed the key while waiting
    BEFORE_QUEUE = "before_queue"  # offered before queueing, the wait being long
    ABANDONED = "abandoned"  # hung up after waiting long enough: called back unasked
    LINES_BUSY = "lines_busy"  # beyond the hotline's line capacity
    CLOSED = "closed"  # left outside business hours: due at the next opening, first in line
    MENU = "menu"  # the menu's own "call me back" option
    EMERGENCY = "emergency"  # offered after the emergency announcement: called back with the news


class AttemptResult(enum.StrEnum):
    ANSWERED = "answered"  # the citizen answered and talked at least min_talk_seconds
    TOO_SHORT = "too_short"  # answered, but the conversation was shorter than min_talk_seconds
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    UNREACHABLE = "unreachable"  # the trunk reported the channel unavailable: an alarm, not the citizen's
    CONGESTION = "congestion"  # the trunk was congested: an alarm, not the citizen's
    OPERATOR_NO_ANSWER = "operator_no_answer"  # operator first and the operator did not pick up
    UNKNOWN = "unknown"  # the engine died mid-dispatch and Asterisk has no trace of the call

    @property
    def counts(self) -> bool:
        """Whether an attempt with this result uses up one of the citizen's attempts by default.

        Failures on our side (trunk, operator, our own crash) do not.
        """
        return self in (
            AttemptResult.ANSWERED,
            AttemptResult.TOO_SHORT,
            AttemptResult.BUSY,
            AttemptResult.NO_ANSWER,
        )


@dataclass(frozen=True, slots=True)
class Attempt:
    """One try to reach the citizen. Recorded at claim time, before anything is dialled."""

    n: int  # 1-based, in the order of claims
    fence: int  # the fencing token of the claim that placed it
    owner: str  # the engine process that claimed it
    started_at: float
    action_id: str = ""  # the AMI ActionID of the Originate, written before the Originate is sent
    ended_at: float | None = None
    result: AttemptResult | None = None  # None while the attempt is in progress
    reason: str = ""  # Asterisk's cause or our own words, for supervisors
    operator: str = ""
    talk_seconds: float = 0.0
    counts: bool = False  # set when it ends: whether it used up one of the citizen's attempts

    def to_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "fence": self.fence,
            "owner": self.owner,
            "started_at": self.started_at,
            "action_id": self.action_id,
            "ended_at": self.ended_at,
            "result": None if self.result is None else self.result.value,
            "reason": self.reason,
            "operator": self.operator,
            "talk_seconds": self.talk_seconds,
            "counts": self.counts,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Attempt:
        """Missing optional fields take their defaults (a fresh attempt is written with the first four)."""
        result = raw.get("result")
        ended = raw.get("ended_at")
        return cls(
            n=int(raw["n"]),
            fence=int(raw["fence"]),
            owner=str(raw["owner"]),
            started_at=float(raw["started_at"]),
            action_id=str(raw.get("action_id", "")),
            ended_at=None if ended is None else float(ended),
            result=None if result is None else AttemptResult(result),
            reason=str(raw.get("reason", "")),
            operator=str(raw.get("operator", "")),
            talk_seconds=float(raw.get("talk_seconds", 0.0)),
            counts=bool(raw.get("counts", False)),
        )

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Attempt:
        return cls.from_dict(json.loads(text))


@dataclass(frozen=True, slots=True)
class Request:
    """A citizen to be called back. One per (number, group) while open or dispatching."""

    id: str
    number: str  # normalised: digits with the country code
    group: str  # skill group
    source: Source
    caller_display: str  # the caller ID of the call that asked (may differ from `number`)
    created_at: float
    due_at: float  # created + the group's SLA; for `closed`: the next opening
    next_attempt_at: float
    status: Status = Status.OPEN
    attempts: tuple[Attempt, ...] = ()
    cancel_reason: str = ""  # set on a dispatching request: it is cancelled when the attempt ends unless
    # the citizen was reached
    priority: int = PRIORITY_NORMAL  # lower first among requests due at the same time
    waiting_since: float | None = None  # when the citizen joined a queue, for one who asked while waiting

    @property
    def place_at(self) -> float:
        """Where the request stands among live callers: it goes before those who joined the queue after
        this instant and after those who joined before. The citizen's own place in the queue for one who
        asked while waiting (or hung up after waiting); the registration otherwise; the attempt time for a
        deferred request (closed hours) and for a retry, which rejoins the line when it falls due."""
        if self.attempts or self.next_attempt_at > self.created_at:
            return self.next_attempt_at
        if self.waiting_since is not None:
            return min(self.waiting_since, self.created_at)
        return self.created_at

    @property
    def counted_attempts(self) -> int:
        return sum(1 for a in self.attempts if a.counts)

    @property
    def last_attempt(self) -> Attempt | None:
        return self.attempts[-1] if self.attempts else None

    def failure_reasons(self) -> list[str]:
        """Each ended attempt's result and reason, for supervisors: `busy (USER_BUSY)`."""
        return [
            f"{a.result.value} ({a.reason})" if a.reason else a.result.value
            for a in self.attempts
            if a.result is not None
        ]

    def with_attempt(self, attempt: Attempt) -> Request:
        """This request with `attempt` replacing the attempt of the same n (or appended)."""
        kept = tuple(a for a in self.attempts if a.n != attempt.n)
        return replace(self, attempts=tuple(sorted((*kept, attempt), key=lambda a: a.n)))

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "number": self.number,
            "group": self.group,
            "source": self.source.value,
            "caller_display": self.caller_display,
            "created_at": self.created_at,
            "due_at": self.due_at,
            "next_attempt_at": self.next_attempt_at,
            "status": self.status.value,
            "attempts": [a.to_dict() for a in self.attempts],
            "cancel_reason": self.cancel_reason,
            "priority": self.priority,
            "waiting_since": self.waiting_since,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Request:
        return cls(
            id=str(raw["id"]),
            number=str(raw["number"]),
            group=str(raw["group"]),
            source=Source(raw["source"]),
            caller_display=str(raw.get("caller_display", "")),
            created_at=float(raw["created_at"]),
            due_at=float(raw["due_at"]),
            next_attempt_at=float(raw["next_attempt_at"]),
            status=Status(raw.get("status", Status.OPEN.value)),
            attempts=tuple(Attempt.from_dict(a) for a in raw.get("attempts", ())),
            cancel_reason=str(raw.get("cancel_reason", "")),
            priority=int(raw.get("priority", PRIORITY_NORMAL)),
            waiting_since=None if raw.get("waiting_since") is None else float(raw["waiting_since"]),
        )

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Request:
        return cls.from_dict(json.loads(text))


@dataclass(frozen=True, slots=True)
class Registration:
    """What `CallbackStore.register` answers: the request (stored), whether an earlier one absorbed the
    new one, and the citizen's place in the group's line (1 = next; a request being dialled is 1)."""

    request: Request
    merged: bool
    position: int


class Registrar(Protocol):
    """Stores a request under the hotline's policy (the engine's `register_callback`): what the IVR
    and the callback sources call. `waited`: seconds the citizen had already waited in a queue;
    `call_id`: the citizen's call, still up while they ask (no attempt before it ends); `identity`: the
    number the carrier asserts for the caller (`hotline.callbacks.identity`)."""

    async def __call__(
        self,
        number: str,
        group: str,
        source: Source,
        caller_display: str,
        *,
        waited: float = 0.0,
        call_id: str = "",
        identity: str | None = None,
    ) -> Registration: ...


@dataclass(frozen=True, slots=True)
class Claim:
    """The right to place one attempt of a request, until `lease_expires_at` unless extended.

    Every write made under a claim is checked against `fence`: once another owner has taken the request
    over (after the lease expired), the old claim can change nothing (`StaleClaim`).
    """

    request: Request
    attempt_n: int
    fence: int
    lease_expires_at: float
    owner: str = ""

    @property
    def attempt(self) -> Attempt:
        for a in self.request.attempts:
            if a.n == self.attempt_n:
                return a
        raise LookupError(f"request {self.request.id} has no attempt {self.attempt_n}")
