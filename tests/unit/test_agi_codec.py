"""The FastAGI wire codec (ivr.agi), checked against bytes in the shape Asterisk's res_agi.c writes."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotline.errors import AgiProtocolError, UnsafeValueError
from ivr.agi import (
    HANGUP_LINE,
    MAX_COMMAND_BYTES,
    AgiReply,
    format_command,
    is_hangup_line,
    parse_env,
    parse_reply,
    quote_argument,
    reply_complete,
)

ENV_22 = (Path(__file__).parent / "agi_transcripts" / "asterisk22_env.bin").read_bytes()


def env_with(*extra: str, drop: tuple[str, ...] = ()) -> bytes:
    """The Asterisk 22 header with the `drop` variables left out and `extra` lines added at its end."""
    lines = [line for line in ENV_22.decode().split("\n")[:-2] if line.partition(":")[0] not in drop]
    return ("\n".join([*lines, *extra]) + "\n\n").encode()


def asterisk_parse_args(line: str) -> list[str]:
    """A model of res_agi.c parse_args(): the reader our quoting is written for.

    Spaces and tabs split words unless quoted or escaped; a double quote toggles quoting (and, coming
    off whitespace, starts a word, so "" is an empty word); a backslash makes the next character literal.
    """
    words: list[str] = []
    current: list[str] = []
    quoted = escaped = in_word = False
    for char in line:
        if char == '"' and not escaped:
            quoted = not quoted
            in_word = True
        elif char in " \t" and not quoted and not escaped:
            if in_word:
                words.append("".join(current))
                current, in_word = [], False
        elif char == "\\" and not escaped:
            escaped = True
        else:
            current.append(char)
            in_word, escaped = True, False
    if in_word:
        words.append("".join(current))
    return words


# --- Environment ------------------------------------------------------------------------------------


def test_env_from_asterisk22_header_has_every_field_typed() -> None:
    """The header Asterisk 22 sends parses into typed fields, values such as "unknown" kept as given."""
    env = parse_env(ENV_22)
    assert env.network is True
    assert env.network_script == "hotline"
    assert env.request == "agi://127.0.0.1:4573/hotline"
    assert env.channel == "PJSIP/carrier-00000003"
    assert env.language == "ru"
    assert env.type == "PJSIP"
    assert env.uniqueid == "1795298283.3"
    assert env.version == "22.10.1+dfsg+~cs6.17.60671434-1"
    assert env.callerid == "79161234567"
    assert env.calleridname == "unknown"
    assert (env.callingpres, env.callingani2, env.callington, env.callingtns) == (0, 0, 0, 0)
    assert env.dnid == "565602"
    assert env.rdnis == "unknown"
    assert env.context == "hotline-inbound"
    assert env.extension == "565602"
    assert env.priority == 4
    assert env.enhanced is False
    assert env.accountcode == ""
    assert env.threadid == 140547778926272
    assert env.arguments == ()
    assert env.raw["agi_accountcode"] == ""
    assert len(env.raw) == 22


def test_env_keeps_unknown_agi_variables_in_raw() -> None:
    """An agi_* variable a newer Asterisk adds is kept in raw, not refused."""
    env = parse_env(env_with("agi_new_thing: 42"))
    assert env.raw["agi_new_thing"] == "42"


def test_env_collects_arguments_in_order_as_given() -> None:
    """agi_arg_1..N become `arguments`, spaces, commas and Russian text untouched."""
    env = parse_env(env_with("agi_arg_1: ru", "agi_arg_2: a, b  c", "agi_arg_3: Горячая линия"))
    assert env.arguments == ("ru", "a, b  c", "Горячая линия")


def test_env_value_keeps_colons_and_leading_spaces_after_the_separator() -> None:
    """Only the one space Asterisk writes after ':' is removed; the rest of the value is kept."""
    env = parse_env(env_with("agi_calleridname:  ООО: Рога", drop=("agi_calleridname",)))
    assert env.calleridname == " ООО: Рога"


def test_env_bytes_that_are_not_utf8_do_not_cost_the_call() -> None:
    """A caller name in another charset becomes U+FFFD instead of refusing the call."""
    block = env_with(drop=("agi_calleridname",)).replace(b"\n\n", b"\nagi_calleridname: \xc8\xe2\xe0\xed\n\n")
    assert parse_env(block).calleridname == "\ufffd" * 4


def test_env_tolerates_crlf_line_ends() -> None:
    """CRLF line ends (a capture tool or a proxy) parse like Asterisk's bare LF."""
    assert parse_env(ENV_22.replace(b"\n", b"\r\n")).channel == "PJSIP/carrier-00000003"


