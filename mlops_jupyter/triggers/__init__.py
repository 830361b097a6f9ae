"""Continuous training: triggers on metric thresholds, drift, new data or a schedule that
retrain a pinned notebook, register the result, gate it and ask for approval.

- :mod:`.definition`: :class:`Trigger`, checked at creation;
- :mod:`.conditions`: when a condition holds, and the cause's key;
- :mod:`.monitor`: :class:`Monitor` -- evaluate, claim a firing atomically, act, record;
- :mod:`.webhook`: signed, retried notifications.
"""

from __future__ import annotations

from .conditions import Cause, cause_of
from .definition import Trigger, parse_period
from .monitor import OUTCOMES, Firing, Monitor
from .webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, WebhookSender, sign

__all__ = [
    "OUTCOMES",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "Cause",
    "Firing",
    "Monitor",
    "Trigger",
    "WebhookSender",
    "cause_of",
    "parse_period",
    "sign",
]
