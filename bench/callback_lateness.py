"""Fire lateness of callback requests: from a request's due time to its Originate being written.

A script, not a test: it prints figures side by side, never asserts a bound. One invocation runs the
same seeded schedule against the same `CallbackStore` on one Redis (emptied between runs) three times:

- ours: one loop that sleeps exactly until the group's next due time (the first score of its `later`
  sorted set: the store has no "next due" read of its own), or until a new request is registered,
  then claims everything due;
- the dispatcher as it is today (`router.dispatcher.Dispatcher`, unchanged, with its default 1 s tick),
  woken on registration as the engine does;
- baseline: a poll every 0.5 s that claims everything due, as arq's worker does.

Due time is the request's `next_attempt_at`. "Originate written" is the moment an in-process stand-in
for the AMI receives the Originate (it encodes the action and timestamps it): no Asterisk is involved,
so Asterisk's own time to place the call is not measured. Before each run `--open` requests are put in
Redis through the store's public API (register, claim, finish as no answer), each finish with the clock
set so that the request's retry falls due at a seeded instant: `--due-per-second` of them fall due during
the run, the others long after it. `--new-per-second` new requests are registered during the run (due at
once). Quiet hours are a one-minute window twelve hours away from the run's local time, so they never
apply; there are always more free operators than requests, so only time limits the claims.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import contextvars
import datetime as dt
import ipaddress
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from redis.asyncio import Redis

from hotline.callbacks import AttemptResult, CallbackStore, Claim, Source
from hotline.callbacks.layout import Keys
from hotline.constants import VAR_CB_ID
from hotline.dialplan.model import (
    WEEKDAYS,
    Action,
    CallbackPolicy,
    Dialplan,
    Entry,
    Hotline,
    Operator,
    QuietHours,
    SkillGroup,
    WeeklyHours,
)
from hotline.errors import SandboxError
from hotline.log import configure_logging
from hotline.sandbox.ports import free_tcp_port
from hotline.sandbox.redis import RedisSandbox
from router.ami import AmiClient
from router.ami_wire import ActionHeaders, Message, action_name, encode_action
from router.dispatcher import Dispatcher
from router.state import NOT_IN_USE, LiveState, QueueMember, QueueSnapshot

GROUP = "bench"
TZ = ZoneInfo("Europe/Moscow")
SLA_MINUTES = 10
LEASE_SECONDS = 90.0  # the dispatcher's default
BACKGROUND_AFTER = 900.0  # s after the run: where the requests that do not fall due during it are due
BACKGROUND_SPREAD = 3600.0  # s over which those are spread
PRELOAD_WORKERS = 16  # concurrent register -> claim -> finish chains while preloading
PROGRESS_EVERY = 1000
CANARY_EVERY = 0.02  # s: the period of the timer that tells a disturbed run (its lateness is reported)
LEAD = 1.0  # s between the end of the preload and the first due time
NEXT_DUE_CAP = 60.0  # s: the longest `ours` sleeps without looking again
POLICY_BASE = CallbackPolicy(requests_per_caller_per_hour=10**9, requests_per_minute=10**9)


class BenchClock:
    """Epoch seconds that advance with `time.monotonic()`: the store, the loops and the recorder read
    this one clock, so a step of the system clock mid-run cannot bend a figure. `pinned(t)` makes it
    read `t` in the current task only (the preload sets each request's retry time with it)."""

    def __init__(self) -> None:
        self._wall0 = time.time()
        self._mono0 = time.monotonic()
        self._pinned: contextvars.ContextVar[float | None] = contextvars.ContextVar("pinned", default=None)

    def __call__(self) -> float:
        pinned = self._pinned.get()
        return pinned if pinned is not None else self._wall0 + (time.monotonic() - self._mono0)

    @contextlib.contextmanager
    def pinned(self, at: float) -> Iterator[None]:
        token = self._pinned.set(at)
        try:
            yield
        finally:
            self._pinned.reset(token)

    async def sleep_until(self, at: float) -> None:
        await asyncio.sleep(max(0.0, at - self()))


class Recorder:
    """The stand-in for the AMI link: encodes each Originate as it would be written and notes when."""

    def __init__(self, clock: BenchClock) -> None:
        self._clock = clock
        self.written: dict[str, float] = {}  # request id -> clock at its first Originate
        self.repeats = 0  # Originates for a request already written (there should be none)

    def originate(self, action: ActionHeaders, action_id: str) -> None:
        encode_action("Originate", action_id, {k: v for k, v in action.items() if k.lower() != "action"})
        at = self._clock()
        variables = action.get("Variable", ())
        listed = [variables] if isinstance(variables, str) else variables
        ids = [v.split("=", 1)[1] for v in listed if v.startswith(f"{VAR_CB_ID}=")]
        for request_id in ids:
            if request_id in self.written:
                self.repeats += 1
            else:
                self.written[request_id] = at


class CountingStore(CallbackStore):
    """The store, counting the claims tried (the Redis work spent looking for due requests)."""

    claims_tried = 0

    async def claim(
        self, group: str, *, owner: str, lease_seconds: float, policy: CallbackPolicy, tz: ZoneInfo
    ) -> Claim | None:
        self.claims_tried += 1
        return await super().claim(group, owner=owner, lease_seconds=lease_seconds, policy=policy, tz=tz)


# --- the three ways to look for due requests -------------------------------------------------------------


class Engine(Protocol):
    label: str

    async def start(self) -> None: ...

    def wake(self) -> None: ...

    async def close(self) -> None: ...


class _ClaimingLoop:
    """Claims everything due and writes one Originate per claim, as `Dispatcher.place` does (ActionID
    stored first, then the Originate written); subclasses say when to look."""

    label = ""

    def __init__(self, store: CallbackStore, recorder: Recorder, policy: CallbackPolicy) -> None:
        self.store = store
        self.recorder = recorder
        self.policy = policy
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._ids = 0

    async def claim_due(self) -> None:
        while True:
            claim = await self.store.claim(
                GROUP, owner="bench", lease_seconds=LEASE_SECONDS, policy=self.policy, tz=TZ
            )
            if claim is None:
                return
            self._ids += 1
            action_id = f"bench-{self._ids}"
            await self.store.record_action(claim, action_id)
            originate = {"Action": "Originate", "Variable": [f"{VAR_CB_ID}={claim.request.id}"]}
            self.recorder.originate(originate, action_id)

    async def run(self) -> None:
        raise NotImplementedError

    async def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name=self.label)

    def wake(self) -> None:
        self._wake.set()

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


