"""The caller's side of a callback request: which number, then the promise.

1. The number: the caller ID, normalised, is read back digit by digit ("we will call you back on
   7 916 ..."); 1 confirms it, 2 lets the caller type another one (read back too). A number the hotline
   may not call (premium, international, short) is refused with a prompt. Three tries, then nothing is
   registered and the caller goes back to the queue.
2. The request is registered (stored in Redis) and only then the caller hears the promise: within how
   many minutes (at the opening, for a request left while the line is closed), or, when a request for
   this number and group was already open, their place in line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from hotline.callbacks.model import Registrar, Registration, Source
from hotline.callbacks.numbers import normalise
from hotline.dialplan import prompt_ids as ids
from hotline.dialplan.model import Dialplan
from hotline.errors import CallbackRefused, NumberRefused
from hotline.log import get_logger
from hotline.redact import mask

log = get_logger("ivr.callback")

TRIES = 3
CONFIRM, OTHER = "1", "2"


class CallbackCallerIO(Protocol):
    async def play(self, prompt_id: str, escape_digits: str) -> str | None: ...

    async def say_digits(self, digits: str, escape_digits: str) -> str | None: ...

    async def say_number(self, number: int, gender: str = "") -> None: ...

    async def read_digits(self, prompt_id: str, max_digits: int, timeout: float) -> str: ...  # noqa: ASYNC109

    async def wait_digit(self, timeout: float) -> str | None: ...  # noqa: ASYNC109 - a protocol


@dataclass(frozen=True, slots=True)
class CallbackOutcome:
    registered: Registration | None  # None: nothing was registered (no usable number, or refused)
    reason: str  # registered, merged, no_number, refused:<reason>


async def confirm_number(io: CallbackCallerIO, dialplan: Dialplan, caller_id: str) -> str | None:
    """The number to call back, confirmed by the caller, or None after TRIES failures."""
    rules = dialplan.callbacks.numbers
    try:
        number: str | None = normalise(caller_id, rules)
    except NumberRefused:
        number = None  # hidden, foreign or not a number: ask for one
    for _ in range(TRIES):
        if number is None:
            typed = await io.read_digits("cb_enter_number", 15, 10.0)
            if not typed.strip("#"):
                log.info("callback.no_number_typed")
                continue  # silence is not a refused number: ask again
            try:
                number = normalise(typed, rules)
            except NumberRefused as exc:
                log.info("callback.number_refused", reason=exc.reason)
                await io.play("cb_number_refused", "")
                continue
        key = await io.play("cb_confirm_intro", "")
        key = await io.say_digits(number, CONFIRM + OTHER)
        if key is None:
            key = await io.play("cb_confirm_keys", CONFIRM + OTHER)
        if key is None:
            key = await io.wait_digit(5.0)
        if key == CONFIRM:
            return number
        number = None  # 2, another key or silence: ask for the number
    return None


async def offer_when_closed(io: CallbackCallerIO) -> bool:
    """Outside business hours, after the hours were told: does the caller want to be called back?"""
    key = await io.play("cb_closed_offer", CONFIRM)
    if key is None:
        key = await io.wait_digit(5.0)
    return key == CONFIRM


async def offer_before_queue(io: CallbackCallerIO) -> bool:
    """The chosen group's wait is long: does the caller want to be called back rather than wait?

    1 accepts; 2 (the prompt's "stay on the line") ends the prompt at once and declines, as does silence.
    """
    key = await io.play("cb_offer_before_queue", CONFIRM + OTHER)
    if key is None:
        key = await io.wait_digit(5.0)
    return key == CONFIRM


async def request_callback(
    io: CallbackCallerIO,
    dialplan: Dialplan,
    register: Registrar,
    *,
    caller_id: str,
    group: str,
    source: Source,
    waited: float = 0.0,
    call_id: str = "",
    identity: str | None = None,
) -> CallbackOutcome:
    """The whole exchange; the promise is spoken only once the request is stored. `waited`: seconds the
    caller had waited in the queue (their place there is kept); `call_id`: this call, which the first
    attempt waits for to end; `identity`: the number the carrier asserts for this caller."""
    if source is Source.LINES_BUSY:
        await io.play(ids.CB_LINES_BUSY, "")  # answered beyond hotline.capacity: say why, before the number
    number = await confirm_number(io, dialplan, caller_id)
    if number is None:
        return CallbackOutcome(None, "no_number")
    try:
        registration = await register(
            number, group, source, caller_id, waited=waited, call_id=call_id, identity=identity
        )
    except CallbackRefused as exc:
        log.warning("callback.refused", reason=exc.reason, number=mask(number))
        await io.play("cb_refused_busy", "")
        return CallbackOutcome(None, f"refused:{exc.reason}")
    if registration.merged:
        await io.play("cb_already_registered", "")
        await io.say_number(registration.position)
    elif source is Source.CLOSED:
        await io.play("cb_registered_closed", "")  # due at the opening: no "within N minutes" at night
    else:
        # "...Максимальное время ожидания:" "одна" "минута.": the number in the nominative, in the gender
        # of the minutes, then the word for minutes in the number's plural form
        minutes = dialplan.callback_sla_minutes(group)
        await io.play(ids.CB_REGISTERED, "")
        await io.say_number(minutes, gender=ids.MINUTES_GENDER)
        await io.play(ids.plural_prompt(ids.CB_MINUTES, dialplan.plural_form(minutes)), "")
    await io.play("cb_goodbye", "")
    log.info(
        "callback.registered",
        request=registration.request.id,
        merged=registration.merged,
        group=group,
        source=source.value,
        number=mask(number),
        position=registration.position,
    )
    return CallbackOutcome(registration, "merged" if registration.merged else "registered")
