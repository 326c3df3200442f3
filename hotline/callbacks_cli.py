"""`hotline callbacks`: what supervisors see of the callback requests, and the one change they may make.

Three layers. The `format_*` functions and `parse_since` are pure: requests, a summary, the time and
the hotline's time zone in, text out. `run` does the Redis part on a client it is given (tests hand it
the real test server's) and turns a Redis that cannot be reached or refuses the password into a
`HotlineError` that says to start the sandbox. `main` is the command line's way in: the dialplan (time
zone, number format), the password from the secrets, a client built from the settings. An unknown id,
a finished request or a bad `--since` is a `CallbackError`. `hotline.cli.main` prints any of these
errors and exits 1.

Times are shown in the hotline's time zone. Ids are shown by their first 8 characters; `show` and
`cancel` take the full id or any prefix that only one request has.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from zoneinfo import ZoneInfo

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from hotline.admin_redis import admin_redis, unreachable
from hotline.callbacks.model import AttemptResult, Request, Status
from hotline.callbacks.numbers import abbreviated, spoken
from hotline.callbacks.report import Summary, summary
from hotline.callbacks.store import CallbackStore
from hotline.constants import CB_RETENTION
from hotline.dialplan import load_dialplan
from hotline.dialplan.model import NumberRules
from hotline.errors import CallbackError
from hotline.settings import Settings

SHORT_ID = 8  # characters of an id shown in the list
FINISHED_WINDOW = 7 * 24 * 3600  # seconds: how far back `list --all` shows finished requests
_SINCE = re.compile(r"(\d+)\s*([mhd])")
_UNIT_SECONDS = {"m": 60, "h": 3600, "d": 86400}
_COLUMNS = ("ID", "GROUP", "NUMBER", "SOURCE", "STATUS", "DUE", "SLACK", "TRIES")
_ATTEMPT_COLUMNS = ("N", "STARTED", "OPERATOR", "RESULT", "TALK", "COUNTED", "ACTION ID", "REASON")


# --- pure: durations, times and text -------------------------------------------------------------------


def duration(seconds: float) -> str:
    """A positive span as a supervisor reads it: `<1 min`, `7 min`, `2h05m`, `3d04h` (whole units, cut)."""
    minutes = int(seconds // 60)
    if minutes < 1:
        return "<1 min"
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours}h{minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d{hours:02d}h"


def slack(request: Request, now: float) -> str:
    """How far the deadline is: `in 7 min`, or `LATE by 3 min` (rounded up: late is never `<1 min`);
    `-` for a finished request."""
    if not request.status.active:
        return "-"
    left = request.due_at - now
    if left >= 0:
        return "in " + duration(left)
    return "LATE by " + duration(math.ceil(-left / 60) * 60)


def short_id(request_id: str) -> str:
    return request_id[:SHORT_ID]


def _when(ts: float, tz: ZoneInfo, today: dt.date, *, seconds: bool = False) -> str:
    """`12:10` on `today`'s local date, `06-12 09:00` on another day of its year, else with the year."""
    moment = dt.datetime.fromtimestamp(ts, tz)
    clock = moment.strftime("%H:%M:%S" if seconds else "%H:%M")
    if moment.date() == today:
        return clock
    if moment.year == today.year:
        return moment.strftime("%m-%d ") + clock
    return moment.strftime("%Y-%m-%d ") + clock


def _stamp(ts: float, tz: ZoneInfo) -> str:
    """A full local time with the zone's abbreviation: `2025-06-11 12:00:00 MSK`."""
    return dt.datetime.fromtimestamp(ts, tz).strftime("%Y-%m-%d %H:%M:%S %Z")


def _local_date(ts: float, tz: ZoneInfo) -> dt.date:
    return dt.datetime.fromtimestamp(ts, tz).date()


