"""AgiChannel: one call's conversation, driven through the real FastAGI server by a fake Asterisk over TCP.

The fake plays Asterisk's side from a script: it checks each command line the engine writes and answers
with the bytes res_agi.c would send, optionally one byte per write to exercise fragmented reads.
"""

from __future__ import annotations

import asyncio

import pytest
import structlog
from fake_asterisk import DEAD, ENV_22, FakeAsterisk, Outcome, call, settle

from hotline.errors import AgiCommandError, AgiProtocolError, AgiTimeout, CallHangup, UnsafeValueError
from ivr.channel import AgiChannel, read_env
from ivr.server import FastAgiServer

# --- The header -------------------------------------------------------------------------------------


async def test_read_env_reads_a_header_split_into_single_bytes() -> None:
    """The environment is read whole however the bytes arrive, one at a time here."""
    reader = asyncio.StreamReader()

    async def trickle() -> None:
        for byte in ENV_22:
            reader.feed_data(bytes([byte]))
            await asyncio.sleep(0)

    feeder = asyncio.create_task(trickle())
    env = await read_env(reader)
    await feeder
    assert (env.uniqueid, env.channel, env.accountcode) == ("1795298283.3", "PJSIP/carrier-00000003", "")


async def test_read_env_reports_a_connection_closed_before_the_header_ends() -> None:
    """EOF in the middle of the header is an AgiProtocolError, and the reader is at EOF."""
    reader = asyncio.StreamReader()
    reader.feed_data(b"agi_network: yes\nagi_chan")
    reader.feed_eof()
    with pytest.raises(AgiProtocolError, match="closed after 25 bytes"):
        await read_env(reader)
    assert reader.at_eof()


async def test_read_env_refuses_a_header_larger_than_the_limit() -> None:
    """A peer cannot make the engine buffer an endless header."""
    reader = asyncio.StreamReader()
    reader.feed_data(b"agi_arg_1: " + b"x" * 200 + b"\n")
    with pytest.raises(AgiProtocolError, match="larger than 100 bytes"):
        await read_env(reader, max_bytes=100)


# --- A normal call ----------------------------------------------------------------------------------


@pytest.mark.parametrize("chunk", [None, 1], ids=["whole-writes", "one-byte-writes"])
async def test_normal_call_answers_plays_reads_a_digit_and_sets_variables(chunk: int | None) -> None:
    """A whole call works the same when Asterisk's bytes arrive one at a time."""

    async def body(channel: AgiChannel, out: Outcome) -> None:
        out.values.append(channel.env.network_script)
        await channel.answer()
        out.values.append(await channel.stream_file("hotline/ru/welcome", "12#"))
        out.values.append(await channel.wait_for_digit(5))
        await channel.set_variable("HOTLINE_ACTION", "queue")
        out.values.append(await channel.get_variable("HOTLINE_LANG"))
        out.values.append(channel.hung_up)

    outcome = await call(
        body,
        [
            (b"ANSWER\n", b"200 result=0\n"),
            (b'STREAM FILE "hotline/ru/welcome" "12#"\n', b"200 result=50 endpos=8640\n"),
            (b'WAIT FOR DIGIT "5000"\n', b"200 result=35\n"),
            (b'SET VARIABLE "HOTLINE_ACTION" "queue"\n', b"200 result=1\n"),
            (b'GET VARIABLE "HOTLINE_LANG"\n', b"200 result=1 (ru)\n"),
        ],
        chunk=chunk,
    )
    assert outcome.error is None
    assert outcome.values == ["hotline", "2", "#", "ru", False]


async def test_stream_file_played_to_the_end_and_no_digit_give_none() -> None:
    """result=0 means no digit: the prompt played out, or the wait timed out."""

    async def body(channel: AgiChannel, out: Outcome) -> None:
        out.values.append(await channel.stream_file("hotline/ru/menu"))
        out.values.append(await channel.wait_for_digit(0.5))

    outcome = await call(
        body,
        [
            (b'STREAM FILE "hotline/ru/menu" ""\n', b"200 result=0 endpos=16000\n"),
            (b'WAIT FOR DIGIT "500"\n', b"200 result=0\n"),
        ],
    )
    assert outcome.values == [None, None]


async def test_get_variable_unset_is_none_and_a_value_keeps_spaces_and_parentheses() -> None:
    """result=0 is an unset variable; the value between the outer parentheses comes back whole."""

    async def body(channel: AgiChannel, out: Outcome) -> None:
        out.values.append(await channel.get_variable("NOPE"))
        out.values.append(await channel.get_variable("CALLERID(name)"))
        out.values.append(await channel.get_variable("EMPTY"))

    outcome = await call(
        body,
        [
            (b'GET VARIABLE "NOPE"\n', b"200 result=0\n"),
            (b'GET VARIABLE "CALLERID(name)"\n', "200 result=1 (Иванов (ИП) Пётр)\n".encode()),
            (b'GET VARIABLE "EMPTY"\n', b"200 result=1 ()\n"),
        ],
    )
    assert outcome.values == [None, "Иванов (ИП) Пётр", ""]


