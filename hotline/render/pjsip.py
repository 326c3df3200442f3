"""pjsip.conf and rtp.conf: the transport, the provider (`hotline.render.trunk`), and one registering
endpoint per operator."""

from __future__ import annotations

from hotline import constants as c
from hotline.dialplan.model import Dialplan
from hotline.render.conf import display_name, section
from hotline.render.sip_media import MEDIA
from hotline.render.trunk import render_trunk
from hotline.secrets import Secrets
from hotline.settings import Settings


def render_pjsip(dialplan: Dialplan, settings: Settings, secrets: Secrets) -> str:
    parts = [
        "; Rendered by `hotline` from the dialplan YAML and the settings. Do not edit: edit the YAML.\n"
        "; Holds generated secrets: never commit it.\n",
        section(
            "global",
            [
                ("type", "global"),
                ("user_agent", "hotline"),
                # the trunk is known by its source address; operators by their user name and password
                ("endpoint_identifier_order", "ip,username"),
            ],
        ),
        section(
            "transport-udp",
            [
                ("type", "transport"),
                ("protocol", "udp"),
                ("bind", f"{settings.sip_address}:{settings.sip_port}"),
            ],
        ),
        *render_trunk(dialplan, settings, secrets),
        "; --- operators: one phone each, registering with a generated password\n",
    ]
    for op in dialplan.operators.values():
        parts.append(
            section(
                op.id,
                [
                    ("type", "endpoint"),
                    ("transport", "transport-udp"),
                    ("context", c.CTX_OPERATORS),
                    *MEDIA,
                    ("auth", f"{op.id}-auth"),
                    ("identify_by", "username"),  # and then challenged: the password proves it
                    ("aors", op.id),
                    ("callerid", f'"{display_name(op.name)}" <{op.extension}>'),
                    ("language", dialplan.hotline.language),
                    ("device_state_busy_at", "1"),
                ],
            )
        )
        parts.append(
            section(
                f"{op.id}-auth",
                [
                    ("type", "auth"),
                    ("auth_type", "digest"),
                    ("username", op.id),
                    ("password", secrets.operators[op.id]),
                ],
            )
        )
        parts.append(
            section(
                op.id,
                [
                    ("type", "aor"),
                    ("max_contacts", "1"),
                    # a second phone with the operator's password cannot evict a live one; a phone that
                    # is gone (qualify: no answer to OPTIONS within 3 s, asked every 10 s) is replaced
                    ("remove_existing", "no"),
                    ("remove_unavailable", "yes"),
                    ("qualify_frequency", "10"),
                    ("qualify_timeout", "3"),
                    ("default_expiration", "3600"),
                ],
            )
        )
    return "\n".join(parts)


def render_rtp(settings: Settings) -> str:
    return "; Rendered by `hotline`.\n" + section(
        "general",
        [
            ("rtpstart", str(settings.rtp_start)),
            ("rtpend", str(settings.rtp_end)),
        ],
    )
