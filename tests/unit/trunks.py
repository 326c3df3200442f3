"""A SIP provider as the admins' YAML writes it, and the `Trunk` it must give: shared by the tests of
the parser and of the rendered configuration."""

from __future__ import annotations

from hotline.dialplan.model import Trunk

PROVIDER_YAML = """trunk:
  provider: sip.provider.example
  port: 5080
  username: "74951234567"
  register: true
  allow_from: [203.0.113.0/28, 198.51.100.7]
  dids: ["74951234567", "+74951234567", "565602"]
  dial_format: national
  caller_id: "74951234567"
  codecs: [alaw, ulaw]

"""
PROVIDER = Trunk(
    provider="sip.provider.example",
    port=5080,
    username="74951234567",
    register=True,
    allow_from=("203.0.113.0/28", "198.51.100.7"),
    dids=("74951234567", "+74951234567", "565602"),
    dial_format="national",
    caller_id="74951234567",
    codecs=("alaw", "ulaw"),
)
