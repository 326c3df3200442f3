"""The parts of extensions.conf that serve callbacks.

- `[hotline-queue-exit]`: a caller waiting in a queue presses the callback key (queues.conf `context`).
- `[hotline-cb-request]`: the engine registers the request over FastAGI (the caller confirms the number
  and hears the promise). If the engine cannot, the caller goes back to the queue: nobody is dropped.
- `[hotline-callback]`: where the engine's Originate of an attempt lands. Operator first: the operator
  answers, hears what the call is (the whisper: the group's name, then how many minutes ago the citizen
  asked, the word for minutes in the number's plural form), then the citizen is dialled on the outbound
  trunk. The engine's variables are checked (REGEX) before they make a file name or a number. Citizen
  first: the citizen answers, hears who calls, then the reserved operator is dialled. Either way a hangup
  handler reports the attempt's result in a UserEvent that the engine folds into the request.
"""

from __future__ import annotations

from hotline import constants as c
from hotline.dialplan import prompt_ids as ids
from hotline.dialplan.model import Dialplan
from hotline.plural import PLURAL_FORMS
from hotline.render.announce_contexts import stop_announcement
from hotline.render.conf import extension
from hotline.render.trunk import CARRIER_OUT
from hotline.settings import Settings

CB_DB_FAMILY = "hotline-cb"  # AstDB family of the attempts' results


