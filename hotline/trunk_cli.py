"""`hotline trunk`: the SIP provider as configured (`show`), and its password, given once (`password`).

The password is read from the terminal without echo (asked twice), or from standard input when that is
not a terminal (`hotline trunk password < file`), never from the command line, where `ps` and the shell's
history would show it. It goes to the secrets file, never to the YAML.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import TextIO

from hotline.dialplan import load_dialplan
from hotline.errors import HotlineError
from hotline.render.trunk import trunk_of
from hotline.secrets import load_or_create, set_trunk_password
from hotline.settings import Settings


def read_password(stdin: TextIO) -> str:
    """From the terminal, asked twice without echo; else the first line of standard input."""
    if stdin.isatty():
        first = getpass.getpass("The provider's password: ")
        if getpass.getpass("Again: ") != first:
            raise HotlineError("the two passwords differ: nothing was stored, run the command again")
        return first
    return stdin.readline().rstrip("\r\n")


def main(settings: Settings, args: argparse.Namespace, stdin: TextIO = sys.stdin) -> int:
    dialplan = load_dialplan(settings.dialplan_path)
    trunk = trunk_of(dialplan, settings)
    if args.action == "password":
        if dialplan.trunk is None or not dialplan.trunk.username:
            raise HotlineError(
                "the dialplan's trunk has no username, so no password is used: add a trunk: section "
                "with the provider's account first (docs/dialplan.md, section trunk)"
            )
        set_trunk_password(settings.state_dir, dialplan.operators, read_password(stdin))
        print(
            f"Stored the password of {trunk.username} at {trunk.provider}. Apply it with "
            "`hotline sandbox up` (or `hotline reload` on a running hotline)."
        )
        return 0
    secrets = load_or_create(settings.state_dir, dialplan.operators)
    source = "the dialplan's trunk: section" if dialplan.trunk else "the sandbox's carrier: no trunk: section"
    number = dialplan.hotline.number
    account = trunk.username or "none (the provider knows the hotline by its address)"
    if trunk.username:
        account += ", password " + ("set" if secrets.trunk else "NOT SET: run `hotline trunk password`")
    lines = [
        f"Provider:       sip:{trunk.host}:{trunk.port}   ({source})",
        f"Account:        {account}",
        f"Registration:   {'yes, every 10 minutes' if trunk.register else 'no'}",
        f"Calls accepted: from {', '.join(trunk.sources)} only",
        f"Numbers (DIDs): {', '.join(trunk.dids or (number,))}",
        f"Callbacks:      dialled as {trunk.dial_format}, showing {trunk.caller_id or number}",
        f"Codecs:         {', '.join(trunk.codecs)}",
    ]
    print("\n".join(lines))
    return 0
