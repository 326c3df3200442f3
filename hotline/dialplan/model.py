"""The admins' dialplan as typed, immutable objects. Parsing lives in `hotline.dialplan.parse`.

Everything here is already validated: references resolve, times are times, keys are DTMF keys.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

from hotline import plural

DTMF_KEYS = "0123456789*#"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
CallbackOrder = Literal["operator_first", "citizen_first"]  # whose phone rings first on a callback
CALLBACK_ORDERS: tuple[CallbackOrder, ...] = ("operator_first", "citizen_first")


@dataclass(frozen=True, slots=True)
class Span:
    """Where a value came from, for messages to admins (1-based line and column)."""

    file: str
    line: int
    column: int


@dataclass(frozen=True, slots=True)
class TimeRange:
    start: dt.time
    end: dt.time  # exclusive; end > start (no ranges across midnight in one day's entry)

    def contains(self, t: dt.time) -> bool:
        return self.start <= t < self.end


@dataclass(frozen=True, slots=True)
class WeeklyHours:
    """Opening hours per weekday; a day with no ranges is closed."""

    days: dict[str, tuple[TimeRange, ...]]  # keys: WEEKDAYS, every one present

    def is_open(self, local: dt.datetime) -> bool:
        day = WEEKDAYS[local.weekday()]
        t = local.time()
        return any(r.contains(t) for r in self.days.get(day, ()))

    def day_ranges(self, day: dt.date) -> tuple[TimeRange, ...]:
        """The hours of that date's weekday (no production calendar: `hotline.dialplan.calendar`)."""
        return self.days.get(WEEKDAYS[day.weekday()], ())


@dataclass(frozen=True, slots=True)
class Calendar:
    """The production calendar of the whole line (section `calendar`): dates that differ from the week.

    Holidays are closed; a working day (usually a weekend day worked instead of a day off) has the hours
    of the weekday it names; a short day (before a holiday) closes `short_by_minutes` earlier.
    `hotline.dialplan.calendar.Schedule` applies it to weekly hours.
    """

    holidays: frozenset[dt.date] = frozenset()
    working_days: dict[dt.date, str] = field(default_factory=dict)  # date -> weekday (WEEKDAYS) it works as
    short_days: frozenset[dt.date] = frozenset()
    short_by_minutes: int = 60
    spans: dict[dt.date, Span] = field(default_factory=dict, compare=False)  # where each date is written


@dataclass(frozen=True, slots=True)
class Prompt:
    """A voice prompt: its text per language (used to synthesize it when no recording exists)."""

    id: str
    texts: dict[str, str]  # language -> text
    span: Span | None = None


@dataclass(frozen=True, slots=True)
class SkillGroup:
    """A skill group of operators; one Asterisk queue each."""

    id: str  # also the Asterisk queue name (lowercase letters, digits, '_' and '-')
    title: str  # for people: logs, the demo, the supervisor
    strategy: str = "rrmemory"  # an Asterisk queue strategy
    ring_timeout: int = 15  # seconds one operator's phone rings before the next is tried
    wrapup: int = 5  # seconds after a call before the operator is rung again
    max_wait: int = 0  # seconds a caller may wait in the queue before leaving it (0 = no limit)
    callback_sla_minutes: int | None = None  # None: the callback policy's sla_minutes
    callback_order: Literal["operator_first", "citizen_first"] | None = None  # None: the policy's order
    hours: WeeklyHours | None = None  # None: the line's hours; the line's calendar applies either way
    closed_prompt: str | None = None  # played to a caller who chooses the group while it is closed
    # Routing (issue "operators and skill-based routing"):
    code: str = ""  # digits an operator dials after the login/logout code for this group alone; "" none
    widen_after: tuple[int, ...] = ()  # seconds waited after which level 2, 3... ring too; (): all at once
    missed_rings: int = 2  # rings not answered in a row before the operator is paused "missed"; 0 never
    reject_pause: int = 30  # seconds an operator who rejected a call is not rung; 0: rung again at once
    span: Span | None = None


@dataclass(frozen=True, slots=True)
class Operator:
    id: str  # PJSIP endpoint name, e.g. "op101"
    name: str
    extension: str  # digits
    skills: dict[str, int]  # skill group id -> level 1 (best) .. 5
    span: Span | None = None


@dataclass(frozen=True, slots=True)
class Action:
    """What happens after a key: go to a menu, queue for a group, ask for a callback from a group, or
    play a prompt and hang up.

    Exactly one of `menu`, `queue`, `callback`, `hangup` is set (`kind` says which). `prompt` is played
    first when given (for `hangup` the prompt *is* the farewell and is always set).
    """

    kind: Literal["menu", "queue", "callback", "hangup"]
    target: str  # menu id, skill group id (queue, callback), or the farewell prompt id
    prompt: str | None = None
    span: Span | None = None