class NextDueLoop(_ClaimingLoop):
    label = "ideal: sleep to next due"

    def __init__(
        self, store: CallbackStore, recorder: Recorder, policy: CallbackPolicy, redis: Redis, keys: Keys
    ) -> None:
        super().__init__(store, recorder, policy)
        self._redis = redis
        self._keys = keys
        self._clock = store.now

    async def next_due(self) -> float | None:
        """The group's next due time from the store's own sorted sets: now when `ready` is not empty,
        else the first score of `later`; None when nothing is open."""
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.zcard(self._keys.ready(GROUP))
            pipe.zrange(self._keys.later(GROUP), 0, 0, withscores=True)
            ready, later = await pipe.execute()
        if int(ready):
            return self._clock()
        return float(later[0][1]) if later else None

    async def run(self) -> None:
        while True:
            self._wake.clear()  # before looking: a registration from here on wakes the wait below
            await self.claim_due()
            due = await self.next_due()
            delay = NEXT_DUE_CAP if due is None else min(NEXT_DUE_CAP, max(0.0, due - self._clock()))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), delay)


class PollLoop(_ClaimingLoop):
    def __init__(
        self, store: CallbackStore, recorder: Recorder, policy: CallbackPolicy, every: float
    ) -> None:
        super().__init__(store, recorder, policy)
        self.every = every
        self.label = f"baseline: poll every {every:g} s"

    async def run(self) -> None:
        while True:  # as arq's worker: look, then sleep the poll delay; registrations do not wake it
            await self.claim_due()
            await asyncio.sleep(self.every)


