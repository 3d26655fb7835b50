"""What a subscription hears and what it is sent: pure functions, no I/O.

- Event types are exact names (``points.awarded``) or patterns (``order.*``, ``*``);
  the first segment says which permission reads the event (``order`` → ``orders.read``).
- Personal data in payloads is masked (PIPL art. 51) unless the owner holds ``pii``
  where the event happened.
- Retries follow a schedule with jitter (Svix's: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h,
  10 h), so endpoints that failed together do not all come back at the same instant.
"""

import json
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from app.authz.permissions import GOVERNANCE_READ, ORDERS_READ, POINTS_READ, WEBHOOKS_MANAGE
from app.kit.masking import mask_id_number, mask_mobile, mask_name

READ_PERMISSIONS: dict[str, str] = {
    "order": ORDERS_READ,
    "points": POINTS_READ,
    "matter": GOVERNANCE_READ,
    "webhook": WEBHOOKS_MANAGE,
}
"""Event family (first segment of the type) → the permission that reads it."""

_PATTERN = re.compile(r"^(\*|[a-z][a-z_]{0,30}(\.[a-z][a-z_]{0,30}){0,3}(\.\*)?)$")

PII_MASKS: dict[str, Callable[[str], str]] = {
    "contact_phone": mask_mobile,
    "mobile": mask_mobile,
    "phone": mask_mobile,
    "contact_name": mask_name,
    "id_number": mask_id_number,
}
"""Payload members holding personal data, at any depth, and how each is masked."""

JITTER = 0.2
"""Each wait is the schedule's ±20 %."""


def valid_pattern(pattern: str) -> bool:
    if not _PATTERN.match(pattern):
        return False
    return pattern == "*" or pattern.split(".")[0] in READ_PERMISSIONS


def matches(patterns: Iterable[str], event_type: str) -> bool:
    for pattern in patterns:
        if pattern == "*" or pattern == event_type:
            return True
        if pattern.endswith(".*") and event_type.startswith(pattern[:-1]):
            return True
    return False


def read_permission(event_type: str) -> str | None:
    """The permission an owner needs where the event happened; None: never delivered."""
    return READ_PERMISSIONS.get(event_type.split(".")[0])


def mask(value: Any) -> Any:
    """``value`` with every personal-data member masked, at any depth."""
    if isinstance(value, dict):
        return {
            key: PII_MASKS[key](item) if key in PII_MASKS and isinstance(item, str) else mask(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [mask(item) for item in value]
    return value


def render(event_type: str, occurred_at: datetime, payload: dict[str, Any], *, pii: bool) -> str:
    """The delivery body, as Standard Webhooks recommends: ``type``, ``timestamp``
    (when the event happened) and ``data``."""
    message = {
        "type": event_type,
        "timestamp": occurred_at.isoformat(),
        "data": payload if pii else mask(payload),
    }
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def retry_delay(attempts_made: int, schedule: Sequence[float], jitter: float) -> float | None:
    """Seconds to wait after ``attempts_made`` failed attempts, or None when the
    schedule is spent (the delivery fails). ``jitter`` in [-1, 1] scales ±20 %."""
    if attempts_made < 1 or attempts_made > len(schedule):
        return None
    return float(schedule[attempts_made - 1]) * (1 + JITTER * max(-1.0, min(1.0, jitter)))


def is_success(status_code: int) -> bool:
    """A 2xx; anything else, a redirect included, is a failure (redirects are not
    followed: the target would escape the SSRF check)."""
    return 200 <= status_code < 300
