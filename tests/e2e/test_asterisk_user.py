"""The sandbox's Asterisk runs as its own user: a hole in Asterisk or in a module gives an attacker that
user, which can read Asterisk's configuration and write its state, and nothing else of the machine's."""

from __future__ import annotations

import pwd
import stat
from pathlib import Path

import pytest
from harness import Hotline

from hotline.sandbox.runuser import HOST_NAME

pytestmark = pytest.mark.e2e


def ids_of_process(pid: int) -> tuple[int, int]:
    """The real uid and gid of a running process."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
    return int(fields["Uid"].split()[0]), int(fields["Gid"].split()[0])


def test_asterisk_runs_as_a_user_of_its_own_that_no_other_host_user_shares(hotline: Hotline) -> None:
    """Not root, and a uid that only the reserved HOST_NAME has on the host (Debian's package had given
    the root's asterisk the uid of the host's PostgreSQL here)."""
    pid = hotline.sandbox.asterisk.pid()
    assert pid is not None
    uid, gid = ids_of_process(pid)
    assert 0 not in (uid, gid)
    assert [user.pw_name for user in pwd.getpwall() if user.pw_uid == uid] == [HOST_NAME]


def test_asterisk_reads_its_configuration_but_only_root_may_change_it(hotline: Hotline) -> None:
    """Every .conf is root's, readable by Asterisk's group and by no other user: pjsip.conf and
    manager.conf hold the phones' and AMI's passwords."""
    asterisk = hotline.sandbox.asterisk
    gid = asterisk.run_user().gid
    files = sorted(asterisk.etc.glob("*.conf"))
    assert {"pjsip.conf", "manager.conf", "extensions.conf"} <= {path.name for path in files}
    for path in [asterisk.etc, *files]:
        info = path.stat()
        assert (info.st_uid, info.st_gid) == (0, gid), path.name
        assert not info.st_mode & (stat.S_IWGRP | stat.S_IRWXO), f"{path.name}: {oct(info.st_mode)}"


def test_asterisk_cannot_write_outside_its_own_directories(hotline: Hotline) -> None:
    """Asterisk's user may write its state and logs, not its dialplan nor the hotline's prompts."""
    asterisk = hotline.sandbox.asterisk
    uid = asterisk.run_user().uid
    prompts = asterisk.root / asterisk.sounds_dir_inside.lstrip("/")
    for path in (asterisk.etc, prompts, asterisk.root / "usr/sbin"):
        assert path.stat().st_uid != uid, path
        assert not path.stat().st_mode & stat.S_IWOTH, path
    for path in (asterisk.root / "var/lib/asterisk/astdb.sqlite3", asterisk.log_file):
        assert path.stat().st_uid == uid, path