class RecordingAmi(AmiClient):
    """The AMI link as the dispatcher sees it, with nothing behind it: every action succeeds at once
    and each Originate goes to the recorder as it is written."""

    def __init__(self, recorder: Recorder) -> None:
        super().__init__(username="bench", secret="bench")  # noqa: S106 (never connects)
        self._recorder = recorder

    @property
    def connected(self) -> bool:
        return True

    async def send_action(
        self,
        action: ActionHeaders,
        *,
        timeout: float | None = None,  # noqa: ASYNC109
        action_id: str | None = None,
    ) -> Message:
        action_id = action_id or self.new_action_id()
        if action_name(action) == "Originate":
            self._recorder.originate(action, action_id)
        return Message([("Response", "Success"), ("ActionID", action_id)])

    async def send_list_action(
        self,
        action: ActionHeaders,
        *,
        timeout: float | None = None,  # noqa: ASYNC109
        action_id: str | None = None,
    ) -> list[Message]:
        return []


class IdleOperators(LiveState):
    """Live state in which every operator of the group is idle: capacity never limits a claim."""

    def __init__(self, redis: Redis, operators: Sequence[str]) -> None:
        super().__init__(redis)
        members = (QueueMember(interface=f"PJSIP/{op}", name=op, status=NOT_IN_USE) for op in operators)
        self._members = tuple(members)

    async def queue(self, name: str) -> QueueSnapshot | None:
        return QueueSnapshot(name=name, members=self._members)


class DispatcherToday:
    """`router.dispatcher.Dispatcher` itself, over the recording AMI and always-idle operators."""

    def __init__(
        self, store: CallbackStore, recorder: Recorder, policy: CallbackPolicy, redis: Redis, operators: int
    ) -> None:
        names = [f"op{i}" for i in range(operators)]
        dialplan = _dialplan(policy, names)
        self._dispatcher = Dispatcher(
            RecordingAmi(recorder),
            IdleOperators(redis, names),
            store,
            lambda: dialplan,
            owner="bench",
            clock=store.now,
        )
        self.label = "engine: router.dispatcher"

    async def start(self) -> None:
        await self._dispatcher.start()

    def wake(self) -> None:
        self._dispatcher.wake()

    async def close(self) -> None:
        await self._dispatcher.close()


def _dialplan(policy: CallbackPolicy, operators: Sequence[str]) -> Dialplan:
    bye = Action(kind="hangup", target="bye", prompt="bye")
    return Dialplan(
        hotline=Hotline("bench", "565602", str(TZ), "ru", ("ru",), 100, GROUP, "bye"),
        hours=WeeklyHours(days={day: () for day in WEEKDAYS}),
        prompts={},
        skill_groups={GROUP: SkillGroup(GROUP, "Bench")},
        operators={op: Operator(op, op, str(1000 + i), {GROUP: 1}) for i, op in enumerate(operators)},
        menus={},
        entry=Entry(None, "main", bye),
        callbacks=policy,
    )


# --- the schedule and the preload ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Plan:
    """The seeded schedule, in seconds: the same for every run."""

    seconds: float  # how long requests fall due
    due: tuple[float, ...]  # from the first due time: requests already open that fall due in the run
    background: tuple[float, ...]  # from the end of the run + BACKGROUND_AFTER: open, not due in the run
    arrivals: tuple[float, ...]  # from the first due time: new registrations during the run

    @classmethod
    def seeded(
        cls, seed: int, seconds: float, due_per_second: float, open_: int, new_per_second: float
    ) -> Plan:
        rng = random.Random(seed)  # noqa: S311 (a reproducible schedule, not a secret)
        n_due = round(seconds * due_per_second)
        due = sorted(rng.uniform(0.0, seconds) for _ in range(n_due))
        background = [rng.uniform(0.0, BACKGROUND_SPREAD) for _ in range(open_ - n_due)]
        arrivals = sorted(rng.uniform(0.0, seconds) for _ in range(round(seconds * new_per_second)))
        return cls(seconds, tuple(due), tuple(background), tuple(arrivals))


@dataclass
class Expected:
    due: dict[str, float] = field(default_factory=dict)  # request id -> next_attempt_at, due in the run
    new: dict[str, float] = field(default_factory=dict)  # registered during the run -> next_attempt_at
    background: set[str] = field(default_factory=set)  # open, due long after the run
    first_due: float = 0.0  # epoch: the plan's offsets count from here
    preload_seconds: float = 0.0


