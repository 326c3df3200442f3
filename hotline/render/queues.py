"""queues.conf: one queue per skill group; an operator's level in a skill becomes their penalty there."""

from __future__ import annotations

from hotline.constants import CTX_QUEUE_EXIT, queue_name
from hotline.dialplan.model import Dialplan
from hotline.render.conf import section, value


def penalty(level: int) -> int:
    """Level 1 (best) rings first: penalty 0."""
    return level - 1


def render_queues(dialplan: Dialplan, sounds_dir: str) -> str:
    """`sounds_dir`: the prompts' directory as Asterisk sees it (for the periodic callback offer)."""
    parts = [
        "; Rendered by `hotline` from the skill groups and operators of the dialplan YAML.\n",
        section(
            "general",
            [
                ("persistentmembers", "yes"),
                ("autofill", "yes"),
                ("shared_lastcall", "yes"),
            ],
        ),
    ]
    for group in dialplan.skill_groups.values():
        options = [
            ("strategy", group.strategy),
            ("timeout", str(group.ring_timeout)),
            ("retry", "2"),
            ("wrapuptime", str(group.wrapup)),
            ("ringinuse", "no"),
            ("joinempty", "yes"),
            ("leavewhenempty", "no"),
            ("announce-frequency", "0"),
            ("setinterfacevar", "yes"),
            ("setqueuevar", "yes"),
            ("setqueueentryvar", "yes"),
        ]
        key = dialplan.callbacks.queue_key
        if key:
            # the callback key takes the caller out of the queue into the context that registers it
            offer = f"{sounds_dir}/{dialplan.hotline.language}/cb_offer_in_queue"
            options += [
                ("context", CTX_QUEUE_EXIT),
                ("periodic-announce", offer),
                ("periodic-announce-frequency", str(dialplan.callbacks.queue_offer_every)),
                # counted from the caller's join (every F s), not from the end of the last offer: the engine's
                # announcements (router.announcer) keep clear of those instants instead of talking over them
                ("relative-periodic-announce", "no"),
            ]
        for op in dialplan.operators_of(group.id):
            iface = f"PJSIP/{op.id}"
            options.append(("member", f"{iface},{penalty(op.skills[group.id])},{op.id},{iface}"))
        parts.append(f"; {value(group.title)}\n" + section(queue_name(group.id), options))
    return "\n".join(parts)
