"""Citizens' phone numbers: normalised for dialling, grouped for reading back, masked for logs.

A normalised number is digits only, country code first (`79161234567`). What callers type and what
caller IDs look like is accepted: `+7 (916) 123-45-67`, `8 916 123 45 67`, `89161234567`, `9161234567`,
`79161234567`. Anything else is refused with a `NumberRefused` whose `reason` code lets the IVR pick the
right prompt:

- `empty`          nothing was given
- `not_digits`     letters or other signs (spaces, brackets, dashes and a leading plus are fine)
- `too_short`      fewer digits than a national number, short service numbers (112, 01) included
- `too_long`       more digits than any national form
- `international`  another country's number (+44..., 00..., 810...)
- `premium`        a refused prefix (free and premium-rate numbers)
- `not_allowed`    not a full match of the hotline's `allowed` pattern
"""

from __future__ import annotations

import re

from hotline.dialplan.model import DialFormat, NumberRules
from hotline.errors import NumberRefused

_SEPARATORS = frozenset(" ()-")
_ASCII_DIGITS = frozenset("0123456789")
INTERNATIONAL_EXIT = "00"  # the exit code of most of the world; 8-10 too where the trunk prefix is 8


def normalise(raw: str, rules: NumberRules) -> str:
    """The number as digits with the country code, or NumberRefused saying why it cannot be called."""
    text = raw.strip()
    if not text:
        raise NumberRefused("empty", "no number was given")
    plus = text.startswith("+")
    body = text[1:] if plus else text
    bad = [c for c in body if c not in _ASCII_DIGITS and c not in _SEPARATORS and not c.isspace()]
    if bad:
        raise NumberRefused("not_digits", f"a phone number has digits only, not {bad[0]!r}")
    digits = "".join(c for c in body if c in _ASCII_DIGITS)
    if not digits:
        raise NumberRefused("empty", "no digits were given")
    number = _with_country_code(digits, plus, rules)
    for prefix in rules.refused_prefixes:
        if number.startswith(prefix):
            raise NumberRefused("premium", f"numbers starting with {prefix} are not called back")
    if not re.fullmatch(rules.allowed, number):
        raise NumberRefused("not_allowed", "this number is not one the hotline calls back")
    return number


def dial_form(number: str, fmt: DialFormat, rules: NumberRules) -> str:
    """A normalised number as the provider wants it dialled (`trunk.dial_format`): `e164` 79161234567,
    `plus` +79161234567, `national` 89161234567 (the trunk prefix instead of the country code)."""
    if fmt == "plus":
        return "+" + number
    if fmt == "national" and number.startswith(rules.country_code):
        return rules.trunk_prefix + number[len(rules.country_code) :]
    return number


def _with_country_code(digits: str, plus: bool, rules: NumberRules) -> str:
    cc, trunk, length = rules.country_code, rules.trunk_prefix, rules.national_length
    if plus:
        if not digits.startswith(cc):
            raise NumberRefused("international", "numbers of other countries are not called back")
        return cc + _national(digits[len(cc) :], length)
    exits = (INTERNATIONAL_EXIT, trunk + "10") if trunk == "8" else (INTERNATIONAL_EXIT,)
    if len(digits) > length and digits.startswith(exits):
        raise NumberRefused("international", "numbers of other countries are not called back")
    if len(digits) == length:
        return cc + digits
    if len(digits) == len(cc) + length and digits.startswith(cc):
        return digits
    if trunk and len(digits) == len(trunk) + length and digits.startswith(trunk):
        return cc + digits[len(trunk) :]
    if len(digits) < length:
        raise NumberRefused("too_short", f"a number has {length} digits after the country code")
    if len(digits) > length + max(len(cc), len(trunk)):
        raise NumberRefused("too_long", f"a number has {length} digits after the country code")
    raise NumberRefused("international", "numbers of other countries are not called back")


def _national(rest: str, length: int) -> str:
    if len(rest) < length:
        raise NumberRefused("too_short", f"a number has {length} digits after the country code")
    if len(rest) > length:
        raise NumberRefused("too_long", f"a number has {length} digits after the country code")
    return rest


def spoken(number: str, rules: NumberRules | None = None) -> str:
    """A normalised number grouped for reading back: `79161234567` -> `+7 916 123-45-67`."""
    cc = (rules or NumberRules()).country_code
    national = number[len(cc) :] if number.startswith(cc) else number
    if len(national) == 10:
        return f"+{cc} {national[:3]} {national[3:6]}-{national[6:8]}-{national[8:]}"
    groups = " ".join(national[i : i + 3] for i in range(0, len(national), 3))
    return f"+{cc} {groups}"


def abbreviated(number: str) -> str:
    """A number as the supervisor's listings show it, short enough for a column: `7916***4567`.

    For a screen that may show citizens' numbers (`hotline callbacks list`); logs use `hotline.redact`.
    """
    digits = "".join(c for c in number if c in _ASCII_DIGITS)
    if not digits:
        return "<none>"
    if len(digits) <= 4:
        return "*" * len(digits)
    if len(digits) <= 8:
        return digits[:1] + "*" * (len(digits) - 3) + digits[-2:]
    return digits[:4] + "*" * (len(digits) - 8) + digits[-4:]