@dataclass(frozen=True, slots=True)
class Menu:
    id: str
    prompt: str
    options: dict[str, Action]  # DTMF key -> action
    timeout: int  # seconds to wait for a key after the prompt
    retries: int  # wrong or missing keys allowed before on_failure
    repeat_key: str | None  # key that replays the menu (does not count as a retry)
    invalid_prompt: str
    timeout_prompt: str
    on_failure: Action
    span: Span | None = None

    @property
    def keys(self) -> str:
        """Every key that means something in this menu (for STREAM FILE's escape digits)."""
        keys = "".join(k for k in DTMF_KEYS if k in self.options)
        if self.repeat_key and self.repeat_key not in keys:
            keys += self.repeat_key
        return keys


@dataclass(frozen=True, slots=True)
class NumberRules:
    """How a citizen's number is normalised and which numbers are refused (Russian formats by default).

    Normalised numbers are digits only, country code first: 8 916 123-45-67, +7 (916) 123-45-67 and
    9161234567 all become 79161234567.
    """

    country_code: str = "7"
    trunk_prefix: str = "8"  # 8XXXXXXXXXX is the national form of 7XXXXXXXXXX
    national_length: int = 10  # digits after the country code
    allowed: str = r"7[3489]\d{9}"  # a full match on the normalised number: geographic and mobile
    # free and premium-rate (8-800, 8-803, 8-804, 8-809); +7 840 and +7 940 are charged as international
    refused_prefixes: tuple[str, ...] = ("7800", "7803", "7804", "7809", "7840", "7940")


@dataclass(frozen=True, slots=True)
class QuietHours:
    """No callback is placed from `start` to `end` in the citizen's (the hotline's) local time; the
    range may cross midnight (21:00-09:00)."""

    start: dt.time
    end: dt.time

    def contains(self, t: dt.time) -> bool:
        if self.start <= self.end:
            return self.start <= t < self.end
        return t >= self.start or t < self.end


@dataclass(frozen=True, slots=True)
class CallbackPolicy:
    """The promise to citizens whom we could not answer at once: called back within `sla_minutes`."""

    sla_minutes: int = 10
    max_attempts: int = 3
    backoff_minutes: tuple[int, ...] = (2, 5, 10)  # before attempt 2, 3, ... (the last value repeats)
    min_talk_seconds: int = 10  # an attempt succeeds when the citizen answered and talked this long
    quiet_hours: QuietHours = field(default_factory=lambda: QuietHours(dt.time(21), dt.time(9)))
    order: Literal["operator_first", "citizen_first"] = "operator_first"
    queue_key: str | None = "1"  # the key a waiting caller presses to be called back; None: not offered
    queue_offer_every: int = 45  # seconds between the in-queue offers
    offer_over_wait: int = 180  # estimated wait (s) over which the IVR offers a callback before queueing
    abandoned_after: int = 30  # a caller who waited this long (s) and hung up is called back unasked
    attempts_per_number_per_day: int = 6
    requests_per_caller_per_hour: int = 5
    requests_per_minute: int = 120  # all callers together
    numbers: NumberRules = field(default_factory=NumberRules)


@dataclass(frozen=True, slots=True)
class LanguageKey:
    """A key that switches the call to another language (`entry.language_keys`)."""

    language: str  # one of hotline.languages
    span: Span | None = None


@dataclass(frozen=True, slots=True)
class Entry:
    """How a call starts: greeting, then the first menu; the closed prompt outside business hours."""

    greeting: str | None
    menu: str
    closed: Action  # what happens outside business hours (usually hangup with a prompt)
    transfer_prompt: str | None = None  # played just before the caller is queued
    # DTMF key -> language: pressed during the greeting or in the first menu, it switches the call
    language_keys: dict[str, LanguageKey] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Hotline:
    name: str
    number: str
    timezone: str  # IANA name, e.g. Europe/Moscow
    language: str  # default language
    languages: tuple[str, ...]
    capacity: int  # lines
    general_group: str  # where failures and the engine's fallback send callers
    fallback_prompt: str  # played by Asterisk itself when the engine is down, before the general queue


@dataclass(frozen=True, slots=True)
class EmergencyPolicy:
    """The optional `emergency` section: the operators' feature code that turns emergency mode on and
    off (with a PIN), how long an announcement recorded on a phone lasts, who calls back those who ask."""

    feature_code: str = "*77"
    default_hours: int = 4
    callback_group: str | None = None  # None: hotline.general_group


PAUSE_MISSED: str = "missed"  # the reason of an operator paused after missed_rings unanswered rings
PAUSE_REJECTED: str = "rejected"  # the reason of an operator who rejected a call, for reject_pause s
PAUSE_WRAPUP: str = "wrapup"  # the reason of an operator who asked for more wrap-up time
PAUSE_LOGGED_OUT: str = "logged-out"  # the reason in a queue the operator is logged out of


