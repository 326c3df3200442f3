"""Whose number a call really comes from: the identity the carrier asserts, never the caller ID.

A caller ID (the From header) is whatever the network upstream, or an attacker behind it, wrote. The
carrier trunk is recognised by its source address, and what it puts in `P-Asserted-Identity` is the
number it vouches for (RFC 3325: the network checked it). The rendered dialplan keeps that header in a
channel variable (`hotline.constants.VAR_ASSERTED`) and AMI events carry it.

The policy (docs/security.md):
- an unasked callback (a caller who hung up in the queue) is placed only to the asserted number;
- a request is cancelled as "got through" only when the asserted number of the call that got through is
  the request's number;
- registrations are counted per asserted identity where there is one, and those without one share
  buckets of their own (per number prefix, and all together), so spoofed caller IDs cannot use up the
  limit that citizens with a vouched number rely on.
A citizen who asks for a callback and confirms or types a number is called on it, asserted or not: that
is what they asked for, within the same limits.
"""

from __future__ import annotations

import re

from hotline.callbacks.numbers import normalise
from hotline.dialplan.model import NumberRules
from hotline.errors import NumberRefused

# the first sip:, sips: or tel: URI's user part, with or without <>, a display name before it
_URI = re.compile(r"(?:sips?|tel):\+?([0-9][0-9().\- ]{0,30})", re.IGNORECASE)


def asserted_number(header: str | None, rules: NumberRules) -> str | None:
    """The normalised number of a P-Asserted-Identity header (`<sip:+79161234567@carrier;user=phone>`,
    `<tel:+79161234567>`, `"Name" <sip:89161234567@...>`), or None: absent, not a number, or one the
    hotline would not call."""
    if not header:
        return None
    found = _URI.search(header)
    if found is None:
        return None
    plus = "+" if re.search(r"(?:sips?|tel):\+", found.group(0), re.IGNORECASE) else ""
    try:
        return normalise(plus + found.group(1), rules)
    except NumberRefused:
        return None
