"""The optional `routing` section: who goes first in a queue, and what waiting callers hear.

Priorities are Asterisk queue priorities (higher first, ordinary callers 0). The other settings shape
the estimate of the wait that callers hear every `announce_every` seconds, and when they hear the offer
of a callback instead (`router.estimate`).
"""

from __future__ import annotations

from hotline.dialplan.draft import SectionReader
from hotline.dialplan.model import RoutingPolicy
from hotline.dialplan.strictyaml import Node

PRIORITY_SETTINGS = ("callback", "repeat")
ROUTING_SETTINGS = ("priorities", "announce_every", "handle_window_minutes", "min_samples", "max_estimate")
MAX_PRIORITY = 9


def read_routing(r: SectionReader, node: Node) -> None:
    """Read `routing` into `r.d.routing` (None when something in it is wrong, which is reported)."""
    path = "routing"
    if (m := r.f.mapping(node, path)) is None:
        r.d.routing = None
        return
    r.f.keys(m, path, (), ROUTING_SETTINGS)
    base = RoutingPolicy()
    priorities = r.given(
        m,
        "priorities",
        path,
        lambda n, p: _priorities(r, n, p),
        (base.callback_priority, base.repeat_priority),
    )
    every = r.number(m, "announce_every", path, 0, 600, default=base.announce_every)
    if every is not None and 0 < every < 20:
        where = m.get("announce_every")
        assert where is not None
        r.f.problem(
            where.span,
            f"routing.announce_every: {every} s is shorter than the announcement itself",
            "write 20 seconds or more, or 0 for no announcements",
        )
        every = None
    window = r.number(m, "handle_window_minutes", path, 5, 24 * 60, default=base.handle_window_minutes)
    samples = r.number(m, "min_samples", path, 1, 1000, default=base.min_samples)
    longest = r.number(m, "max_estimate", path, 60, 4 * 3600, default=base.max_estimate)
    if priorities is None or every is None or window is None or samples is None or longest is None:
        r.d.routing = None
        return
    r.d.routing = RoutingPolicy(
        callback_priority=priorities[0],
        repeat_priority=priorities[1],
        announce_every=every,
        handle_window_minutes=window,
        min_samples=samples,
        max_estimate=longest,
    )


def _priorities(r: SectionReader, node: Node, path: str) -> tuple[int, int] | None:
    if (m := r.f.mapping(node, path)) is None:
        return None
    r.f.keys(m, path, (), PRIORITY_SETTINGS)
    base = RoutingPolicy()
    callback = r.number(m, "callback", path, 0, MAX_PRIORITY, default=base.callback_priority)
    repeat = r.number(m, "repeat", path, 0, MAX_PRIORITY, default=base.repeat_priority)
    return None if callback is None or repeat is None else (callback, repeat)
