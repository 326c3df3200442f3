"""Why `router.ami` owns the AMI connection instead of panoramisk's `Manager` (the team's notes, point 1).

panoramisk 1.4 writes an action again after the link drops and comes back, when the action's answer was
lost. For an Originate that means calling a citizen twice. This test reproduces it against the same
fake AMI server that `test_ami_client.py` uses to show our client sends such an action exactly once.
If it ever fails, a panoramisk release has fixed the defect and the choice can be reconsidered.
"""

from __future__ import annotations

import asyncio
import contextlib

from fake_ami import SECRET, USERNAME, Action, FakeAmi, FakeSession
from panoramisk import Manager

ORIGINATE = {
    "Action": "Originate",
    "Channel": "PJSIP/79161234567@carrier-out",
    "Exten": "s",
    "Context": "callback",
    "Priority": "1",
    "Async": "true",
}


async def test_panoramisk_writes_an_originate_again_after_a_reconnect() -> None:
    """The link drops right after the Originate is read: panoramisk logs in again and resends it."""
    async with FakeAmi() as fake:

        async def crash(session: FakeSession, action: Action) -> None:
            if fake.count("Originate") == 1:
                session.drop()

        fake.on("Originate", crash)
        manager = Manager(
            host="127.0.0.1",
            port=fake.port,
            username=USERNAME,
            secret=SECRET,
            ping_delay=3600,
            reconnect_timeout=0,
            loop=asyncio.get_running_loop(),
        )
        await manager.connect()
        pending = manager.send_action(ORIGINATE)
        try:
            await fake.wait_for("Originate", count=2)
            assert fake.count("Originate") == 2  # the same call placed twice
        finally:
            manager.close()
            if isinstance(pending, asyncio.Future):
                pending.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await pending
