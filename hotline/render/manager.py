"""manager.conf: AMI on loopback only, one engine user with the least privilege that works.

Read classes: `system` (FullyBooted, Reload), `call` (Newchannel, Hangup, bridges), `agent` (queue member
and caller events), `user` (the UserEvent the callback context sends with each attempt's result),
`security` (refused SIP requests: unknown accounts, wrong passwords; counted by `router.security_watch`).
Write classes: `agent` (QueuePause: an operator is held out of the queues while a callback rings them),
`reporting` (QueueStatus, CoreShowChannels for the resync after a reconnect; Getvar) and `originate`
(callbacks, and the announcements whispered to waiting callers). Not `call`: the dialplan itself ends an
announcement still playing when the caller leaves the queue or an operator answers.

`originate` is as strong as `system` in Asterisk's own security notes (CVE-2024-42365: an Originate of an
application such as System). It is granted because calling citizens back is the engine's job, and held
in check: AMI listens on loopback only with a generated secret, the engine only originates into its own
`hotline-callback` and `hotline-announce-play` contexts (never an application), every header value is
checked for line breaks, and Asterisk still refuses the `system` applications to this user (an
end-to-end test checks it). Never `system`, `command` or `config`.
"""

from __future__ import annotations

from hotline import constants as c
from hotline.render.conf import section
from hotline.secrets import Secrets
from hotline.settings import Settings

READ_CLASSES = "system,call,agent,user,security"
WRITE_CLASSES = "agent,reporting,originate"
# The second user, `hotline reload`'s: the Reload action needs `system` or `config`. `config` is the
# narrower of the two (no Command, no ModuleLoad/ModuleUnload); it reads no events at all. Its secret is
# used only for the seconds a change is applied, by the process applying it.
RELOAD_WRITE_CLASSES = "config"


def render_manager(settings: Settings, secrets: Secrets) -> str:
    return "\n".join(
        [
            "; Rendered by `hotline`. Holds a generated secret: never commit it.\n",
            section(
                "general",
                [
                    ("enabled", "yes"),
                    ("webenabled", "no"),
                    ("port", str(settings.ami_port)),
                    ("bindaddr", settings.ami_address),
                    ("displayconnects", "no"),
                    ("timestampevents", "yes"),
                    # QueueCallerJoin carries the caller's queue priority only as a channel variable;
                    # the carrier's asserted identity decides unasked callbacks (router.callback_sources)
                    ("channelvars", f"QUEUE_PRIO,{c.VAR_ASSERTED}"),
                    ("authtimeout", "5"),
                    ("authlimit", "10"),
                ],
            ),
            section(
                settings.ami_username,
                [
                    ("secret", secrets.ami),
                    ("deny", "0.0.0.0/0.0.0.0"),
                    ("permit", f"{settings.ami_address}/255.255.255.255"),
                    ("read", READ_CLASSES),
                    ("write", WRITE_CLASSES),
                    ("writetimeout", "1000"),
                ],
            ),
            section(
                settings.ami_reload_username,
                [
                    ("secret", secrets.ami_reload),
                    ("deny", "0.0.0.0/0.0.0.0"),
                    ("permit", f"{settings.ami_address}/255.255.255.255"),
                    ("read", ""),
                    ("write", RELOAD_WRITE_CLASSES),
                    ("writetimeout", "1000"),
                ],
            ),
        ]
    )
