"""The prompts the program itself plays, by their fixed names: the dialplan must define each one it needs.

Admins write the words (`prompts:` in the YAML); the program decides when they are heard. Loading a
dialplan checks that every prompt of this list that its settings can make the program play is defined
(`hotline.dialplan.validate`), so that no caller ever hears silence where a prompt was meant.
"""

from __future__ import annotations

from typing import Final

# --- The callback engine ---------------------------------------------------------------------------
CB_OFFER_IN_QUEUE: Final = "cb_offer_in_queue"  # in the queue, every queue_offer_every s: press queue_key
CB_OFFER_BEFORE_QUEUE: Final = "cb_offer_before_queue"  # long wait: 1 to be called back, 2 to stay
CB_CONFIRM_INTRO: Final = "cb_confirm_intro"  # "We will call you back on" + the digits
CB_CONFIRM_KEYS: Final = "cb_confirm_keys"  # 1: the number is right, 2: enter another one
CB_ENTER_NUMBER: Final = "cb_enter_number"  # dial the number, then #
CB_NUMBER_REFUSED: Final = "cb_number_refused"  # the number is not one we call back
CB_REGISTERED: Final = "cb_registered"  # "Your request is registered. We will call you within" + N
CB_MINUTES: Final = "cb_minutes"  # "minutes", after N
CB_ALREADY_REGISTERED: Final = "cb_already_registered"  # "...already registered. Your place:" + N
CB_LINES_BUSY: Final = "cb_lines_busy"  # every line busy: we keep your call and call you back
CB_CLOSED_OFFER: Final = "cb_closed_offer"  # closed hours: 1 to be called back when the line opens
CB_REGISTERED_CLOSED: Final = "cb_registered_closed"  # closed hours: "...we will call you when we open"
CB_GOODBYE: Final = "cb_goodbye"  # the last words of every callback flow
CB_WHISPER_INTRO: Final = "cb_whisper_intro"  # to the operator: "A callback."
CB_WHISPER_ASKED: Final = "cb_whisper_asked"  # to the operator, after N: "minutes ago, the citizen asked"
CB_REFUSED_BUSY: Final = "cb_refused_busy"  # a rate limit refused the request: call again later

# Needed when entry.closed is a callback action (the closed line's offer and promise).
CALLBACK_PROMPTS_CLOSED: Final = (CB_CLOSED_OFFER, CB_REGISTERED_CLOSED)

# Played in every dialplan: callers may be called back whatever the settings (lines busy, abandoned).
CALLBACK_PROMPTS_ALWAYS: Final = (
    CB_CONFIRM_INTRO,
    CB_CONFIRM_KEYS,
    CB_ENTER_NUMBER,
    CB_NUMBER_REFUSED,
    CB_REGISTERED,
    CB_MINUTES,
    CB_ALREADY_REGISTERED,
    CB_LINES_BUSY,
    CB_GOODBYE,
    CB_WHISPER_INTRO,
    CB_WHISPER_ASKED,
    CB_REFUSED_BUSY,
)
