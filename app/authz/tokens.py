"""Short-lived access tokens (JWT, HS256) signed with the deployment's secret."""

import secrets
import time
from dataclasses import dataclass
from typing import Any

import jwt
from jwt.algorithms import HMACAlgorithm

from app.config import Settings

ALGORITHM = "HS256"
ISSUER = "redgrid"
AUDIENCE = "redgrid-api"
"""RFC 7519 §4.1.3: a token minted for this API only; one without it is refused."""


class _PreparedHMAC(HMACAlgorithm):
    """HS256 that vets and converts each secret once. PyJWT's ``prepare_key`` re-checks
    the secret on every sign and verify (PEM, SSH and DER sniffing, a JSON parse):
    a quarter of a cached caller's cost. The deployment has one secret (tests a few)."""

    def __init__(self) -> None:
        super().__init__(HMACAlgorithm.SHA256)
        self._prepared: dict[str | bytes, bytes] = {}

    def prepare_key(self, key: str | bytes) -> bytes:
        prepared = self._prepared.get(key)
        if prepared is None:
            prepared = super().prepare_key(key)  # raises for an unfit secret, every time
            if len(self._prepared) >= 16:
                self._prepared.clear()
            self._prepared[key] = prepared
        return prepared


def _build() -> jwt.PyJWT:
    instance = jwt.PyJWT()
    signer = jwt.PyJWS(algorithms=[ALGORITHM])
    signer.unregister_algorithm(ALGORITHM)
    signer.register_algorithm(ALGORITHM, _PreparedHMAC())
    # PyJWT signs and verifies through its PyJWS; it takes none in its constructor.
    instance._jws = signer
    return instance


_JWT = _build()


@dataclass(frozen=True)
class AccessClaims:
    subject: str
    """``user:<id>`` or ``client:<client_id>``."""
    scopes: tuple[str, ...]
    expires_at: int
    version: int | None = None
    """The account's token version when issued (``ver``); a user token whose version is
    behind the account's (password changed, signed out everywhere) is refused."""


def issue_access_token(
    settings: Settings, subject: str, *, scopes: tuple[str, ...] = (), version: int | None = None
) -> tuple[str, int]:
    """Returns the token and its lifetime in seconds."""
    now = int(time.time())
    ttl = settings.access_token_ttl_seconds
    payload: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": subject,
        "iat": now,
        "exp": now + ttl,
        "jti": secrets.token_hex(8),
    }
    if version is not None:
        payload["ver"] = version
    if scopes:
        payload["scope"] = " ".join(scopes)
    return _JWT.encode(payload, settings.secret_key, algorithm=ALGORITHM), ttl


def decode_access_token(settings: Settings, token: str) -> AccessClaims | None:
    try:
        payload = _JWT.decode(
            token,
            settings.secret_key,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            audience=AUDIENCE,
            options={"require": ["exp", "sub", "iss", "aud"]},
        )
    except jwt.PyJWTError:
        return None
    version = payload.get("ver")
    if version is not None and (not isinstance(version, int) or isinstance(version, bool)):
        return None
    return AccessClaims(
        subject=str(payload["sub"]),
        scopes=tuple(str(payload.get("scope", "")).split()),
        expires_at=int(payload["exp"]),
        version=version,
    )
