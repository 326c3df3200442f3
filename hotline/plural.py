"""Which plural form a count takes in a language, to pick the prompt said after a number.

Asterisk says the number itself (SayNumber, AGI SAY NUMBER); the word after it is one of three prompts,
`<id>_one`, `<id>_few` or `<id>_many`, and `plural_form` says which:

    Russian (and Ukrainian, Belarusian):  1, 21, 101 -> one;  2-4, 22-24 -> few;  0, 5-20, 25 -> many
                                          (11-14 are many: "одиннадцать минут")
    English and every other language:     1 -> one;  anything else -> many
"""

from __future__ import annotations

from typing import Final, Literal

PluralForm = Literal["one", "few", "many"]
PLURAL_FORMS: Final[tuple[PluralForm, ...]] = ("one", "few", "many")

_EAST_SLAVIC: Final = frozenset({"ru", "uk", "be"})


def plural_form(n: int, language: str) -> PluralForm:
    """The plural form of the count `n` in `language` (a two-letter code); a negative count as its size."""
    n = abs(n)
    if language in _EAST_SLAVIC:
        last, last_two = n % 10, n % 100
        if last == 1 and last_two != 11:
            return "one"
        if 2 <= last <= 4 and not 12 <= last_two <= 14:
            return "few"
        return "many"
    return "one" if n == 1 else "many"
