"""What a waiting caller hears at their next announcement: pure, decided from their estimate.

- `estimate`: "Your position in the queue: N. Expected wait: about M minutes."
- `callback`: the estimate is poor (nobody staffed, too few recent calls to know the handling time) or
  longer than `routing.max_estimate`: "Your position: N. We will call you back within S minutes (the
  group's callback SLA): press <queue_key>." Offered only when the queue has a callback key.
- `position`: the estimate cannot be given and no callback can be asked for from the queue: the
  position alone, never a number we do not believe.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final, Literal

from hotline.plural import PluralForm, plural_form
from router.estimate import CallerEstimate

Kind = Literal["estimate", "callback", "position"]

# Seconds kept clear around Asterisk's own periodic callback offer: the offer plays at the caller's join
# + k * queue_offer_every (queues.conf relative-periodic-announce=no); an announcement (about 8 s) does not
# start within GUARD s after one (while it plays) nor within GUARD s before the next one.
GUARD: Final = 12


@dataclass(frozen=True, slots=True)
class Announcement:
    kind: Kind
    position: int
    minutes: int  # the estimate (estimate) or the callback SLA (callback); 0 for position
    form: PluralForm  # the plural form of `minutes` in the caller's language
    key: str = ""  # the callback key in the queue (callback)


def minutes_of(seconds: int) -> int:
    """Whole minutes, rounded up, never 0: "about 0 minutes" is not something to tell a waiting caller."""
    return max(1, math.ceil(seconds / 60))


def choose(
    estimate: CallerEstimate, *, max_estimate: int, queue_key: str | None, sla_minutes: int, language: str
) -> Announcement:
    """The announcement for a caller with `estimate`, in `language` (for the plural form)."""
    if not estimate.poor and estimate.seconds is not None and estimate.seconds <= max_estimate:
        minutes = minutes_of(estimate.seconds)
        return Announcement("estimate", estimate.position, minutes, plural_form(minutes, language))
    if queue_key:
        return Announcement(
            "callback", estimate.position, sla_minutes, plural_form(sla_minutes, language), queue_key
        )
    return Announcement("position", estimate.position, 0, plural_form(0, language))


def clear_of_offer(waited: int, offer_every: int, guard: int = GUARD) -> bool:
    """Whether an announcement may start after `waited` s in the queue without overlapping Asterisk's
    periodic offer (every `offer_every` s from the join; 0: there is none). An interval too short to
    leave room on both sides never blocks the announcements: they would never be heard otherwise."""
    if offer_every <= 0 or offer_every <= 2 * guard:
        return True
    since_offer = waited % offer_every
    return waited < offer_every - guard or guard <= since_offer <= offer_every - guard
