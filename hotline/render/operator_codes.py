"""The operators' presence feature codes in `[hotline-operators]` (`phones:` in the YAML).

Each code answers and hands the call to the engine's FastAGI script `operator` with the action, the
digits dialled after the code (a group's code after login/logout, a reason's key after pause) and
`${CHANNEL(endpoint)}`: the PJSIP endpoint that authenticated, which is who the operator is (the caller
ID is display only and never used for that). What the digits mean is the engine's business
(`ivr.operator_flow`), so a wrong one is told so instead of ending in silence.
"""

from __future__ import annotations

from hotline import constants as c
from hotline.dialplan.model import Dialplan
from hotline.render.conf import extension
from hotline.settings import Settings

# action -> may digits follow the code (a group's code, a pause reason's key)
_TAKES_DIGITS = {"login": True, "logout": True, "pause": True, "resume": False, "wrapup": False}
MOST_DIGITS = 2  # a group's code has 1 or 2 digits, a pause reason's key 1 (hotline.dialplan.parse*)
NOT_DIGITS = "invalid"  # what the engine is told when anything but digits followed a code


def render_operator_codes(dialplan: Dialplan, settings: Settings) -> list[str]:
    """The extensions of every presence code: the code alone, the code + 1 or 2 digits, and the code +
    anything else (told to the engine as `invalid`, so the operator hears that the code is unknown).

    Only digits ever reach the AGI arguments: Asterisk splits them on commas after substitution, so
    `*231,op102` once made `op102` the operator (and paused them from op101's phone).
    """
    phones = dialplan.phones
    codes = {
        "login": phones.login,
        "logout": phones.logout,
        "pause": phones.pause,
        "resume": phones.resume,
        "wrapup": phones.wrapup,
    }
    url = f"agi://{settings.agi_address}:{settings.agi_port}/{c.AGI_OPERATOR}"
    blocks = ["; Presence feature codes: log in/out (+ a group's code), pause (+ a reason's key), resume..."]
    for action, code in codes.items():
        patterns = [(code, "")]
        if _TAKES_DIGITS[action]:
            only_digits = f"${{FILTER(0-9,${{EXTEN:{len(code)}}})}}"  # the pattern matched digits already
            patterns += [(f"_{code}{'X' * n}", only_digits) for n in range(1, MOST_DIGITS + 1)]
            patterns.append((f"_{code}X.", NOT_DIGITS))  # longer, or not digits: Asterisk picks X first
        for pattern, digits in patterns:
            agi = f"AGI({url},{action},{digits},${{CHANNEL(endpoint)}})"
            lines = ["Answer()", f"Set(CHANNEL(language)={dialplan.hotline.language})", agi, "Hangup()"]
            blocks.append(extension(pattern, lines))
    return blocks
