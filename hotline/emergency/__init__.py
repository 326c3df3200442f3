"""Emergency mode: one announcement every caller hears before the menus, with the offer of a callback.

Turned on and off by `hotline emergency` or by an operator's feature code (with a PIN); it ends by itself
at its expiry. `model` holds the records and the pure rules (expiry), `store` the Redis state and its
log, `pin` the feature code's PIN, `sound` where the announcement's audio lives and how a text becomes it.
"""

from __future__ import annotations

from hotline.emergency.model import Announcement, Event, LogEntry, expiry
from hotline.emergency.pin import PinGate, new_pin
from hotline.emergency.store import EmergencyStore

__all__ = ["Announcement", "EmergencyStore", "Event", "LogEntry", "PinGate", "expiry", "new_pin"]