async def test_exec_sends_the_application_arguments_as_one_quoted_argument() -> None:
    """EXEC joins the application's arguments with "," into a single quoted argument."""

    async def body(channel: AgiChannel, out: Outcome) -> None:
        reply = await channel.exec("Playback", "hotline/ru/bye", "noanswer")
        out.values.append(reply.result)
        await channel.verbose("меню: выбор 2", level=3)
        await channel.hangup()

    outcome = await call(
        body,
        [
            (b'EXEC "Playback" "hotline/ru/bye,noanswer"\n', b"200 result=0\n"),
            ('VERBOSE "меню: выбор 2" "3"\n'.encode(), b"200 result=1\n"),
            (b"HANGUP\n", b"200 result=1\n"),
        ],
    )
    assert outcome.values == ["0"]


async def test_exec_of_an_unknown_application_is_a_command_error() -> None:
    """result=-2 from EXEC means Asterisk has no such application."""

    async def body(channel: AgiChannel, out: Outcome) -> None:
        await channel.exec("NoSuchApp")

    outcome = await call(
        body,
        [
            (b'EXEC "NoSuchApp" ""\n', b"200 result=-2\n"),
            (b'SET VARIABLE "HOTLINE_ERROR" "AgiCommandError"\n', b"200 result=1\n"),
        ],
    )
    assert isinstance(outcome.error, AgiCommandError)
    assert "no application NoSuchApp" in str(outcome.error)


async def test_say_number_sends_a_gender_only_when_one_is_given() -> None:
    """Without a gender SAY NUMBER keeps its two arguments; with "f" ("одна минута") a third one."""

    async def body(channel: AgiChannel, out: Outcome) -> None:
        out.values.append(await channel.say_number(10))
        out.values.append(await channel.say_number(21, gender="f"))
        out.values.append(await channel.say_number(2, "#", gender="f"))

    outcome = await call(
        body,
        [
            (b'SAY NUMBER "10" ""\n', b"200 result=0\n"),
            (b'SAY NUMBER "21" "" "f"\n', b"200 result=0\n"),
            (b'SAY NUMBER "2" "#" "f"\n', b"200 result=35\n"),
        ],
    )
    assert outcome.error is None
    assert outcome.values == [None, None, "#"]


async def test_a_gender_that_is_not_one_letter_never_reaches_the_wire() -> None:
    """A line break in the gender is refused as unsafe, anything but one lowercase letter as a bad value,
    before anything is written."""

    async def body(channel: AgiChannel, out: Outcome) -> None:
        for gender in ("f\n", "f\r\nEXEC System reboot", "ff", "F", "1", '"', "f n"):
            try:
                await channel.say_number(1, gender=gender)
            except ValueError as exc:
                out.values.append(type(exc).__name__)
        await channel.set_variable("HOTLINE_ACTION", "hangup")

    outcome = await call(body, [(b'SET VARIABLE "HOTLINE_ACTION" "hangup"\n', b"200 result=1\n")])
    assert outcome.values == ["UnsafeValueError"] * 2 + ["ValueError"] * 5


# --- Unsafe values ----------------------------------------------------------------------------------


async def test_unsafe_values_never_reach_the_wire() -> None:
    """Line breaks, and commas in EXEC arguments, are refused before anything is written."""

    async def body(channel: AgiChannel, out: Outcome) -> None:
        for attempt in (
            lambda: channel.set_variable("HOTLINE_PATH", "1\nEXEC System reboot"),
            lambda: channel.set_variable("HOTLINE\rPATH", "1"),
            lambda: channel.exec("Dial", "PJSIP/79161234567\r\nEXEC System reboot"),
            lambda: channel.exec("Dial", "PJSIP/79161234567", "30", "tT,D(1)"),
            lambda: channel.stream_file("hotline/ru/menu", "1;"),
        ):
            try:
                await attempt()
            except ValueError as exc:
                out.values.append(type(exc).__name__)
        await channel.set_variable("HOTLINE_ACTION", "hangup")

    outcome = await call(body, [(b'SET VARIABLE "HOTLINE_ACTION" "hangup"\n', b"200 result=1\n")])
    assert outcome.values == ["UnsafeValueError"] * 3 + ["ValueError"] * 2
    assert issubclass(UnsafeValueError, ValueError)


# --- Hangup -----------------------------------------------------------------------------------------


async def test_hangup_line_before_a_reply_marks_hung_up_and_the_reply_is_still_read() -> None:
    """`HANGUP` arriving ahead of a reply sets hung_up; the command's own reply is still returned."""

    async def body(channel: AgiChannel, out: Outcome) -> None:
        await channel.set_variable("HOTLINE_PATH", "main")
        out.values.append(channel.hung_up)

    with structlog.testing.capture_logs() as logs:
        outcome = await call(body, [(b'SET VARIABLE "HOTLINE_PATH" "main"\n', b"HANGUP\n200 result=1\n")])
    assert outcome.error is None
    assert outcome.values == [True]
    assert [e["log_level"] for e in logs if e["event"] == "agi.hangup_signal"] == ["info"]