def _table(header: Sequence[str], rows: Iterable[Sequence[str]], *, right: Iterable[int] = ()) -> list[str]:
    """Columns as wide as their widest cell, two spaces apart; `right`: columns aligned right."""
    rows = [list(header), *(list(row) for row in rows)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    flush_right = set(right)
    return [
        "  ".join(
            cell.rjust(widths[i]) if i in flush_right else cell.ljust(widths[i]) for i, cell in enumerate(row)
        ).rstrip()
        for row in rows
    ]


def _counted(items: Iterable[str], order: Iterable[str]) -> str:
    """`2 open, 1 dispatching`: counts in `order`, zeros left out."""
    counts = Counter(items)
    return ", ".join(f"{counts[name]} {name}" for name in order if counts[name])


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def format_list(
    requests: Sequence[Request],
    now: float,
    tz: ZoneInfo,
    *,
    group: str | None = None,
    include_finished: bool = False,
    finished: int = 0,
) -> str:
    """One line per request in the order given (earliest deadline first) under a header, then a count
    (the group, if any, shows in every line). Fits 100 columns with the longest group and source names
    of the default dialplan. `finished`: how many finished requests of the last 7 days the list leaves
    out; named with the way to see them, so an empty list never hides that there were requests."""
    today = _local_date(now, tz)
    zone = dt.datetime.fromtimestamp(now, tz).strftime("%Z")
    header = [*_COLUMNS[:5], f"DUE ({zone})", *_COLUMNS[6:]]
    rows = [
        [
            short_id(r.id),
            r.group,
            abbreviated(r.number),
            r.source.value,
            r.status.value,
            _when(r.due_at, tz, today),
            slack(r, now),
            str(len(r.attempts)),
        ]
        for r in requests
    ]
    if requests:
        counted = _counted((r.status.value for r in requests), (s.value for s in Status))
        footer = f"{_plural(len(requests), 'request')}: {counted}"
    else:
        footer = "No requests" + ("" if include_finished else " open or dispatching")
        footer += "" if group is None else f" in group {group}"
    footer += f"; now {_when(now, tz, today)} {zone}"
    if not requests and finished and not include_finished:
        footer += (
            f"\n{_plural(finished, 'request')} finished in the last 7 days: `hotline callbacks list --all`"
        )
    lines = _table(header, rows, right=[len(header) - 1]) if requests else []
    return "\n".join([*lines, footer])


def shown(text: str) -> str:
    """Text from outside (a caller ID as the carrier sent it, a reason) made safe for a terminal: control
    characters, escape sequences included, are written as visible escapes (\\x1b), never sent raw."""
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)


def format_show(request: Request, now: float, tz: ZoneInfo, rules: NumberRules | None = None) -> str:
    """Everything about one request: the number in full (a supervisor may call the citizen), its times
    and every attempt."""
    r = request
    due = _stamp(r.due_at, tz)
    if r.status.active:
        due += f" ({slack(r, now)})"
    elif r.status is Status.DONE:
        on_time = any(a.result is AttemptResult.ANSWERED and a.started_at <= r.due_at for a in r.attempts)
        due += " (called back within the SLA)" if on_time else " (called back late)"
    fields = [
        ("status", r.status.value),
        ("group", r.group),
        ("number", f"{spoken(r.number, rules)}   ({r.number})"),
        ("caller ID", shown(r.caller_display) or "-"),
        ("source", r.source.value),
        ("created", _stamp(r.created_at, tz)),
        ("due", due),
    ]
    if r.status is Status.OPEN:
        fields.append(("next attempt", _stamp(r.next_attempt_at, tz)))
    if r.cancel_reason:
        pending = r.status is Status.DISPATCHING
        reason = shown(r.cancel_reason)
        fields.append(
            (
                "cancel",
                f"pending ({reason}): when the attempt ends, unless the call reaches the citizen"
                if pending
                else reason,
            )
        )
    lines = [f"Callback request {r.id}"]
    lines += [f"  {name + ':':<14}{value}" for name, value in fields]
    if not r.attempts:
        lines.append("No attempts yet.")
        return "\n".join(lines)
    lines.append(f"Attempts: {len(r.attempts)}, {r.counted_attempts} counted against the citizen")
    day = _local_date(r.created_at, tz)
    rows = [
        [
            str(a.n),
            _when(a.started_at, tz, day, seconds=True),
            a.operator or "-",
            "in progress" if a.result is None else a.result.value,
            "-" if a.result is None else f"{a.talk_seconds:.0f} s",
            "-" if a.result is None else ("yes" if a.counts else "no"),
            a.action_id or "-",
            shown(a.reason) or "-",
        ]
        for a in r.attempts
    ]
    lines += ["  " + line for line in _table(_ATTEMPT_COLUMNS, rows, right=[0, 4])]
    return "\n".join(lines)


