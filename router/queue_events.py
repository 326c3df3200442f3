"""What Asterisk's queue events say about the citizen's call, read the same way by every consumer (the
live state, the call journal, the handling-time window)."""

from __future__ import annotations

from collections.abc import Mapping


def caller_call_id(event: Mapping[str, str]) -> str:
    """The caller's call id in a queue event ("" if it names none).

    Asterisk leaves the caller channel's fields out of an `AgentComplete` when that channel's snapshot
    is already gone (the operator hung up and the caller's leg ended at the same moment; seen in the
    sandbox once in some forty calls). The operator's leg is linked to the caller's call, so its
    `DestLinkedid` still names it: a citizen's call is the first channel of its chain.
    """
    return event.get("Uniqueid", "") or event.get("DestLinkedid", "")
