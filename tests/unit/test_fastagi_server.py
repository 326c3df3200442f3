"""FastAgiServer: connections that never become calls, a call's log lines, failures that must reach the
dialplan, and shutdown in phases. Real server on port 0, a fake Asterisk on a real TCP socket.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import structlog
from fake_asterisk import DEAD, ENV_22, FakeAsterisk, settle
from structlog.typing import EventDict

from hotline.errors import CallHangup
from ivr.channel import AgiChannel
from ivr.server import FastAgiServer, check_bind_host

CALL_ID = "1795298283.3"
LOUD = {"warning", "error", "critical", "exception"}


def capture() -> Any:
    """capture_logs with the call's contextvars merged in, as the real configuration does."""
    return structlog.testing.capture_logs(processors=[structlog.contextvars.merge_contextvars])


def events(logs: list[EventDict], name: str) -> list[EventDict]:
    return [entry for entry in logs if entry["event"] == name]


async def never_called(channel: AgiChannel) -> None:
    raise AssertionError("no call should reach the handler")


# --- Binding ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "host",
    ["0.0.0.0", "::", "8.8.8.8", "2001:4860:4860::8888", "agi.example.org", ""],  # noqa: S104 - refused here
)
def test_refuses_to_bind_a_public_or_wildcard_address(host: str) -> None:
    """FastAGI has no authentication: anything but loopback or a private address is refused."""
    with pytest.raises(ValueError, match=r"refusing to listen|must be an IP address"):
        FastAgiServer(never_called, host=host)


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "localhost", "10.0.0.5", "192.168.1.20", "172.16.0.2"])
def test_accepts_loopback_and_private_addresses(host: str) -> None:
    """Loopback and private addresses pass the bind check."""
    check_bind_host(host)


def test_public_bind_needs_to_be_explicitly_allowed() -> None:
    """An operator who puts a firewall in front can still listen on all interfaces, on purpose."""
    check_bind_host("0.0.0.0", allow_public=True)  # noqa: S104 - the point of the test


# --- A call -----------------------------------------------------------------------------------------


async def test_normal_call_logs_start_and_end_with_the_call_id_on_every_line() -> None:
    """A completed call logs agi.call.start and agi.call.end (completed); every line carries call_id."""

    async def handler(channel: AgiChannel) -> None:
        await channel.set_variable("HOTLINE_ACTION", "queue")

    with capture() as logs:
        async with FastAgiServer(handler, port=0) as server:
            assert server.port > 0
            peer = await FakeAsterisk.connect(server.port)
            await peer.expect(b'SET VARIABLE "HOTLINE_ACTION" "queue"\n', b"200 result=1\n")
            await peer.expect_eof()
            await peer.close()
            await settle(server)
    call_lines = [entry for entry in logs if entry["event"].startswith(("agi.call", "agi.command"))]
    assert [e["event"] for e in call_lines] == ["agi.call.start", "agi.command", "agi.call.end"]
    assert all(e["call_id"] == CALL_ID and e["channel"] == "PJSIP/carrier-00000003" for e in call_lines)
    (end,) = events(logs, "agi.call.end")
    assert end["outcome"] == "completed"
    assert end["duration_s"] >= 0
    assert not [e for e in logs if e["log_level"] in LOUD]


async def test_caller_hanging_up_mid_stream_ends_as_caller_hung_up_with_no_error() -> None:
    """HANGUP then 511s during a prompt is the ordinary end of a call: logged at info, nothing reported."""

    async def handler(channel: AgiChannel) -> None:
        await channel.stream_file("hotline/ru/welcome", "123")

    with capture() as logs:
        async with FastAgiServer(handler, port=0) as server:
            peer = await FakeAsterisk.connect(server.port)
            await peer.expect(
                b'STREAM FILE "hotline/ru/welcome" "123"\n', b"200 result=-1 endpos=1234\nHANGUP\n"
            )
            await peer.expect(b"CHANNEL STATUS\n", DEAD)
            await peer.expect_eof()  # no HOTLINE_ERROR for a caller who simply left
            await peer.close()
            await settle(server)
    (end,) = events(logs, "agi.call.end")
    assert (end["outcome"], end["call_id"]) == ("caller_hung_up", CALL_ID)
    assert not [e for e in logs if e["log_level"] in LOUD]


