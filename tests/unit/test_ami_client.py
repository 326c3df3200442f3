"""AmiClient against an in-process fake AMI: framing, action matching, and each panoramisk defect it wraps."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from fake_ami import (
    FULLY_BOOTED,
    QUEUE_STATUS,
    SECRET,
    USERNAME,
    WAIT,
    Action,
    FakeAmi,
    FakeSession,
    wire,
)
from structlog.testing import capture_logs

from hotline.errors import (
    AmiActionFailed,
    AmiNotConnected,
    AmiOutcomeUnknown,
    AmiTimeout,
    UnsafeValueError,
)
from router.ami import AmiClient
from router.ami_wire import MAX_HEADERS, MAX_LINE_BYTES, FrameParser, Message, encode_action, parse_frame


def make_client(fake: FakeAmi, **overrides: Any) -> AmiClient:
    settings: dict[str, Any] = {
        "username": USERNAME,
        "secret": SECRET,
        "host": "127.0.0.1",
        "port": fake.port,
        "action_timeout": 1.0,
        "ping_interval": 60.0,
        "ping_timeout": 0.2,
        "reconnect_delay": (0.02, 0.1),
        "connect_timeout": 1.0,
    }
    settings.update(overrides)
    return AmiClient(**settings)


async def eventually(predicate: Callable[[], bool]) -> None:
    """Wait until `predicate()` holds (a guard against a hung test, not a speed bound)."""
    async with asyncio.timeout(WAIT):
        while not predicate():  # noqa: ASYNC110 - polls state owned by other tasks; no event to wait on
            await asyncio.sleep(0.005)


@pytest.fixture
async def fake() -> AsyncIterator[FakeAmi]:
    async with FakeAmi() as server:
        yield server


@pytest.fixture
async def client(fake: FakeAmi) -> AsyncIterator[AmiClient]:
    ami = make_client(fake)
    await ami.start()
    yield ami
    await ami.close()


# --- framing (pure) ----------------------------------------------------------------------------------------


def test_a_cyrillic_name_split_across_two_reads_is_kept_whole() -> None:
    """A UTF-8 character cut between TCP reads is decoded whole (panoramisk drops it)."""
    data = wire("Event: Newchannel\nCallerIDName: Иван\nUniqueid: 1763761234.21").encode()
    cut = data.index("Иван".encode()) + 1
    parser = FrameParser()
    messages = parser.feed(data[:cut]) + parser.feed(data[cut:])
    assert [m["CallerIDName"] for m in messages] == ["Иван"]


def test_frames_parse_the_same_whatever_the_reads_look_like() -> None:
    """A transcript fed byte by byte gives the same messages as fed in one read."""
    data = wire(QUEUE_STATUS.format(action_id="a-1")).encode()
    whole = FrameParser().feed(data)
    parser = FrameParser()
    pieces = [m for i in range(len(data)) for m in parser.feed(data[i : i + 1])]
    assert [m.headers for m in pieces] == [m.headers for m in whole]
    assert len(whole) == 7


def test_headers_are_looked_up_case_insensitively_and_repeated_ones_are_kept() -> None:
    """`message["actionid"]` finds `ActionID`; a repeated header keeps every value in order."""
    message = parse_frame(b"Response: Success\r\nActionID: a-1\r\nOutput: line 1\r\nOutput: line 2\r\nEmpty:")
    assert message["actionid"] == "a-1"
    assert message.get_all("output") == ["line 1", "line 2"]
    assert message["Empty"] == ""
    assert message.is_response
    assert not message.is_event


def test_an_action_is_written_with_action_and_action_id_first_and_list_values_repeated() -> None:
    """Originate's `Variable` list becomes one header line per value, CRLF-framed."""
    data = encode_action("Originate", "id-7", {"Channel": "PJSIP/1001", "Variable": ["A=1", "B=2"]})
    assert data == (
        b"Action: Originate\r\nActionID: id-7\r\nChannel: PJSIP/1001\r\n"
        b"Variable: A=1\r\nVariable: B=2\r\n\r\n"
    )


# --- login -------------------------------------------------------------------------------------------------