class Preloader:
    """Puts open requests in Redis through the store: register, claim, then finish as no answer with the
    clock set to (due - first backoff step), so the retry waits in `later` until exactly `due`."""

    def __init__(self, store: CallbackStore, clock: BenchClock, policy: CallbackPolicy, total: int) -> None:
        self.store = store
        self.clock = clock
        self.policy = policy
        self.total = total
        self.done = 0
        self._numbers = 0
        self._backoff = policy.backoff_minutes[0] * 60.0

    async def load(self, due_times: Sequence[float]) -> dict[str, float]:
        """Requests that fall due at `due_times` (epoch); returns id -> next_attempt_at as stored."""
        loaded: dict[str, float] = {}
        pending = iter(due_times)

        async def worker() -> None:
            for due in pending:
                request_id, next_at = await self._one(due)
                loaded[request_id] = next_at
                self.done += 1
                if self.done % PROGRESS_EVERY == 0 or self.done == self.total:
                    print(f"  preloaded {self.done:>6,} / {self.total:,} open requests", file=sys.stderr)

        await asyncio.gather(*(worker() for _ in range(PRELOAD_WORKERS)))
        return loaded

    async def _one(self, due: float) -> tuple[str, float]:
        self._numbers += 1
        number = f"79{self._numbers:09d}"
        await self.store.register(
            number,
            GROUP,
            Source.IN_QUEUE,
            caller_display=number,
            policy=self.policy,
            sla_minutes=SLA_MINUTES,
            tz=TZ,
        )
        # another worker's request may come out first: whichever is claimed gets this due time
        claim = await self.store.claim(
            GROUP, owner="preload", lease_seconds=LEASE_SECONDS, policy=self.policy, tz=TZ
        )
        if claim is None:
            raise RuntimeError("preload: a registered request could not be claimed")
        with self.clock.pinned(due - self._backoff):
            request = await self.store.finish(
                claim, AttemptResult.NO_ANSWER, reason="bench: earlier attempt", policy=self.policy, tz=TZ
            )
        return request.id, request.next_attempt_at


# --- one run ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RunResult:
    label: str
    lateness_ms: dict[str, tuple[float, ...]]  # "due" (from `later`), "new" (registered in the run)
    not_fired: dict[str, int]
    outside: int  # Originates for requests not due in the run, or repeated
    claims_tried: int
    preload_seconds: float
    loop_lag_ms: tuple[float, ...]  # how late a 20 ms timer fired in the same event loop: a disturbed run
    load: tuple[float, float]  # 1-minute load average at the first due time and at the end


@dataclass(frozen=True, slots=True)
class Settings:
    seconds: float
    due_per_second: float
    open: int
    new_per_second: float
    poll: float
    seed: int
    drain: float


async def preload(store: CallbackStore, clock: BenchClock, policy: CallbackPolicy, plan: Plan) -> Expected:
    """The open requests of a run: first those due long after it (timing the preload), then those due
    during it, from a first due time that leaves room for them to be loaded."""
    preloader = Preloader(store, clock, policy, len(plan.due) + len(plan.background))
    began = clock()
    expected = Expected()
    far = began + plan.seconds + BACKGROUND_AFTER
    expected.background = set(await preloader.load([far + t for t in plan.background]))
    rate = len(plan.background) / max(clock() - began, 1e-3) if len(plan.background) >= 500 else 100.0
    expected.first_due = clock() + 2.0 * len(plan.due) / rate + LEAD
    expected.due = await preloader.load([expected.first_due + t for t in plan.due])
    if clock() >= expected.first_due:
        raise SystemExit("the preload overran the schedule (the machine is busy?): run it again")
    expected.preload_seconds = clock() - began
    return expected


