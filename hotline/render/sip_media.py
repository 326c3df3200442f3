"""What every SIP endpoint of the hotline offers and how it carries media (operators and provider)."""

from __future__ import annotations

MEDIA = [
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
