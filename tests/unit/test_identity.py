"""The number a carrier vouches for, read from P-Asserted-Identity."""

from __future__ import annotations

import pytest

from hotline.callbacks.identity import asserted_number
from hotline.dialplan.model import NumberRules

RULES = NumberRules()


@pytest.mark.parametrize(
    "header",
    [
        "<sip:+79161234567@10.0.0.1;user=phone>",
        "<tel:+79161234567>",
        '"Иван" <sip:89161234567@carrier.example>',
        "sip:79161234567@10.0.0.1",
        "<sips:+7-916-123-45-67@carrier>",
    ],
)
def test_the_asserted_number_is_read_from_every_usual_form(header: str) -> None:
    """SIP or tel URI, with or without angle brackets and a display name, national or E.164."""
    assert asserted_number(header, RULES) == "79161234567"


@pytest.mark.parametrize(
    "header",
    ["", None, "<sip:anonymous@anonymous.invalid>", "<sip:+442079460958@uk>", "garbage", "<sip:112@x>"],
)
def test_no_identity_when_absent_hidden_foreign_or_not_callable(header: str | None) -> None:
    """Nothing asserted, a hidden identity, a foreign or short number: no identity to call back."""
    assert asserted_number(header, RULES) is None
