"""A whole FastAGI conversation captured from the real Asterisk 22, replayed through AgiChannel.

The replies (and the header) are Asterisk's own bytes (agi_transcripts/asterisk22_call.json); the
commands are checked as this engine formats them, which differs from the capture only in quoting.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fake_asterisk import Outcome, call

from hotline.errors import AgiCommandError, CallHangup
from ivr.agi import format_command
from ivr.channel import AgiChannel

CAPTURE = json.loads((Path(__file__).parent / "agi_transcripts" / "asterisk22_call.json").read_text("utf-8"))


def replies_from_asterisk() -> list[bytes]:
    """What Asterisk sent after each command, in order (the header, first, is left out)."""
    replies: list[bytes] = []
    for entry in CAPTURE[1:]:
        if entry["dir"] == "out":
            replies.append(b"")
        else:
            replies[-1] += entry["data"].encode("utf-8")
    return replies


COMMANDS = [
    format_command("STREAM FILE", "/var/lib/hotline/sounds/ru/main_menu", "0123456789*#"),
    format_command("SET VARIABLE", "HOTLINE_TEST", 'При "q"'),
    format_command("GET VARIABLE", "HOTLINE_TEST"),
    format_command("GET VARIABLE", "NOPE_UNSET"),
    format_command("NOT A COMMAND"),
    format_command("STREAM FILE"),
    format_command("WAIT FOR DIGIT", "8000"),
    format_command("STREAM FILE", "/var/lib/hotline/sounds/ru/main_menu", ""),
]


@pytest.mark.parametrize("chunk", [None, 1], ids=["whole", "byte-by-byte"])
async def test_a_real_asterisk22_conversation_reads_as_the_engine_expects(chunk: int | None) -> None:
    """Digits, Russian values, an unset variable, 510, the 520 usage block, then HANGUP and 511."""
    replies = replies_from_asterisk()
    assert len(replies) == len(COMMANDS)
    assert replies[-2].endswith(b"HANGUP\n")  # Asterisk's unprompted hangup notice, after the digit

    async def body(channel: AgiChannel, out: Outcome) -> None:
        out.values.append(await channel.stream_file("/var/lib/hotline/sounds/ru/main_menu", "0123456789*#"))
        await channel.set_variable("HOTLINE_TEST", 'При "q"')
        out.values.append(await channel.get_variable("HOTLINE_TEST"))
        out.values.append(await channel.get_variable("NOPE_UNSET"))
        for name in ("NOT A COMMAND", "STREAM FILE"):
            with pytest.raises(AgiCommandError) as err:
                await channel.command(name)
            out.values.append(err.value.code)
        out.values.append(await channel.wait_for_digit(8.0))
        await channel.stream_file("/var/lib/hotline/sounds/ru/main_menu", "")

    outcome = await call(body, list(zip(COMMANDS, replies, strict=True)), chunk=chunk)
    assert outcome.values == ["5", 'При "q"', None, 510, 520, "7"]
    assert isinstance(outcome.error, CallHangup)
