"""`hotline callbacks` as a supervisor uses it: the text of list, show, cancel and summary (pure
formatting, from records), the same commands on a real Redis holding requests that were registered,
claimed and failed, and the messages when Redis cannot be reached or refuses the password."""

from __future__ import annotations

import argparse
import datetime as dt
from collections import Counter
from pathlib import Path

import pytest
from fake_clock import MSK, T0, Clock
from redis import Redis as SyncRedis
from redis.asyncio import Redis
from structlog.testing import capture_logs

from hotline import callbacks_cli as cli
from hotline.callbacks.model import Attempt, AttemptResult, Request, Source, Status
from hotline.callbacks.report import Summary
from hotline.callbacks.store import CallbackStore
from hotline.cli import build_parser, main
from hotline.dialplan.model import CallbackPolicy
from hotline.errors import CallbackError, HotlineError

POLICY = CallbackPolicy()
LEASE = 30.0
WIDTH = 100  # the supervisor's terminal


def args(*argv: str) -> argparse.Namespace:
    """`hotline callbacks ARGV...` parsed by the real parser."""
    return build_parser().parse_args(["callbacks", *argv])


def request(
    n: int,
    *,
    group: str = "heating",
    due_in: float = 600,
    status: Status = Status.OPEN,
    attempts: tuple[Attempt, ...] = (),
    source: Source = Source.IN_QUEUE,
) -> Request:
    """A request record registered at T0 for 7916000000n, due `due_in` seconds after T0."""
    return Request(
        id=f"{n:08x}" + "a" * 24,
        number=f"7916000000{n}",
        group=group,
        source=source,
        caller_display=f"+7916000000{n}",
        created_at=T0,
        due_at=T0 + due_in,
        next_attempt_at=T0,
        status=status,
        attempts=attempts,
    )


def ended(n: int, result: AttemptResult, *, at: float, reason: str = "", talk: float = 0.0) -> Attempt:
    return Attempt(
        n=n,
        fence=n,
        owner="engine-1",
        started_at=at,
        action_id=f"hotline-1a2b3c4d-{n}",
        ended_at=at + 30,
        result=result,
        reason=reason,
        operator="op-anna",
        talk_seconds=talk,
        counts=result.counts,
    )


# --- pure formatting -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("due_in", "text"),
    [
        (7 * 60 + 59, "in 7 min"),
        (30, "in <1 min"),
        (-10, "LATE by 1 min"),
        (-(2 * 60 + 1), "LATE by 3 min"),
        (3 * 3600 + 5 * 60, "in 3h05m"),
        (-(12 * 3600 + 5 * 60), "LATE by 12h05m"),
        (3 * 86400 + 4 * 3600, "in 3d04h"),
    ],
)
def test_slack_counts_whole_minutes_left_and_rounds_lateness_up(due_in: float, text: str) -> None:
    """Time left is cut to whole units; a late request is never shown as less than a minute late."""
    assert cli.slack(request(1, due_in=due_in), T0) == text


def test_a_finished_request_has_no_slack() -> None:
    """Done, failed and cancelled requests show `-`: their deadline no longer matters."""
    assert cli.slack(request(1, due_in=-600, status=Status.FAILED), T0) == "-"


def test_the_list_has_a_header_one_line_per_request_and_a_count() -> None:
    """Columns under a header, short ids, masked numbers, due times in the hotline's zone, a count."""
    late = request(1, due_in=-180, status=Status.DISPATCHING, attempts=(ended(1, AttemptResult.BUSY, at=T0),))
    soon = request(2, group="construction", due_in=7 * 60 + 10, source=Source.BEFORE_QUEUE)
    tomorrow = request(3, due_in=21 * 3600, source=Source.CLOSED)
    text = cli.format_list([late, soon, tomorrow], T0, MSK)
    assert text.splitlines() == [
        "ID        GROUP         NUMBER       SOURCE        STATUS       DUE (MSK)    SLACK          TRIES",
        "00000001  heating       7916***0001  in_queue      dispatching  11:57        LATE by 3 min      1",
        "00000002  construction  7916***0002  before_queue  open         12:07        in 7 min           0",
        "00000003  heating       7916***0003  closed        open         06-12 09:00  in 21h00m          0",
        "3 requests: 2 open, 1 dispatching; now 12:00 MSK",
    ]


