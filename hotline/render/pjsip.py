"""pjsip.conf and rtp.conf: the carrier trunk in and out, and one registering endpoint per operator."""

from __future__ import annotations

from hotline import constants as c
from hotline.dialplan.model import Dialplan
from hotline.render.conf import display_name, section
from hotline.secrets import Secrets
from hotline.settings import Settings

CARRIER_IN = "carrier"  # the endpoint calls from the carrier arrive on
CARRIER_OUT = "carrier-out"  # the endpoint callbacks leave by

_MEDIA = [
    ("disallow", "all"),
    # G.711 first (no transcoding with the carrier), G.722 for softphones that offer nothing else
    ("allow", "ulaw,alaw,g722"),
    ("dtmf_mode", "rfc4733"),
    ("direct_media", "no"),
    ("rtp_symmetric", "yes"),
    ("rewrite_contact", "no"),
    # a call whose far end vanished without a BYE ends after this long with no media, never lingers
    ("rtp_timeout", "300"),
    ("rtp_timeout_hold", "900"),
]


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
        "; --- the carrier trunk: calls to the hotline number come from this address\n",
        section(
            CARRIER_IN,
            [
                ("type", "endpoint"),
                ("transport", "transport-udp"),
                ("context", c.CTX_INBOUND),
                *_MEDIA,
                ("language", dialplan.hotline.language),
                ("trust_id_inbound", "no"),  # caller ID is for display only, never for trust
                # by its source address alone: a From header naming `carrier` proves nothing
                ("identify_by", "ip"),
            ],
        ),
        section(
            f"{CARRIER_IN}-identify",
            [
                ("type", "identify"),
                ("endpoint", CARRIER_IN),
                ("match", settings.carrier_address),
            ],
        ),
        "; --- the outbound trunk to the carrier, for callbacks\n",
        section(
            CARRIER_OUT,
            [
                ("type", "endpoint"),
                ("transport", "transport-udp"),
                ("context", c.CTX_INBOUND),
                *_MEDIA,
                ("aors", CARRIER_OUT),
                ("from_user", dialplan.hotline.number),
                # outbound only: no identify section matches it, and never by the From header's user
                ("identify_by", "ip"),
            ],
        ),
        section(
            CARRIER_OUT,
            [
                ("type", "aor"),
                ("contact", f"sip:{settings.carrier_address}:{settings.carrier_port}"),
            ],
        ),
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
                    *_MEDIA,
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