async def test_login_is_accepted_and_the_client_reports_connected(client: AmiClient, fake: FakeAmi) -> None:
    """After start() the client is logged in, knows the AMI version and sent one Login with an ActionID."""
    assert client.connected
    assert client.ami_version == "11.0.0"
    login = await fake.wait_for("Login")
    assert login.get("Username") == USERNAME
    assert login.get("Events") == "on"
    assert login.action_id.startswith("hotline-")


async def test_a_refused_login_says_which_user_and_where_to_look(fake: FakeAmi) -> None:
    """A wrong secret ends start() with AmiActionFailed naming the user and manager.conf."""
    ami = make_client(fake, secret="not-the-secret")  # noqa: S106 - a wrong test credential
    with capture_logs() as logs, pytest.raises(AmiActionFailed) as refused:
        await ami.start()
    assert str(refused.value).startswith(
        f"AMI login refused for user {USERNAME}: check asterisk-conf manager.conf and the generated secret"
    )
    assert not ami.connected
    assert any(entry["event"] == "ami.login.refused" for entry in logs)
    await ami.close()


# --- actions -----------------------------------------------------------------------------------------------


async def test_each_response_reaches_its_action_by_action_id_even_out_of_order(
    client: AmiClient, fake: FakeAmi
) -> None:
    """Two concurrent Getvar answered in reverse order each get their own value."""
    waiting: list[tuple[FakeSession, Action]] = []

    async def answer_in_reverse(session: FakeSession, action: Action) -> None:
        waiting.append((session, action))
        if len(waiting) == 2:
            for sess, act in reversed(waiting):
                await sess.send(
                    "Response: Success\nActionID: {action_id}\nVariable: {var}\nValue: {value}",
                    action_id=act.action_id,
                    var=act.get("Variable"),
                    value=act.get("Variable").lower(),
                )

    fake.on("Getvar", answer_in_reverse)
    first, second = await asyncio.gather(
        client.send_action({"Action": "Getvar", "Variable": "HOTLINE_LANG"}),
        client.send_action({"Action": "Getvar", "Variable": "HOTLINE_PATH"}),
    )
    assert (first["Value"], second["Value"]) == ("hotline_lang", "hotline_path")
    assert first.action_id != second.action_id


async def test_an_event_list_action_returns_every_item_until_complete(fake: FakeAmi) -> None:
    """QueueStatus returns its QueueParams/QueueMember/QueueEntry items; they are not dispatched as events."""
    seen: list[str] = []
    ami = make_client(fake)
    ami.on_event("*", lambda event: seen.append(event.name))
    await ami.start()
    try:
        items = await ami.send_list_action({"Action": "QueueStatus"})
        channels = await ami.send_list_action({"Action": "CoreShowChannels"})
        await ami.send_action({"Action": "Ping"})
    finally:
        await ami.close()
    assert [m.name for m in items] == [
        "QueueParams",
        "QueueMember",
        "QueueMember",
        "QueueEntry",
        "QueueParams",
    ]
    assert items[1]["Name"] == "Ольга Петрова"
    assert [m["Uniqueid"] for m in channels] == ["1763761100.15", "1763761101.16", "1763761234.21"]
    assert seen == ["FullyBooted"]


async def test_asterisk_refusing_an_action_raises_action_failed_with_its_message(client: AmiClient) -> None:
    """Response: Error becomes AmiActionFailed carrying Asterisk's message."""
    with pytest.raises(AmiActionFailed, match="Invalid/unknown command: NoSuchAction"):
        await client.send_action({"Action": "NoSuchAction"})


async def test_an_action_without_answer_times_out_and_says_it_may_still_run(
    client: AmiClient, fake: FakeAmi
) -> None:
    """No response within the timeout is AmiTimeout; the link stays up."""

    async def swallow(session: FakeSession, action: Action) -> None:
        return None

    fake.on("QueueAdd", swallow)
    with pytest.raises(AmiTimeout, match="may still run"):
        await client.send_action(
            {"Action": "QueueAdd", "Queue": "hotline-heating", "Interface": "PJSIP/op-1"}, timeout=0.2
        )
    assert client.connected
    await client.send_action({"Action": "Ping"})