def test_the_list_fits_a_100_column_terminal_at_its_widest() -> None:
    """The longest group, source and status names, a due date on another day and hours of lateness."""
    widest = request(
        1,
        group="construction",
        due_in=-(47 * 3600 + 59 * 60),
        status=Status.DISPATCHING,
        source=Source.BEFORE_QUEUE,
    )
    lines = cli.format_list([widest], T0, MSK).splitlines()
    assert "LATE by 47h59m" in lines[1]
    assert max(len(line) for line in lines) <= WIDTH


def test_an_empty_list_says_so_for_the_group_asked() -> None:
    """No table, only the line saying there is nothing."""
    assert cli.format_list([], T0, MSK, group="gas") == (
        "No requests open or dispatching in group gas; now 12:00 MSK"
    )


def test_show_gives_the_number_in_full_and_every_attempt_with_its_reason() -> None:
    """The spoken form for a supervisor to call the citizen, and per attempt: time, operator, result,
    talk time, counted or not, ActionID and reason."""
    failed = request(
        4,
        status=Status.FAILED,
        attempts=(
            ended(1, AttemptResult.BUSY, at=T0 + 60, reason="USER_BUSY"),
            ended(2, AttemptResult.UNREACHABLE, at=T0 + 180, reason="CHANUNAVAIL"),
            ended(3, AttemptResult.TOO_SHORT, at=T0 + 86400, reason="", talk=4),
        ),
    )
    assert cli.format_show(failed, T0 + 86400 + 60, MSK).splitlines() == [
        f"Callback request {failed.id}",
        "  status:       failed",
        "  group:        heating",
        "  number:       +7 916 000-00-04   (79160000004)",
        "  caller ID:    +79160000004",
        "  source:       in_queue",
        "  created:      2025-06-11 12:00:00 MSK",
        "  due:          2025-06-11 12:10:00 MSK",
        "Attempts: 3, 2 counted against the citizen",
        "  N  STARTED         OPERATOR  RESULT       TALK  COUNTED  ACTION ID           REASON",
        "  1  12:01:00        op-anna   busy          0 s  yes      hotline-1a2b3c4d-1  USER_BUSY",
        "  2  12:03:00        op-anna   unreachable   0 s  no       hotline-1a2b3c4d-2  CHANUNAVAIL",
        "  3  06-12 12:00:00  op-anna   too_short     4 s  yes      hotline-1a2b3c4d-3  -",
    ]


def test_show_of_an_open_request_gives_its_slack_and_next_attempt() -> None:
    """An open request without attempts: the deadline with its slack, when it will next be tried."""
    lines = cli.format_show(request(5, due_in=600), T0 + 120, MSK).splitlines()
    assert "  due:          2025-06-11 12:10:00 MSK (in 8 min)" in lines
    assert "  next attempt: 2025-06-11 12:00:00 MSK" in lines
    assert lines[-1] == "No attempts yet."


def test_the_summary_reads_as_shares_percentiles_and_reasons() -> None:
    """Every figure with what it is out of; failures by their last result, most frequent first."""
    s = Summary(
        since=T0 - 86400,
        until=T0,
        requests=9,
        by_status={"done": 5, "failed": 3, "open": 1},
        within_sla=4,
        sla_decided=8,
        first_attempt_p50=42.0,
        first_attempt_p90=125.0,
        first_attempt_reached=5,
        first_attempt_ended=8,
        failed_by_reason={"no_answer": 1, "busy": 2},
    )
    assert cli.format_summary(s, MSK).splitlines() == [
        "Callback requests created 2025-06-10 12:00:00 MSK to 2025-06-11 12:00:00 MSK",
        "  requests:                   9 (1 open, 5 done, 3 failed)",
        "  called back within the SLA: 50.0% (4 of 8 done, failed or past due)",
        "  time to first attempt:      p50 42 s, p90 2 min 05 s",
        "  reached at first attempt:   62.5% (5 of 8 first attempts)",
        "  failed:                     3, by last result: busy 2, no_answer 1",
    ]


