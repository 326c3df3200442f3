"""Failed attempts on the SIP edge, counted from Asterisk's security events, and an alarm on a flood.

Asterisk reports every request it refuses as an AMI event of the `security` class: an unknown account
(`InvalidAccountID`, also what a From header naming a trunk from the wrong address gets), a wrong digest
(`ChallengeResponseFailed`), a wrong password, an address an ACL refused... The watch counts them per
source address over a sliding window; `threshold` of them within `window` seconds raise an alarm, logged
once per address and window as `security.alarm` (warning) for the supervisor's log watcher. Banning the
address is the firewall's job (Debian's fail2ban reading Asterisk's security log, docs/security.md):
the engine only sees and tells.

The account a request named is logged masked: an attacker's "account" may be a citizen's number.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

from hotline.log import get_logger
from hotline.redact import mask

log = get_logger("router.security")

EVENTS: Final = (
    "InvalidAccountID",
    "ChallengeResponseFailed",
    "InvalidPassword",
    "FailedACL",
    "RequestNotAllowed",
    "AuthMethodNotAllowed",
    "RequestBadFormat",
    "UnexpectedAddress",
    "InvalidTransport",
)
TRACKED: Final = 1000  # addresses kept beyond their window only while fewer are tracked
ALARMS_KEPT: Final = 100  # the latest alarms (each is also in the log)


def source_address(remote: str) -> str:
    """The IP address of a security event's `RemoteAddress` ("IPV4/UDP/203.0.113.5/5060")."""
    parts = remote.split("/")
    return parts[2] if len(parts) >= 4 else remote or "unknown"


@dataclass(frozen=True, slots=True)
class Alarm:
    address: str
    failures: int
    window: float
    at: float


class SecurityWatch:
    def __init__(
        self, *, threshold: int = 20, window: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if threshold < 1 or window <= 0:
            raise ValueError("a security alarm needs a threshold of 1 or more and a window above 0")
        self.threshold = threshold
        self.window = window
        self.clock = clock
        self._seen: dict[str, deque[float]] = {}
        self._alarmed: dict[str, float] = {}  # address -> when its last alarm was raised
        self.alarms: list[Alarm] = []  # the latest ALARMS_KEPT
        self.total: dict[str, int] = {}  # address -> failures seen while it is tracked (`_forget_quiet`)

    def on_event(self, event: Mapping[str, str]) -> None:
        name = event.get("Event", "")
        if name not in EVENTS:
            return
        now = self.clock()
        address = source_address(event.get("RemoteAddress", ""))
        self.total[address] = self.total.get(address, 0) + 1
        times = self._seen.setdefault(address, deque())
        times.append(now)
        while times and times[0] <= now - self.window:
            times.popleft()
        log.info(
            "security.event",
            kind=name,
            service=event.get("Service", ""),
            address=address,
            account=mask(event.get("AccountID", "")),
        )
        last = self._alarmed.get(address)
        if len(times) >= self.threshold and (last is None or now - last >= self.window):
            self._alarmed[address] = now
            alarm = Alarm(address, len(times), self.window, now)
            self.alarms.append(alarm)
            del self.alarms[:-ALARMS_KEPT]
            log.warning(
                "security.alarm",
                address=address,
                failures=len(times),
                window_s=self.window,
                hint="a brute force or a scan: check the firewall (fail2ban's asterisk jail bans it)",
            )
        self._forget_quiet(now)

    def _forget_quiet(self, now: float) -> None:
        """Beyond TRACKED addresses, forget those with nothing in the window (their times, totals and
        last alarms), so that a scan from many addresses cannot grow memory without end."""
        if len(self._seen) < TRACKED:
            return
        for address in [a for a, t in self._seen.items() if not t or t[-1] <= now - self.window]:
            del self._seen[address]
            self.total.pop(address, None)
            self._alarmed.pop(address, None)
