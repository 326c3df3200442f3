"""The prompts the program itself plays, by their fixed names: the dialplan must define each one it needs.

Admins write the words (`prompts:` in the YAML); the program decides when they are heard. Loading a
dialplan checks that every prompt of this list that its settings can make the program play is defined
(`hotline.dialplan.validate`), so that no caller ever hears silence where a prompt was meant.

Two kinds of names are made from a stem or a group rather than written out:

- The words said after a number come in its plural forms (`hotline.plural`): `cb_minutes_one`,
  `cb_minutes_few`, `cb_minutes_many` ("минута", "минуты", "минут"). `plural_prompt` names one of them.
- Each skill group's name is a prompt, `group_<group id>` (`group_prompt`), which the operator hears in
  the whisper of a callback. Admins need not write it: loading the dialplan derives it from the group's
  `title` in the default language (`with_group_prompts`), unless `prompts:` gives that text itself; a
  recording of that name wins over both, as for any prompt.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from hotline.dialplan.model import Prompt, SkillGroup
from hotline.plural import PLURAL_FORMS, PluralForm

# --- The callback engine ---------------------------------------------------------------------------
CB_OFFER_IN_QUEUE: Final = "cb_offer_in_queue"  # in the queue, every queue_offer_every s: press queue_key
CB_OFFER_BEFORE_QUEUE: Final = "cb_offer_before_queue"  # long wait: 1 to be called back, 2 to stay
CB_CONFIRM_INTRO: Final = "cb_confirm_intro"  # "We will call you back on" + the digits
CB_CONFIRM_KEYS: Final = "cb_confirm_keys"  # 1: the number is right, 2: enter another one
CB_ENTER_NUMBER: Final = "cb_enter_number"  # dial the number, then #
CB_NUMBER_REFUSED: Final = "cb_number_refused"  # the number is not one we call back
CB_REGISTERED: Final = "cb_registered"  # "...registered. The longest wait:" + N + cb_minutes_<form>
CB_MINUTES: Final = "cb_minutes"  # a stem: cb_minutes_one, _few, _many ("минута.", "минуты.", "минут.")
CB_ALREADY_REGISTERED: Final = "cb_already_registered"  # "...already registered. Your place:" + N
CB_LINES_BUSY: Final = "cb_lines_busy"  # every line busy: we keep your call and call you back
CB_CLOSED_OFFER: Final = "cb_closed_offer"  # closed hours: 1 to be called back when the line opens
CB_REGISTERED_CLOSED: Final = "cb_registered_closed"  # closed hours: "...we will call you when we open"
CB_GOODBYE: Final = "cb_goodbye"  # the last words of every callback flow
CB_WHISPER_INTRO: Final = "cb_whisper_intro"  # to the operator: "A callback.", then group_<id>
CB_WHISPER_ASKED: Final = "cb_whisper_asked"  # a stem: after N, "minute(s) since the citizen asked"
CB_REFUSED_BUSY: Final = "cb_refused_busy"  # a rate limit refused the request: call again later

# --- The whisper of a call from a queue (hotline.render.queue_whisper): to the operator, before the bridge
Q_WHISPER_WAITED: Final = "q_whisper_waited"  # after the group's name: "waited", then N + cb_minutes_<form>
Q_WHISPER_UNDER_MINUTE: Final = "q_whisper_under_minute"  # after the group's name: "waited under a minute"
QUEUE_WHISPER_PROMPTS: Final = (Q_WHISPER_WAITED, Q_WHISPER_UNDER_MINUTE)

# --- Waiting callers (router.announcer): needed when routing.announce_every > 0 -----------------------
Q_POSITION: Final = "q_position"  # "Your position in the queue:" + N
Q_EXPECTED: Final = "q_expected"  # "Expected wait: about" + M + cb_minutes_<form>
Q_CALLBACK: Final = "q_callback"  # "We can call you back within" + S + cb_minutes_<form>
Q_CALLBACK_KEY: Final = "q_callback_key"  # "To ask for it, press" + the queue's callback key
ANNOUNCE_PROMPTS: Final = (Q_POSITION, Q_EXPECTED, Q_CALLBACK, Q_CALLBACK_KEY)

# --- Emergency mode (hotline.emergency): needed when the dialplan has an `emergency` section -----------
EM_ANNOUNCEMENT: Final = "em_announcement"  # not a prompt of the YAML: the active announcement's sound
EM_CALLBACK_OFFER: Final = "em_callback_offer"  # after the announcement: 1 to be called back with news
EM_ENTER_PIN: Final = "em_enter_pin"  # the feature code: type the PIN, then #
EM_PIN_WRONG: Final = "em_pin_wrong"  # a wrong PIN
EM_MENU: Final = "em_menu"  # 1 record a new announcement, 2 turn emergency mode off, 3 hear the current one
EM_RECORD: Final = "em_record"  # speak after the tone, then #
EM_CONFIRM: Final = "em_confirm"  # after the recording is played back: 1 to turn it on, 2 to record again
EM_ON: Final = "em_on"  # emergency mode is on: every caller hears the announcement
EM_OFF: Final = "em_off"  # emergency mode is off
EM_NO_ANNOUNCEMENT: Final = "em_no_announcement"  # no announcement is active
EMERGENCY_PROMPTS: Final = (
    EM_CALLBACK_OFFER,
    EM_ENTER_PIN,
    EM_PIN_WRONG,
    EM_MENU,
    EM_RECORD,
    EM_CONFIRM,
    EM_ON,
    EM_OFF,
    EM_NO_ANNOUNCEMENT,
)

# --- Operators' phones (ivr.operator_flow): each presence feature code is confirmed by a prompt ------
OP_LOGGED_IN: Final = "op_logged_in"  # logged in (then group_<id> when the code named one group)
OP_LOGGED_OUT: Final = "op_logged_out"  # logged out (then group_<id> when the code named one group)
OP_PAUSED: Final = "op_paused"  # paused: then pause_<reason id>
OP_RESUMED: Final = "op_resumed"  # back in the queues
OP_WRAPUP_EXTENDED: Final = "op_wrapup_extended"  # more wrap-up time, then rung again by itself
OP_UNKNOWN_CODE: Final = "op_unknown_code"  # a code, group code or reason key that means nothing
OP_NOT_YOUR_GROUP: Final = "op_not_your_group"  # a group the operator has no skill in
OP_FAILED: Final = "op_failed"  # the change could not be stored (Redis down): nothing changed
OPERATOR_PROMPTS: Final = (
    OP_LOGGED_IN,
    OP_LOGGED_OUT,
    OP_PAUSED,
    OP_RESUMED,
    OP_WRAPUP_EXTENDED,
    OP_UNKNOWN_CODE,
    OP_NOT_YOUR_GROUP,
    OP_FAILED,
)
PAUSE_PROMPT_PREFIX: Final = "pause_"  # pause_<reason id> (phones.pause_reasons): the reason's name


def pause_prompt(reason: str) -> str:
    """The prompt that says a pause reason's name, after op_paused."""
    return PAUSE_PROMPT_PREFIX + reason