def test_an_empty_summary_has_no_shares_to_give() -> None:
    """Nothing yet: n/a instead of a division by zero."""
    s = Summary(T0 - 3600, T0, 0, {}, 0, 0, None, None, 0, 0)
    text = cli.format_summary(s, MSK)
    assert "  called back within the SLA: n/a (none yet)" in text
    assert "  time to first attempt:      p50 n/a, p90 n/a" in text
    assert "  failed:                     0" in text


@pytest.mark.parametrize(
    ("since", "instant"),
    [
        ("24h", T0 - 86400),
        ("7d", T0 - 7 * 86400),
        ("90m", T0 - 5400),
        ("2025-06-01", dt.datetime(2025, 6, 1, tzinfo=MSK).timestamp()),
        ("2025-06-01T08:30", dt.datetime(2025, 6, 1, 8, 30, tzinfo=MSK).timestamp()),
        ("2025-06-01T08:30+00:00", dt.datetime(2025, 6, 1, 8, 30, tzinfo=dt.UTC).timestamp()),
    ],
)
def test_since_takes_a_span_back_or_a_local_date(since: str, instant: float) -> None:
    """Spans count back from now; dates and times without an offset are the hotline's local time."""
    assert cli.parse_since(since, T0, MSK) == instant


def test_since_refuses_anything_else_and_says_what_it_takes() -> None:
    """A CallbackError naming the accepted forms."""
    with pytest.raises(
        CallbackError, match=r"--since 'yesterday': give a span back from now \(90m, 24h, 7d\)"
    ):
        cli.parse_since("yesterday", T0, MSK)


