"""The journal of each citizen's call: what the IVR decided, then what the queue did with it.

The IVR writes its part when the caller leaves the menus; AMI queue events (keyed by the caller's
channel uniqueid, which is the call id) add the queue, the operator who answered, the wait and the
talk time. The demo and the end-to-end tests read it; a supervisor's tools will.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass

import redis.asyncio as aioredis

from hotline import constants as c
from hotline.log import get_logger
from ivr.app import CallSummary
from router.queue_events import caller_call_id
from router.redis_text import fields as as_fields
from router.redis_text import text_hash

log = get_logger("router.journal")

# AMI events the journal listens to (all in the `agent` and `call` read classes).
EVENTS = ("QueueCallerJoin", "AgentConnect", "AgentComplete", "QueueCallerAbandon", "Hangup")


@dataclass(frozen=True, slots=True)
class CallRecord:
    call_id: str
    caller: str
    path: str
    ivr_outcome: str  # queue | hangup (the engine said goodbye) | caller_hung_up (in the menus) | fallback
    reason: str  # chosen, closed, retries_exhausted, loop_guard; during:<prompt> for caller_hung_up
    group: str
    queue: str
    operator: str  # the member name (operator id) who answered, "" if nobody did
    wait: int | None  # seconds in the queue before an operator answered (or before abandoning)
    talk: int | None
    ended_by: str  # caller | agent | abandoned | ""
    hung_up: bool
    version: int | None = None  # the dialplan version the IVR walked the call on

    @classmethod
    def from_hash(cls, call_id: str, h: Mapping[str, str]) -> CallRecord:
        def opt_int(key: str) -> int | None:
            value = h.get(key, "")
            return int(value) if value.isdigit() else None

        return cls(
            call_id=call_id,
            caller=h.get("caller", ""),
            path=h.get("path", ""),
            ivr_outcome=h.get("ivr_outcome", ""),
            reason=h.get("reason", ""),
            group=h.get("group", ""),
            queue=h.get("queue", ""),
            operator=h.get("operator", ""),
            wait=opt_int("wait"),
            talk=opt_int("talk"),
            ended_by=h.get("ended_by", ""),
            hung_up="ended_at" in h,
            version=opt_int("version"),
        )


class CallJournal:
    def __init__(self, redis: aioredis.Redis) -> None:
        self.redis = redis

    @staticmethod
    def key(call_id: str) -> str:
        return c.KEY_CALL.format(call_id=call_id)

    async def record_ivr(self, summary: CallSummary) -> None:
        """The IVR's part, written when the caller leaves the menus (or hangs up in them)."""
        o = summary.outcome
        fields = {
            "caller": summary.caller,
            "started": f"{summary.started:.3f}",
            "path": ">".join(f"{s.menu}:{s.key or '-'}:{s.result}" for s in o.path) if o else "",
            "ivr_outcome": o.kind if o else "caller_hung_up",
            "reason": o.reason if o else f"during:{summary.last_prompt or '-'}",
            "group": (o.group or "") if o else "",
            "language": summary.language,
            "ivr_seconds": f"{summary.ivr_seconds:.1f}",
            "version": str(summary.version),
        }
        key = self.key(summary.call_id)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping=as_fields(fields))
            pipe.expire(key, c.CALL_JOURNAL_TTL)
            pipe.xadd(c.KEY_CALL_LOG, {"call_id": summary.call_id}, maxlen=100_000, approximate=True)
            await pipe.execute()

    async def on_event(self, event: Mapping[str, str]) -> None:
        """Fold one AMI event into the journal of the caller's call it belongs to."""
        name = event.get("Event", "")
        call_id = caller_call_id(event)
        if not call_id:
            return
        fields: dict[str, str] = {}
        if name == "QueueCallerJoin":
            fields = {
                "queue": event.get("Queue", ""),
                "joined_at": f"{time.time():.3f}",
                "position": event.get("Position", ""),
                "caller": event.get("CallerIDNum", ""),
            }
        elif name == "AgentConnect":
            fields = {
                "operator": event.get("MemberName", ""),
                "wait": event.get("HoldTime", ""),
                "connected_at": f"{time.time():.3f}",
            }
        elif name == "AgentComplete":
            fields = {"talk": event.get("TalkTime", ""), "ended_by": event.get("Reason", "")}
        elif name == "QueueCallerAbandon":
            fields = {"wait": event.get("HoldTime", ""), "ended_by": "abandoned"}
        elif name == "Hangup":
            fields = {"ended_at": f"{time.time():.3f}"}
        if not fields:
            return
        key = self.key(call_id)
        known = bool(await self.redis.exists(key))
        # Calls the IVR handled have a journal already. A caller who joins a queue without one came
        # through Asterisk's fallback (the engine was down): start a journal for them. Other channels
        # (operators' legs) are ignored.
        if not known and name != "QueueCallerJoin":
            return
        async with self.redis.pipeline(transaction=True) as pipe:
            if not known:
                fields.update(ivr_outcome="fallback", reason="engine_unavailable")
                pipe.xadd(c.KEY_CALL_LOG, {"call_id": call_id}, maxlen=100_000, approximate=True)
            pipe.hset(key, mapping=as_fields(fields))
            pipe.expire(key, c.CALL_JOURNAL_TTL)
            await pipe.execute()

    async def get(self, call_id: str) -> CallRecord | None:
        h = text_hash(await self.redis.hgetall(self.key(call_id)))
        return CallRecord.from_hash(call_id, h) if h else None

    async def find_by_caller(self, caller: str, since: float = 0.0) -> list[CallRecord]:
        """Calls from a displayed caller number, newest last (for the demo and tests; never for trust)."""
        entries = await self.redis.xrange(c.KEY_CALL_LOG, min=f"{int(since * 1000)}-0") or []
        records = []
        for _, entry in entries:
            record = await self.get(text_hash(entry).get("call_id", ""))
            if record is not None and record.caller == caller:
                records.append(record)
        return records
