"""What logs may show of personal data: a citizen's number as its last four digits and a keyed hash.

`mask("79161234567")` is `…4567#1f0c9a2e`: the last four digits for a person reading the log, and the
first 8 hex digits of an HMAC-SHA256 of the whole number, for finding every line of the same number
across a day's logs. Without the key, the hash cannot be turned back into the number by trying all
numbers (there are only about 10^10 of them, so an unkeyed hash could). The key is the installation's
`log_key` in secrets.json, set once per process with `use_key` where the secrets are read (the engine);
a process that never sets it hashes with a random key of its own, so its lines still correlate among
themselves and reveal nothing.

Digits a caller types (a PIN, a number, a menu key) are never logged at all: see `ivr.channel`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

_ASCII_DIGITS = frozenset("0123456789")
_key = [secrets.token_bytes(32)]  # replaced by use_key(); a list so that no `global` is needed


def use_key(key: str) -> None:
    """Hash numbers in logs with the installation's key from now on (call once, at start)."""
    if len(key) < 24:
        raise ValueError("the log key must be a generated secret of 24 characters or more")
    _key[0] = key.encode()


def mask(number: str) -> str:
    """A number as logs may show it: `…4567#1f0c9a2e`; `<none>` for a value without digits.

    Numbers of four digits or fewer show only the hash (`#1f0c9a2e`): their digits would be all of them.
    """
    digits = "".join(c for c in number if c in _ASCII_DIGITS)
    if not digits:
        return "<none>"
    tag = hmac.new(_key[0], digits.encode(), hashlib.sha256).hexdigest()[:8]
    return f"…{digits[-4:]}#{tag}" if len(digits) > 4 else f"#{tag}"
