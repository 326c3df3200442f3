"""When callbacks are due and retried: backoff, quiet hours across midnight and DST, closed hours."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from hotline.callbacks import schedule
from hotline.callbacks.model import Attempt, AttemptResult, Request, Source
from hotline.dialplan.model import WEEKDAYS, CallbackPolicy, QuietHours, TimeRange, WeeklyHours

BERLIN = ZoneInfo("Europe/Berlin")
MOSCOW = ZoneInfo("Europe/Moscow")
POLICY = CallbackPolicy()  # quiet 21:00-09:00, backoff 2, 5, 10 minutes
HOUR = 3600.0


def at(tz: ZoneInfo, *when: int) -> float:
    """The instant of a local wall-clock time."""
    return dt.datetime(*when, tzinfo=tz).timestamp()


def wall(ts: float, tz: ZoneInfo = BERLIN) -> str:
    return dt.datetime.fromtimestamp(ts, tz).strftime("%Y-%m-%d %H:%M %Z")


def attempt(n: int, result: AttemptResult, *, counts: bool | None = None, action_id: str = "A1") -> Attempt:
    return Attempt(
        n=n,
        fence=n,
        owner="engine-1",
        started_at=0.0,
        action_id=action_id,
        ended_at=1.0,
        result=result,
        counts=result.counts if counts is None else counts,
    )


def request(*attempts: Attempt, source: Source = Source.IN_QUEUE, created: float = 0.0) -> Request:
    return Request(
        id="r1",
        number="79161234567",
        group="heating",
        source=source,
        caller_display="79161234567",
        created_at=created,
        due_at=created + 600,
        next_attempt_at=created,
        attempts=attempts,
    )


def weekdays(start: int, end: int) -> WeeklyHours:
    """Open on weekdays from `start` to `end` o'clock, closed at the weekend."""
    span = (TimeRange(dt.time(start), dt.time(end)),)
    return WeeklyHours({day: span if day not in ("sat", "sun") else () for day in WEEKDAYS})


NOON = at(BERLIN, 2025, 6, 11, 12, 0)  # a Wednesday


@pytest.mark.parametrize(
    ("counted", "minutes"),
    [(1, 2), (2, 5), (3, 10), (4, 10), (7, 10)],
)
def test_backoff_follows_the_policy_and_its_last_step_repeats(counted: int, minutes: int) -> None:
    """After counted attempt k the wait is backoff_minutes[k-1], then the last value again."""
    req = request(*(attempt(n, AttemptResult.NO_ANSWER) for n in range(1, counted + 1)))
    assert schedule.next_attempt_at(POLICY, req, NOON, BERLIN) == NOON + minutes * 60


def test_a_first_attempt_is_due_at_once() -> None:
    """A new request may be tried as soon as it is registered, outside quiet hours."""
    assert schedule.next_attempt_at(POLICY, request(), NOON, BERLIN) == NOON


def test_trunk_failures_back_off_over_their_own_run() -> None:
    """Failures on our side do not use up attempts, but a broken trunk is not hammered."""
    one = request(attempt(1, AttemptResult.NO_ANSWER), attempt(2, AttemptResult.CONGESTION))
    two = request(*one.attempts, attempt(3, AttemptResult.UNREACHABLE))
    assert one.counted_attempts == two.counted_attempts == 1
    assert schedule.next_attempt_at(POLICY, one, NOON, BERLIN) == NOON + 2 * 60
    assert schedule.next_attempt_at(POLICY, two, NOON, BERLIN) == NOON + 5 * 60


def test_an_attempt_that_was_never_dialled_is_retried_at_once() -> None:
    """Unknown outcome and no ActionID written: the Originate was never sent."""
    req = request(attempt(1, AttemptResult.UNKNOWN, action_id=""))
    assert schedule.next_attempt_at(POLICY, req, NOON, BERLIN) == NOON


@pytest.mark.parametrize(
    ("local", "quiet"),
    [((20, 59), False), ((21, 0), True), ((23, 30), True), ((0, 0), True), ((8, 59), True), ((9, 0), False)],
)
def test_quiet_hours_cross_midnight(local: tuple[int, int], quiet: bool) -> None:
    """21:00-09:00 in the hotline's time zone is quiet, both sides of midnight."""
    ts = at(MOSCOW, 2025, 6, 11, *local)
    assert schedule.is_quiet(ts, POLICY, MOSCOW) is quiet


def test_a_retry_falling_in_the_evening_is_deferred_to_the_next_morning() -> None:
    """20:58 plus 5 minutes is 21:03, quiet: the attempt moves to 09:00 the next day, never dropped."""
    req = request(attempt(1, AttemptResult.BUSY), attempt(2, AttemptResult.BUSY))
    evening = at(MOSCOW, 2025, 6, 11, 20, 58)
    assert schedule.next_attempt_at(POLICY, req, evening, MOSCOW) == at(MOSCOW, 2025, 6, 12, 9, 0)


def test_a_retry_falling_after_midnight_is_deferred_to_the_same_morning() -> None:
    """At 03:00 the quiet window ends at 09:00 the same day."""
    night = at(MOSCOW, 2025, 6, 12, 3, 0)
    assert schedule.out_of_quiet(night, POLICY, MOSCOW) == at(MOSCOW, 2025, 6, 12, 9, 0)