async def run_once(
    kind: str,
    redis: Redis,
    prefix: str,
    clock: BenchClock,
    policy: CallbackPolicy,
    plan: Plan,
    settings: Settings,
) -> RunResult:
    store = CountingStore(redis, clock=clock, key_prefix=prefix)
    recorder = Recorder(clock)
    expected = await preload(store, clock, policy, plan)
    engine: Engine
    if kind == "ours":
        engine = NextDueLoop(store, recorder, policy, redis, Keys(prefix))
    elif kind == "dispatcher":
        engine = DispatcherToday(store, recorder, policy, redis, len(plan.due) + len(plan.arrivals) + 10)
    else:
        engine = PollLoop(store, recorder, policy, settings.poll)
    store.claims_tried = 0
    lags: list[float] = []

    async def arrive() -> None:
        for i, offset in enumerate(plan.arrivals):
            await clock.sleep_until(expected.first_due + offset)
            number = f"74{i:09d}"
            registration = await store.register(
                number,
                GROUP,
                Source.IN_QUEUE,
                caller_display=number,
                policy=policy,
                sla_minutes=SLA_MINUTES,
                tz=TZ,
            )
            expected.new[registration.request.id] = registration.request.next_attempt_at
            engine.wake()  # as `Engine.register_callback` wakes the dispatcher

    async def watch_loop() -> None:
        while True:
            at = clock() + CANARY_EVERY
            await asyncio.sleep(CANARY_EVERY)
            lags.append((clock() - at) * 1000.0)

    load_at_start = 0.0
    await engine.start()
    helpers = [asyncio.create_task(arrive()), asyncio.create_task(watch_loop())]
    try:
        await clock.sleep_until(expected.first_due)
        load_at_start = os.getloadavg()[0]
        await clock.sleep_until(expected.first_due + plan.seconds + settings.drain)
    finally:
        for task in helpers:
            task.cancel()
        await asyncio.gather(*helpers, return_exceptions=True)
        await engine.close()
    written = recorder.written

    def lateness(wanted: dict[str, float]) -> tuple[float, ...]:
        return tuple(sorted((written[i] - due) * 1000.0 for i, due in wanted.items() if i in written))

    return RunResult(
        engine.label,
        {"due": lateness(expected.due), "new": lateness(expected.new)},
        {
            "due": sum(i not in written for i in expected.due),
            "new": sum(i not in written for i in expected.new),
        },
        recorder.repeats + sum(1 for i in written if i in expected.background),
        store.claims_tried,
        expected.preload_seconds,
        tuple(sorted(lags)),
        (load_at_start, os.getloadavg()[0]),
    )


# --- Redis -----------------------------------------------------------------------------------------------


@contextlib.contextmanager
def own_redis() -> Iterator[str]:
    """Debian's redis-server on a free 127.0.0.1 port in a temporary directory, configured as the sandbox
    configures it (`hotline.sandbox.redis`: append-only file, fsync every second, a password); stopped
    and removed on the way out."""
    with tempfile.TemporaryDirectory(prefix="bench-redis-") as workdir:
        server = RedisSandbox(Path(workdir), "127.0.0.1", free_tcp_port(), secrets.token_urlsafe(24))
        try:
            server.start()
        except SandboxError as exc:
            raise SystemExit(f"{exc}; or pass --redis-url") from exc
        try:
            yield server.url
        finally:
            server.stop()


async def empty(redis: Redis, prefix: str, owned: bool) -> None:
    """Flush our own server (and rewrite its append-only file, so no rewrite starts mid-run); on a server
    given with --redis-url, delete only this invocation's keys."""
    if owned:
        await redis.flushdb()
        await redis.bgrewriteaof()
        for _ in range(300):
            info = await redis.info("persistence")
            if not int(info.get("aof_rewrite_in_progress", 0)) and not int(
                info.get("aof_rewrite_scheduled", 0)
            ):
                return
            await asyncio.sleep(0.1)
        return
    batch: list[str] = []
    async for key in redis.scan_iter(match=prefix + "*", count=1000):
        batch.append(key)
        if len(batch) >= 1000:
            await redis.unlink(*batch)
            batch.clear()
    if batch:
        await redis.unlink(*batch)


def loopback_url(url: str) -> str:
    """`url` when it names a Redis on this machine's loopback; SystemExit otherwise."""
    parts = urlsplit(url)
    if parts.scheme == "unix":
        return url
    host = parts.hostname or ""
    try:
        local = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        local = False
    if parts.scheme not in ("redis", "rediss") or not local:
        raise SystemExit(f"--redis-url must name a Redis on loopback (127.0.0.1, ::1, localhost): {url}")
    return url


# --- the report ------------------------------------------------------------------------------------------

STATS = ("p50", "p90", "p99", "max")


