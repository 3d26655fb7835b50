"""Rotating check-in codes (扫码签到): a short-lived signed token an organiser's phone shows.

The token is ``<step>.<mac>``: ``step`` is the number of the time step (``step_seconds``
long, counted from the Unix epoch) and ``mac`` an HMAC-SHA256 over (purpose, subject,
action, step) with a key derived from the deployment's secret — the TOTP idea of
RFC 6238 §4 without a shared per-user secret. So:

- a code is accepted during its own step and ``leeway_steps`` after it (the phone
  refreshes it every step; leeway covers a scan at the turn of a step), never before:
  a photo of yesterday's code is refused as stale;
- the subject (``activity:42``, ``duty-shift:7``) and the action (``check_in``,
  ``check_out``) are inside the MAC, so the code of another activity or of the other
  action is refused as invalid;
- nothing is stored: any API worker verifies any code.

Replays by the same person inside the window are the caller's business (a second
check-in is refused by the attendance record, not here). Generic: the activities of
``app.participation`` use it, and any duty rota can.
"""

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Final

from app.kit.crypto import derive_key

CHECKIN_PURPOSE: Final = "checkin-code"
_MAC_BYTES: Final = 16


class Verdict(StrEnum):
    valid = "valid"
    stale = "stale"
    """Well-formed and signed, but its step is over (or not yet begun)."""
    invalid = "invalid"
    """Malformed, or signed for another subject, action or key."""


@dataclass(frozen=True)
class IssuedCode:
    token: str
    step: int
    expires_at: datetime
    """End of the step; the code is still accepted for ``leeway_steps`` after it."""
    refresh_after_seconds: int
    """When the showing phone should fetch the next code."""


class CheckinCodes:
    def __init__(
        self,
        secret: str,
        *,
        purpose: str = CHECKIN_PURPOSE,
        step_seconds: int = 30,
        leeway: int = 1,
    ) -> None:
        if step_seconds < 5:
            raise ValueError("step_seconds must be at least 5")
        if leeway < 0:
            raise ValueError("leeway must not be negative")
        self._key = derive_key(secret, purpose)
        self.step_seconds = step_seconds
        self.leeway = leeway

    def step_of(self, now: datetime) -> int:
        return int(now.timestamp()) // self.step_seconds

    def issue(self, subject: str, action: str, now: datetime) -> IssuedCode:
        step = self.step_of(now)
        end = datetime.fromtimestamp((step + 1) * self.step_seconds, UTC)
        left = max(1, int((end - now).total_seconds()))
        return IssuedCode(
            token=f"{step}.{self._mac(subject, action, step)}",
            step=step,
            expires_at=end,
            refresh_after_seconds=left,
        )

    def verify(self, token: str, subject: str, action: str, now: datetime) -> Verdict:
        if not token.isascii():
            return Verdict.invalid
        step_text, dot, mac = token.partition(".")
        if not dot or not step_text.isdigit() or len(step_text) > 15:
            return Verdict.invalid
        step = int(step_text)
        if not hmac.compare_digest(mac.encode(), self._mac(subject, action, step).encode()):
            return Verdict.invalid
        current = self.step_of(now)
        if not current - self.leeway <= step <= current:
            return Verdict.stale
        return Verdict.valid

    def max_age(self) -> timedelta:
        return timedelta(seconds=self.step_seconds * (self.leeway + 1))

    def _mac(self, subject: str, action: str, step: int) -> str:
        message = f"{subject}\n{action}\n{step}".encode()
        digest = hmac.new(self._key, message, hashlib.sha256).digest()[:_MAC_BYTES]
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")
