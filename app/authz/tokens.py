"""Short-lived access tokens (JWT, HS256) signed with the deployment's secret."""

import secrets
import time
from dataclasses import dataclass
from typing import Any

import jwt

from app.config import Settings

ALGORITHM = "HS256"
ISSUER = "redgrid"


@dataclass(frozen=True)
class AccessClaims:
    subject: str
    """``user:<id>`` or ``client:<client_id>``."""
    scopes: tuple[str, ...]
    expires_at: int


def issue_access_token(
    settings: Settings, subject: str, *, scopes: tuple[str, ...] = ()
) -> tuple[str, int]:
    """Returns the token and its lifetime in seconds."""
    now = int(time.time())
    ttl = settings.access_token_ttl_seconds
    payload: dict[str, Any] = {
        "iss": ISSUER,
        "sub": subject,
        "iat": now,
        "exp": now + ttl,
        "jti": secrets.token_hex(8),
    }
    if scopes:
        payload["scope"] = " ".join(scopes)
    return jwt.encode(payload, settings.secret_key, algorithm=ALGORITHM), ttl


def decode_access_token(settings: Settings, token: str) -> AccessClaims | None:
    try:
        payload = jwt.decode(
            token,
            settings.secret_key,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["exp", "sub", "iss"]},
        )
    except jwt.PyJWTError:
        return None
    return AccessClaims(
        subject=str(payload["sub"]),
        scopes=tuple(str(payload.get("scope", "")).split()),
        expires_at=int(payload["exp"]),
    )
