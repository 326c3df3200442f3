"""Applying changed configuration files to the running Asterisk through AMI, with the least disruption.

Used by `hotline reload` (`hotline.reload`) and by `hotline sandbox up` when Asterisk already runs.
Only the files that changed are reloaded, each by the narrowest action that takes it: endpoints first
(a new operator exists before a queue names them), then queues, then the dialplan that uses both.

A reload of a changed `queues.conf` re-creates the queues' members: Asterisk keeps each pause and the
member's statistics, but drops the pause's reason, which is how the callback dispatcher tells its own
holds (`callback`, `callback-next:<group>`) from an operator's break. The reasons are read before and
put back after, so that no operator is left held for ever by a hold nobody recognises.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from hotline.log import get_logger
from hotline.secrets import Secrets
from hotline.settings import Settings
from router.ami import AmiClient

log = get_logger("hotline.sandbox.ami_reload")

RELOADS: tuple[tuple[str, dict[str, str]], ...] = (
    ("pjsip.conf", {"Action": "Reload", "Module": "res_pjsip.so"}),
    # the widening rules before the queues, whose callers name them from the next Queue() on
    ("queuerules.conf", {"Action": "QueueReload", "Members": "no", "Rules": "yes", "Parameters": "no"}),
    ("queues.conf", {"Action": "QueueReload", "Members": "yes", "Rules": "no", "Parameters": "yes"}),
    ("extensions.conf", {"Action": "Reload", "Module": "pbx_config"}),
)


def reloadable_of(changed: Iterable[str]) -> list[str]:
    """The changed files that AMI reloads, in the order they are applied."""
    names = set(changed)
    return [name for name, _ in RELOADS if name in names]


async def reload_through_ami(
    settings: Settings, secrets: Secrets, names: list[str], progress: Callable[[str], None]
) -> None:
    """Reload `names` (from `reloadable_of`) as the reload-only AMI user; the engine's user reads and
    restores the pause reasons around a queue reload. Raises `AmiError` when Asterisk refuses."""
    if not names:
        return
    s = settings
    reloader = AmiClient(
        username=s.ami_reload_username, secret=secrets.ami_reload, host=s.ami_address, port=s.ami_port
    )
    engine = AmiClient(username=s.ami_username, secret=secrets.ami, host=s.ami_address, port=s.ami_port)
    await reloader.start()
    await engine.start()
    try:
        await reloader.wait_connected(10)
        await engine.wait_connected(10)
        for name, action in RELOADS:
            if name not in names:
                continue
            progress(f"Asterisk: reloading {name}")
            paused = await paused_members(engine) if name == "queues.conf" else {}
            await reloader.send_action(action, timeout=30)
            if paused:
                await restore_pause_reasons(engine, paused)
    finally:
        await reloader.close()
        await engine.close()


async def paused_members(ami: AmiClient) -> dict[tuple[str, str], str]:
    """(queue, interface) -> pause reason, for every paused queue member."""
    listed = await ami.send_list_action({"Action": "QueueStatus"}, timeout=30)
    return {
        (m.get("Queue", ""), m.get("Location", "")): m.get("PausedReason", "")
        for m in listed
        if m.name == "QueueMember" and m.get("Paused") == "1"
    }


async def restore_pause_reasons(ami: AmiClient, before: dict[tuple[str, str], str]) -> None:
    """Each member paused with a reason before, and now paused without one, gets its reason back (one
    paused anew or let go meanwhile is left as it is)."""
    after = await paused_members(ami)
    for (queue, interface), reason in before.items():
        if reason and after.get((queue, interface)) == "":
            pause = {"Action": "QueuePause", "Queue": queue, "Interface": interface, "Paused": "true"}
            await ami.send_action(pause | {"Reason": reason})
            log.info("reload.pause_reason_restored", queue=queue, interface=interface, reason=reason)
