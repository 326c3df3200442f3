"""A JSON Schema of the dialplan YAML, for admins' editors: completion, descriptions and errors as they type.

    hotline schema --output dialplans/hotline.schema.json

Each YAML file of the dialplan names it in its first line (`MODELINE`), which editors with a YAML
language server read. The key lists and value sets come from the parsers' own
constants and the defaults from the model, and building the schema fails when a parser accepts a key that
this module does not describe (or the reverse): the schema cannot drift silently.

The schema helps while typing; `hotline check` stays the judge. What one file cannot say (a section
missing from the whole set of files, a name defined elsewhere, overlapping hours) is left to it. The
schema keeps to keywords that draft-07 validators, which most editors still run, read the same way.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from hotline.dialplan.draft import ACTION_KEYS, ACTION_KINDS
from hotline.dialplan.fields import ID_PATTERN, LANGUAGE_PATTERN
from hotline.dialplan.hours import CLOSED, END_OF_DAY
from hotline.dialplan.model import (
    CALLBACK_ORDERS,
    CODECS,
    DIAL_FORMATS,
    DTMF_KEYS,
    WEEKDAYS,
    Calendar,
    CallbackPolicy,
    EmergencyPolicy,
    NumberRules,
    PhonePolicy,
    RoutingPolicy,
    SkillGroup,
)
from hotline.dialplan.parse import (
    ENTRY_OPTIONAL,
    ENTRY_REQUIRED,
    GROUP_REQUIRED,
    GROUP_SETTINGS,
    HOTLINE_KEYS,
    MAX_WIDEN_STEPS,
    OPERATOR_KEYS,
    OPTIONAL_SECTIONS,
    QUEUE_STRATEGIES,
    REQUIRED_SECTIONS,
    SUPPORTED_VERSION,
)
from hotline.dialplan.parse_calendar import CALENDAR_KEYS, DATED_OPTIONAL, DATED_REQUIRED
from hotline.dialplan.parse_callbacks import (
    CALLBACK_SETTINGS,
    IN_QUEUE_ONLY,
    LIMIT_SETTINGS,
    MAX_BACKOFF_STEPS,
    MAX_PREFIX_DIGITS,
    NUMBER_SETTINGS,
)
from hotline.dialplan.parse_emergency import EMERGENCY_SETTINGS, FEATURE_CODE
from hotline.dialplan.parse_menus import DEFAULT_RETRIES, DEFAULT_TIMEOUT, MENU_REQUIRED, MENU_SETTINGS
from hotline.dialplan.parse_phones import FEATURE_CODE as PHONE_CODE
from hotline.dialplan.parse_phones import PHONE_SETTINGS, REASON_ID
from hotline.dialplan.parse_routing import MAX_PRIORITY, PRIORITY_SETTINGS, ROUTING_SETTINGS
from hotline.dialplan.parse_trunk import HOST_NAME, SIP_USER, TRUNK_OPTIONAL, TRUNK_REQUIRED

Schema = dict[str, Any]

DRAFT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_FILE = "hotline.schema.json"  # beside the YAML files, in dialplans/
MODELINE = f"# yaml-language-server: $schema=./{SCHEMA_FILE}"

_TIME = "([01][0-9]|2[0-3]):[0-5][0-9]"
_RANGE = rf"\s*{_TIME}\s*-\s*({_TIME}|{END_OF_DAY})\s*"
DAY_HOURS = rf"^\s*({CLOSED}|{_RANGE}(,{_RANGE})*)\s*$"
QUIET_HOURS = rf"^\s*{_TIME}\s*-\s*{_TIME}\s*$"
DATE = r"^\s*[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])\s*$"
IDENT = f"^{ID_PATTERN.pattern}$"
LANGUAGE = f"^{LANGUAGE_PATTERN.pattern}$"
DTMF = f"^[{DTMF_KEYS}]$"

_QUOTE_TEXT = ' Quote a value that YAML reads as something else: "no", "12:30", "012".'
_QUOTE_DIGITS = ' Quoted, as "{example}": hotline check also takes plain digits without a leading zero.'
_QUOTE_KEY = ' One of 0-9, "*" or "#", quoted: "1" (unquoted, YAML reads * as an alias and # as a comment).'


def dialplan_schema() -> Schema:
    """The JSON Schema (draft 2020-12) of one YAML file of the dialplan."""
    sections = _keys(
        "the top level",
        (*REQUIRED_SECTIONS, *OPTIONAL_SECTIONS),
        {
            "version": {
                "description": f"Always {SUPPORTED_VERSION}.",
                "type": "integer",
                "const": SUPPORTED_VERSION,
            },
            "hotline": _hotline(),
            "hours": _weekly(
                "The business hours of the whole line, in the hotline's timezone: every day once, each "
                "closed or ranges HH:MM-HH:MM separated by commas."
            ),
            "entry": _entry(),
            "menu_defaults": _object(
                "Settings every menu takes unless it sets them itself (optional).",
                _keys("menu_defaults", MENU_SETTINGS, _menu_settings()),
            ),
            "menus": _map(
                "Each menu's name and its settings. The first one is entry.menu; every menu must be "
                "reachable from it.",
                _menu(),
                min_properties=1,
            ),
            "skill_groups": _map(
                "Each skill group's name and its settings; each group is one Asterisk queue, named as the "
                "group.",
                _group(),
            ),
            "operators": {
                "description": "The operators, one SIP phone each.",
                "type": "array",
                "items": _operator(),
            },
            "prompts": _map(
                "Each prompt's name and its texts, one per language: synthesized when no recording exists. "
                "Every prompt needs a text in hotline.language.",
                {
                    "description": "The prompt's text per language (two lowercase letters, such as ru).",
                    "type": "object",
                    "propertyNames": {"pattern": LANGUAGE},
                    "additionalProperties": _text("The prompt's words in that language."),
                    "minProperties": 1,
                },
            ),
            "callbacks": _callbacks(),
            "calendar": _calendar(),
            "emergency": _emergency(),
            "phones": _phones(),
            "routing": _routing(),
            "trunk": _trunk(),
        },
    )
    required = ", ".join(REQUIRED_SECTIONS)
    return {
        "$schema": DRAFT,
        "title": "Hotline dialplan",
        "description": "One file of the hotline's dialplan (docs/dialplan.md). The sections may be spread "
        "over several files, each section in one file only, so no section is required here: `hotline "
        f"check` checks that the whole set has {required}.",
        "type": "object",
        "properties": sections,
        "additionalProperties": False,
    }


def schema_text() -> str:
    """The schema as the repository keeps it in dialplans/hotline.schema.json: sorted, indented JSON."""
    return json.dumps(dialplan_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


# --- sections ------------------------------------------------------------------------------------------
def _hotline() -> Schema:
    return _object(
        "The line itself: its name, number, time zone, languages and capacity.",
        _keys(
            "hotline",
            HOTLINE_KEYS,
            {
                "name": _line("The hotline's name, for people."),
                "number": _digits(
                    "The public number callers dial: 2 to 20 digits, an optional leading +.",
                    2,
                    20,
                    "565602",
                    plus=True,
                ),
                "timezone": _string(
                    "The IANA time zone of hours, such as Europe/Moscow.",
                    r"^[A-Za-z0-9_+-]+(/[A-Za-z0-9_+-]+)*$",
                ),
                "language": _language(
                    "The default language; one of languages. Every prompt needs a text in it."
                ),
                "languages": {
                    "description": "Every language the prompts may be in, such as [ru, en]; each listed "
                    "once.",
                    "type": "array",
                    "items": _language("A language code: two lowercase letters."),
                    "minItems": 1,
                    "uniqueItems": True,
                },
                "capacity": _integer("Simultaneous lines of the public number.", 1, 10000),
                "general_group": _ident(
                    "The skill group callers go to when nothing else applies (failures, the engine's "
                    "fallback). Must have an operator."
                ),
                "fallback_prompt": _ident(
                    "The prompt Asterisk itself plays, before the general group, when the voice engine is "
                    "down."
                ),
            },
        ),
        required=HOTLINE_KEYS,
    )


def _entry() -> Schema:
    closed = _action(
        "What happens outside hours: a hangup (its prompt tells the hours), a queue, or a callback. "
        "Not a menu.",
        allow_menu=False,
    )
    return _object(
        "How a call starts: the greeting, then the first menu; entry.closed outside hours.",
        _keys(
            "entry",
            (*ENTRY_REQUIRED, *ENTRY_OPTIONAL),
            {
                "menu": _ident("The first menu."),
                "closed": closed,
                "greeting": _ident(
                    "The prompt played first. Keys of the first menu pressed during it count as the first "
                    "choice."
                ),
                "transfer_prompt": _ident(
                    "The prompt played just before a caller is queued, unless the action has its own prompt."
                ),
                "language_keys": {
                    "description": 'Keys that switch the call to another language, such as {"7": en}: '
                    "pressed during the greeting or in the first menu. Each language must be in "
                    "hotline.languages.",
                    "type": "object",
                    "propertyNames": {"pattern": DTMF},
                    "additionalProperties": _language("The language the key switches to."),
                },
            },
        ),
        required=ENTRY_REQUIRED,
    )


def _menu_settings() -> dict[str, Schema]:
    return {
        "timeout": _integer("Seconds to wait for a key after the prompt.", 1, 60, DEFAULT_TIMEOUT),
        "retries": _integer("Wrong or missing keys allowed before on_failure.", 1, 10, DEFAULT_RETRIES),
        "repeat_key": _dtmf("The key that replays the menu; must not also be an option key of the menu."),
        "invalid_prompt": _ident("The prompt played after a key that is not an option."),
        "timeout_prompt": _ident("The prompt played when no key came in time."),
        "on_failure": _action("What happens when the retries are used up.", allow_menu=True),
    }


def _menu() -> Schema:
    own = {
        "prompt": _ident("The menu's announcement."),
        "options": {
            "description": "What each phone key does: a key, then an action.",
            "type": "object",
            "propertyNames": {"pattern": DTMF},
            "additionalProperties": _action("What this key does.", allow_menu=True),
            "minProperties": 1,
        },
    }
    settings = {
        name: {**schema, "description": f"{schema['description']} Default: menu_defaults."}
        for name, schema in _menu_settings().items()
    }
    return _object(
        "A menu: its prompt, its options, and the settings it does not take from menu_defaults.",
        _keys("menus.<menu>", (*MENU_REQUIRED, *MENU_SETTINGS), {**own, **settings}),
        required=MENU_REQUIRED,
    )


def _group() -> Schema:
    base = SkillGroup(id="", title="")  # the model's defaults
    return _object(
        "A skill group: one Asterisk queue.",
        _keys(
            "skill_groups.<group>",
            (*GROUP_REQUIRED, *GROUP_SETTINGS),
            {
                "title": _line(
                    "The group's name for people (logs, the supervisor), and the words of its prompt "
                    "group_<group>."
                ),
                "strategy": _choice(
                    "How Asterisk picks the operator to ring.", QUEUE_STRATEGIES, base.strategy
                ),
                "ring_timeout": _integer(
                    "Seconds one operator's phone rings before the next is tried.",
                    5,
                    120,
                    base.ring_timeout,
                ),
                "wrapup": _integer(
                    "Seconds after a call before the operator is rung again.", 0, 600, base.wrapup
                ),
                "max_wait": _integer(
                    "Seconds a caller may wait in the queue (0: no limit).", 0, 7200, base.max_wait
                ),
                "callback_sla_minutes": _integer(
                    "Minutes within which this group calls back. Default: callbacks.sla_minutes.", 1, 240
                ),
                "callback_order": _choice(
                    "Whose phone rings first on this group's callbacks. Default: callbacks.order.",
                    CALLBACK_ORDERS,
                ),
                "hours": _weekly(
                    "The group's own business hours, every day once (default: the line's hours); the "
                    "line's calendar applies either way."
                ),
                "closed_prompt": _ident(
                    "The prompt played to a caller who chooses the group while it is closed."
                ),
                "code": _digits(
                    "Dialled after phones.login or phones.logout to log in or out of this group alone. "
                    "Default: the group's place in skill_groups (1, 2...). Unique.",
                    1,
                    2,
                    "3",
                ),
                "widen_after": {
                    "description": "Seconds waited after which level 2, 3... operators ring too: a caller "
                    "first rings only level 1; after the last time, every level. Increasing. Default: every "
                    "level at once, best first.",
                    "type": "array",
                    "items": _integer("Seconds in the queue.", 1, 3600),
                    "maxItems": MAX_WIDEN_STEPS,
                },
                "missed_rings": _integer(
                    "Rings not answered in a row after which the operator is paused with the reason "
                    "missed (0: never).",
                    0,
                    10,
                    base.missed_rings,
                ),
                "reject_pause": _integer(
                    "Seconds an operator who rejected a call is not rung again (0: at once).",
                    0,
                    600,
                    base.reject_pause,
                ),
            },
        ),
        required=GROUP_REQUIRED,
    )


def _operator() -> Schema:
    return _object(
        "An operator: one SIP phone.",
        _keys(
            "operators[]",
            OPERATOR_KEYS,
            {
                "id": _ident("The phone's SIP account (PJSIP endpoint), such as op101. Unique."),
                "name": _line("The operator's name."),
                "extension": _digits("The phone's internal number: 2 to 6 digits. Unique.", 2, 6, "101"),
                "skills": {
                    "description": "The groups this operator answers, each with a level: 1 the best .. 5.",
                    "type": "object",
                    "propertyNames": {"pattern": IDENT},
                    "additionalProperties": _integer("The level in this group: 1 the best .. 5.", 1, 5),
                    "minProperties": 1,
                },
            },
        ),
        required=OPERATOR_KEYS,
    )


def _callbacks() -> Schema:
    base = CallbackPolicy()
    quiet = f"{base.quiet_hours.start:%H:%M}-{base.quiet_hours.end:%H:%M}"
    settings = _keys(
        "callbacks",
        CALLBACK_SETTINGS,
        {
            "sla_minutes": _integer(
                "A request is due this many minutes after it is made (a group may set its own).",
                1,
                240,
                base.sla_minutes,
            ),
            "max_attempts": _integer(
                "Calls to the citizen before the request is failed.", 1, 10, base.max_attempts
            ),
            "backoff_minutes": {
                "description": "Minutes to wait before the 2nd, 3rd... attempt; the last one repeats.",
                "type": "array",
                "items": _integer("Minutes before the next attempt.", 1, 1440),
                "minItems": 1,
                "maxItems": MAX_BACKOFF_STEPS,
                "default": list(base.backoff_minutes),
            },
            "min_talk_seconds": _integer(
                "An attempt succeeds when the citizen answered and the conversation lasted this long.",
                0,
                600,
                base.min_talk_seconds,
            ),
            "quiet_hours": {
                **_string(
                    'No callback is placed in this range, such as "21:00-09:00" (local time; it may cross '
                    "midnight, the start and the end differ, 24:00 is not accepted).",
                    QUIET_HOURS,
                ),
                "default": quiet,
            },
            "order": _choice(
                "Whose phone rings first: the operator's or the citizen's.", CALLBACK_ORDERS, base.order
            ),
            "offer_in_queue": {
                "description": "Whether callers waiting in a queue are offered a callback (true or "
                "false, unquoted).",
                "type": "boolean",
                "default": base.queue_key is not None,
            },
            "queue_key": {
                **_dtmf(
                    "The key a waiting caller presses to hang up and be called back, keeping their place. "
                    "Only with offer_in_queue: true."
                ),
                "default": base.queue_key,
            },
            "queue_offer_every": _integer(
                "Seconds between two offers in the queue. Only with offer_in_queue: true.",
                10,
                600,
                base.queue_offer_every,
            ),
            "offer_over_wait": _integer(
                "Over this expected wait (seconds), the callback is offered before queueing. 0: never.",
                0,
                3600,
                base.offer_over_wait,
            ),
            "abandoned_after": _integer(
                "A caller who waited this many seconds in a queue and hung up is called back without asking. "
                "0: never.",
                0,
                3600,
                base.abandoned_after,
            ),
            "limits": _object(
                "Limits against floods and abuse (every key optional).",
                _keys(
                    "callbacks.limits",
                    LIMIT_SETTINGS,
                    {
                        "attempts_per_number_per_day": _integer(
                            "Calls placed to one number in a day, all requests together.",
                            1,
                            50,
                            base.attempts_per_number_per_day,
                        ),
                        "requests_per_caller_per_hour": _integer(
                            "Requests one caller may make in an hour.",
                            1,
                            100,
                            base.requests_per_caller_per_hour,
                        ),
                        "requests_per_minute": _integer(
                            "Requests of all callers together in a minute.",
                            1,
                            10000,
                            base.requests_per_minute,
                        ),
                    },
                ),
            ),
            "numbers": _numbers(base.numbers),
        },
    )
    schema = _object(
        "The promise to every caller we could not answer at once: called back within sla_minutes. Every "
        "key is optional.",
        settings,
    )
    # Without an in-queue offer, its settings are refused: they would do nothing.
    schema["if"] = {"properties": {"offer_in_queue": {"const": False}}, "required": ["offer_in_queue"]}
    refused = {"description": "No use while offer_in_queue is false: remove this line.", "not": {}}
    schema["then"] = {"properties": dict.fromkeys(IN_QUEUE_ONLY, refused)}
    return schema


def _numbers(base: NumberRules) -> Schema:
    return _object(
        "Which numbers are called back, and how they are normalised: digits only, country code first.",
        _keys(
            "callbacks.numbers",
            NUMBER_SETTINGS,
            {
                "country_code": {
                    **_digits("The country code numbers are written with: 1 to 3 digits.", 1, 3, "7"),
                    "default": base.country_code,
                },
                "trunk_prefix": {
                    **_digits(
                        'The national prefix that stands for the country code: 0 to 2 digits, "" when '
                        "there is none.",
                        0,
                        2,
                        "8",
                    ),
                    "default": base.trunk_prefix,
                },
                "national_length": _integer("Digits after the country code.", 6, 12, base.national_length),
                "allowed": {
                    **_line(
                        "A Python regular expression the whole normalised number must match to be called "
                        "back. Write it in single quotes so that backslashes stay as written."
                    ),
                    "default": base.allowed,
                },
                "refused_prefixes": {
                    "description": "Normalised numbers starting with one of these are never called back, "
                    'such as ["7800"]. Each once.',
                    "type": "array",
                    "items": _digits(
                        f"A prefix of a normalised number: 1 to {MAX_PREFIX_DIGITS} digits.",
                        1,
                        MAX_PREFIX_DIGITS,
                        "7800",
                    ),
                    "uniqueItems": True,
                    "default": list(base.refused_prefixes),
                },
            },
        ),
    )


def _calendar() -> Schema:
    dated = _object(
        "A date with a note saying why.",
        _keys(
            "calendar dates",
            (*DATED_REQUIRED, *DATED_OPTIONAL),
            {"date": _date("The date, YYYY-MM-DD."), "note": _text("Why, for people.")},
        ),
        required=DATED_REQUIRED,
    )

    def dates(description: str) -> Schema:
        return {
            "description": f"{description} Each date alone, or as {{date: ..., note: ...}}.",
            "type": "array",
            "items": {
                "description": "A date, YYYY-MM-DD, or {date: ..., note: ...}.",
                "anyOf": [_date("A date, YYYY-MM-DD."), dated],
            },
        }

    return _object(
        "The production calendar of the whole line (optional): the dates that differ from the weekly hours.",
        _keys(
            "calendar",
            CALENDAR_KEYS,
            {
                "holidays": dates("Days the line is closed."),
                "working_days": {
                    "description": 'Weekend days worked instead of a day off: "YYYY-MM-DD": the weekday '
                    "whose hours apply, such as mon.",
                    "type": "object",
                    "propertyNames": {"pattern": DATE},
                    "additionalProperties": _choice("The weekday whose hours apply.", WEEKDAYS),
                },
                "short_days": dates("Pre-holiday days: the line closes short_by_minutes earlier."),
                "short_by_minutes": _integer(
                    "How much earlier a short day closes.", 1, 240, Calendar().short_by_minutes
                ),
            },
        ),
    )


def _emergency() -> Schema:
    base = EmergencyPolicy()
    return _object(
        "Emergency mode (optional): an announcement before the menus for every caller, then the offer of a "
        "callback. Without this section emergency mode is not available.",
        _keys(
            "emergency",
            EMERGENCY_SETTINGS,
            {
                "feature_code": {
                    **_string(
                        'Dialled from an operator\'s phone to record or end an announcement: "*" and 1 to 6 '
                        'digits, quoted: "*77" (a bare *77 is a YAML alias).',
                        f"^{FEATURE_CODE.pattern}$",
                    ),
                    "default": base.feature_code,
                },
                "default_hours": _integer(
                    "How long an announcement recorded on a phone lasts, in hours.",
                    1,
                    7 * 24,
                    base.default_hours,
                ),
                "callback_group": _ident(
                    "Who calls back the callers who press 1 (it must be staffed). Default: "
                    "hotline.general_group."
                ),
            },
        ),
    )


def _phones() -> Schema:
    base = PhonePolicy()
    code = f"^{PHONE_CODE.pattern}$"
    quoted = ': "*" and 1 to 4 digits, quoted (a bare *21 is a YAML alias); no code may begin another.'
    return _object(
        "The feature codes operators dial on their SIP phones (optional: these are the defaults), each "
        "confirmed by a short prompt.",
        _keys(
            "phones",
            PHONE_SETTINGS,
            {
                "login": {
                    **_string(
                        "Log in: alone to every group of the operator, + a group's code to it" + quoted, code
                    ),
                    "default": base.login,
                },
                "logout": {
                    **_string("Log out: alone of every group, + a group's code of it" + quoted, code),
                    "default": base.logout,
                },
                "pause": {
                    **_string("Pause: + a reason's key (alone: the first reason)" + quoted, code),
                    "default": base.pause,
                },
                "resume": {**_string("End a pause" + quoted, code), "default": base.resume},
                "wrapup": {
                    **_string("More wrap-up time: wrapup_extend seconds before the next call" + quoted, code),
                    "default": base.wrapup,
                },
                "wrapup_extend": _integer(
                    "Seconds of wrap-up time the wrapup code gives.", 10, 1800, base.wrapup_extend
                ),
                "pause_reasons": {
                    "description": "Pause reasons by the key dialled after phones.pause: a lowercase word "
                    "each, said back by the prompt pause_<reason>.",
                    "type": "object",
                    "propertyNames": {"pattern": "^[1-9]$"},
                    "additionalProperties": _string("The reason's name.", f"^{REASON_ID.pattern}$"),
                    "minProperties": 1,
                    "default": base.pause_reasons,
                },
                "start_logged_in": {
                    "description": "An operator never seen before starts logged in to every group.",
                    "type": "boolean",
                    "default": base.start_logged_in,
                },
            },
        ),
    )


def _routing() -> Schema:
    base = RoutingPolicy()
    priorities = _keys(
        "routing.priorities",
        PRIORITY_SETTINGS,
        {
            "callback": _integer(
                "A callback request's priority: over 0, it goes before waiting callers of lower priority; "
                "0: it keeps its place by time.",
                0,
                MAX_PRIORITY,
                base.callback_priority,
            ),
            "repeat": _integer(
                "The priority of a caller whose number reached the same group earlier today.",
                0,
                MAX_PRIORITY,
                base.repeat_priority,
            ),
        },
    )
    return _object(
        "Who goes first in a queue, and what waiting callers hear (optional: these are the defaults).",
        _keys(
            "routing",
            ROUTING_SETTINGS,
            {
                "priorities": _object("Queue priorities: higher first, ordinary callers 0.", priorities),
                "announce_every": _integer(
                    "Seconds between the announcements of a waiting caller's place and expected wait "
                    "(0: none; else 20 or more).",
                    0,
                    600,
                    base.announce_every,
                ),
                "handle_window_minutes": _integer(
                    "The average handling time is taken over the calls ended in this many minutes.",
                    5,
                    24 * 60,
                    base.handle_window_minutes,
                ),
                "min_samples": _integer(
                    "With fewer calls in that window, the estimate is poor: callers hear the callback "
                    "offer instead.",
                    1,
                    1000,
                    base.min_samples,
                ),
                "max_estimate": _integer(
                    "Seconds: a longer expected wait is not announced; the callback offer is instead.",
                    60,
                    4 * 3600,
                    base.max_estimate,
                ),
            },
        ),
    )


def _trunk() -> Schema:
    codec = _choice("A codec: ulaw and alaw are G.711, g722 is wide-band.", CODECS)
    return _object(
        "The SIP provider (optional; without it, the sandbox's carrier on HOTLINE_CARRIER_ADDRESS). Its "
        "password is never written here: give it once with `hotline trunk password`.",
        _keys(
            "trunk",
            (*TRUNK_REQUIRED, *TRUNK_OPTIONAL),
            {
                "provider": _string(
                    "Where registrations and callbacks go: the provider's host name or address.",
                    f"^({HOST_NAME.pattern}|[0-9A-Fa-f:.]+)$",
                ),
                "port": _integer("The provider's SIP port.", 1, 65535, 5060),
                "username": _string(
                    "The account the provider gave (digest authentication of registrations and "
                    "callbacks). Leave it out when the provider knows the hotline by its address.",
                    f"^{SIP_USER.pattern}$",
                ),
                "register": {
                    "description": "Register the account with the provider, which then sends the calls "
                    "to where the hotline registered from (needs username).",
                    "type": "boolean",
                    "default": False,
                },
                "allow_from": {
                    "description": "The provider's signalling addresses or networks (CIDR, /16 or "
                    "narrower): calls are accepted from these alone. Default: the provider's address "
                    "(required when provider is a host name).",
                    "type": "array",
                    "items": _string("An address or a network.", r"^[0-9A-Fa-f:.]+(/[0-9]{1,3})?$"),
                    "minItems": 1,
                },
                "dids": {
                    "description": "The numbers the provider sends calls to, as it writes them (a long "
                    "number and a short one, say). Default: hotline.number.",
                    "type": "array",
                    "items": _digits("A number.", 2, 15, "74951234567", plus=True),
                    "minItems": 1,
                },
                "dial_format": _choice(
                    "How a callback's number is written to the provider: e164 79161234567, plus "
                    "+79161234567, national 89161234567.",
                    DIAL_FORMATS,
                    "e164",
                ),
                "caller_id": _digits(
                    "The number callbacks show to citizens. Default: hotline.number.",
                    2,
                    15,
                    "74951234567",
                    plus=True,
                ),
                "codecs": {
                    "description": "The codecs offered to the provider, in order of preference.",
                    "type": "array",
                    "items": codec,
                    "minItems": 1,
                    "default": list(CODECS),
                },
            },
        ),
        required=TRUNK_REQUIRED,
    )


# --- building blocks -----------------------------------------------------------------------------------
def _keys(where: str, accepted: Sequence[str], described: Mapping[str, Schema]) -> dict[str, Schema]:
    """The schemas of the keys the parser accepts, in its order. A key accepted there and not described
    here (or the reverse) is this module's mistake: refused at once, so that the schema never drifts."""
    missing = [k for k in accepted if k not in described]
    unknown = [k for k in described if k not in accepted]
    if missing or unknown:
        raise AssertionError(
            f"hotline/dialplan/schema.py: {where}: the parser accepts {missing or 'no other keys'}, "
            f"the schema also describes {unknown or 'nothing else'}: describe exactly the parser's keys"
        )
    return {k: described[k] for k in accepted}


