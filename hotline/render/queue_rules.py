"""queuerules.conf: how a waiting caller's search widens to lower skill levels.

A caller of a group with `widen_after` steps joins its queue with QUEUE_MAX_PENALTY=0 (level 1 only,
set by the queue extension) and Queue() is given the group's rule: after `widen_after[i]` seconds of
waiting the maximum penalty becomes i+1 (level i+2 rings too), and after the last step every level of
the group rings. Asterisk applies a rule to the caller's own queue entry, so nobody loses their place
while the search widens. A group without steps has no rule: every level rings at once.
"""

from __future__ import annotations

from hotline.constants import queue_name
from hotline.dialplan.model import Dialplan, SkillGroup
from hotline.render.conf import section
from hotline.render.queues import penalty


def rule_name(group: SkillGroup) -> str | None:
    """The queue rule a group's callers wait under, or None when the group has no widening steps."""
    return queue_name(group.id) if group.widen_after else None


def max_penalties(dialplan: Dialplan, group: SkillGroup) -> list[tuple[int, int]]:
    """(seconds waited, the highest penalty rung from then on), one pair per step. The last step opens
    every level the group has (at least the step's own, so that the steps never narrow the search)."""
    steps = list(group.widen_after)
    highest = max((penalty(op.skills[group.id]) for op in dialplan.operators_of(group.id)), default=0)
    pairs = [(after, i + 1) for i, after in enumerate(steps)]
    if pairs:
        last_after, last_max = pairs[-1]
        pairs[-1] = (last_after, max(last_max, highest))
    return pairs


def render_queue_rules(dialplan: Dialplan) -> str:
    parts = ["; Rendered by `hotline` from the skill groups' widen_after steps of the dialplan YAML.\n"]
    for group in dialplan.skill_groups.values():
        name = rule_name(group)
        if name is None:
            continue
        lines = [("penaltychange", f"{after},{top}") for after, top in max_penalties(dialplan, group)]
        parts.append(section(name, lines))
    return "\n".join(parts)
