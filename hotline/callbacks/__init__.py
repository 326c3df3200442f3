"""The callback engine's core: every caller we could not answer at once is called back.

Pure domain and Redis, no Asterisk: `numbers` normalises citizens' numbers, `model` holds the records,
`schedule` says when a request is due and may be tried, `store` keeps the requests in Redis with
exactly-once claims under lease and fencing token (`layout` and `store_lua` are its keys and scripts),
`limits` holds the abuse limits and `report` sums up how well the promise is kept. The dispatcher
that dials through AMI builds on `CallbackStore`.
"""

from hotline.callbacks.model import (
    Attempt,
    AttemptResult,
    Claim,
    Registration,
    Request,
    Source,
    Status,
)
from hotline.callbacks.numbers import normalise, spoken
from hotline.callbacks.report import Summary, summary
from hotline.callbacks.store import CallbackStore

__all__ = [
    "Attempt",
    "AttemptResult",
    "CallbackStore",
    "Claim",
    "Registration",
    "Request",
    "Source",
    "Status",
    "Summary",
    "normalise",
    "spoken",
    "summary",
]
