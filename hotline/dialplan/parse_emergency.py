"""The optional `emergency` section: the operators' feature code for emergency mode, and its defaults.

Without the section emergency mode is not available (no feature code is rendered, `hotline emergency on`
refuses). With it, the prompts emergency mode plays (`prompt_ids.EMERGENCY_PROMPTS`) must be defined.
"""

from __future__ import annotations

import re

from hotline.dialplan import prompt_ids as ids
from hotline.dialplan.draft import SectionReader
from hotline.dialplan.model import EmergencyPolicy
from hotline.dialplan.parse_phones import feature_code
from hotline.dialplan.strictyaml import Node

EMERGENCY_SETTINGS = ("feature_code", "default_hours", "callback_group")
CODE_DIGITS = 6
FEATURE_CODE = re.compile(
    rf"\*[0-9]{{1,{CODE_DIGITS}}}"
)  # a star and digits: never an operator's extension or a number


def read_emergency(r: SectionReader, node: Node) -> None:
    """Read `emergency` into `r.d.emergency` (left None when something in it is wrong, which is reported)."""
    path = "emergency"
    if (m := r.f.mapping(node, path)) is None:
        return
    r.f.keys(m, path, (), EMERGENCY_SETTINGS)
    base = EmergencyPolicy()
    ok = True
    code = base.feature_code
    if (code_node := m.get("feature_code")) is not None:
        value = feature_code(r, code_node, f"{path}.feature_code", CODE_DIGITS, "*77")
        ok = ok and value is not None
        code = value or code
    hours = r.number(m, "default_hours", path, 1, 7 * 24, default=base.default_hours)
    group = r.ref("group", m, "callback_group", path, queued=True)
    if m.get("callback_group") is not None and group is None:
        ok = False
    missing = [p for p in ids.EMERGENCY_PROMPTS if p not in r.d.declared["prompt"]]
    if missing and r.d.sections.get("prompts") is not None:
        r.f.problem(
            node.span,
            f"{path}: emergency mode plays prompts that are not defined: {', '.join(missing)}",
            "define them in prompts: dialplans/hotline.yaml has their texts, docs/dialplan.md says when "
            "each is heard",
        )
    if not ok or hours is None:
        return
    r.d.emergency = EmergencyPolicy(feature_code=code, default_hours=hours, callback_group=group)
