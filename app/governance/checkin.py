"""扫码签到 at a station's duty shift or a meeting: the rotating, single-use codes of
``app.kit.checkin`` that the organiser's phone shows, as activities use them.

Each shift or meeting keeps its own use counter (``check_in_uses``), moved on under
the row's lock after every successful scan, so a code checks in one person only and
any API worker verifies any code."""

from datetime import datetime
from functools import lru_cache

from app.governance.errors import InvalidCheckinCode, StaleCheckinCode, UsedCheckinCode
from app.governance.schemas import CheckinCodeRead
from app.kit.checkin import CheckinCodes, Verdict

CODE_PURPOSE = "governance-checkin"
CODE_STEP_SECONDS = 30
REFRESH_SECONDS = 3
"""The showing phone polls this often: a scanned code is replaced at once."""
ACTION = "check_in"


@lru_cache(maxsize=4)
def codes(secret: str) -> CheckinCodes:
    """The codes signed with the deployment's secret."""
    return CheckinCodes(secret, purpose=CODE_PURPOSE, step_seconds=CODE_STEP_SECONDS, leeway=1)


def issue(codes: CheckinCodes, subject: str, uses: int, now: datetime) -> CheckinCodeRead:
    """The code to show now for ``subject`` (``duty-shift:7``, ``meeting:3``)."""
    issued = codes.issue(subject, ACTION, now, use=uses)
    return CheckinCodeRead(
        token=issued.token,
        payload=f"redgrid:{subject}:{ACTION}:{issued.token}",
        expires_at=issued.expires_at,
        refresh_after_seconds=min(issued.refresh_after_seconds, REFRESH_SECONDS),
    )


def spend(codes: CheckinCodes, token: str, subject: str, uses: int, now: datetime) -> int:
    """Check a scanned code; the use counter to store (the caller holds the row's lock)."""
    verdict = codes.verify(token, subject, ACTION, now, use=uses)
    if verdict is Verdict.invalid:
        raise InvalidCheckinCode()
    if verdict is Verdict.stale:
        raise StaleCheckinCode()
    if verdict is Verdict.used:
        raise UsedCheckinCode()
    return uses + 1
