"""The optional `callbacks` section: the promise to callers we could not answer at once.

Every key is optional and takes the `CallbackPolicy` default when absent; without the section, the whole
policy is the default one. What one key says about another (an in-queue key while no in-queue offer is
made) is checked here; what needs other sections (quiet hours against business hours, the prompts the
callback engine plays) is `validate`'s.
"""

from __future__ import annotations

from hotline.dialplan.draft import SectionReader
from hotline.dialplan.hours import HoursError, parse_quiet_hours
from hotline.dialplan.model import CallbackPolicy, NumberRules, QuietHours
from hotline.dialplan.strictyaml import Mapping, Node

CALLBACK_SETTINGS = (
    "sla_minutes",
    "max_attempts",
    "backoff_minutes",
    "min_talk_seconds",
    "quiet_hours",
    "order",
    "offer_in_queue",
    "queue_key",
    "queue_offer_every",
    "offer_over_wait",
    "abandoned_after",
    "limits",
    "numbers",
)
LIMIT_SETTINGS = ("attempts_per_number_per_day", "requests_per_caller_per_hour", "requests_per_minute")
NUMBER_SETTINGS = ("country_code", "trunk_prefix", "national_length", "allowed", "refused_prefixes")
IN_QUEUE_ONLY = ("queue_key", "queue_offer_every")  # meaningless when offer_in_queue is false
MAX_BACKOFF_STEPS = 10
MAX_PREFIX_DIGITS = 15  # a normalised number: country code (up to 3) + national number (up to 12)


def read_callbacks(r: SectionReader, node: Node) -> None:
    """Read `callbacks` into `r.d.callbacks` (None when something in it is wrong, which is reported)."""
    _CallbacksReader(r.f, r.d).read(node)


