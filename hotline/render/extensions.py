"""extensions.conf: the entry context hands each call to the engine over FastAGI, then acts on what the
engine decided. Whatever goes wrong (engine down, engine failed, an unknown decision) ends in the
fallback context: an announcement and the general queue, never silence.

The engine's decision comes back in channel variables (names in `hotline.constants`); the values it may
set are ids checked by the YAML loader, and the dialplan still only jumps to extensions that exist.
"""

from __future__ import annotations

from hotline import constants as c
from hotline.dialplan.model import Dialplan
from hotline.render.announce_contexts import render_announce_contexts
from hotline.render.callback_contexts import lines_busy_check, render_callback_contexts
from hotline.render.conf import extension, value
from hotline.render.operator_codes import render_operator_codes
from hotline.render.queue_whisper import queue_lines, render_queue_whisper
from hotline.settings import Settings


def other_dids(dialplan: Dialplan) -> list[str]:
    """The provider's other numbers for the hotline (`trunk.dids`): each one is the hotline's number."""
    number = dialplan.hotline.number
    dids = [d for d in (dialplan.trunk.dids if dialplan.trunk else ()) if d != number]
    if not dids:
        return []
    lines = [f"; the hotline's other numbers at the provider: each is {number}"]
    return lines + [extension(did, [f"Goto({c.CTX_INBOUND},{number},1)"]) for did in dids]


def render_extensions(dialplan: Dialplan, settings: Settings) -> str:
    h = dialplan.hotline
    agi_url = f"agi://{settings.agi_address}:{settings.agi_port}/{c.AGI_SCRIPT}"
    fallback_prompt = f"{settings.asterisk_sounds_dir}/{h.language}/{h.fallback_prompt}"
    general = h.general_group
    blocks = [
        "; Rendered by `hotline` from the dialplan YAML. Do not edit: edit the YAML, then `hotline check`.",
        "[general]\nstatic = yes\nwriteprotect = yes\nclearglobalvars = yes\n",
        "[globals]\n",
        f"; Calls from the carrier trunk. {value(h.name)}",
        f"[{c.CTX_INBOUND}]",
        extension(
            h.number,
            [
                "NoOp(hotline call from …${CALLERID(num):-4})",  # Asterisk's log: never the whole number
                # what the carrier vouches for (the trunk is known by its address): kept apart from the
                # caller ID, which anyone upstream may have written
                f"Set({c.VAR_ASSERTED}=${{PJSIP_HEADER(read,P-Asserted-Identity)}})",
                f"Set(CHANNEL(language)={h.language})",
                *lines_busy_check(dialplan),
                "Answer()",
                f"AGI({agi_url})",
                # SUCCESS: the engine decided; FAILURE/NOTFOUND: it is down or broke; HANGUP: caller gone
                f'GotoIf($["${{AGISTATUS}}" = "SUCCESS"]?{c.CTX_AFTER_IVR},s,1)',
                f"Goto({c.CTX_FALLBACK},s,1)",
            ],
        ),
        *other_dids(dialplan),
        "; any other number is not ours",
        extension("_[+0-9].", ["Hangup(1)"]),
        "",
        "; What the engine decided.",
        f"[{c.CTX_AFTER_IVR}]",
        extension(
            "s",
            [
                f'GotoIf($["${{{c.VAR_ERROR}}}" != ""]?{c.CTX_FALLBACK},s,1)',
                f'GotoIf($["${{{c.VAR_ACTION}}}" = "{c.ACTION_HANGUP}"]?bye)',
                f'GotoIf($["${{{c.VAR_ACTION}}}" != "{c.ACTION_QUEUE}"]?{c.CTX_FALLBACK},s,1)',
                f"GotoIf(${{DIALPLAN_EXISTS({c.CTX_QUEUES},${{{c.VAR_GROUP}}},1)}}?{c.CTX_QUEUES},${{{c.VAR_GROUP}}},1)",
                f"Goto({c.CTX_FALLBACK},s,1)",
                "n(bye),Hangup(16)",
            ],
        ),
        "",
        "; The engine is down or failed: tell the caller and put them through to the general queue.",
        f"[{c.CTX_FALLBACK}]",
        extension(
            "s",
            [
                f"NoOp(hotline fallback: AGISTATUS=${{AGISTATUS}} error=${{{c.VAR_ERROR}}})",
                f"Set({c.VAR_GROUP}={general})",
                f"Playback({fallback_prompt})",
                f"Goto({c.CTX_QUEUES},{general},1)",
            ],
        ),
        "",
        "; One extension per skill group. Who waited the group's max_wait goes to the general queue.",
        f"[{c.CTX_QUEUES}]",
    ]
    for group in dialplan.skill_groups.values():
        lines = [
            f"Set({c.VAR_GROUP}={group.id})",
            f"Set({c.VAR_QUEUE}={c.queue_name(group.id)})",
            f"Set({c.VAR_QUEUED_AT}=${{EPOCH}})",  # where the caller stands, should they ask for a callback
            *queue_lines(dialplan, group),  # priority, widening, the operator's whisper, Queue()
        ]
        if group.id != general:
            lines.append(f'GotoIf($["${{QUEUESTATUS}}" = "TIMEOUT"]?{general},1)')
        lines.append("Hangup(16)")
        blocks.append(extension(group.id, lines))
    blocks += render_callback_contexts(dialplan, settings)
    blocks += render_announce_contexts(settings)  # always: see hotline.render.announce_contexts
    blocks += render_queue_whisper(dialplan, settings)
    blocks += [
        "",
        "; Operators' phones: each other by extension, the hotline number itself (to try it), and hints",
        "; so that busy lamp fields show who is on a call.",
        f"[{c.CTX_OPERATORS}]",
        extension(h.number, [f"Goto({c.CTX_INBOUND},{h.number},1)"]),
    ]
    if dialplan.emergency is not None:  # emergency mode: the engine asks for the PIN, then what to do
        code = dialplan.emergency.feature_code
        em_url = f"agi://{settings.agi_address}:{settings.agi_port}/{c.AGI_EMERGENCY}"
        lines = ["Answer()", f"Set(CHANNEL(language)={h.language})", f"AGI({em_url})", "Hangup()"]
        blocks.append(extension(code, lines))
    blocks += render_operator_codes(dialplan, settings)
    for op in dialplan.operators.values():
        blocks.append(f"exten => {op.extension},hint,PJSIP/{op.id}")
        blocks.append(extension(op.extension, [f"Dial(PJSIP/{op.id},30)", "Hangup()"]))
    return "\n".join(blocks) + "\n"
