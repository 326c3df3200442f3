"""manager.conf: AMI on loopback only, one engine user with the least privilege that works.

Read classes: `system` (FullyBooted, Reload), `call` (Newchannel, Hangup, bridges), `agent` (queue member
and caller events). Write classes: `agent` (QueueAdd/Remove/Pause for operators' feature codes) and
`reporting` (QueueStatus, CoreShowChannels for the resync after a reconnect). Not `originate`, `system`,
`command` or `config`: Asterisk's security notes rate `originate` as strong as `system`; the callback
engine will ask for it in its own issue, with its own justification.
"""

from __future__ import annotations

from hotline.render.conf import section
from hotline.secrets import Secrets
from hotline.settings import Settings

READ_CLASSES = "system,call,agent"
WRITE_CLASSES = "agent,reporting"


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
                    ("bindaddr", settings.host),
                    ("displayconnects", "no"),
                    ("timestampevents", "yes"),
                    ("authtimeout", "5"),
                    ("authlimit", "10"),
                ],
            ),
            section(
                settings.ami_username,
                [
                    ("secret", secrets.ami),
                    ("deny", "0.0.0.0/0.0.0.0"),
                    ("permit", f"{settings.host}/255.255.255.255"),
                    ("read", READ_CLASSES),
                    ("write", WRITE_CLASSES),
                    ("writetimeout", "1000"),
                ],
            ),
        ]
    )