def _object(description: str, properties: dict[str, Schema], required: Sequence[str] = ()) -> Schema:
    schema: Schema = {
        "description": description,
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }
    if required:
        schema["required"] = list(required)
    return schema


def _map(description: str, values: Schema, *, min_properties: int = 0) -> Schema:
    """A mapping keyed by names (menus, prompts, skill groups)."""
    schema: Schema = {
        "description": description,
        "type": "object",
        "propertyNames": {"pattern": IDENT},
        "additionalProperties": values,
    }
    if min_properties:
        schema["minProperties"] = min_properties
    return schema


def _weekly(description: str) -> Schema:
    day = _string(
        'closed, or ranges "HH:MM-HH:MM" separated by commas, such as "08:00-12:00, 13:00-17:00" (24:00 '
        "may end a range).",
        DAY_HOURS,
    )
    return _object(description, {d: day for d in WEEKDAYS}, required=WEEKDAYS)


def _action(description: str, *, allow_menu: bool) -> Schema:
    kinds = [k for k in ACTION_KINDS if allow_menu or k != "menu"]
    targets = {
        "menu": _ident("Go to this menu."),
        "queue": _ident("Queue the caller for this skill group."),
        "callback": _ident("Take a callback request: this skill group calls the caller back."),
        "hangup": _ident("Play this prompt to the end, then hang up."),
        "prompt": _ident("A prompt played first (not with hangup)."),
    }
    properties = _keys("an action", ACTION_KEYS, targets)
    exactly_one = [
        {"required": [k], "not": {"required": ["prompt"]}} if k == "hangup" else {"required": [k]}
        for k in kinds
    ]
    schema = _object(
        f"{description} Exactly one of {', '.join(kinds)}, such as {{queue: general}}; all but hangup "
        "may add a prompt, played first.",
        {k: v for k, v in properties.items() if k in kinds or k == "prompt"},
    )
    schema["oneOf"] = exactly_one
    return schema


