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


def render_operator_codes(dialplan: Dialplan, settings: Settings) -> list[str]:
    """The extensions of every presence code: the code alone, and code + digits where they mean one."""
    phones = dialplan.phones
    codes = {
        "login": phones.login,
        "logout": phones.logout,
        "pause": phones.pause,
        "resume": phones.resume,
        "wrapup": phones.wrapup,
    }
    url = f"agi://{settings.host}:{settings.agi_port}/{c.AGI_OPERATOR}"
    blocks = ["; Presence feature codes: log in/out (+ a group's code), pause (+ a reason's key), resume..."]
    for action, code in codes.items():
        patterns = [code]
        if _TAKES_DIGITS[action]:
            patterns += [f"_{code}X", f"_{code}X."]
        for pattern in patterns:
            agi = f"AGI({url},{action},${{EXTEN:{len(code)}}},${{CHANNEL(endpoint)}})"
            lines = ["Answer()", f"Set(CHANNEL(language)={dialplan.hotline.language})", agi, "Hangup()"]
            blocks.append(extension(pattern, lines))
    return blocks
