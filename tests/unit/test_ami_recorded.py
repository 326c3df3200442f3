"""Real AMI bytes from the sandbox's Asterisk 22 (ami_transcripts/asterisk22_queue_call.json), framed
by the project's wire module however the reads are cut."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from router.ami_wire import BANNER_PREFIX, FrameParser, Message

CAPTURE = json.loads(
    (Path(__file__).parent / "ami_transcripts" / "asterisk22_queue_call.json").read_text("utf-8")
)
READS = [entry["data"].encode("utf-8") for entry in CAPTURE if entry["dir"] == "in"]
STREAM = b"".join(READS)
BANNER, _, FRAMES = STREAM.partition(b"\r\n")


def frame_all(chunks: list[bytes]) -> list[Message]:
    parser = FrameParser()
    messages: list[Message] = []
    for chunk in chunks:
        messages += parser.feed(chunk)
    return messages


def test_asterisk22_greets_with_the_banner_the_client_expects() -> None:
    """The first line is the AMI banner, before any frame."""
    assert BANNER.decode().startswith(BANNER_PREFIX)


@pytest.mark.parametrize("size", [None, 1, 7, 1000], ids=["whole", "1-byte", "7-byte", "1000-byte"])
def test_the_same_messages_come_out_however_the_bytes_are_cut(size: int | None) -> None:
    """Reads of any size give the same messages, Cyrillic names intact (a split letter is not lost)."""
    whole = frame_all([FRAMES])
    chunks = [FRAMES] if size is None else [FRAMES[i : i + size] for i in range(0, len(FRAMES), size)]
    cut = frame_all(chunks)
    assert [m.headers for m in cut] == [m.headers for m in whole]
    assert any(m.get("DestCallerIDName") == "Анна Иванова" for m in cut)


def test_a_queue_status_list_is_a_start_response_its_items_and_a_complete_event() -> None:
    """QueueStatus, asked while the citizen waited: params, both members, the waiting caller, the end."""
    listed = [m for m in frame_all([FRAMES]) if m.action_id == "cap-2"]
    assert listed[0].is_response
    assert listed[0]["EventList"] == "start"
    assert [m.name for m in listed[1:]] == [
        "QueueParams",
        "QueueMember",
        "QueueMember",
        "QueueEntry",
        "QueueStatusComplete",
    ]
    entry = listed[4]
    assert (entry["Queue"], entry["Position"], entry["CallerIDNum"]) == (
        "hotline-heating",
        "1",
        "79161234567",
    )
    assert listed[-1]["ListItems"] == "4"


def test_a_queue_call_shows_the_events_the_engine_follows_in_order() -> None:
    """Join, ring the operator, connect, complete, hang up: the sequence the journal and state rely on."""
    caller = "1795299709.22"
    names = [m.name for m in frame_all([FRAMES]) if m.is_event and m.get("Uniqueid") == caller]
    followed = [
        n
        for n in names
        if n
        in {"QueueCallerJoin", "AgentCalled", "QueueCallerLeave", "AgentConnect", "AgentComplete", "Hangup"}
    ]
    assert followed == [
        "QueueCallerJoin",
        "AgentCalled",
        "QueueCallerLeave",
        "AgentConnect",
        "AgentComplete",
        "Hangup",
    ]