@pytest.mark.parametrize("argv", [[], ["list"], ["show"], ["cancel"], ["summary"]])
def test_callbacks_and_each_of_its_actions_have_help(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """`hotline callbacks [ACTION] --help` exits 0 and describes it (tests/unit/test_cli.py covers the
    other commands)."""
    with pytest.raises(SystemExit) as done:
        build_parser().parse_args(["callbacks", *argv, "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(" ".join(["usage: hotline callbacks", *argv]))
    assert len(out.splitlines()) > 3


# --- on a real Redis -------------------------------------------------------------------------------------


@pytest.fixture
def store(redis: Redis, clock: Clock) -> CallbackStore:
    return CallbackStore(redis, clock=clock)


async def register(store: CallbackStore, number: str, group: str = "heating", sla: int = 10) -> Request:
    registration = await store.register(
        number, group, Source.IN_QUEUE, caller_display=number, policy=POLICY, sla_minutes=sla, tz=MSK
    )
    return registration.request


async def fail(store: CallbackStore, clock: Clock, group: str) -> Request:
    """Claim and finish the group's next request until it is failed: busy, no answer, busy, each
    attempt as soon as the backoff allows."""
    results = [(AttemptResult.BUSY, "USER_BUSY"), (AttemptResult.NO_ANSWER, "NO_ANSWER")]
    results.append(results[0])
    for i, (result, reason) in enumerate(results, start=1):
        claim = await store.claim(group, owner="engine-1", lease_seconds=LEASE, policy=POLICY, tz=MSK)
        assert claim is not None
        claim = await store.record_action(claim, f"hotline-1a2b3c4d-{i}")
        last = await store.finish(claim, result, reason=reason, operator="op-anna", policy=POLICY, tz=MSK)
        clock.now = max(clock.now, last.next_attempt_at)
    assert last.status is Status.FAILED
    return last


async def run(redis: Redis, clock: Clock, *argv: str) -> int:
    return await cli.run(args(*argv), redis, tz=MSK, clock=clock)


@pytest.fixture
async def requests(store: CallbackStore, clock: Clock) -> dict[str, Request]:
    """Registered a minute apart from T0: one to fail (water), one to be dialled (gas), one open with a
    20-minute SLA and one open with 10 (heating). At T0 + 3 min the gas one is claimed and the water
    one tried at once and twice more after the backoff (T0 + 5 and 10 min) until it fails. The clock
    is left at T0 + 15 min: the gas and the second heating request are late."""
    failed = await register(store, "79160000001", "water")
    clock.advance(60)
    dialling = await register(store, "79160000002", "gas")
    clock.advance(60)
    patient = await register(store, "79160000003", "heating", sla=20)
    clock.advance(60)
    waiting = await register(store, "79160000004", "heating")
    assert await store.claim("gas", owner="engine-1", lease_seconds=LEASE, policy=POLICY, tz=MSK)
    await fail(store, clock, "water")
    assert clock.now == T0 + 10 * 60
    clock.now = T0 + 15 * 60
    return {"failed": failed, "dialling": dialling, "patient": patient, "waiting": waiting}


@pytest.mark.redis
async def test_list_shows_open_and_dispatching_requests_earliest_deadline_first(
    redis: Redis, clock: Clock, requests: dict[str, Request], capsys: pytest.CaptureFixture[str]
) -> None:
    """The failed request is left out; the one due first (being dialled, 4 min late) comes first."""
    ids = {name: r.id[:8] for name, r in requests.items()}
    assert await run(redis, clock, "list") == 0
    assert capsys.readouterr().out.splitlines() == [
        "ID        GROUP    NUMBER       SOURCE    STATUS       DUE (MSK)  SLACK          TRIES",
        f"{ids['dialling']}  gas      7916***0002  in_queue  dispatching  12:11      LATE by 4 min      1",
        f"{ids['waiting']}  heating  7916***0004  in_queue  open         12:13      LATE by 2 min      0",
        f"{ids['patient']}  heating  7916***0003  in_queue  open         12:22      in 7 min           0",
        "3 requests: 2 open, 1 dispatching; now 12:15 MSK",
    ]


@pytest.mark.redis
async def test_list_all_adds_the_finished_and_group_narrows_it(
    redis: Redis, clock: Clock, requests: dict[str, Request], capsys: pytest.CaptureFixture[str]
) -> None:
    """`--all` shows the failed request with its three attempts; `--group` keeps one group's requests."""
    assert await run(redis, clock, "list", "--all", "--group", "water") == 0
    assert capsys.readouterr().out.splitlines() == [
        "ID        GROUP  NUMBER       SOURCE    STATUS  DUE (MSK)  SLACK  TRIES",
        f"{requests['failed'].id[:8]}  water  7916***0001  in_queue  failed  12:10      -          3",
        "1 request: 1 failed; now 12:15 MSK",
    ]
    assert await run(redis, clock, "list", "--all") == 0
    assert (
        capsys.readouterr().out.splitlines()[-1]
        == "4 requests: 2 open, 1 dispatching, 1 failed; now 12:15 MSK"
    )
    assert await run(redis, clock, "list", "--group", "water") == 0
    assert capsys.readouterr().out == (
        "No requests open or dispatching in group water; now 12:15 MSK\n"
        "1 request finished in the last 7 days: `hotline callbacks list --all`\n"
    )


@pytest.mark.redis
async def test_show_takes_a_unique_prefix_and_prints_the_attempt_history(
    redis: Redis, clock: Clock, requests: dict[str, Request], capsys: pytest.CaptureFixture[str]
) -> None:
    """The failed request by its first 8 characters: full number, each attempt's result, reason, ActionID."""
    failed = requests["failed"]
    assert await run(redis, clock, "show", failed.id[:8].upper()) == 0
    out = capsys.readouterr().out
    assert f"Callback request {failed.id}\n" in out
    assert "  number:       +7 916 000-00-01   (79160000001)\n" in out
    assert "Attempts: 3, 3 counted against the citizen\n" in out
    for n, result, reason in (
        (1, "busy", "USER_BUSY"),
        (2, "no_answer", "NO_ANSWER"),
        (3, "busy", "USER_BUSY"),
    ):
        line = next(line for line in out.splitlines() if line.startswith(f"  {n}  "))
        assert line.split()[2:] == ["op-anna", result, "0", "s", "yes", f"hotline-1a2b3c4d-{n}", reason]


@pytest.mark.redis
async def test_show_never_sends_a_caller_ids_escape_sequences_to_the_terminal(
    store: CallbackStore, redis: Redis, clock: Clock, capsys: pytest.CaptureFixture[str]
) -> None:
    """A caller ID as a spoofing carrier may send it ("clear the screen, print in red"): shown as visible
    escapes, so the supervisor's terminal is not driven by a caller."""
    forged = "\x1b[2J\x1b[31mOPERATOR ACCOUNT LOCKED\x07"
    registration = await store.register(
        "79161230000",
        "heating",
        Source.IN_QUEUE,
        caller_display=forged,
        policy=POLICY,
        sla_minutes=10,
        tz=MSK,
    )
    assert await run(redis, clock, "show", registration.request.id[:8]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out
    assert "\x07" not in out
    assert "  caller ID:    \\x1b[2J\\x1b[31mOPERATOR ACCOUNT LOCKED\\x07\n" in out


@pytest.mark.redis
async def test_an_unknown_ambiguous_or_empty_id_is_refused_with_what_to_do(
    store: CallbackStore, redis: Redis, clock: Clock
) -> None:
    """No match: where to look; several: give more characters; nothing: what to give."""
    for i in range(17):  # 17 hex ids: at least two share their first character
        await register(store, f"7916000{i:04d}")
    first_chars = Counter(r.id[0] for r in await store.list())
    shared, count = first_chars.most_common(1)[0]
    with pytest.raises(
        CallbackError, match=f"{count} requests have ids starting with '{shared}' .*give more of it"
    ):
        await run(redis, clock, "show", shared)
    with pytest.raises(
        CallbackError, match=r"no callback request with id 'zz'.*hotline callbacks list --all"
    ):
        await run(redis, clock, "show", "zz")
    with pytest.raises(CallbackError, match="give a request id"):
        await run(redis, clock, "show", " ")


@pytest.mark.redis
async def test_cancel_ends_an_open_request_at_once(
    store: CallbackStore,
    redis: Redis,
    clock: Clock,
    requests: dict[str, Request],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Cancelled with the supervisor's reason, which the store's log line carries too."""
    waiting = requests["waiting"]
    with capture_logs() as logs:
        assert await run(redis, clock, "cancel", waiting.id[:8], "--reason", "duplicate of a letter") == 0
    assert [(e["event"], e["request_id"], e["pending"]) for e in logs] == [
        ("callback.cancelled", waiting.id, False)
    ]
    assert capsys.readouterr().out == (
        f"Cancelled request {waiting.id[:8]} (heating, 7916***0004): duplicate of a letter.\n"
    )
    stored = await store.get(waiting.id)
    assert stored is not None
    assert (stored.status, stored.cancel_reason) == (Status.CANCELLED, "duplicate of a letter")


@pytest.mark.redis
async def test_cancel_of_a_request_being_dialled_waits_for_its_attempt(
    store: CallbackStore,
    redis: Redis,
    clock: Clock,
    requests: dict[str, Request],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The attempt goes on; the request stays dispatching with the cancel pending, and `show` says so."""
    dialling = requests["dialling"]
    with capture_logs() as logs:
        assert await run(redis, clock, "cancel", dialling.id) == 0
    assert [(e["event"], e["request_id"], e["pending"]) for e in logs] == [
        ("callback.cancelled", dialling.id, True)
    ]
    assert capsys.readouterr().out.splitlines() == [
        f"Cancel pending: request {dialling.id[:8]} (gas, 7916***0002) is being dialled now (attempt 1).",
        "It ends cancelled when that attempt ends, unless the call reaches the citizen.",
    ]
    stored = await store.get(dialling.id)
    assert stored is not None
    assert (stored.status, stored.cancel_reason) == (Status.DISPATCHING, "supervisor")
    assert await run(redis, clock, "show", dialling.id) == 0
    assert (
        "  cancel:       pending (supervisor): when the attempt ends, unless the call reaches the citizen\n"
        in (capsys.readouterr().out)
    )


@pytest.mark.redis
async def test_cancel_refuses_a_finished_or_unknown_request_and_changes_nothing(
    store: CallbackStore, redis: Redis, clock: Clock, requests: dict[str, Request]
) -> None:
    """A CallbackError (exit 1 from `hotline`) saying why; the failed request stays failed."""
    failed = requests["failed"]
    with pytest.raises(CallbackError, match=f"request {failed.id[:8]} is already failed: nothing to cancel"):
        await run(redis, clock, "cancel", failed.id[:8])
    stored = await store.get(failed.id)
    assert stored is not None
    assert (stored.status, stored.cancel_reason) == (Status.FAILED, "")
    with pytest.raises(CallbackError, match="no callback request with id 'ffff'"):
        await run(redis, clock, "cancel", "ffff")


@pytest.mark.redis
async def test_cancel_refuses_an_empty_reason_and_changes_nothing(
    store: CallbackStore, redis: Redis, clock: Clock, requests: dict[str, Request]
) -> None:
    """An empty reason would store no pending cancel on a request being dialled: refused before."""
    dialling = requests["dialling"]
    with pytest.raises(CallbackError, match="--reason: say why the request is cancelled"):
        await run(redis, clock, "cancel", dialling.id, "--reason", " ")
    stored = await store.get(dialling.id)
    assert stored is not None
    assert (stored.status, stored.cancel_reason) == (Status.DISPATCHING, "")


@pytest.mark.redis
async def test_summary_reports_the_stores_figures_since_the_time_given(
    redis: Redis, clock: Clock, requests: dict[str, Request], capsys: pytest.CaptureFixture[str]
) -> None:
    """Four requests in the last 24 hours: none of the three decided or past due was called back
    within the SLA; first attempts 2 and 3 minutes after asking; one failed, busy at its last attempt."""
    assert await run(redis, clock, "summary") == 0
    assert capsys.readouterr().out.splitlines() == [
        "Callback requests created 2025-06-10 12:15:00 MSK to 2025-06-11 12:15:00 MSK",
        "  requests:                   4 (2 open, 1 dispatching, 1 failed)",
        "  called back within the SLA: 0.0% (0 of 3 done, failed or past due)",
        "  time to first attempt:      p50 2 min 00 s, p90 3 min 00 s",
        "  reached at first attempt:   0.0% (0 of 1 first attempts)",
        "  failed:                     1, by last result: busy 1",
    ]
    assert await run(redis, clock, "summary", "--since", "2025-06-11T12:02") == 0
    assert "  requests:                   2 (2 open)" in capsys.readouterr().out


@pytest.mark.redis
async def test_a_redis_that_refuses_the_password_says_to_start_the_sandbox(
    redis_server: str, clock: Clock
) -> None:
    """WRONGPASS: a HotlineError naming the address, the password and `hotline sandbox up`."""
    client = Redis.from_url(
        redis_server,
        username="nobody",
        password="not-the-secret",  # noqa: S106 - a user and password the test server does not have
        decode_responses=True,
    )
    try:
        with pytest.raises(
            HotlineError, match=r"Redis at 127.0.0.1:\d+ refused the hotline's password .*hotline sandbox up"
        ):
            await run(client, clock, "list")
    finally:
        await client.aclose()


# --- the command line: settings, secrets and the dialplan to a client, errors to exit 1 ---------------


def hotline_env(monkeypatch: pytest.MonkeyPatch, state_dir: Path, port: int | str) -> None:
    """The sandbox's Redis is on 127.0.0.1:`port`; secrets are generated in `state_dir`."""
    monkeypatch.setenv("HOTLINE_HOST", "127.0.0.1")
    monkeypatch.setenv("HOTLINE_REDIS_PORT", str(port))
    monkeypatch.setenv("HOTLINE_STATE_DIR", str(state_dir))


@pytest.mark.redis
def test_the_command_line_lists_from_the_configured_redis_and_exits_1_for_an_unknown_id(
    redis_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`hotline callbacks list` exits 0; `hotline callbacks cancel ffff` exits 1 with an error line.
    (The test server has no password, so it lets in the one generated in the state directory.)"""
    with SyncRedis.from_url(redis_server) as sync_client:
        sync_client.flushdb()
    hotline_env(monkeypatch, tmp_path, redis_server.rsplit(":", 1)[1].split("/")[0])
    assert main(["callbacks", "list"]) == 0
    assert capsys.readouterr().out.startswith("No requests open or dispatching; now ")
    assert main(["callbacks", "cancel", "ffff"]) == 1
    assert capsys.readouterr().err.startswith("error: no callback request with id 'ffff'")


def test_the_command_line_exits_1_saying_to_start_the_sandbox_when_redis_is_not_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], unused_tcp_port: int
) -> None:
    """Connection refused: exit 1 and one error line with the address and `sudo hotline sandbox up`."""
    hotline_env(monkeypatch, tmp_path, unused_tcp_port)
    assert main(["callbacks", "summary"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: cannot reach Redis at 127.0.0.1:{unused_tcp_port} (")
    assert err.rstrip().endswith("is the sandbox up? Start it with `sudo hotline sandbox up`")