async def test_handler_exception_sets_hotline_error_on_the_wire_and_is_logged_with_traceback() -> None:
    """A failing handler never leaves the caller in silence: HOTLINE_ERROR goes to the dialplan."""

    async def handler(channel: AgiChannel) -> None:
        await channel.answer()
        raise RuntimeError("menu 'heating' has no prompt")

    with capture() as logs:
        async with FastAgiServer(handler, port=0) as server:
            peer = await FakeAsterisk.connect(server.port)
            await peer.expect(b"ANSWER\n", b"200 result=0\n")
            await peer.expect(b'SET VARIABLE "HOTLINE_ERROR" "RuntimeError"\n', b"200 result=1\n")
            await peer.expect_eof()
            await peer.close()
            await settle(server)
    (error,) = events(logs, "agi.call.error")
    assert error["log_level"] == "error"
    assert error["exc_info"] is True
    assert error["call_id"] == CALL_ID
    assert error["error"] == "menu 'heating' has no prompt"
    assert events(logs, "agi.call.error_reported")[0]["reason"] == "RuntimeError"
    assert events(logs, "agi.call.end")[0]["outcome"] == "error"


async def test_handler_idle_too_long_is_cut_and_reported() -> None:
    """A handler that stops talking to Asterisk (a dead dependency) is cancelled after idle_timeout."""

    async def handler(channel: AgiChannel) -> None:
        await channel.answer()
        await asyncio.Event().wait()  # stuck on something that never comes

    with capture() as logs:
        async with FastAgiServer(handler, port=0, idle_timeout=0.2) as server:
            peer = await FakeAsterisk.connect(server.port)
            await peer.expect(b"ANSWER\n", b"200 result=0\n")
            await peer.expect(b'SET VARIABLE "HOTLINE_ERROR" "idle_timeout"\n', b"200 result=1\n")
            await peer.expect_eof()
            await peer.close()
            await settle(server)
    assert events(logs, "agi.call.error")[0]["reason"] == "idle_timeout"
    assert events(logs, "agi.call.end")[0]["outcome"] == "error"


async def test_several_calls_at_once_each_keep_their_own_call_id() -> None:
    """Concurrent calls run side by side; no task, call or socket is left once they end."""
    release = asyncio.Event()

    async def handler(channel: AgiChannel) -> None:
        await channel.verbose(f"call {channel.env.uniqueid}")
        await release.wait()

    with capture() as logs:
        async with FastAgiServer(handler, port=0) as server:
            peers = [
                await FakeAsterisk.connect(
                    server.port, env=ENV_22.replace(CALL_ID.encode(), f"1700000000.{n}".encode())
                )
                for n in (1, 2, 3)
            ]
            for n, peer in enumerate(peers, start=1):
                await peer.expect(f'VERBOSE "call 1700000000.{n}" "1"\n'.encode(), b"200 result=1\n")
            assert server.active_calls == 3
            release.set()
            for peer in peers:
                await peer.expect_eof()
                await peer.close()
            await settle(server)
    for entry in events(logs, "agi.command"):
        assert entry["call_id"].startswith("1700000000.")
    ended = sorted(e["call_id"] for e in events(logs, "agi.call.end"))
    assert ended == [f"1700000000.{n}" for n in (1, 2, 3)]


# --- Connections that never become calls ------------------------------------------------------------