async def test_actions_fail_at_once_while_not_connected(fake: FakeAmi) -> None:
    """Before start() and while reconnecting, an action raises AmiNotConnected and is never written."""
    ami = make_client(fake, reconnect_delay=(5.0, 5.0))
    with pytest.raises(AmiNotConnected):
        await ami.send_action({"Action": "QueueStatus"})
    await ami.start()
    try:
        fake.drop_all()
        await eventually(lambda: not ami.connected)
        with pytest.raises(AmiNotConnected, match="was not sent"):
            await ami.send_action({"Action": "QueuePause", "Interface": "PJSIP/op-1", "Paused": "true"})
    finally:
        await ami.close()
    assert fake.count("QueueStatus") == 0
    assert fake.count("QueuePause") == 0


async def test_an_originate_cut_off_by_a_dropped_link_is_outcome_unknown_and_never_sent_again(
    client: AmiClient, fake: FakeAmi
) -> None:
    """Link drops after Originate is written: AmiOutcomeUnknown; after the reconnect Asterisk saw only one."""

    async def crash(session: FakeSession, action: Action) -> None:
        session.drop()

    fake.on("Originate", crash)
    action_id = client.new_action_id()
    originate = {
        "Action": "Originate",
        "Channel": "PJSIP/79161234567@carrier",
        "Context": "hotline-callback",
        "Exten": "s",
        "Priority": "1",
        "Async": "true",
        "Variable": ["HOTLINE_CALL_ID=cb-42"],
    }
    with capture_logs() as logs:
        with pytest.raises(AmiOutcomeUnknown) as unknown:
            await client.send_action(originate, action_id=action_id)
        await fake.wait_logins(2)
        await client.wait_connected(WAIT)
        await client.send_action({"Action": "Ping"})  # a whole round trip on the new link
    assert action_id in str(unknown.value)
    assert fake.count("Originate") == 1
    unknown_logs = [e for e in logs if e["event"] == "ami.action.outcome_unknown"]
    assert [(e["action"], e["action_id"]) for e in unknown_logs] == [("Originate", action_id)]
    assert any(e["event"] == "ami.disconnected" for e in logs)


async def test_a_half_open_link_is_detected_by_the_watchdog_and_replaced(fake: FakeAmi) -> None:
    """Asterisk stops answering pings but keeps the socket: the watchdog drops the link and logs in again."""
    ami = make_client(fake, ping_interval=0.05, ping_timeout=0.2)
    await ami.start()
    try:
        with capture_logs() as logs:
            fake.answer_pings = False
            await fake.wait_logins(2)
            fake.answer_pings = True
            await ami.wait_connected(WAIT)
        assert any(e["event"] == "ami.watchdog.timeout" for e in logs)
        assert any(e["event"] == "ami.disconnected" and "half-open" in e["reason"] for e in logs)
    finally:
        await ami.close()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("Channel", "PJSIP/1001\r\nAction: Command\r\nCommand: core stop now"),
        ("Channel", "PJSIP/1001\nAction: Command"),
        ("CallerID", "79161234567\r"),
        ("CallerID", "7916\x001234567"),
        ("Variable\r\nAction: Command", "x"),
    ],
)
async def test_a_line_break_or_nul_in_a_header_is_refused_before_anything_is_written(
    client: AmiClient, fake: FakeAmi, name: str, value: str
) -> None:
    """CR, LF or NUL in a header raises UnsafeValueError and not one byte of that action reaches Asterisk."""
    with pytest.raises(UnsafeValueError):
        await client.send_action({"Action": "Originate", "Exten": "s", name: value})
    await client.send_action({"Action": "Ping"})
    assert fake.count("Originate") == 0
    assert fake.count("Command") == 0
    assert b"Originate" not in fake.raw


@pytest.mark.parametrize(
    ("headers", "why"),
    [
        ({"CallerID": "7" * (MAX_LINE_BYTES - len("CallerID: ") + 1)}, "over Asterisk's line"),
        ({"Variable": ["HOTLINE_CB_NUMBER=79161234567,HOTLINE_CB_OPERATOR=PJSIP/op102"]}, "holds a comma"),
        ({f"X-H{i}": "v" for i in range(MAX_HEADERS)}, "headers, over Asterisk's"),
    ],
    ids=["overlong-line", "comma-in-variable", "too-many-headers"],
)
async def test_what_asterisk_would_cut_or_split_is_refused_before_anything_is_written(
    client: AmiClient, fake: FakeAmi, headers: dict[str, str | list[str]], why: str
) -> None:
    """A line over 1,022 bytes (Asterisk reads the rest as a header of its own), a comma in an Originate
    Variable (split into a second variable) and more than 128 headers (dropped): refused, not sent."""
    with pytest.raises(UnsafeValueError, match=why):
        await client.send_action({"Action": "Originate", "Exten": "s", **headers})
    await client.send_action({"Action": "Ping"})
    assert fake.count("Originate") == 0


