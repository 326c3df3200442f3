"""Choosing the ids of Asterisk's own user: free on the host and in the root alike."""

from __future__ import annotations

import pytest

from hotline.errors import SandboxError
from hotline.sandbox.runuser import free_id, ids_of

USERS = """root:x:0:0:root:/root:/bin/bash
postgres:x:101:104:PostgreSQL administrator,,,:/var/lib/postgresql:/bin/bash
# a comment line
broken line
asterisk:x:999:999:Asterisk PBX daemon:/var/lib/asterisk:/usr/sbin/nologin
"""


def test_a_passwd_file_gives_each_name_its_id() -> None:
    """Comments and malformed lines are skipped, not taken for users."""
    assert ids_of(USERS) == {"root": 0, "postgres": 101, "asterisk": 999}


def test_the_first_id_taken_by_no_user_and_no_group_is_chosen() -> None:
    """999 and 998 are taken (one as a uid, one as a gid): 997."""
    assert free_id([0, 101, 999, 998]) == 997
    assert free_id([], span=[5]) == 5


def test_no_free_id_is_a_clear_error_saying_what_to_do() -> None:
    """When every id of the span is taken, the error names the host user to create by hand."""
    with pytest.raises(SandboxError, match="create the host's user hotline-asterisk"):
        free_id(range(900, 1000))