@pytest.mark.parametrize(
    ("block", "reason"),
    [
        (env_with("agi_broken"), r"line 23 of the AGI environment has no ':'"),
        (env_with("x_header: 1"), r"line 23 of the AGI environment is not an agi_\* variable"),
        (env_with("agi_channel: PJSIP/other-2"), r"line 23 of the AGI environment repeats agi_channel"),
        (env_with("agi_priority: 2x", drop=("agi_priority",)), "agi_priority is not an integer"),
        (env_with("agi_enhanced: 2.0", drop=("agi_enhanced",)), "agi_enhanced is '2.0'"),
        (env_with(drop=("agi_uniqueid",)), "the AGI environment has no agi_uniqueid"),
        (env_with("agi_arg_1: a", "agi_arg_3: c"), r"not numbered 1 to 2: \[1, 3\]"),
        (ENV_22[:-1], "does not end with an empty line"),
        (ENV_22 + b"agi_extra: 1\n\n", "is empty, before its end"),
    ],
    ids=[
        "no-colon",
        "not-agi",
        "repeated",
        "bad-int",
        "bad-flag",
        "no-uniqueid",
        "arg-gap",
        "no-end",
        "after-end",
    ],
)
def test_env_malformed_block_is_refused_with_the_exact_reason(block: bytes, reason: str) -> None:
    """Every way a header can be wrong raises AgiProtocolError saying where and why."""
    with pytest.raises(AgiProtocolError, match=reason):
        parse_env(block)


# --- Commands ---------------------------------------------------------------------------------------


def test_format_command_quotes_every_argument() -> None:
    """Each argument goes in double quotes after the unquoted command words, one line, LF-terminated."""
    line = format_command("STREAM FILE", "hotline/ru/welcome", "123")
    assert line == b'STREAM FILE "hotline/ru/welcome" "123"\n'


def test_format_command_without_arguments_is_the_bare_name() -> None:
    """A command with no argument is just its words."""
    assert format_command("ANSWER") == b"ANSWER\n"


def test_format_command_escapes_quotes_and_backslashes() -> None:
    """`"` and `\\` are backslash-escaped inside the quotes."""
    assert format_command("VERBOSE", 'say "hi" \\ bye', 1) == b'VERBOSE "say \\"hi\\" \\\\ bye" "1"\n'


def test_format_command_sends_an_empty_argument_as_empty_quotes() -> None:
    """An empty string still counts as an argument (no escape digits for STREAM FILE)."""
    assert format_command("STREAM FILE", "beep", "") == b'STREAM FILE "beep" ""\n'


def test_format_command_writes_russian_text_as_utf8() -> None:
    """Non-ASCII text goes out as UTF-8."""
    line = format_command("SET VARIABLE", "HOTLINE_PATH", "Главное меню > Отопление")
    assert line == 'SET VARIABLE "HOTLINE_PATH" "Главное меню > Отопление"\n'.encode()


