"""The announcement on a citizen's call when Asterisk cannot play its sound file."""

from __future__ import annotations

from structlog.testing import capture_logs

from hotline.dialplan import prompt_ids as ids
from hotline.emergency.model import Announcement
from hotline.errors import AgiCommandError
from ivr.emergency_flow import announce

GONE = Announcement("a1", "Нет отопления", "ru", "/var/lib/hotline/emergency/gone", "general", 0.0, 9e9, "")


class Unplayable:
    """Asterisk's side: the announcement's file cannot be opened (STREAM FILE answers result=-1)."""

    def __init__(self) -> None:
        self.played: list[str] = []

    async def play(self, prompt_id: str, escape_digits: str) -> str | None:
        self.played.append(prompt_id)
        if prompt_id == ids.EM_ANNOUNCEMENT:
            raise AgiCommandError(200, "result=-1 while the channel is up", "STREAM FILE")
        return None

    async def wait_digit(self, timeout: float) -> str | None:  # noqa: ASYNC109 - the protocol's signature
        return None


async def test_an_announcement_asterisk_cannot_play_sends_the_caller_to_the_menus_with_a_warning() -> None:
    """No offer and no error: the caller goes on to the menus, and a warning names the announcement."""
    io = Unplayable()
    with capture_logs() as logs:
        accepted = await announce(io, GONE)
    assert accepted is False
    assert io.played == [ids.EM_ANNOUNCEMENT]
    [warning] = [e for e in logs if e["event"] == "emergency.announcement_unplayable"]
    assert (warning["log_level"], warning["announcement"]) == ("warning", "a1")
