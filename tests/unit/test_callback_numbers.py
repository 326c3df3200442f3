"""Citizens' numbers: every accepted format, every refusal reason, read-back and masking."""

from __future__ import annotations

import pytest

from hotline.callbacks.numbers import normalise, spoken
from hotline.dialplan.model import NumberRules
from hotline.errors import CallbackError, NumberRefused

RULES = NumberRules()


@pytest.mark.parametrize(
    "raw",
    [
        "+7 (916) 123-45-67",
        "8 916 123 45 67",
        "89161234567",
        "9161234567",
        "79161234567",
        "+79161234567",
        "  8 (916) 123-45-67  ",
        "8-916-123-45-67",
        "916 123 45 67",
    ],
)
def test_every_russian_format_normalises_to_digits_with_the_country_code(raw: str) -> None:
    """Caller IDs, typed numbers and DTMF digits all become 79161234567."""
    assert normalise(raw, RULES) == "79161234567"


def test_a_moscow_landline_is_accepted() -> None:
    """Geographic numbers (7 495 ...) are allowed by the default pattern."""
    assert normalise("8 495 123-45-67", RULES) == "74951234567"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("+", "empty"),
        ("()-", "empty"),
        ("8916abc4567", "not_digits"),
        ("8 916 123 45 67 ext 2", "not_digits"),
        ("7+9161234567", "not_digits"),
        ("8.916.123.45.67", "not_digits"),
        ("112", "too_short"),
        ("01", "too_short"),
        ("1234", "too_short"),
        ("916123456", "too_short"),
        ("+7 916 123 45 6", "too_short"),
        ("791612345678", "too_long"),
        ("89161234567890", "too_long"),
        ("+7 916 123 45 678", "too_long"),
        ("+44 20 7946 0958", "international"),
        ("+380 44 123 4567", "international"),
        ("00442079460958", "international"),
        ("810442079460958", "international"),
        ("19161234567", "international"),
        ("8 800 123-45-67", "premium"),
        ("+7 803 123 45 67", "premium"),
        ("88091234567", "premium"),
        ("8 804 123-45-67", "premium"),  # free-phone: the hotline would pay the callee's side
        ("+7 840 123 45 67", "premium"),  # Abkhazia: charged as an international call
        ("8 940 123-45-67", "premium"),  # South Ossetia, likewise
        ("8 512 123-45-67", "not_allowed"),
        ("8 600 123-45-67", "not_allowed"),
    ],
)
def test_numbers_we_do_not_call_are_refused_with_a_reason_code(raw: str, reason: str) -> None:
    """Each refusal names its reason, so the IVR can say why."""
    with pytest.raises(NumberRefused) as caught:
        normalise(raw, RULES)
    assert caught.value.reason == reason
    assert str(caught.value)


def test_a_refusal_is_a_callback_error_of_the_one_tree() -> None:
    """NumberRefused belongs to the project's exception tree."""
    assert issubclass(NumberRefused, CallbackError)


def test_the_allowed_pattern_and_refused_prefixes_come_from_the_rules() -> None:
    """An administrator's narrower pattern and extra prefixes are applied."""
    mobile_only = NumberRules(allowed=r"79\d{9}", refused_prefixes=("7900",))
    assert normalise("89161234567", mobile_only) == "79161234567"
    with pytest.raises(NumberRefused) as landline:
        normalise("84951234567", mobile_only)
    assert landline.value.reason == "not_allowed"
    with pytest.raises(NumberRefused) as prefix:
        normalise("89001234567", mobile_only)
    assert prefix.value.reason == "premium"


def test_spoken_groups_the_number_for_reading_back() -> None:
    """79161234567 is read back as +7 916 123-45-67."""
    assert spoken("79161234567") == "+7 916 123-45-67"