@pytest.mark.parametrize("first_bytes", [b"", b"agi_network: yes\nagi_chan"], ids=["nothing", "half-header"])
async def test_connection_closed_before_the_header_ends_costs_nothing(first_bytes: bytes) -> None:
    """A port check or half a header then a disconnect: the task ends, nothing louder than info."""
    with capture() as logs:
        async with FastAgiServer(never_called, port=0) as server:
            peer = await FakeAsterisk.connect(server.port, env=first_bytes)
            await peer.close()
            await settle(server)
    (incomplete,) = events(logs, "agi.header.incomplete")
    assert incomplete["log_level"] == "info"
    assert not [e for e in logs if e["log_level"] in LOUD]
    assert not events(logs, "agi.call.start")


async def test_stalled_header_times_out_and_the_socket_is_closed() -> None:
    """A peer that stops in the middle of the header is dropped after header_timeout, with one warning."""
    with capture() as logs:
        async with FastAgiServer(never_called, port=0, header_timeout=0.2) as server:
            peer = await FakeAsterisk.connect(server.port, env=b"agi_network: yes\n")
            await peer.expect_eof()  # closed by the server, not by the peer
            await peer.close()
            await settle(server)
    assert [(e["event"], e["log_level"]) for e in logs if e["log_level"] in LOUD] == [
        ("agi.header.timeout", "warning")
    ]


async def test_a_header_trickled_one_byte_at_a_time_is_cut_at_the_header_timeout() -> None:
    """One byte every 0.05 s never completes within header_timeout: the bound is on the whole header,
    not on each read, so the slow peer is dropped on time."""
    with capture() as logs:
        async with FastAgiServer(never_called, port=0, header_timeout=0.3) as server:
            reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
            closed_after = None
            for sent in range(200):
                try:
                    writer.write(b"a")
                    await writer.drain()
                except ConnectionError:
                    closed_after = sent
                    break
                if reader.at_eof():
                    closed_after = sent
                    break
                try:
                    await asyncio.wait_for(reader.read(1), 0.05)
                except TimeoutError:
                    continue
                closed_after = sent
                break
            writer.close()
            await settle(server)
    assert closed_after is not None
    assert [e["event"] for e in logs if e["log_level"] in LOUD] == ["agi.header.timeout"]


async def test_connections_over_the_limit_are_closed_at_once_and_the_rest_served() -> None:
    """With room for 3, five idle peers: two are closed at once (one warning); a call is still answered
    once a place is free."""
    with capture() as logs:
        async with FastAgiServer(never_called, port=0, max_connections=3, header_timeout=5) as server:
            peers = [await asyncio.open_connection("127.0.0.1", server.port) for _ in range(5)]
            await asyncio.sleep(0.1)
            closed = [await asyncio.wait_for(r.read(), 1) == b"" for r, _ in peers[3:]]
            assert closed == [True, True]
            assert len(server.tasks) == 3
            for _, writer in peers:
                writer.close()
            await settle(server)
            assert server.tasks == frozenset()
    over = events(logs, "agi.connection.over_limit")
    assert [(e["log_level"], e["limit"]) for e in over] == [("warning", 3)]