@dataclass(frozen=True, slots=True)
class PhonePolicy:
    """The optional `phones` section: the feature codes operators dial on their SIP phones, each
    confirmed by a short prompt, and the pause reasons they can give (the key after the pause code)."""

    login: str = "*21"  # alone: every group of the operator; + a group's code: that group
    logout: str = "*22"  # alone: every group; + a group's code: that group
    pause: str = "*23"  # + a reason's key (*231: break); alone: the first reason
    resume: str = "*24"
    wrapup: str = "*25"  # more wrap-up time: paused `wrapup_extend` seconds, then back by itself
    wrapup_extend: int = 60
    pause_reasons: dict[str, str] = field(
        default_factory=lambda: {"1": "break", "2": "lunch", "3": "paperwork", "4": "training"}
    )  # DTMF key -> reason id (the reason Asterisk and `hotline status` show; prompt pause_<id>)
    start_logged_in: bool = True  # an operator never seen before starts logged in to every group


@dataclass(frozen=True, slots=True)
class RoutingPolicy:
    """The optional `routing` section: who goes first, and what waiting callers hear.

    Priorities are Asterisk queue priorities: higher is served first, ordinary callers have 0. A
    repeat is a caller whose number (as shown: display only, never proof of anything) already reached
    the same group earlier the same day.
    """

    callback_priority: int = 0  # a callback request ahead of live callers of lower priority
    repeat_priority: int = 1  # a caller of the same group earlier today
    announce_every: int = 60  # seconds between a waiting caller's position + estimate; 0: never
    handle_window_minutes: int = 60  # average handling time over the calls ended in this window
    min_samples: int = 3  # fewer calls in the window: the estimate is poor (the callback offer instead)
    max_estimate: int = 900  # an estimate over this (s): the callback offer instead


DialFormat = Literal["e164", "plus", "national"]
DIAL_FORMATS: tuple[DialFormat, ...] = ("e164", "plus", "national")
CODECS = ("ulaw", "alaw", "g722")  # what the hotline's Asterisk offers and accepts


@dataclass(frozen=True, slots=True)
class Trunk:
    """The optional `trunk` section: the SIP provider that brings citizens' calls and takes callbacks.

    Without it, the sandbox's carrier: whatever sends from HOTLINE_CARRIER_ADDRESS, no registration, no
    authentication. `allow_from` is the provider's signalling addresses or networks, the only sources
    whose INVITEs reach the hotline (recognised by address alone); the password of `username` is given
    once with `hotline trunk password`, never written in the YAML.
    """

    provider: str  # host name or address where registrations and callbacks go
    port: int = 5060
    username: str = ""  # "": the provider authenticates by address, nothing is registered
    register: bool = False  # outbound registration: the provider sends calls to where we registered
    allow_from: tuple[str, ...] = ()  # addresses or networks (CIDR); () means the provider's address
    dids: tuple[str, ...] = ()  # the numbers the provider sends calls to; () means hotline.number
    dial_format: DialFormat = "e164"  # how a callback's number is written to the provider
    caller_id: str = ""  # the number callbacks show; "" means hotline.number
    codecs: tuple[str, ...] = CODECS

    @property
    def sources(self) -> tuple[str, ...]:
        return self.allow_from or (self.provider,)

    @property
    def host(self) -> str:
        """The provider as it stands in a SIP URI (an IPv6 address in brackets)."""
        return f"[{self.provider}]" if ":" in self.provider else self.provider


@dataclass(frozen=True, slots=True)
class Dialplan:
    hotline: Hotline
    hours: WeeklyHours
    prompts: dict[str, Prompt]
    skill_groups: dict[str, SkillGroup]
    operators: dict[str, Operator]
    menus: dict[str, Menu]
    entry: Entry
    callbacks: CallbackPolicy = field(default_factory=CallbackPolicy)
    calendar: Calendar = field(default_factory=Calendar)
    emergency: EmergencyPolicy | None = None  # None: no `emergency` section, emergency mode is off
    phones: PhonePolicy = field(default_factory=PhonePolicy)
    routing: RoutingPolicy = field(default_factory=RoutingPolicy)
    trunk: Trunk | None = None  # None: the sandbox's carrier (HOTLINE_CARRIER_ADDRESS)
    source_files: tuple[str, ...] = field(default=())
    version: int = 0  # the applied version (`hotline.versions`); 0 until one is recorded

    @property
    def dial_format(self) -> DialFormat:
        """How callbacks' numbers are written to the provider (the sandbox's carrier: e164)."""
        return self.trunk.dial_format if self.trunk else "e164"

    def operators_of(self, group: str) -> list[Operator]:
        return [op for op in self.operators.values() if group in op.skills]

    def callback_sla_minutes(self, group: str) -> int:
        return self.skill_groups[group].callback_sla_minutes or self.callbacks.sla_minutes

    def callback_order(self, group: str) -> Literal["operator_first", "citizen_first"]:
        return self.skill_groups[group].callback_order or self.callbacks.order

    def plural_form(self, n: int) -> plural.PluralForm:
        """The plural form of the count `n` in the hotline's language: which `<stem>_<form>` prompt
        follows the number (`hotline.plural`)."""
        return plural.plural_form(n, self.hotline.language)