class _CallbacksReader(SectionReader):
    def read(self, node: Node) -> None:
        self.d.callbacks = None
        path = "callbacks"
        if (m := self.f.mapping(node, path)) is None:
            return
        self.f.keys(m, path, (), CALLBACK_SETTINGS)
        base = CallbackPolicy()
        sla = self.number(m, "sla_minutes", path, 1, 240, default=base.sla_minutes)
        attempts = self.number(m, "max_attempts", path, 1, 10, default=base.max_attempts)
        backoff = self.given(m, "backoff_minutes", path, self.backoff, base.backoff_minutes)
        talk = self.number(m, "min_talk_seconds", path, 0, 600, default=base.min_talk_seconds)
        quiet = self.given(m, "quiet_hours", path, self.quiet_hours, base.quiet_hours)
        order = self.given(m, "order", path, self.callback_order, base.order)
        offer = self.given(m, "offer_in_queue", path, self.f.boolean, True)
        key_ok, queue_key = self.queue_key(m, path, offer, base.queue_key)
        every = (  # without an in-queue offer, a queue_offer_every is refused by queue_key() already
            base.queue_offer_every
            if offer is False
            else self.number(m, "queue_offer_every", path, 10, 600, default=base.queue_offer_every)
        )
        over_wait = self.number(m, "offer_over_wait", path, 0, 3600, default=base.offer_over_wait)
        abandoned = self.number(m, "abandoned_after", path, 0, 3600, default=base.abandoned_after)
        base_limits = (
            base.attempts_per_number_per_day,
            base.requests_per_caller_per_hour,
            base.requests_per_minute,
        )
        limits = self.given(m, "limits", path, self.limits, base_limits)
        numbers = self.given(m, "numbers", path, self.numbers, base.numbers)
        if (
            sla is None
            or attempts is None
            or backoff is None
            or talk is None
            or quiet is None
            or order is None
            or offer is None
            or not key_ok
            or every is None
            or over_wait is None
            or abandoned is None
            or limits is None
            or numbers is None
        ):
            return
        per_number, per_caller, per_minute = limits
        self.d.callbacks = CallbackPolicy(
            sla_minutes=sla,
            max_attempts=attempts,
            backoff_minutes=backoff,
            min_talk_seconds=talk,
            quiet_hours=quiet,
            order=order,
            queue_key=queue_key,
            queue_offer_every=every,
            offer_over_wait=over_wait,
            abandoned_after=abandoned,
            attempts_per_number_per_day=per_number,
            requests_per_caller_per_hour=per_caller,
            requests_per_minute=per_minute,
            numbers=numbers,
        )

    def queue_key(
        self, m: Mapping, path: str, offer: bool | None, default: str | None
    ) -> tuple[bool, str | None]:
        """(read well, the key): None when no in-queue offer is made. The settings of the in-queue offer
        are refused when `offer_in_queue: false` says that there is none: they would do nothing."""
        if offer is False:
            given = [k for k in IN_QUEUE_ONLY if m.get(k) is not None]
            for name in given:
                where = m.key_of(name)
                assert where is not None
                self.f.problem(
                    where.span,
                    f"{path}.{name}: no use while offer_in_queue is false (no in-queue offer is made)",
                    "remove this line, or set offer_in_queue: true",
                )
            return not given, None
        node = m.get("queue_key")
        if node is None:
            return True, default
        key = self.f.dtmf(node, f"{path}.queue_key")
        return key is not None, key

    def backoff(self, node: Node, path: str) -> tuple[int, ...] | None:
        if (s := self.f.sequence(node, path)) is None:
            return None
        if not s.items or len(s.items) > MAX_BACKOFF_STEPS:
            found = "the list is empty" if not s.items else f"the list has {len(s.items)} items"
            self.f.problem(
                s.span,
                f"{path}: {found}",
                f"list 1 to {MAX_BACKOFF_STEPS} waits in minutes, such as [2, 5, 10] (the last one repeats)",
            )
            return None
        steps = [self.f.integer(item, path, 1, 1440) for item in s.items]
        good = [step for step in steps if step is not None]
        return tuple(good) if len(good) == len(steps) else None

    def quiet_hours(self, node: Node, path: str) -> QuietHours | None:
        if (s := self.f.scalar(node, path)) is None:
            return None
        self.d.quiet_hours_span = s.span
        try:
            return parse_quiet_hours(s.text)
        except HoursError as e:
            self.f.problem(
                s.span,
                f"{path}: {e}",
                'write one range "HH:MM-HH:MM", such as "21:00-09:00" (it may cross midnight)',
            )
            return None

    def limits(self, node: Node, path: str) -> tuple[int, int, int] | None:
        """Attempts per number per day, requests per caller per hour, requests per minute."""
        if (m := self.f.mapping(node, path)) is None:
            return None
        self.f.keys(m, path, (), LIMIT_SETTINGS)
        base = CallbackPolicy()
        per_number = self.number(
            m, "attempts_per_number_per_day", path, 1, 50, default=base.attempts_per_number_per_day
        )
        per_caller = self.number(
            m, "requests_per_caller_per_hour", path, 1, 100, default=base.requests_per_caller_per_hour
        )
        per_minute = self.number(m, "requests_per_minute", path, 1, 10000, default=base.requests_per_minute)
        if per_number is None or per_caller is None or per_minute is None:
            return None
        return per_number, per_caller, per_minute

    def numbers(self, node: Node, path: str) -> NumberRules | None:
        if (m := self.f.mapping(node, path)) is None:
            return None
        self.f.keys(m, path, (), NUMBER_SETTINGS)
        base = NumberRules()
        country = self.given(
            m, "country_code", path, lambda n, p: self.f.digits(n, p, 1, 3), base.country_code
        )
        trunk = self.given(m, "trunk_prefix", path, lambda n, p: self.f.digits(n, p, 0, 2), base.trunk_prefix)
        length = self.number(m, "national_length", path, 6, 12, default=base.national_length)
        allowed = self.given(m, "allowed", path, self.f.regex, base.allowed)
        refused = self.given(m, "refused_prefixes", path, self.prefixes, base.refused_prefixes)
        if country is None or trunk is None or length is None or allowed is None or refused is None:
            return None
        return NumberRules(country, trunk, length, allowed, refused)

    def prefixes(self, node: Node, path: str) -> tuple[str, ...] | None:
        if (s := self.f.sequence(node, path)) is None:
            return None
        prefixes: list[str] = []
        ok = True
        for item in s.items:
            prefix = self.f.digits(item, path, 1, MAX_PREFIX_DIGITS)
            if prefix is None:
                ok = False
            elif prefix in prefixes:
                self.f.problem(item.span, f"{path}: '{prefix}' is listed twice", "list each prefix once")
                ok = False
            else:
                prefixes.append(prefix)
        return tuple(prefixes) if ok else None