@pytest.mark.parametrize(
    "value",
    [
        "hello world",
        'say "hi"',
        "back\\slash",
        "trailing\\",
        "",
        "tab\there",
        "Привет, мир",
        '"',
        '\\"',
        " a  b ",
    ],
)
def test_quoted_argument_reads_back_unchanged_by_asterisks_parser(value: str) -> None:
    """Whatever the value, res_agi's parse_args (modelled) reads back exactly that one argument."""
    line = format_command("SET VARIABLE", "X", value).decode().removesuffix("\n")
    assert asterisk_parse_args(line) == ["SET", "VARIABLE", "X", value]
    assert quote_argument(value).startswith('"')


@pytest.mark.parametrize("bad", ["\n", "\r", "\r\n", "\x00"], ids=["LF", "CR", "CRLF", "NUL"])
def test_format_command_refuses_line_breaks_and_nul_in_an_argument(bad: str) -> None:
    """CR, LF or NUL in a value raises UnsafeValueError naming the argument; nothing is cleaned silently."""
    with pytest.raises(UnsafeValueError, match="argument 2 of SET VARIABLE contains"):
        format_command("SET VARIABLE", "HOTLINE_PATH", f"1{bad}EXEC System reboot")


@pytest.mark.parametrize("bad", ["\n", "\r", "\x00"], ids=["LF", "CR", "NUL"])
def test_format_command_refuses_line_breaks_and_nul_in_the_name(bad: str) -> None:
    """The command name is checked like the arguments."""
    with pytest.raises(UnsafeValueError, match="the AGI command name contains"):
        format_command(f"NOOP{bad}EXEC System reboot")


def test_format_command_refuses_a_line_asterisk_would_cut_in_two() -> None:
    """Asterisk reads 2047 bytes of a line and runs the rest as another command: refuse longer lines."""
    room = MAX_COMMAND_BYTES - len(b'SET VARIABLE "X" ""\n')
    assert len(format_command("SET VARIABLE", "X", "a" * room)) == MAX_COMMAND_BYTES
    with pytest.raises(UnsafeValueError, match="would take 2048 bytes"):
        format_command("SET VARIABLE", "X", "я" + "a" * (room - 1))  # "я" is two bytes in UTF-8


def test_format_command_refuses_a_name_that_is_not_command_words() -> None:
    """Only words of letters make a command name; quotes or digits there are a programming error."""
    with pytest.raises(ValueError, match="not an AGI command name"):
        format_command('SET "VARIABLE"')


# --- Replies ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (b"200 result=0\n", AgiReply(200, "0", None, {})),
        (b"200 result=-1\n", AgiReply(200, "-1", None, {})),
        (b"200 result=49 endpos=8640\n", AgiReply(200, "49", None, {"endpos": "8640"})),
        (b"200 result=1 (dtmf) endpos=1234\n", AgiReply(200, "1", "dtmf", {"endpos": "1234"})),
        (b"200 result=1 (some value with spaces)\n", AgiReply(200, "1", "some value with spaces", {})),
        (b"200 result= (timeout)\n", AgiReply(200, "", "timeout", {})),
        (b"200 result=1 ()\n", AgiReply(200, "1", "", {})),
        (b"200 result=1 (a) b (c))\n", AgiReply(200, "1", "a) b (c)", {})),
        (b"200 result=1 (x) endpos=5)\n", AgiReply(200, "1", "x) endpos=5", {})),
        (
            b"200 result=1 (digit) digit=5 endpos=100\n",
            AgiReply(200, "1", "digit", {"digit": "5", "endpos": "100"}),
        ),
        ("200 result=1 (Иванов И.И.)\n".encode(), AgiReply(200, "1", "Иванов И.И.", {})),
        (b"510 Invalid or unknown command\n", AgiReply(510, "", "Invalid or unknown command", {})),
        (
            b"511 Command Not Permitted on a dead channel or intercept routine\n",
            AgiReply(511, "", "Command Not Permitted on a dead channel or intercept routine", {}),
        ),
        (
            b"511 Command Not Permitted on a dead channel\n",
            AgiReply(511, "", "Command Not Permitted on a dead channel", {}),
        ),
        (b"503 result=-2 Memory allocation failure\n", AgiReply(503, "-2", "Memory allocation failure", {})),
    ],
)
def test_single_line_reply_parses_code_result_data_and_extras(line: bytes, expected: AgiReply) -> None:
    """Every one-line reply form res_agi writes parses into code, result, (data) and key=value extras."""
    assert reply_complete(line)
    reply = parse_reply(line)
    assert (reply.code, reply.result, reply.data, reply.extras) == (
        expected.code,
        expected.result,
        expected.data,
        expected.extras,
    )
    assert reply.raw == line.decode().removesuffix("\n")


