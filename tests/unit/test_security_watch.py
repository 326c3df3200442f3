"""Counting refused SIP requests per source address and raising one alarm per flood."""

from __future__ import annotations

from structlog.testing import capture_logs

from router.security_watch import ALARMS_KEPT, TRACKED, SecurityWatch, source_address


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def refused(address: str, event: str = "ChallengeResponseFailed", account: str = "op101") -> dict[str, str]:
    return {
        "Event": event,
        "Service": "PJSIP",
        "AccountID": account,
        "RemoteAddress": f"IPV4/UDP/{address}/5061",
    }


def test_the_source_address_is_read_from_asterisks_remote_address() -> None:
    """IPV4/UDP/203.0.113.5/5060 is 203.0.113.5; IPv6 too; an empty one is 'unknown'."""
    assert source_address("IPV4/UDP/203.0.113.5/5060") == "203.0.113.5"
    assert source_address("IPV6/UDP/2001:db8::1/5060") == "2001:db8::1"
    assert source_address("") == "unknown"


def test_the_threshold_within_the_window_raises_one_alarm_for_that_address() -> None:
    """20 failures in a minute from one address: one alarm (warning), the 21st adds none."""
    clock = Clock()
    watch = SecurityWatch(threshold=20, window=60, clock=clock)
    with capture_logs() as logs:
        for _ in range(21):
            watch.on_event(refused("203.0.113.5"))
            clock.now += 1
    assert [(a.address, a.failures) for a in watch.alarms] == [("203.0.113.5", 20)]
    assert [e["log_level"] for e in logs if e["event"] == "security.alarm"] == ["warning"]


def test_failures_spread_beyond_the_window_raise_nothing() -> None:
    """One failure every 4 s is 15 a minute: under 20, however long it goes on."""
    clock = Clock()
    watch = SecurityWatch(threshold=20, window=60, clock=clock)
    for _ in range(100):
        watch.on_event(refused("203.0.113.5"))
        clock.now += 4
    assert watch.alarms == []
    assert watch.total == {"203.0.113.5": 100}


def test_each_address_is_counted_apart() -> None:
    """Ten failures from each of two addresses are not twenty from one."""
    watch = SecurityWatch(threshold=20, window=60, clock=Clock())
    for _ in range(10):
        watch.on_event(refused("203.0.113.5"))
        watch.on_event(refused("198.51.100.7", event="InvalidAccountID", account="carrier"))
    assert watch.alarms == []


def test_a_flood_that_goes_on_alarms_again_after_a_window() -> None:
    """Still failing a minute after the first alarm: a second one, so the log shows it goes on."""
    clock = Clock()
    watch = SecurityWatch(threshold=5, window=60, clock=clock)
    for _ in range(130):
        watch.on_event(refused("203.0.113.5"))
        clock.now += 1
    assert len(watch.alarms) == 3


def test_other_events_are_not_failures_and_accounts_are_masked_in_the_log() -> None:
    """A successful login is not counted; the account a request named (maybe a number) is masked."""
    watch = SecurityWatch(clock=Clock())
    with capture_logs() as logs:
        watch.on_event({"Event": "SuccessfulAuth", "RemoteAddress": "IPV4/UDP/203.0.113.5/5061"})
        watch.on_event(refused("203.0.113.5", event="InvalidAccountID", account="79161234567"))
    assert watch.total == {"203.0.113.5": 1}
    assert "79161234567" not in str(logs)


def test_a_scan_from_many_addresses_leaves_a_bounded_memory() -> None:
    """5,000 addresses failing twice each, one a second, a flood alarming every window: what the watch keeps
    stays bounded (the addresses of the last window, the latest alarms)."""
    clock = Clock()
    watch = SecurityWatch(threshold=2, window=60, clock=clock)
    for n in range(5_000):
        address = f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"
        watch.on_event(refused(address))
        watch.on_event(refused(address))
        clock.now += 1
    assert len(watch.total) <= TRACKED
    assert len(watch._alarmed) <= TRACKED
    assert len(watch.alarms) == ALARMS_KEPT
    assert watch.alarms[-1].address == "10.0.19.135"
