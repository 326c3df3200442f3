"""The PIN of the emergency feature code: a generated secret of digits, checked in constant time."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

PIN_DIGITS = 8
MAX_TRIES = 3  # wrong PINs before the call is ended


def new_pin() -> str:
    """A PIN of PIN_DIGITS random digits (CSPRNG)."""
    return "".join(secrets.choice("0123456789") for _ in range(PIN_DIGITS))


def is_pin(value: object) -> bool:
    """True for a usable PIN: a string of at least PIN_DIGITS digits."""
    return isinstance(value, str) and len(value) >= PIN_DIGITS and value.isascii() and value.isdigit()


def pin_matches(given: str, pin: str) -> bool:
    """Whether the keys typed are the PIN, in time that does not depend on where they differ."""
    return hmac.compare_digest(given.encode(), pin.encode())


@dataclass
class PinGate:
    """One call's tries at the PIN: `check` until it passes, or MAX_TRIES wrong ones lock it."""

    pin: str
    wrong: int = 0
    passed: bool = False

    @property
    def locked(self) -> bool:
        return self.wrong >= MAX_TRIES

    def check(self, given: str) -> bool:
        if self.locked or not is_pin(self.pin):  # no PIN configured: nobody gets in
            return False
        if pin_matches(given.rstrip("#"), self.pin):
            self.passed = True
            return True
        self.wrong += 1
        return False