def test_multiline_520_is_complete_only_at_its_closing_line() -> None:
    """The usage reply is incomplete until `520 End of proper usage.`; its data is the usage text."""
    lines = [
        b"520-Invalid command syntax.  Proper usage follows:\n",
        b" Usage: WAIT FOR DIGIT <timeout>\n",
        b"        Waits up to 'timeout' milliseconds for channel to receive a DTMF digit.\n",
        b"520 End of proper usage.\n",
    ]
    for end in range(1, len(lines)):
        assert not reply_complete(b"".join(lines[:end]))
    reply = parse_reply(b"".join(lines))
    assert reply.code == 520
    assert reply.data == (
        " Usage: WAIT FOR DIGIT <timeout>\n"
        "        Waits up to 'timeout' milliseconds for channel to receive a DTMF digit."
    )


def test_multiline_520_closing_glued_to_the_usage_text_is_recognised() -> None:
    """Usage text written without a final newline glues `520 End of proper usage.` to its last line."""
    data = (
        b"520-Invalid command syntax.  Proper usage follows:\n"
        b"Stream the given file, and receive DTMF data.520 End of proper usage.\n"
    )
    assert reply_complete(data)
    assert parse_reply(data).data == "Stream the given file, and receive DTMF data."


def test_single_line_520_without_usage_is_complete() -> None:
    """`520 Invalid command syntax.  Proper usage not available.` is one line."""
    reply = parse_reply(b"520 Invalid command syntax.  Proper usage not available.\n")
    assert (reply.code, reply.data) == (520, "Invalid command syntax.  Proper usage not available.")


def test_provisional_100_reply_waits_for_the_final_one() -> None:
    """GOSUB's `100 result=0 Trying...` only announces the reply that follows."""
    assert not reply_complete(b"100 result=0 Trying...\n")
    reply = parse_reply(b"100 result=0 Trying...\n200 result=0 Gosub complete\n")
    assert (reply.code, reply.result) == (200, "0")


def test_reply_fed_one_byte_at_a_time_is_complete_only_at_its_newline() -> None:
    """A fragmented read never looks like a whole reply before its last byte."""
    data = b"200 result=1 (dtmf) endpos=1234\n"
    assert not any(reply_complete(data[:end]) for end in range(len(data)))
    assert reply_complete(data)


def test_hangup_line_is_recognised() -> None:
    """The bare `HANGUP` Asterisk sends when the channel hangs up is told apart from replies."""
    assert HANGUP_LINE == b"HANGUP\n"
    assert is_hangup_line(b"HANGUP\n")
    assert is_hangup_line(b"HANGUP\r\n")
    assert not is_hangup_line(b"200 result=1\n")
    assert not is_hangup_line(b"HANGUP NOW\n")


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"hello\n", "not an AGI reply"),
        (b"200 foo\n", "a 200 reply without result="),
        (b"200 result=1 (unterminated\n", "unterminated '\\('"),
        (b"200 result=0\n200 result=1\n", "more than one AGI reply"),
        (b"200 result=0", "incomplete AGI reply"),
    ],
)
def test_garbage_reply_is_a_protocol_error(data: bytes, reason: str) -> None:
    """Bytes that are not one AGI reply raise AgiProtocolError with the reason."""
    with pytest.raises(AgiProtocolError, match=reason):
        parse_reply(data)