def _string(description: str, pattern: str) -> Schema:
    return {"description": description, "type": "string", "pattern": pattern}


def _text(description: str) -> Schema:
    return _string(description + _QUOTE_TEXT, r"\S")


def _line(description: str) -> Schema:
    return _string(description + " One line." + _QUOTE_TEXT, r"^[^\n\t]*\S[^\n\t]*$")


def _ident(description: str) -> Schema:
    return _string(
        f"{description} A name: a lowercase letter, then up to 39 lowercase letters, digits, _ or -.", IDENT
    )


def _language(description: str) -> Schema:
    return _string(description, LANGUAGE)


def _digits(description: str, low: int, high: int, example: str, *, plus: bool = False) -> Schema:
    sign = r"\+?" if plus else ""
    return _string(description + _QUOTE_DIGITS.format(example=example), f"^{sign}[0-9]{{{low},{high}}}$")


def _dtmf(description: str) -> Schema:
    return _string(description + _QUOTE_KEY, DTMF)


def _date(description: str) -> Schema:
    return _string(description, DATE)


def _integer(description: str, low: int, high: int, default: int | None = None) -> Schema:
    schema: Schema = {
        "description": f"{description} A whole number from {low} to {high}, unquoted.",
        "type": "integer",
        "minimum": low,
        "maximum": high,
    }
    if default is not None:
        schema["default"] = default
    return schema


def _choice(description: str, values: Sequence[str], default: str | None = None) -> Schema:
    schema: Schema = {"description": description, "type": "string", "enum": list(values)}
    if default is not None:
        schema["default"] = default
    return schema
