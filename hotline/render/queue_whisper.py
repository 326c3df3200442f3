"""The whisper of a call from a queue, and the lines of a queue extension that prepare it.

Queue()'s gosub argument runs `[hotline-queue-whisper]` on the operator's channel once the operator has
answered and before the two are bridged: the caller, still hearing the ring, never hears it. The operator
hears the group's name, then how long the citizen waited ("heating, waited three minutes"; under a minute,
"waited less than a minute"). The group and the time the citizen first joined a queue reach the
operator's channel as inherited variables (`__` set on the caller's channel, copied by Asterisk to each
channel Queue() dials); the minutes and the plural form of the word after them are computed at answer
time, so that the whisper tells the wait up to the moment the operator picks up. Like the callback
whisper, every value is checked (REGEX) before it makes a file name or a number.
"""

from __future__ import annotations

from hotline import constants as c
from hotline.dialplan import prompt_ids as ids
from hotline.dialplan.model import Dialplan, SkillGroup
from hotline.plural import plural_form
from hotline.render.announce_contexts import stop_announcement
from hotline.render.conf import extension
from hotline.render.queue_rules import rule_name
from hotline.render.queues import penalty
from hotline.settings import Settings

MAX_PRIORITY_DIGITS = 3  # QUEUE_PRIO from the engine: 0..999
MAX_PENALTY = penalty(5)  # the lowest level: a search over every level


def queue_lines(dialplan: Dialplan, group: SkillGroup) -> list[str]:
    """The queue extension's lines from the caller's priority to Queue() itself."""
    prio = c.VAR_PRIORITY
    prio_ok = f'$[${{REGEX("^[0-9]{{1,{MAX_PRIORITY_DIGITS}}}$" ${{{prio}}})}}]'
    since = c.VAR_WHISPER_SINCE
    lines = [
        f"Set(__{c.VAR_QUEUE_CALLER}=${{UNIQUEID}})",  # the operator's channel ends its announcement
        f"Set(__{c.VAR_WHISPER_GROUP}={group.id})",
        # the first queue the caller joined: an overflow to the general queue keeps the whole wait
        f'Set(__{since}=${{IF($["${{{since}}}" = ""]?${{EPOCH}}:${{{since}}})}})',
        f"Set(QUEUE_PRIO=${{IF({prio_ok}?${{{prio}}}:0)}})",
        # level 1 only, widened by the rule; without steps every level (a caller overflowing from a
        # group with steps must not keep its narrow search here)
        f"Set(QUEUE_MAX_PENALTY={0 if group.widen_after else MAX_PENALTY})",
    ]
    # Queue(name,options,URL,announceoverride,timeout,AGI,gosub,rule): Asterisk 22 has no macro argument
    rule = rule_name(group)
    args = [c.queue_name(group.id), "r", "", "", str(group.max_wait or ""), "", c.CTX_QUEUE_WHISPER]
    lines.append(f"Queue({','.join(args + ([rule] if rule else []))})")
    lines.append(stop_announcement("${UNIQUEID}"))  # out of the queue: no announcement goes on
    return lines


def plural_form_lines(minutes: str, form: str, language: str) -> list[str]:
    """Lines that set the channel variable `form` to the plural form (`hotline.plural`) of the count
    in the variable `minutes`, in `language`: the dialplan's copy of `plural_form`."""
    n = f"${{{minutes}}}"
    if plural_form(2, language) == "few":  # the East Slavic rule (one, few, many)
        few = f"{n} % 10 >= 2 & {n} % 10 <= 4 & ({n} % 100 < 12 | {n} % 100 > 14)"
        one = f"{n} % 10 = 1 & {n} % 100 != 11"
        return [
            f"Set({form}=${{IF($[{few}]?few:many)}})",
            f"Set({form}=${{IF($[{one}]?one:${{{form}}})}})",
        ]
    return [f"Set({form}=${{IF($[{n} = 1]?one:many)}})"]


def render_queue_whisper(dialplan: Dialplan, settings: Settings) -> list[str]:
    h = dialplan.hotline
    sounds = f"{settings.asterisk_sounds_dir}/{h.language}"
    group, since = c.VAR_WHISPER_GROUP, c.VAR_WHISPER_SINCE
    group_ok = f'$[${{REGEX("^[a-z][a-z0-9_-]{{0,39}}$" ${{{group}}})}}]'  # a name: no '/' nor '.'
    since_ok = f'$[${{REGEX("^[0-9]{{1,12}}$" ${{{since}}})}}]'
    lines = [
        # the whisper's start and end, on the operator's channel: supervisors (and tests) see it happen
        stop_announcement(f"${{{c.VAR_QUEUE_CALLER}}}"),  # the caller's, cut short as the operator answers
        f"UserEvent({c.USER_EVENT_WHISPER},Stage: start)",
        f"Set(CHANNEL(language)={h.language})",
        f"GotoIf({group_ok}?:waited)",
        f"Playback({sounds}/{ids.GROUP_PROMPT_PREFIX}${{{group}}})",
        f"n(waited),GotoIf({since_ok}?:done)",
        f"Set(LOCAL(elapsed)=$[${{EPOCH}} - ${{{since}}}])",
        "Set(LOCAL(minutes)=$[(${elapsed} - ${elapsed} % 60) / 60])",
        "GotoIf($[${minutes} < 1]?under)",
        f"Playback({sounds}/{ids.Q_WHISPER_WAITED})",
        f"SayNumber(${{minutes}},{ids.MINUTES_GENDER})",
        *plural_form_lines("minutes", "LOCAL(form)", h.language),
        f"Playback({sounds}/{ids.CB_MINUTES}_${{form}})",
        "Goto(done)",
        f"n(under),Playback({sounds}/{ids.Q_WHISPER_UNDER_MINUTE})",
        f"n(done),UserEvent({c.USER_EVENT_WHISPER},Stage: end)",
        "Return()",
    ]
    return [
        "",
        "; Queue()'s gosub on the operator's channel, after they answer and before the bridge: the",
        "; group's name and how long the citizen waited. The caller keeps hearing the ring.",
        f"[{c.CTX_QUEUE_WHISPER}]",
        extension("s", lines),
    ]