def figures(values: Sequence[float]) -> dict[str, float] | None:
    if not values:
        return None
    if len(values) == 1:
        return dict.fromkeys(STATS, values[0])
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {"p50": cuts[49], "p90": cuts[89], "p99": cuts[98], "max": max(values)}


def _ms(value: float) -> str:
    return f"{value:9.1f}" if value < 100_000 else f"{value:9.0f}"


def _ratio(other: float, ours: float) -> str:
    if ours <= 0:
        return f"{'-':>9}"
    ratio = other / ours
    return f"{ratio:8.1f}x" if ratio < 10 else f"{ratio:8.0f}x"


def report(results: Sequence[RunResult], settings: Settings, header: Sequence[str]) -> str:
    kinds = ("due", "new") if settings.new_per_second > 0 else ("due",)
    width = max(len(r.label) for r in results) + 2
    stats_head = "".join(f"{s + ' ms':>9}" for s in STATS)
    heading = f"{'':<{width}}{'kind':<5}{'fired':>7}{'not fired':>11}{stats_head}{'claims tried':>14}"
    lines = [*header, "", heading, "-" * len(heading)]
    for r in results:
        for kind in kinds:
            values = r.lateness_ms[kind]
            stats = figures(values)
            cells = "".join(_ms(stats[s]) for s in STATS) if stats else f"{'-':>9}" * len(STATS)
            first = kind == kinds[0]
            label, tried = (r.label, f"{r.claims_tried:,}") if first else ("", "")
            lines.append(
                f"{label:<{width}}{kind:<5}{len(values):>7,}{r.not_fired[kind]:>11,}{cells}{tried:>14}"
            )
    # the headline: the baseline against the engine; then each against the bench's ideal loop
    pairs = [(results[-1], results[1])] if len(results) > 2 else []
    pairs += [(other, results[0]) for other in results[1:]]
    for other, base in pairs:
        for kind in kinds:
            a, b = figures(other.lateness_ms[kind]), figures(base.lateness_ms[kind])
            if a is None or b is None:
                continue
            name = f"{other.label.split(':')[0]} / {base.label.split(':')[0]}"
            label = name if kind == kinds[0] else ""
            cells = "".join(_ratio(a[s], b[s]) for s in STATS)
            lines.append(f"{label:<{width}}{kind:<5}{'':>18}{cells}")
    lines += [
        "",
        "due: open requests whose retry fell due during the run (they waited out a backoff in `later`);",
        "new: registered during the run, due at once. not fired: no Originate by the end of the drain.",
        "claims tried: CallbackStore.claim calls during the run, those that found nothing included.",
    ]
    lines.append(
        f"loop lag: how late a {CANARY_EVERY * 1000:g} ms timer fired in the same event loop (asyncio alone "
        "adds 1-2 ms);\nhundreds of ms mean the run was starved of CPU (another process?): run it again."
    )
    for r in results:
        lag = figures(r.loop_lag_ms)
        lags = f"loop lag p99 {lag['p99']:.1f} ms, max {lag['max']:.1f} ms" if lag else "loop lag -"
        extra = f"; {r.outside} Originates outside the schedule" if r.outside else ""
        lines.append(
            f"{r.label}: preload {r.preload_seconds:.1f} s; {lags}; "
            f"load average {r.load[0]:.2f} -> {r.load[1]:.2f}{extra}"
        )
    return "\n".join(lines)


# --- main ------------------------------------------------------------------------------------------------


def quiet_far_away(clock: BenchClock) -> CallbackPolicy:
    """The default policy with quiet hours shrunk to one minute twelve hours from now (never reached)."""
    start = (dt.datetime.fromtimestamp(clock(), TZ) + dt.timedelta(hours=12)).replace(second=0, microsecond=0)
    end = start + dt.timedelta(minutes=1)
    quiet = QuietHours(start.time(), end.time())
    return CallbackPolicy(
        requests_per_caller_per_hour=POLICY_BASE.requests_per_caller_per_hour,
        requests_per_minute=POLICY_BASE.requests_per_minute,
        quiet_hours=quiet,
    )


