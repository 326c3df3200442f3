"""The provider in pjsip.conf: calls in, known by their source address alone; callbacks out, answering
the provider's digest challenge with the account when it has one; the outbound registration when it
wants one. Without a `trunk:` section, the sandbox's carrier (HOTLINE_CARRIER_ADDRESS)."""

from __future__ import annotations

from hotline import constants as c
from hotline.dialplan.model import Dialplan, Trunk
from hotline.errors import ConfigError, Problem
from hotline.render.conf import section
from hotline.render.sip_media import MEDIA
from hotline.secrets import Secrets
from hotline.settings import Settings

CARRIER_IN = "carrier"  # the endpoint calls from the carrier arrive on
CARRIER_OUT = "carrier-out"  # the endpoint callbacks leave by
CARRIER_AUTH = "carrier-auth"  # the provider's account, when it has one
CARRIER_REG = "carrier-reg"  # the outbound registration, when the provider wants one


def trunk_of(dialplan: Dialplan, settings: Settings) -> Trunk:
    """The dialplan's `trunk`, or the sandbox's carrier: whatever sends from HOTLINE_CARRIER_ADDRESS."""
    return dialplan.trunk or Trunk(provider=settings.carrier_address, port=settings.carrier_port)


def render_trunk(dialplan: Dialplan, settings: Settings, secrets: Secrets) -> list[str]:
    """The provider's endpoints: calls in (known by their source address alone), callbacks out (with
    the account's digest when it has one), and the outbound registration when it wants one."""
    trunk = trunk_of(dialplan, settings)
    caller = trunk.caller_id or dialplan.hotline.number
    media = [(k, ",".join(trunk.codecs) if k == "allow" else v) for k, v in MEDIA]
    auth: list[tuple[str, str]] = [("outbound_auth", CARRIER_AUTH)] if trunk.username else []
    server = f"sip:{trunk.host}:{trunk.port}"
    parts = [
        f"; --- the provider: calls to the hotline's numbers come from {', '.join(trunk.sources)} alone\n",
        section(
            CARRIER_IN,
            [
                ("type", "endpoint"),
                ("transport", "transport-udp"),
                ("context", c.CTX_INBOUND),
                *media,
                ("language", dialplan.hotline.language),
                ("trust_id_inbound", "no"),  # caller ID is for display only, never for trust
                # by its source address alone: a From header naming `carrier` proves nothing
                ("identify_by", "ip"),
            ],
        ),
        section(
            f"{CARRIER_IN}-identify",
            [("type", "identify"), ("endpoint", CARRIER_IN), ("match", ",".join(trunk.sources))],
        ),
        "; --- callbacks go out through the provider\n",
        section(
            CARRIER_OUT,
            [
                ("type", "endpoint"),
                ("transport", "transport-udp"),
                ("context", c.CTX_INBOUND),
                *media,
                ("aors", CARRIER_OUT),
                *auth,
                # the account, when there is one (providers check it), and the hotline's number shown
                ("from_user", trunk.username or caller),
                *([("from_domain", trunk.provider)] if trunk.username else []),
                ("send_pai", "yes"),  # the number the callback shows, as the provider's customers may
                # outbound only: no identify section matches it, and never by the From header's user
                ("identify_by", "ip"),
            ],
        ),
        section(CARRIER_OUT, [("type", "aor"), ("contact", server)]),
    ]
    if trunk.username:
        if not secrets.trunk:
            raise ConfigError(
                [
                    Problem(
                        "trunk",
                        0,
                        0,
                        f"the provider's password for {trunk.username} is not set",
                        "run `hotline trunk password` and give it (it is never written in the YAML)",
                    )
                ]
            )
        parts.append(
            section(
                CARRIER_AUTH,
                [
                    ("type", "auth"),
                    ("auth_type", "digest"),
                    ("username", trunk.username),
                    ("password", secrets.trunk),
                ],
            )
        )
    if trunk.register:
        parts.append(
            section(
                CARRIER_REG,
                [
                    ("type", "registration"),
                    ("transport", "transport-udp"),
                    ("outbound_auth", CARRIER_AUTH),
                    ("server_uri", server),
                    ("client_uri", f"sip:{trunk.username}@{trunk.host}:{trunk.port}"),
                    ("contact_user", trunk.username),
                    ("expiration", "600"),
                    ("retry_interval", "30"),
                    # a refusal (403) or a fatal answer is retried too, less often: the provider's
                    # outage or a password being changed must not end registration for good
                    ("forbidden_retry_interval", "120"),
                    ("fatal_retry_interval", "120"),
                    ("max_retries", "1000000"),
                    ("auth_rejection_permanent", "no"),
                ],
            )
        )
    return parts
