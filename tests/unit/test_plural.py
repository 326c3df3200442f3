"""plural_form: which of the `_one`, `_few`, `_many` prompts follows a number, over the tricky numbers."""

from __future__ import annotations

import pytest

from hotline.plural import PLURAL_FORMS, plural_form

RUSSIAN = {
    "one": [1, 21, 31, 101, 121, 1001, 1_000_001],
    "few": [2, 3, 4, 22, 23, 24, 32, 102, 104, 1022],
    "many": [0, 5, 6, 9, 10, 11, 12, 13, 14, 15, 19, 20, 25, 30, 100, 111, 112, 114, 211, 1000],
}


@pytest.mark.parametrize(("form", "n"), [(form, n) for form, ns in RUSSIAN.items() for n in ns])
def test_russian_numbers_take_one_few_or_many_by_their_last_digits(form: str, n: int) -> None:
    """1 and 21 say "минута", 2-4 and 22-24 "минуты", the rest "минут", and 11-14 (any hundred) too."""
    assert plural_form(n, "ru") == form


@pytest.mark.parametrize(("n", "form"), [(-1, "one"), (-3, "few"), (-11, "many")])
def test_a_negative_count_takes_the_form_of_its_size(n: int, form: str) -> None:
    """-1 is one, as 1 is (never said today, but never an error)."""
    assert plural_form(n, "ru") == form


@pytest.mark.parametrize(("n", "form"), [(1, "one"), (0, "many"), (2, "many"), (11, "many"), (21, "many")])
def test_english_has_one_for_1_and_many_for_everything_else(n: int, form: str) -> None:
    """English says "1 minute", "21 minutes": no few form, and 21 is not one."""
    assert plural_form(n, "en") == form


def test_ukrainian_follows_the_russian_rule_and_others_the_english_one() -> None:
    """The East Slavic languages share the three forms; any other language falls back to one/many."""
    assert [plural_form(n, "uk") for n in (1, 3, 11, 21)] == ["one", "few", "many", "one"]
    assert [plural_form(n, "de") for n in (1, 3, 21)] == ["one", "many", "many"]


def test_every_form_is_one_of_the_three_prompt_suffixes() -> None:
    """The forms are the suffixes of the prompts' names, in the order one, few, many."""
    assert PLURAL_FORMS == ("one", "few", "many")
    assert {plural_form(n, lang) for n in range(200) for lang in ("ru", "en")} == set(PLURAL_FORMS)