async def test_malformed_header_is_refused_with_a_warning_and_the_socket_closed() -> None:
    """Bytes that are not an AGI header get one warning naming the reason, and the connection is closed."""
    with capture() as logs:
        async with FastAgiServer(never_called, port=0) as server:
            peer = await FakeAsterisk.connect(server.port, env=b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            await peer.expect_eof()
            await peer.close()
            await settle(server)
    (invalid,) = events(logs, "agi.header.invalid")
    assert invalid["log_level"] == "warning"
    assert invalid["reason"].startswith("line 1 of the AGI environment has no ':'")


# --- Shutdown ---------------------------------------------------------------------------------------


async def test_graceful_close_stops_accepting_and_waits_for_a_live_call() -> None:
    """close(grace) refuses new connections at once but lets the call in progress finish."""

    async def handler(channel: AgiChannel) -> None:
        await channel.stream_file("hotline/ru/goodbye")
        await channel.set_variable("HOTLINE_ACTION", "hangup")

    with capture() as logs:
        server = FastAgiServer(handler, port=0)
        await server.start()
        port = server.port
        peer = await FakeAsterisk.connect(server.port)
        assert await peer.reader.readline() == b'STREAM FILE "hotline/ru/goodbye" ""\n'
        closing = asyncio.create_task(server.close(grace=30))
        await asyncio.sleep(0)
        with pytest.raises(ConnectionRefusedError):
            await asyncio.open_connection("127.0.0.1", port)
        assert not closing.done()
        await peer.send(b"200 result=0 endpos=16000\n")
        assert await peer.reader.readline() == b'SET VARIABLE "HOTLINE_ACTION" "hangup"\n'
        assert not closing.done()
        await peer.send(b"200 result=1\n")
        await peer.expect_eof()
        await peer.close()
        await closing
        await settle(server)
    assert events(logs, "agi.call.end")[0]["outcome"] == "completed"
    assert events(logs, "agi.server.closed")


async def test_forced_close_cancels_a_live_call_reports_it_and_closes_its_socket() -> None:
    """Past the grace period the call is cancelled, not swallowed, HOTLINE_ERROR set, its socket closed."""
    cancelled: list[bool] = []

    async def handler(channel: AgiChannel) -> None:
        try:
            await channel.wait_for_digit(60)
        except asyncio.CancelledError:
            cancelled.append(True)
            raise

    async def asterisk(peer: FakeAsterisk) -> None:
        probe = await peer.reader.readline()  # the unanswered WAIT FOR DIGIT makes it realign first
        marker = probe.removeprefix(b'GET FULL VARIABLE "').removesuffix(b'"\n')
        assert marker.startswith(b"hotline-resync-")
        await peer.send(b"200 result=1\n200 result=1 (" + marker + b")\n")
        await peer.expect(b'SET VARIABLE "HOTLINE_ERROR" "shutdown"\n', b"200 result=1\n")
        await peer.expect_eof()

    with capture() as logs:
        server = FastAgiServer(handler, port=0)
        await server.start()
        peer = await FakeAsterisk.connect(server.port)
        assert await peer.reader.readline() == b'WAIT FOR DIGIT "60000"\n'  # the call is mid-command
        playing = asyncio.create_task(asterisk(peer))
        (task,) = server.tasks
        await server.close(grace=0)
        await playing
        await peer.close()
        await settle(server)
    assert cancelled == [True]
    assert task.cancelled()
    assert events(logs, "agi.call.cancelled")[0]["call_id"] == CALL_ID
    assert events(logs, "agi.call.end")[0]["outcome"] == "cancelled"


async def test_second_close_with_a_shorter_grace_forces_the_first() -> None:
    """A second signal during the grace period cuts it short; both close() calls return."""

    in_call = asyncio.Event()

    async def handler(channel: AgiChannel) -> None:
        in_call.set()
        await asyncio.Event().wait()

    server = FastAgiServer(handler, port=0, report_timeout=0.2)
    await server.start()
    peer = await FakeAsterisk.connect(server.port)
    await in_call.wait()
    first = asyncio.create_task(server.close(grace=3600))
    await asyncio.sleep(0)
    assert not first.done()
    await server.close(grace=0)
    await first
    await peer.close()
    await settle(server)


async def test_close_is_idempotent() -> None:
    """Closing twice, or a server already closed by its context manager, is harmless."""
    async with FastAgiServer(never_called, port=0) as server:
        await server.close()
    await server.close()
    await settle(server)


async def test_call_hangup_raised_by_the_handler_itself_is_a_clean_end() -> None:
    """A handler may end a call by raising CallHangup; it is logged as caller_hung_up, not an error."""

    async def handler(channel: AgiChannel) -> None:
        raise CallHangup("caller gone")

    with capture() as logs:
        async with FastAgiServer(handler, port=0) as server:
            peer = await FakeAsterisk.connect(server.port)
            await peer.expect_eof()
            await peer.close()
            await settle(server)
    assert events(logs, "agi.call.end")[0]["outcome"] == "caller_hung_up"
    assert not [e for e in logs if e["log_level"] in LOUD]