def format_cancelled(request: Request) -> str:
    """What `cancel` did, from the request as the store left it (cancelled, or dispatching with a cancel
    pending)."""
    what = f"request {short_id(request.id)} ({request.group}, {abbreviated(request.number)})"
    if request.status is Status.DISPATCHING:
        last = request.last_attempt
        attempt = f" (attempt {last.n})" if last is not None else ""
        return (
            f"Cancel pending: {what} is being dialled now{attempt}.\n"
            "It ends cancelled when that attempt ends, unless the call reaches the citizen."
        )
    return f"Cancelled {what}: {request.cancel_reason}."


def _share(part: int, whole: int, share: float | None, what: str) -> str:
    return "n/a (none yet)" if share is None else f"{share:.1%} ({part} of {whole} {what})"


def _seconds(value: float | None) -> str:
    if value is None:
        return "n/a"
    if value < 60:
        return f"{value:.0f} s"
    minutes, secs = divmod(round(value), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    return duration(value)


def format_summary(s: Summary, tz: ZoneInfo) -> str:
    """The report supervisors read: SLA share, time to first attempt, first-attempt reach, failures."""
    statuses = ", ".join(f"{s.by_status[st]} {st}" for st in Status if s.by_status.get(st))
    failed = sum(s.failed_by_reason.values())
    reasons = ", ".join(f"{reason} {n}" for reason, n in sorted(s.failed_by_reason.items(), key=_by_count))
    rows = [
        ("requests", f"{s.requests}" + (f" ({statuses})" if statuses else "")),
        (
            "called back within the SLA",
            _share(s.within_sla, s.sla_decided, s.within_sla_share, "done, failed or past due"),
        ),
        (
            "time to first attempt",
            f"p50 {_seconds(s.first_attempt_p50)}, p90 {_seconds(s.first_attempt_p90)}",
        ),
        (
            "reached at first attempt",
            _share(
                s.first_attempt_reached, s.first_attempt_ended, s.first_attempt_reach_rate, "first attempts"
            ),
        ),
        ("failed", f"{failed}" + (f", by last result: {reasons}" if reasons else "")),
    ]
    head = f"Callback requests created {_stamp(s.since, tz)} to {_stamp(s.until, tz)}"
    return "\n".join([head, *(f"  {name + ':':<28}{value}" for name, value in rows)])


def _by_count(item: tuple[str, int]) -> tuple[int, str]:
    return (-item[1], item[0])


def parse_since(text: str, now: float, tz: ZoneInfo) -> float:
    """`--since` as an instant: `90m`, `24h`, `7d` back from now; an ISO date (local midnight) or local
    date and time (`2025-06-01T08:00`; an explicit offset is kept). CallbackError otherwise."""
    value = text.strip()
    relative = _SINCE.fullmatch(value)
    if relative is not None:
        return now - int(relative.group(1)) * _UNIT_SECONDS[relative.group(2)]
    try:
        if len(value) == 10:
            day = dt.date.fromisoformat(value)
            return dt.datetime.combine(day, dt.time(0), tzinfo=tz).timestamp()
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise CallbackError(
            f"--since {text!r}: give a span back from now (90m, 24h, 7d), a date (2025-06-01) or a date "
            "and time (2025-06-01T08:00, the hotline's local time)"
        ) from None
    return (moment if moment.tzinfo is not None else moment.replace(tzinfo=tz)).timestamp()


# --- Redis: the store on a given client --------------------------------------------------------------


async def find(store: CallbackStore, ref: str) -> Request:
    """The request whose id is `ref` or starts with it; CallbackError for none or several."""
    prefix = ref.strip().lower()
    if not prefix:
        raise CallbackError("give a request id (the first characters shown by `hotline callbacks list`)")
    exact = await store.get(prefix)
    if exact is not None:
        return exact
    matches = [r for r in await store.list() if r.id.startswith(prefix)]
    if not matches:
        raise CallbackError(
            f"no callback request with id {ref!r} (finished requests are kept {CB_RETENTION // 86400} "
            "days); "
            "see `hotline callbacks list --all`"
        )
    if len(matches) > 1:
        ids = ", ".join(r.id[: len(prefix) + 4] for r in matches[:5])
        raise CallbackError(
            f"{len(matches)} requests have ids starting with {ref!r} ({ids}): give more of it"
        )
    return matches[0]


async def active_requests(
    store: CallbackStore, group: str | None, *, include_finished: bool = False
) -> list[Request]:
    """Open and dispatching requests (with `include_finished`, also those created in the last 7 days),
    earliest deadline first. A request read twice while it changes status shows as last read."""
    found: dict[str, Request] = {}
    for status in (Status.OPEN, Status.DISPATCHING):
        found.update((r.id, r) for r in await store.list(status, group))
    if include_finished:
        recent = await store.list(group=group, since=store.now() - FINISHED_WINDOW)
        found.update((r.id, r) for r in recent)
    return sorted(found.values(), key=lambda r: (r.due_at, r.priority, r.created_at, r.id))


async def run(
    args: argparse.Namespace,
    redis: Redis,
    *,
    tz: ZoneInfo,
    rules: NumberRules | None = None,
    clock: Callable[[], float] = time.time,
) -> int:
    """Run `hotline callbacks ACTION` on `redis` and print its output; 0 when done.

    CallbackError for an unknown or ambiguous id, a finished request to cancel or a bad `--since`;
    HotlineError (saying to start the sandbox) when Redis cannot be reached or refuses the password.
    """
    store = CallbackStore(redis, clock=clock)
    try:
        text = await _action(args, store, tz, rules)
    except (RedisConnectionError, RedisTimeoutError) as exc:
        raise unreachable(redis, exc) from exc
    print(text)
    return 0


async def _action(
    args: argparse.Namespace, store: CallbackStore, tz: ZoneInfo, rules: NumberRules | None
) -> str:
    if args.action == "list":
        requests = await active_requests(store, args.group, include_finished=args.all)
        finished = (
            0
            if requests or args.all
            else len(await active_requests(store, args.group, include_finished=True))
        )
        return format_list(
            requests, store.now(), tz, group=args.group, include_finished=args.all, finished=finished
        )
    if args.action == "show":
        return format_show(await find(store, args.id), store.now(), tz, rules)
    if args.action == "cancel":
        reason = args.reason.strip()
        if not reason:  # an empty reason would leave a dispatching request without its pending cancel
            raise CallbackError("--reason: say why the request is cancelled, or leave --reason out")
        before = await find(store, args.id)
        if not before.status.active:
            raise CallbackError(
                f"request {short_id(before.id)} is already {_finished(before)}: nothing to cancel"
            )
        after = await store.cancel(before.id, reason)
        if after is None or not (after.status.active or after.status is Status.CANCELLED):
            status = "gone" if after is None else _finished(after)
            raise CallbackError(
                f"request {short_id(before.id)} ended meanwhile ({status}): nothing to cancel"
            )
        return format_cancelled(after)
    if args.action == "summary":
        return format_summary(await summary(store, parse_since(args.since, store.now(), tz)), tz)
    raise CallbackError(f"unknown action {args.action!r}")  # argparse allows only the four


def _finished(request: Request) -> str:
    if request.status is Status.CANCELLED and request.cancel_reason:
        return f"cancelled ({request.cancel_reason})"
    return request.status.value


# --- the command line's way in --------------------------------------------------------------------------


async def main(settings: Settings, args: argparse.Namespace) -> int:
    """`hotline callbacks`: the dialplan (time zone, number format), the Redis password from the
    secrets, a client of the sandbox's Redis from the settings; then `run`."""
    dialplan = load_dialplan(settings.dialplan_path)
    redis = admin_redis(settings, dialplan.operators, "hotline callbacks list")
    try:
        return await run(
            args, redis, tz=ZoneInfo(dialplan.hotline.timezone), rules=dialplan.callbacks.numbers
        )
    finally:
        await redis.aclose()