def render_callback_contexts(dialplan: Dialplan, settings: Settings) -> list[str]:
    h = dialplan.hotline
    policy = dialplan.callbacks
    sounds = f"{settings.asterisk_sounds_dir}/{h.language}"
    agi = f"agi://{settings.agi_address}:{settings.agi_port}/{c.AGI_CALLBACK}"
    number_ok = f'$[${{REGEX("^[+]?[0-9]{{6,15}}$" ${{{c.VAR_CB_NUMBER}}})}}]'
    group_ok = f'$[${{REGEX("^[a-z][a-z0-9_-]{{0,39}}$" ${{{c.VAR_CB_GROUP}}})}}]'  # a name: no '/' nor '.'
    ago_ok = (
        f'$[${{REGEX("^[0-9]{{1,6}}$" ${{{c.VAR_CB_AGO}}})}} & '
        f'${{REGEX("^({"|".join(PLURAL_FORMS)})$" ${{{c.VAR_CB_AGO_FORM}}})}}]'
    )
    report = (
        f"UserEvent({c.USER_EVENT_CALLBACK},Id: ${{{c.VAR_CB_ID}}},Attempt: ${{{c.VAR_CB_ATTEMPT}}},"
        f"Fence: ${{{c.VAR_CB_FENCE}}},Stage: ${{HOTLINE_CB_STAGE}},DialStatus: ${{DIALSTATUS}},"
        "AnsweredTime: ${ANSWEREDTIME},Cause: ${HANGUPCAUSE})"
    )
    blocks = ["", "; A caller waiting in a queue pressed the callback key.", f"[{c.CTX_QUEUE_EXIT}]"]
    if policy.queue_key:
        lines = [stop_announcement("${UNIQUEID}"), f"Goto({c.CTX_CB_REQUEST},in_queue,1)"]
        blocks.append(extension(policy.queue_key, lines))
    blocks += [
        "",
        "; The engine registers a callback request; if it cannot, the caller goes back to the queue.",
        f"[{c.CTX_CB_REQUEST}]",
        extension(
            "_[a-z].",
            [
                f'Set({c.VAR_GROUP}=${{IF($["${{{c.VAR_GROUP}}}" = ""]?{h.general_group}'
                f":${{{c.VAR_GROUP}}})}})",
                f"Set({c.VAR_ACTION}=)",
                "Answer()",
                f"AGI({agi},${{EXTEN}},${{{c.VAR_GROUP}}})",
                f'GotoIf($["${{AGISTATUS}}" = "SUCCESS" & "${{{c.VAR_ACTION}}}" = "{c.ACTION_HANGUP}"]?bye)',
                f"Playback({sounds}/{h.fallback_prompt})",
                f"GotoIf(${{DIALPLAN_EXISTS({c.CTX_QUEUES},${{{c.VAR_GROUP}}},1)}}?"
                f"{c.CTX_QUEUES},${{{c.VAR_GROUP}}},1:{c.CTX_QUEUES},{h.general_group},1)",
                "n(bye),Hangup(16)",
            ],
        ),
        "",
        "; A callback attempt, placed by the engine's Originate.",
        f"[{c.CTX_CALLBACK}]",
        extension(
            "operator-first",
            [
                f"NoOp(callback ${{{c.VAR_CB_ID}}} attempt ${{{c.VAR_CB_ATTEMPT}}}: the operator answered)",
                f"Set(CHANNEL(hangup_handler_push)={c.CTX_CALLBACK},report,1)",
                f"Set(CHANNEL(language)={h.language})",
                "Set(HOTLINE_CB_STAGE=whisper)",
                f"GotoIf({number_ok}?:bad)",
                f"Playback({sounds}/{ids.CB_WHISPER_INTRO})",
                f"GotoIf({group_ok}?:ago)",
                f"Playback({sounds}/{ids.GROUP_PROMPT_PREFIX}${{{c.VAR_CB_GROUP}}})",
                f"n(ago),GotoIf({ago_ok}?:citizen)",
                f"SayNumber(${{{c.VAR_CB_AGO}}},{ids.MINUTES_GENDER})",
                f"Playback({sounds}/{ids.CB_WHISPER_ASKED}_${{{c.VAR_CB_AGO_FORM}}})",
                "n(citizen),Set(HOTLINE_CB_STAGE=citizen)",
                f"Dial(PJSIP/${{{c.VAR_CB_NUMBER}}}@{CARRIER_OUT},${{{c.VAR_CB_RING}}})",
                "Hangup()",
                "n(bad),Set(HOTLINE_CB_STAGE=bad_number)",
                "Hangup()",
            ],
        ),
        extension(
            "citizen-first",
            [
                f"NoOp(callback ${{{c.VAR_CB_ID}}} attempt ${{{c.VAR_CB_ATTEMPT}}}: the citizen answered)",
                f"Set(CHANNEL(hangup_handler_push)={c.CTX_CALLBACK},report,1)",
                f"Set(CHANNEL(language)={h.language})",
                "Set(HOTLINE_CB_STAGE=operator)",
                f'GotoIf($[${{REGEX("^PJSIP/[a-z][a-z0-9_-]*$" ${{{c.VAR_CB_OPERATOR}}})}}]?:bad)',
                f"Playback({sounds}/{dialplan.entry.transfer_prompt or h.fallback_prompt})",
                f"Dial(${{{c.VAR_CB_OPERATOR}}},20)",
                "Hangup()",
                "n(bad),Set(HOTLINE_CB_STAGE=bad_operator)",
                "Hangup()",
            ],
        ),
        # The result also goes to AstDB, Asterisk's own state: an engine that died before it stored the
        # result finds it there when it reconciles (DBGet), and the citizen is not called again. In one
        # of a fixed number of slots, named with the attempt: AstDB never grows with the years.
        extension(
            "report",
            [
                report,
                f"Set(DB({CB_DB_FAMILY}/slot-${{FILTER(0-9,${{{c.VAR_CB_SLOT}}})}})="
                f"${{{c.VAR_CB_ID}}}-${{{c.VAR_CB_ATTEMPT}}}|"
                "${HOTLINE_CB_STAGE}|${DIALSTATUS}|${ANSWEREDTIME}|${HANGUPCAUSE})",
                "Return()",
            ],
        ),
    ]
    return blocks


def lines_busy_check(dialplan: Dialplan) -> list[str]:
    """Lines of the entry extension that count the public number's calls and send the caller beyond
    the hotline's capacity to a callback instead of a busy tone."""
    return [
        f"Set(GROUP()={c.LINES_GROUP})",
        f"GotoIf($[${{GROUP_COUNT({c.LINES_GROUP})}} > {dialplan.hotline.capacity}]?"
        f"{c.CTX_CB_REQUEST},lines_busy,1)",
    ]