async def test_result_minus_one_after_a_hangup_raises_call_hangup() -> None:
    """A media command's -1 followed by HANGUP and a 511 to the status check is the caller leaving."""

    async def body(channel: AgiChannel, out: Outcome) -> None:
        await channel.stream_file("hotline/ru/welcome", "123")

    outcome = await call(
        body,
        [
            (b'STREAM FILE "hotline/ru/welcome" "123"\n', b"200 result=-1 endpos=1234\nHANGUP\n"),
            (b"CHANNEL STATUS\n", DEAD),
        ],
    )
    assert isinstance(outcome.error, CallHangup)


async def test_result_minus_one_on_a_live_channel_is_a_command_error_not_a_hangup() -> None:
    """A sound file Asterisk cannot open also answers -1: with the channel up, that is an error."""

    async def body(channel: AgiChannel, out: Outcome) -> None:
        await channel.stream_file("hotline/ru/missing")

    outcome = await call(
        body,
        [
            (b'STREAM FILE "hotline/ru/missing" ""\n', b"200 result=-1 endpos=0\n"),
            (b"CHANNEL STATUS\n", b"200 result=6\n"),
            (b'SET VARIABLE "HOTLINE_ERROR" "AgiCommandError"\n', b"200 result=1\n"),
        ],
    )
    assert isinstance(outcome.error, AgiCommandError)
    assert "missing, or not in a format Asterisk can play" in str(outcome.error)


async def test_511_raises_call_hangup() -> None:
    """A command refused on a dead channel ends the call as a hangup."""

    async def body(channel: AgiChannel, out: Outcome) -> None:
        await channel.wait_for_digit(3)

    outcome = await call(body, [(b'WAIT FOR DIGIT "3000"\n', DEAD)])
    assert isinstance(outcome.error, CallHangup)


async def test_connection_closed_by_asterisk_raises_call_hangup() -> None:
    """EOF instead of a reply (AGIEXITONHANGUP, Asterisk stopping) is a hangup, and the channel is closed."""
    seen: list[bool] = []

    async def handler(channel: AgiChannel) -> None:
        try:
            await channel.answer()
        except CallHangup:
            seen.append(channel.closed)
            raise

    async with FastAgiServer(handler, port=0) as server:
        fake = await FakeAsterisk.connect(server.port)
        assert await fake.command() == b"ANSWER\n"
        await fake.close()
        await settle(server)
    assert seen == [True]


# --- Errors and timeouts ----------------------------------------------------------------------------


async def test_510_and_520_raise_agi_command_error_with_the_code() -> None:
    """An unknown command (510) and a usage error (multi-line 520) raise AgiCommandError."""

    async def body(channel: AgiChannel, out: Outcome) -> None:
        for name in ("FLY TO MOON", "WAIT FOR DIGIT"):
            try:
                await channel.command(name)
            except AgiCommandError as exc:
                out.values.append((exc.code, exc.command))

    outcome = await call(
        body,
        [
            (b"FLY TO MOON\n", b"510 Invalid or unknown command\n"),
            (
                b"WAIT FOR DIGIT\n",
                b"520-Invalid command syntax.  Proper usage follows:\n"
                b" Usage: WAIT FOR DIGIT <timeout>\n"
                b"520 End of proper usage.\n",
            ),
        ],
    )
    assert outcome.values == [(510, "FLY TO MOON"), (520, "WAIT FOR DIGIT")]


async def test_command_timeout_raises_agi_timeout_and_the_next_command_realigns_the_stream() -> None:
    """After a reply that came too late, the next command drops it and reads its own reply."""
    results: list[object] = []

    async def handler(channel: AgiChannel) -> None:
        try:
            await channel.set_variable("HOTLINE_PATH", "main")
        except AgiTimeout as exc:
            results.append(type(exc).__name__)
        results.append(await channel.get_variable("HOTLINE_LANG"))

    async with FastAgiServer(handler, port=0, command_timeout=0.2) as server:
        fake = await FakeAsterisk.connect(server.port)
        try:
            assert await fake.command() == b'SET VARIABLE "HOTLINE_PATH" "main"\n'
            probe = await fake.command()  # written only once the first command has timed out
            assert probe.startswith(b'GET FULL VARIABLE "hotline-resync-')
            marker = probe.removeprefix(b'GET FULL VARIABLE "').removesuffix(b'"\n')
            await fake.send(b"200 result=1\n" + b"200 result=1 (" + marker + b")\n")  # late reply, then echo
            await fake.expect(b'GET VARIABLE "HOTLINE_LANG"\n', b"200 result=1 (ru)\n")
            await fake.expect_eof()
        finally:
            await fake.close()
        await settle(server)
    assert results == ["AgiTimeout", "ru"]