def test_a_line_of_exactly_the_limit_and_commas_outside_variables_are_written() -> None:
    """The limit is inclusive; a comma in another header (a Local channel's options) is not a split."""
    value = "7" * (MAX_LINE_BYTES - len("CallerID: "))
    data = encode_action("Originate", "id-8", {"CallerID": value, "Channel": "Local/1@ctx/n,b"})
    assert f"CallerID: {value}\r\n".encode() in data


# --- events ------------------------------------------------------------------------------------------------


async def test_a_slow_async_callback_does_not_stop_other_events_or_responses(fake: FakeAmi) -> None:
    """A callback stuck on the first event delays only itself: other callbacks and responses keep flowing."""
    release = asyncio.Event()
    slow_seen: list[str] = []
    fast_seen: list[str] = []

    async def slow(event: Message) -> None:
        slow_seen.append(event["Uniqueid"])
        await release.wait()

    ami = make_client(fake)
    ami.on_event("QueueCallerJoin", slow)
    ami.on_event(["QueueCallerJoin", "QueueMemberStatus"], lambda event: fast_seen.append(event.name))
    await ami.start()
    try:
        for n in range(3):
            await fake.broadcast(
                "Event: QueueCallerJoin\nPrivilege: agent,all\nQueue: hotline-heating\n"
                "Uniqueid: 1763761234.{n}\nPosition: {pos}\nCount: {pos}",
                n=str(n),
                pos=str(n + 1),
            )
        await fake.broadcast(
            "Event: QueueMemberStatus\nPrivilege: agent,all\nQueue: hotline-heating\n"
            "Interface: PJSIP/op-olga\nStatus: 6"
        )
        await ami.send_action({"Action": "Ping"})
        await eventually(lambda: len(fast_seen) == 4)
        assert slow_seen == ["1763761234.0"]
        release.set()
        await eventually(lambda: len(slow_seen) == 3)
        assert slow_seen == ["1763761234.0", "1763761234.1", "1763761234.2"]
        assert fast_seen == ["QueueCallerJoin"] * 3 + ["QueueMemberStatus"]
    finally:
        await ami.close()


async def test_a_failing_callback_is_logged_and_gets_the_next_events(fake: FakeAmi) -> None:
    """An exception in a callback is logged as ami.event.callback_failed; later events still arrive."""
    seen: list[str] = []

    def fragile(event: Message) -> None:
        seen.append(event["Uniqueid"])
        if len(seen) == 1:
            raise RuntimeError("boom")

    ami = make_client(fake)
    ami.on_event("Hangup", fragile)
    await ami.start()
    try:
        with capture_logs() as logs:
            for uid in ("1.1", "1.2"):
                await fake.broadcast(
                    "Event: Hangup\nPrivilege: call,all\nUniqueid: {uid}\nCause: 16", uid=uid
                )
            await eventually(lambda: len(seen) == 2)
        assert any(e["event"] == "ami.event.callback_failed" for e in logs)
    finally:
        await ami.close()


async def test_on_connected_runs_again_after_a_reconnect_so_the_state_can_resync(fake: FakeAmi) -> None:
    """The resync callback runs after the first login and again after the link came back."""
    snapshots: list[int] = []
    ami = make_client(fake)

    async def resync() -> None:
        snapshots.append(len(await ami.send_list_action({"Action": "QueueStatus"})))

    ami.on_connected(resync)
    await ami.start()
    try:
        await eventually(lambda: len(snapshots) >= 1)
        before = len(snapshots)
        fake.drop_all()
        await fake.wait_logins(2)
        await eventually(lambda: len(snapshots) > before)
        assert set(snapshots) == {5}
    finally:
        await ami.close()


