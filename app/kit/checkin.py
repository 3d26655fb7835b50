"""Rotating, single-use check-in codes (扫码签到) that an organiser's phone shows.

The token is ``<step>.<use>.<mac>``: ``step`` numbers the time step (``step_seconds``
long, counted from the Unix epoch), ``use`` is how many codes of this subject and
action were used before, and ``mac`` an HMAC-SHA256 over (subject, action, step, use)
with a key derived from the deployment's secret and a purpose — the TOTP idea of
RFC 6238 §4 without a per-user secret, plus a use counter so that a code checks in
one person only. So:

- a code is accepted during its own step and ``leeway`` steps after it (the phone
  refreshes it every step; the leeway covers a scan at the turn of a step), never
  before: a photo of yesterday's code is **stale**;
- the subject (``activity:42``, ``duty-shift:7``) and the action (``check_in``,
  ``check_out``) are inside the MAC: the code of another activity or of the other
  action is **invalid**;
- the caller keeps the use counter (a column of its own row) and moves it on after
  each successful scan, under that row's lock: a code scanned once is **used** — a
  forwarded screenshot or a replayed request checks nobody in — and the phone, polling,
  shows the next one;
- nothing else is stored: any API worker verifies any code.

Generic: the activities of ``app.participation`` use it, and any duty rota can.
"""

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Final

from app.kit.crypto import derive_key

CHECKIN_PURPOSE: Final = "checkin-code"
_MAC_BYTES: Final = 16
_TOKEN = re.compile(r"([0-9]{1,15})\.([0-9]{1,9})\.([A-Za-z0-9_-]{1,64})")


class Verdict(StrEnum):
    valid = "valid"
    stale = "stale"
    """Well-formed and signed, but its step is over (or not yet begun)."""
    used = "used"
    """Well-formed, signed and fresh, but a scan already used it."""
    invalid = "invalid"
    """Malformed, or signed for another subject, action, use or key."""


@dataclass(frozen=True)
class IssuedCode:
    token: str
    step: int
    expires_at: datetime
    """End of the step; the code is still accepted for ``leeway`` steps after it."""
    refresh_after_seconds: int
    """When the showing phone should fetch the next code (sooner if someone scans)."""


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

    def issue(self, subject: str, action: str, now: datetime, *, use: int = 0) -> IssuedCode:
        """The code to show now, ``use`` codes of this subject and action having been used."""
        step = self.step_of(now)
        end = datetime.fromtimestamp((step + 1) * self.step_seconds, UTC)
        left = max(1, int((end - now).total_seconds()))
        return IssuedCode(
            token=f"{step}.{use}.{self._mac(subject, action, step, use)}",
            step=step,
            expires_at=end,
            refresh_after_seconds=left,
        )

    def verify(
        self, token: str, subject: str, action: str, now: datetime, *, use: int = 0
    ) -> Verdict:
        """``use``: how many codes were used so far; only the code of that use is valid."""
        match = _TOKEN.fullmatch(token) if token.isascii() else None
        if match is None:
            return Verdict.invalid
        step, token_use, mac = int(match[1]), int(match[2]), match[3]
        if not hmac.compare_digest(mac, self._mac(subject, action, step, token_use)):
            return Verdict.invalid
        current = self.step_of(now)
        if not current - self.leeway <= step <= current:
            return Verdict.stale
        if token_use < use:
            return Verdict.used
        if token_use > use:
            return Verdict.invalid
        return Verdict.valid

    def max_age(self) -> timedelta:
        return timedelta(seconds=self.step_seconds * (self.leeway + 1))

    def _mac(self, subject: str, action: str, step: int, use: int) -> str:
        message = f"{subject}\n{action}\n{step}\n{use}".encode()
        digest = hmac.new(self._key, message, hashlib.sha256).digest()[:_MAC_BYTES]
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")
