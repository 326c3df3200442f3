"""Numbers in logs: the last four digits and a keyed hash, nothing from which the number comes back."""

from __future__ import annotations

import re

import pytest

from hotline.redact import mask, use_key


@pytest.fixture(autouse=True)
def known_key() -> None:
    use_key("k" * 32)


def test_a_number_shows_only_its_last_four_digits_and_a_hash() -> None:
    """79161234567 -> …4567#xxxxxxxx: no other digit of the number is in the masked text."""
    shown = mask("79161234567")
    assert re.fullmatch(r"…4567#[0-9a-f]{8}", shown)
    assert "7916" not in shown
    assert "123" not in shown


def test_the_same_number_masks_alike_whatever_its_format() -> None:
    """Every line of one citizen's number can be found: the hash is of the digits alone."""
    assert mask("+7 (916) 123-45-67") == mask("79161234567")
    assert mask("79161234567") != mask("79161234568")


def test_the_hash_depends_on_the_installation_key() -> None:
    """Without the key nobody can hash every possible number to find which one it was."""
    first = mask("79161234567")
    use_key("another-key-of-enough-length-0123")
    assert mask("79161234567") != first


def test_short_numbers_show_no_digit_at_all() -> None:
    """A short number's last four digits would be all of it: only the hash."""
    assert re.fullmatch(r"#[0-9a-f]{8}", mask("112"))
    assert mask("anonymous") == "<none>"


def test_a_weak_key_is_refused_and_the_previous_one_kept() -> None:
    """The key is a generated secret, never a word someone typed."""
    before = mask("79161234567")
    with pytest.raises(ValueError, match="24 characters"):
        use_key("short")
    assert mask("79161234567") == before