# Asterisk's gender option for the number said before the minutes (SayNumber, AGI SAY NUMBER): feminine,
# as Russian "минута" is ("одна минута", "две минуты"); languages without genders (English) ignore it.
MINUTES_GENDER: Final = "f"

GROUP_PROMPT_PREFIX: Final = "group_"  # group_<skill group id>: the group's name, in the whisper


def plural_prompt(stem: str, form: PluralForm) -> str:
    """The prompt said after a number in the plural form `form`: `<stem>_one`, `_few` or `_many`."""
    return f"{stem}_{form}"


def plural_prompts(stem: str) -> tuple[str, ...]:
    """Every plural form's prompt of a stem, in the order one, few, many."""
    return tuple(plural_prompt(stem, form) for form in PLURAL_FORMS)


def group_prompt(group_id: str) -> str:
    """The prompt that says a skill group's name."""
    return GROUP_PROMPT_PREFIX + group_id


def with_group_prompts(
    prompts: Mapping[str, Prompt], groups: Mapping[str, SkillGroup], language: str
) -> dict[str, Prompt]:
    """`prompts` and, after them, each group's `group_<id>` prompt: the group's title as its text in
    `language` (the default one). A `group_<id>` the admins wrote keeps its place and its texts, and gets
    the title only when it has no text in `language`."""
    merged = dict(prompts)
    for group in groups.values():
        pid = group_prompt(group.id)
        own = prompts.get(pid)
        if own is None:
            merged[pid] = Prompt(pid, {language: group.title}, group.span)
        elif language not in own.texts:
            merged[pid] = Prompt(pid, {language: group.title, **own.texts}, own.span)
    return merged


# Needed when entry.closed is a callback action (the closed line's offer and promise).
CALLBACK_PROMPTS_CLOSED: Final = (CB_CLOSED_OFFER, CB_REGISTERED_CLOSED)

# Played in every dialplan: callers may be called back whatever the settings (lines busy, abandoned).
CALLBACK_PROMPTS_ALWAYS: Final = (
    CB_CONFIRM_INTRO,
    CB_CONFIRM_KEYS,
    CB_ENTER_NUMBER,
    CB_NUMBER_REFUSED,
    CB_REGISTERED,
    *plural_prompts(CB_MINUTES),
    CB_ALREADY_REGISTERED,
    CB_LINES_BUSY,
    CB_GOODBYE,
    CB_WHISPER_INTRO,
    *plural_prompts(CB_WHISPER_ASKED),
    CB_REFUSED_BUSY,
)
