"""The part of extensions.conf that whispers announcements into waiting callers' channels.

The engine (`router.announcer`) Originates `Local/<caller uniqueid>@hotline-announce/n` into
`hotline-announce-play,s,1`:

- `[hotline-announce]` (the ;2 half) runs `ChanSpy(<caller channel>,qWES)`: q no beep, W whisper only
  (the spy does not listen), E and S end it when the caller hangs up or is gone. What the ;1 half plays
  reaches the caller mixed over the queue's music; the caller stays in the queue at their place.
- `[hotline-announce-play]` (the ;1 half) emits the UserEvent `HotlineAnnounce`, then plays the words
  in the caller's language: the position; then the estimate or the callback offer (the SLA and the key);
  `HotlineAnnounceEnd` once they were all played (never when the announcement was cut short).
- `stop_announcement` cuts it short: the queue extension runs it when Queue() returns, the callback key's
  context when the caller presses it, and the operator's whisper as soon as they answer.

Rendered always, whatever the settings: an engine whose dialplan enables announcements never Originates
into a context that a reload without them removed. Every engine variable is checked by REGEX before it
makes a file name, a channel to spy on or a number; anything else ends the Local channel at once.
"""

from __future__ import annotations

from hotline import constants as c
from hotline.dialplan import prompt_ids as ids
from hotline.plural import PLURAL_FORMS
from hotline.render.conf import extension
from hotline.settings import Settings


def stop_announcement(caller_uniqueid: str) -> str:
    """The dialplan line that ends the announcement playing to a caller, if any (both halves of its
    Local channel: SoftHangup's `a` compares the names without their `-<n>;1` ends). Run when the
    caller leaves the queue and on the operator's channel when they answer, so that no word of it
    reaches the conversation. `caller_uniqueid` is a dialplan expression: only its digits and dots are
    used (a uniqueid has nothing else), so it can name no other channel."""
    return f"SoftHangup(Local/${{FILTER(0-9.,{caller_uniqueid})}}@{c.CTX_ANNOUNCE_SPY},a)"


def _ok(var: str, pattern: str) -> str:
    return f'${{REGEX("{pattern}" ${{{var}}})}}'


def render_announce_contexts(settings: Settings) -> list[str]:
    sounds = f"{settings.asterisk_sounds_dir}/${{{c.VAR_ANN_LANG}}}"
    forms = "|".join(PLURAL_FORMS)
    valid = " & ".join(
        [
            _ok(c.VAR_ANN_TARGET, "^(PJSIP|SIP|IAX2|DAHDI)/[A-Za-z0-9_.+@-]+-[0-9a-f]{8}$"),
            _ok(c.VAR_ANN_CALLER, "^[0-9]+[.][0-9]+$"),
            _ok(c.VAR_ANN_KIND, "^(estimate|callback|position)$"),
            _ok(c.VAR_ANN_POSITION, "^[0-9]{1,5}$"),
            _ok(c.VAR_ANN_MINUTES, "^[0-9]{1,5}$"),
            _ok(c.VAR_ANN_FORM, f"^({forms})$"),
            _ok(c.VAR_ANN_LANG, "^[a-z]{2}$"),
        ]
    )
    minutes = [
        f"SayNumber(${{{c.VAR_ANN_MINUTES}}},{ids.MINUTES_GENDER})",
        f"Playback({sounds}/{ids.CB_MINUTES}_${{{c.VAR_ANN_FORM}}})",
    ]
    return [
        "",
        "; Announcements to waiting callers: the ;2 half of the engine's Local channel whispers into the",
        "; caller's channel what the ;1 half (hotline-announce-play) plays.",
        f"[{c.CTX_ANNOUNCE_SPY}]",
        extension(
            "_X.",
            [
                f"GotoIf($[{valid}]?:bad)",
                f"ChanSpy(${{{c.VAR_ANN_TARGET}}},qWES)",
                "n(bad),Hangup()",
            ],
        ),
        "",
        f"[{c.CTX_ANNOUNCE_PLAY}]",
        extension(
            "s",
            [
                f"GotoIf($[{valid}]?:bye)",
                f"Set(CHANNEL(language)=${{{c.VAR_ANN_LANG}}})",  # SayNumber's digits in that language
                "Wait(0.5)",  # ChanSpy attaches to the caller first: no word is lost
                f"UserEvent({c.USER_EVENT_ANNOUNCE},Caller: ${{{c.VAR_ANN_CALLER}}},"
                f"Channel: ${{{c.VAR_ANN_TARGET}}},Kind: ${{{c.VAR_ANN_KIND}}},"
                f"Position: ${{{c.VAR_ANN_POSITION}}},Minutes: ${{{c.VAR_ANN_MINUTES}}})",
                f"Playback({sounds}/{ids.Q_POSITION})",
                f"SayNumber(${{{c.VAR_ANN_POSITION}}})",
                f'GotoIf($["${{{c.VAR_ANN_KIND}}}" = "estimate"]?estimate)',
                f'GotoIf($["${{{c.VAR_ANN_KIND}}}" = "callback"]?callback)',
                "Goto(bye)",
                f"n(estimate),Playback({sounds}/{ids.Q_EXPECTED})",
                *minutes,
                "Goto(bye)",
                f"n(callback),Playback({sounds}/{ids.Q_CALLBACK})",
                *minutes,
                f"GotoIf($[{_ok(c.VAR_ANN_KEY, '^[0-9*#]$')}]?:bye)",
                f"Playback({sounds}/{ids.Q_CALLBACK_KEY})",
                f"SayDigits(${{{c.VAR_ANN_KEY}}})",
                # reached when the words were all played (or refused): not when the engine hung up
                f"n(bye),UserEvent({c.USER_EVENT_ANNOUNCE_END},Caller: ${{{c.VAR_ANN_CALLER}}})",
                "Hangup()",
            ],
        ),
    ]