def test_quiet_night_is_ten_real_hours_when_the_clocks_go_forward() -> None:
    """Berlin, last Sunday of March: 22:00 CET to 09:00 CEST is 10 hours, and lands on 09:00 local."""
    evening = at(BERLIN, 2025, 3, 29, 22, 0)
    morning = schedule.out_of_quiet(evening, POLICY, BERLIN)
    assert wall(morning) == "2025-03-30 09:00 CEST"
    assert morning - evening == 10 * HOUR


def test_quiet_night_is_twelve_real_hours_when_the_clocks_go_back() -> None:
    """Berlin, last Sunday of October: 22:00 CEST to 09:00 CET is 12 hours, and lands on 09:00 local."""
    evening = at(BERLIN, 2025, 10, 25, 22, 0)
    morning = schedule.out_of_quiet(evening, POLICY, BERLIN)
    assert wall(morning) == "2025-10-26 09:00 CET"
    assert morning - evening == 12 * HOUR


def test_during_the_repeated_autumn_hour_it_stays_quiet() -> None:
    """02:30 happens twice on the October change; both are quiet and deferred to 09:00 CET."""
    first = at(BERLIN, 2025, 10, 26, 0, 30) + 2 * HOUR  # 02:30 CEST
    second = first + HOUR  # 02:30 CET
    for ts in (first, second):
        assert schedule.is_quiet(ts, POLICY, BERLIN)
        assert wall(schedule.out_of_quiet(ts, POLICY, BERLIN)) == "2025-10-26 09:00 CET"


def test_a_retry_across_the_spring_change_is_deferred_to_local_morning() -> None:
    """A retry computed on Saturday 20:58 (CET) is placed on Sunday 09:00 CEST."""
    req = request(attempt(1, AttemptResult.NO_ANSWER), attempt(2, AttemptResult.NO_ANSWER))
    evening = at(BERLIN, 2025, 3, 29, 20, 58)
    assert wall(schedule.next_attempt_at(POLICY, req, evening, BERLIN)) == "2025-03-30 09:00 CEST"


def test_a_quiet_end_inside_the_skipped_hour_is_read_after_the_skip() -> None:
    """Quiet until 02:30 on the night 02:00 jumps to 03:00: it ends at 03:30 CEST, never earlier."""
    policy = CallbackPolicy(quiet_hours=QuietHours(dt.time(1, 0), dt.time(2, 30)))
    night = at(BERLIN, 2025, 3, 30, 1, 30)
    end = schedule.out_of_quiet(night, policy, BERLIN)
    assert wall(end) == "2025-03-30 03:30 CEST"
    assert not schedule.is_quiet(end, policy, BERLIN)


def test_a_closed_hours_request_is_due_at_the_next_opening() -> None:
    """Left on Friday evening, due on Monday at the opening, and tried first then."""
    hours = weekdays(9, 18)
    friday = at(BERLIN, 2025, 6, 13, 19, 0)
    due = schedule.due_at(friday, 10, Source.CLOSED, policy=POLICY, tz=BERLIN, hours=hours)
    assert wall(due) == "2025-06-16 09:00 CEST"
    req = Request("r", "79161234567", "heating", Source.CLOSED, "", friday, due, friday)
    assert schedule.next_attempt_at(POLICY, req, friday, BERLIN, hours) == due


def test_a_closed_hours_request_waits_for_the_end_of_quiet_hours_after_an_early_opening() -> None:
    """The hotline opens at 08:00 but callbacks start at 09:00: due at 09:00."""
    early = at(BERLIN, 2025, 6, 11, 6, 0)
    due = schedule.due_at(early, 10, Source.CLOSED, policy=POLICY, tz=BERLIN, hours=weekdays(8, 18))
    assert wall(due) == "2025-06-11 09:00 CEST"


def test_other_sources_are_due_after_the_groups_sla() -> None:
    """Registered + SLA minutes, opening hours or not."""
    due = schedule.due_at(NOON, 15, Source.ABANDONED, policy=POLICY, tz=BERLIN, hours=weekdays(9, 18))
    assert due == NOON + 15 * 60


def test_with_opening_hours_a_retry_after_closing_waits_for_the_next_opening() -> None:
    """17:59 plus 2 minutes is after closing: the next attempt is at 09:00 the next working day."""
    req = request(attempt(1, AttemptResult.NO_ANSWER))
    before_closing = at(BERLIN, 2025, 6, 11, 17, 59)
    nxt = schedule.next_attempt_at(POLICY, req, before_closing, BERLIN, weekdays(9, 18))
    assert wall(nxt) == "2025-06-12 09:00 CEST"


def test_deadline_slack_is_negative_when_late() -> None:
    """Slack is the time left until the due time."""
    req = request(created=NOON)
    assert schedule.deadline_slack(req, NOON + 60) == 540
    assert schedule.deadline_slack(req, NOON + 660) == -60


def test_the_local_day_ends_at_local_midnight_across_a_dst_change() -> None:
    """The day of the October change is 25 hours long."""
    day, next_day = schedule.local_day(at(BERLIN, 2025, 10, 26, 12, 0), BERLIN)
    assert day == "2025-10-26"
    assert next_day - at(BERLIN, 2025, 10, 26, 0, 0) == 25 * HOUR
