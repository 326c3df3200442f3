"""What the announcer sends to Asterisk (`router.announcer`) and the context it lands in
(`hotline.render.announce_contexts`): values checked before they reach the AMI wire."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotline import constants as c
from hotline.dialplan.model import Dialplan
from hotline.errors import UnsafeValueError
from hotline.render.extensions import render_extensions
from hotline.settings import Settings
from router.announcement import Announcement
from router.announcer import originate
from router.state import WaitingCaller


def waiting(uniqueid: str = "1795330521.17", channel: str = "PJSIP/carrier-0000001a") -> WaitingCaller:
    return WaitingCaller(
        position=1, uniqueid=uniqueid, channel=channel, caller_id_num="", caller_id_name="", wait=60
    )


def test_an_announcement_is_a_local_channel_spying_on_the_caller_with_checked_variables() -> None:
    """The Local channel is named after the caller's uniqueid; the variables carry digits and ids only."""
    action = originate(waiting(), Announcement("callback", 3, 10, "many", "1"), "ru")
    assert action["Channel"] == f"Local/1795330521.17@{c.CTX_ANNOUNCE_SPY}/n"
    assert (action["Context"], action["Exten"]) == (c.CTX_ANNOUNCE_PLAY, "s")
    assert action["Variable"] == [
        f"{c.VAR_ANN_CALLER}=1795330521.17",
        f"{c.VAR_ANN_TARGET}=PJSIP/carrier-0000001a",
        f"{c.VAR_ANN_KIND}=callback",
        f"{c.VAR_ANN_POSITION}=3",
        f"{c.VAR_ANN_MINUTES}=10",
        f"{c.VAR_ANN_FORM}=many",
        f"{c.VAR_ANN_LANG}=ru",
        f"{c.VAR_ANN_KEY}=1",
    ]


@pytest.mark.parametrize(
    ("caller", "language"),
    [
        (waiting(channel="PJSIP/carrier-0000001a\r\nAction: Originate"), "ru"),  # a forged second action
        (waiting(channel="Local/x@ctx-0000001a;1"), "ru"),  # not a caller's channel
        (waiting(uniqueid="1.2\nAction: Hangup"), "ru"),
        (waiting(uniqueid="abc"), "ru"),
        (waiting(), "../../etc"),  # the language makes a directory name
    ],
)
def test_a_value_that_is_not_strictly_what_it_should_be_is_refused_before_the_wire(
    caller: WaitingCaller, language: str
) -> None:
    with pytest.raises(UnsafeValueError):
        originate(caller, Announcement("estimate", 1, 2, "few"), language)


def test_the_announce_contexts_are_rendered_whatever_the_settings(tiny: Dialplan, tmp_path: Path) -> None:
    """Even a dialplan that never announces renders them: an engine still on an older version may."""
    settings = Settings.from_env({"HOTLINE_STATE_DIR": str(tmp_path)})
    text = render_extensions(tiny, settings)
    assert f"[{c.CTX_ANNOUNCE_SPY}]" in text
    assert f"ChanSpy(${{{c.VAR_ANN_TARGET}}},qWES)" in text
    assert f"[{c.CTX_ANNOUNCE_PLAY}]" in text
    assert f"UserEvent({c.USER_EVENT_ANNOUNCE}," in text