async def test_a_fully_booted_after_login_asks_for_another_resync(fake: FakeAmi) -> None:
    """Asterisk still booting at login: its later FullyBooted runs the on_connected callbacks again."""
    fake.fully_booted = False
    calls: list[str] = []
    ami = make_client(fake)
    ami.on_connected(lambda: calls.append("resync"))
    await ami.start()
    try:
        await eventually(lambda: len(calls) == 1)
        await fake.broadcast(FULLY_BOOTED)
        await eventually(lambda: len(calls) == 2)
    finally:
        await ami.close()


async def test_close_logs_off_and_later_actions_are_not_sent(fake: FakeAmi) -> None:
    """close() sends Logoff; afterwards actions raise AmiNotConnected and nothing reconnects."""
    ami = make_client(fake)
    await ami.start()
    await ami.close()
    assert fake.count("Logoff") == 1
    with pytest.raises(AmiNotConnected):
        await ami.send_list_action({"Action": "CoreShowChannels"})
    assert fake.logins == 1


async def test_close_ends_a_worker_whose_callback_swallowed_the_cancellation(fake: FakeAmi) -> None:
    """On Python 3.11 a callback awaiting redis-py can swallow the cancellation (asyncio.wait_for) and
    return normally: the worker must still end, and close() must not wait for it for ever."""
    started = asyncio.Event()

    async def swallowing(event: Message) -> None:
        started.set()
        with contextlib.suppress(asyncio.CancelledError):  # as asyncio.wait_for may on Python 3.11
            await asyncio.sleep(0.5)

    ami = make_client(fake)
    ami.on_event("Hangup", swallowing)
    await ami.start()
    await fake.broadcast("Event: Hangup\nPrivilege: call,all\nUniqueid: 1.1\nCause: 16")
    async with asyncio.timeout(WAIT):  # a guard against the hang, not a speed bound
        await started.wait()
        await ami.close()


async def test_an_unreachable_asterisk_is_retried_in_the_background(fake: FakeAmi) -> None:
    """start() against a closed port logs ami.connect.failed and returns; wait_connected() then says so."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    ami = make_client(fake, port=closed_port, reconnect_delay=(0.05, 0.05))
    with capture_logs() as logs:
        await ami.start()
    try:
        assert not ami.connected
        assert any(e["event"] == "ami.connect.failed" for e in logs)
        with pytest.raises(AmiNotConnected, match="no AMI link"):
            await ami.wait_connected(0.2)
    finally:
        await ami.close()


async def test_the_rest_of_a_timed_out_event_list_never_reaches_subscribers(
    client: AmiClient, fake: FakeAmi
) -> None:
    """A QueueStatus answered after its timeout: its list items are swallowed, never dispatched."""
    late: list[Action] = []
    seen: list[str] = []
    client.on_event("*", lambda event: seen.append(event.name))

    async def hold(session: FakeSession, action: Action) -> None:
        late.append(action)

    fake.on("QueueStatus", hold)
    with pytest.raises(AmiTimeout):
        await client.send_list_action({"Action": "QueueStatus"}, timeout=0.2)
    await fake.sessions[0].send(QUEUE_STATUS, action_id=late[0].action_id)
    await fake.broadcast("Event: Hangup\nPrivilege: call,all\nUniqueid: 1763761234.21\nCause: 16")
    await eventually(lambda: "Hangup" in seen)
    assert seen == ["Hangup"]


async def test_a_subscriber_too_far_behind_loses_events_loudly_and_a_resync_is_asked_for(
    fake: FakeAmi,
) -> None:
    """With its queue full, events for a stuck subscriber are dropped, logged, and on_connected runs again."""
    release = asyncio.Event()
    resyncs: list[str] = []

    async def stuck(event: Message) -> None:
        await release.wait()

    ami = make_client(fake, event_queue_size=2)
    ami.on_event("Hangup", stuck)
    ami.on_connected(lambda: resyncs.append("resync"))
    await ami.start()
    try:
        await eventually(lambda: len(resyncs) >= 1)
        before = len(resyncs)
        with capture_logs() as logs:
            for n in range(5):
                await fake.broadcast(
                    "Event: Hangup\nPrivilege: call,all\nUniqueid: 1.{n}\nCause: 16", n=str(n)
                )
            await eventually(lambda: len(resyncs) > before)
        assert [e["event"] for e in logs if e["event"] == "ami.event.dropped"] == ["ami.event.dropped"]
        release.set()
    finally:
        await ami.close()
