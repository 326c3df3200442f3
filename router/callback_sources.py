"""Callback requests that come from what Asterisk reports, not from what the caller pressed.

- A caller who hung up after waiting at least `abandoned_after` seconds in a queue is called back
  without having asked (QueueCallerAbandon).
- A citizen who gets through to an operator of a group (AgentConnect) no longer needs the callback they
  asked for in that group: their open request is cancelled.
- A citizen who asked for a callback during their call is not called before that call has ended
  (Hangup of their channel, then a short grace): the first attempt would find their line busy.
The number is the caller ID, normalised, and only when the carrier asserts that same number
(P-Asserted-Identity, `hotline.callbacks.identity`): a spoofed caller ID neither gets a stranger called
back unasked nor cancels a stranger's request. A hidden, foreign or unasserted one is skipped (logged).
"""

from __future__ import annotations

from collections.abc import Callable

from hotline import constants as c
from hotline.callbacks.identity import asserted_number
from hotline.callbacks.model import Registrar, Source
from hotline.callbacks.numbers import normalise
from hotline.callbacks.store import CallbackStore
from hotline.dialplan.model import Dialplan
from hotline.errors import CallbackRefused, NumberRefused
from hotline.log import get_logger
from hotline.redact import mask
from hotline.render.trunk import CARRIER_IN
from router.ami_wire import Message, channel_variable

log = get_logger("router.callback_sources")

CITIZENS_CALLS = f"PJSIP/{CARRIER_IN}"  # citizens' own calls arrive on this endpoint ("<it>-<seq>")

EVENTS = ("QueueCallerAbandon", "AgentConnect", "Hangup")  # one subscription: in wire order


class CallbackSources:
    def __init__(
        self,
        store: CallbackStore,
        dialplan: Callable[[], Dialplan],
        register: Registrar,
        *,
        wake: Callable[[], None] = lambda: None,
    ) -> None:
        self.store = store
        self._dialplan = dialplan
        self._register = register
        self._wake = wake  # the dispatcher: a request may be dialled sooner than it planned

    async def on_event(self, event: Message) -> None:
        if event.get("Event", "") == "Hangup":
            # only a citizen's own call can hold a request: operators' and callbacks' channels, the bulk
            # of the hangups at a peak, cost Redis nothing
            citizens = event.get("Channel", "").rpartition("-")[0] == CITIZENS_CALLS
            if citizens and await self.store.call_ended(event.get("Uniqueid", "")) is not None:
                self._wake()
            return
        group = c.group_of_queue(event.get("Queue", ""))
        dialplan = self._dialplan()
        if group is None or group not in dialplan.skill_groups:
            return
        caller = event.get("CallerIDNum", "")
        try:
            number = normalise(caller, dialplan.callbacks.numbers)
        except NumberRefused:
            log.info("callback.source.no_number", event_name=event.get("Event"), group=group)
            return
        # what the carrier vouches for: the shown number alone may be anyone's (hotline.callbacks.identity)
        asserted = asserted_number(channel_variable(event, c.VAR_ASSERTED), dialplan.callbacks.numbers)
        name = event.get("Event", "")
        if asserted != number:
            log.info(
                "callback.source.unverified",
                event_name=name,
                group=group,
                number=mask(number),
                asserted=mask(asserted) if asserted else None,
                hint="the carrier did not assert this number (P-Asserted-Identity): nothing done on it",
            )
            return
        if name == "AgentConnect":
            cancelled = await self.store.cancel_open_for(number, group, reason="got_through")
            if cancelled:
                log.info("callback.cancelled_got_through", number=mask(number), group=group)
        elif name == "QueueCallerAbandon":
            waited = int(event.get("HoldTime") or 0)
            threshold = dialplan.callbacks.abandoned_after
            if threshold and waited >= threshold:
                try:
                    registration = await self._register(
                        number, group, Source.ABANDONED, caller, waited=waited, identity=asserted
                    )
                except CallbackRefused as exc:
                    log.warning("callback.refused", reason=exc.reason, number=mask(number))
                    return
                log.info(
                    "callback.abandoned_registered",
                    request=registration.request.id,
                    waited=waited,
                    group=group,
                    number=mask(number),
                    merged=registration.merged,
                )
