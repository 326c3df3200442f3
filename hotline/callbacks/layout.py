"""The callback store's Redis layout: its keys under one prefix, and a request's hash.

A request is the hash `req:{id}`: its fields as text (floats as `repr`, so they come back exact), plus
`fence` (the fencing token, bumped by every claim and take-over), `n` (attempts so far), `member` (its
entry in the group's sorted sets, which sorts equal due times by priority, then registration order),
`lease_owner` and `lease_expires_at` while dispatching, and one JSON field per attempt (`a:1`, `a:2`...).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from hotline.callbacks.model import PRIORITY_NORMAL, Attempt, Request, Source, Status
from hotline.constants import (
    CB_ACTIVE,
    CB_ALL,
    CB_DAY,
    CB_GROUPS,
    CB_HOLD,
    CB_INFLIGHT,
    CB_LATER,
    CB_LEASES,
    CB_OPEN,
    CB_ORIGIN,
    CB_READY,
    CB_REQUEST,
    CB_SEQ,
)
from router.redis_text import text


@dataclass(frozen=True, slots=True)
class Keys:
    """The store's keys under one prefix (`hotline:cb:` unless a test or a second hotline says
    otherwise)."""

    prefix: str

    def request(self, request_id: str) -> str:
        return self.prefix + CB_REQUEST.format(id=request_id)

    @property
    def request_head(self) -> str:
        return self.prefix + CB_REQUEST.format(id="")

    def active(self, number: str) -> str:
        return self.prefix + CB_ACTIVE.format(number=number)

    def open(self, group: str) -> str:
        return self.prefix + CB_OPEN.format(group=group)

    def ready(self, group: str) -> str:
        return self.prefix + CB_READY.format(group=group)

    def later(self, group: str) -> str:
        return self.prefix + CB_LATER.format(group=group)

    def inflight(self, group: str) -> str:
        return self.prefix + CB_INFLIGHT.format(group=group)

    def hold(self, name: str) -> str:
        return self.prefix + CB_HOLD.format(name=name)

    def origin(self, call_id: str) -> str:
        return self.prefix + CB_ORIGIN.format(call_id=call_id)

    @property
    def leases(self) -> str:
        return self.prefix + CB_LEASES

    @property
    def all(self) -> str:
        return self.prefix + CB_ALL

    @property
    def groups(self) -> str:
        return self.prefix + CB_GROUPS

    @property
    def seq(self) -> str:
        return self.prefix + CB_SEQ

    def day_parts(self, local_date: str) -> tuple[str, str]:
        """The daily attempt counter's key around the number: head + number + tail."""
        head, tail = CB_DAY.split("{number}")
        return self.prefix + head, tail.format(date=local_date)


@dataclass(frozen=True, slots=True)
class Row:
    """A request as stored, with its fencing token and lease."""

    request: Request
    fence: int
    lease_owner: str
    lease_expires_at: float


def to_fields(request: Request) -> dict[str, str]:
    """A new request's hash fields (the register script adds `member`)."""
    return {
        "id": request.id,
        "number": request.number,
        "group": request.group,
        "source": request.source.value,
        "caller_display": request.caller_display,
        "created_at": repr(request.created_at),
        "due_at": repr(request.due_at),
        "next_attempt_at": repr(request.next_attempt_at),
        "status": request.status.value,
        "cancel_reason": request.cancel_reason,
        "priority": str(request.priority),
        "waiting_since": "" if request.waiting_since is None else repr(request.waiting_since),
        "fence": "0",
        "n": "0",
    }


def from_fields(raw: Mapping[str, str]) -> Row:
    """A request's hash, attempts included."""
    attempts = sorted(
        (Attempt.from_json(value) for name, value in raw.items() if name.startswith("a:")), key=lambda a: a.n
    )
    request = Request(
        id=raw["id"],
        number=raw["number"],
        group=raw["group"],
        source=Source(raw["source"]),
        caller_display=raw.get("caller_display", ""),
        created_at=float(raw["created_at"]),
        due_at=float(raw["due_at"]),
        next_attempt_at=float(raw["next_attempt_at"]),
        status=Status(raw["status"]),
        attempts=tuple(attempts),
        cancel_reason=raw.get("cancel_reason", ""),
        priority=int(raw.get("priority", PRIORITY_NORMAL)),
        waiting_since=float(raw["waiting_since"]) if raw.get("waiting_since") else None,
    )
    lease = raw.get("lease_expires_at", "")
    return Row(
        request, int(raw.get("fence", "0")), raw.get("lease_owner", ""), float(lease) if lease else 0.0
    )


def row_of_reply(values: Iterable[Any]) -> Row:
    """A request from a script's HGETALL reply (field, value, field, value...)."""
    flat = [text(v) for v in values]
    return from_fields(dict(zip(flat[::2], flat[1::2], strict=True)))


def reply_texts(values: Iterable[Any]) -> set[str]:
    """Members of a sorted set as text (redis-py types them as a union of reply shapes)."""
    return {text(v) for v in values}


def pairs(values: Mapping[str, str]) -> list[str]:
    """A mapping flattened to field, value, field, value... for HSET in a script."""
    return [item for pair in values.items() for item in pair]