async def bench(url: str, owned: bool, settings: Settings) -> None:
    clock = BenchClock()
    policy = quiet_far_away(clock)
    plan = Plan.seeded(
        settings.seed, settings.seconds, settings.due_per_second, settings.open, settings.new_per_second
    )
    prefix = f"hotline-bench:{secrets.token_hex(4)}:cb:"
    redis = Redis.from_url(url, decode_responses=True, socket_timeout=10.0, socket_connect_timeout=5.0)
    results: list[RunResult] = []
    try:
        info = await redis.info("server")
        for kind in ("ours", "dispatcher", "baseline"):
            await empty(redis, prefix, owned)
            print(f"run {kind}: preloading {settings.open:,} open requests", file=sys.stderr)
            result = await run_once(kind, redis, prefix, clock, policy, plan, settings)
            print(f"run {kind}: done", file=sys.stderr)
            results.append(result)
        await empty(redis, prefix, owned)
    finally:
        await redis.aclose()
    quiet = policy.quiet_hours
    where = (
        "started by this script, append-only file, fsync every second" if owned else "given by --redis-url"
    )
    header = [
        "Callback fire lateness: due (next_attempt_at) -> Originate written, in ms",
        f"{settings.open:,} open requests; {settings.due_per_second:g}/s fall due for {settings.seconds:g} s "
        f"({len(plan.due):,}); {settings.new_per_second:g}/s new ({len(plan.arrivals):,}); "
        f"seed {settings.seed}",
        f"Redis {info.get('redis_version', '?')} on {urlsplit(url).netloc} ({where}); "
        f"{os.cpu_count()} CPUs; Python {sys.version.split()[0]}",
        f"quiet hours {quiet.start:%H:%M}-{quiet.end:%H:%M} {TZ.key} (12 h away: never reached); "
        f"operators always free; drain {settings.drain:g} s",
    ]
    print(report(results, settings, header))


def parse_args(argv: Sequence[str] | None) -> tuple[Settings, str | None]:
    parser = argparse.ArgumentParser(
        prog="callback_lateness.py",
        description=(
            "Measure callback fire lateness (a request's next_attempt_at -> its Originate written to a "
            "stand-in AMI) with many open requests, for three ways of finding due requests, in one run: "
            "sleeping until the next due time (ours), the dispatcher as it is (1 s tick), and a 0.5 s "
            "poll (baseline, as arq). Starts its own redis-server on a free 127.0.0.1 port unless "
            "--redis-url is given; prints p50/p90/p99/max and the ratios to ours."
        ),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--seconds", type=_positive, default=20.0, help="how long requests fall due, per run")
    parser.add_argument(
        "--due-per-second", type=_positive, default=50.0, help="open requests falling due per second"
    )
    parser.add_argument("--open", type=int, default=10_000, help="open requests in Redis when a run starts")
    parser.add_argument(
        "--new-per-second",
        type=_non_negative,
        default=5.0,
        help="new requests registered per second during a run",
    )
    parser.add_argument("--poll", type=_positive, default=0.5, help="the baseline's poll interval, seconds")
    parser.add_argument("--seed", type=int, default=1, help="seed of the request schedule")
    parser.add_argument(
        "--redis-url",
        help="use this Redis (loopback only) instead of starting one; only this run's keys are touched",
    )
    args = parser.parse_args(argv)
    if args.seconds > 3600:
        parser.error("--seconds: at most 3600")
    n_due = round(args.seconds * args.due_per_second)
    if args.open < n_due:
        parser.error(f"--open must be at least --seconds x --due-per-second ({n_due})")
    drain = 2.0 * max(args.poll, 1.0) + 1.0
    settings = Settings(
        args.seconds, args.due_per_second, args.open, args.new_per_second, args.poll, args.seed, drain
    )
    return settings, None if args.redis_url is None else loopback_url(args.redis_url)


def _positive(value: str) -> float:
    number = float(value)
    if not number > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0: {value}")
    return number


def _non_negative(value: str) -> float:
    number = float(value)
    if not number >= 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more: {value}")
    return number


def main(argv: Sequence[str] | None = None) -> None:
    settings, url = parse_args(argv)
    configure_logging(level="warning")
    if url is not None:
        asyncio.run(bench(url, False, settings))
        return
    with own_redis() as own:
        asyncio.run(bench(own, True, settings))


if __name__ == "__main__":
    main()
