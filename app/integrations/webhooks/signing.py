"""Standard Webhooks signatures (https://www.standardwebhooks.com), made with the
``standardwebhooks`` library so receivers verify with the same code.

Each delivery carries ``webhook-id`` (the same on every retry, to de-duplicate),
``webhook-timestamp`` (seconds, the attempt's time) and ``webhook-signature``:
``v1,<base64 HMAC-SHA256 of "id.timestamp.body">``, one per secret in force,
space-separated, so a rotated secret keeps working during its overlap.
"""

import base64
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime

from standardwebhooks.webhooks import Webhook

from app.kit.crypto import FieldCipher, derive_key

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
_PURPOSE = "webhook-secret"
_AAD = b"webhook_subscription.secret"


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def headers(
    message_id: str, at: datetime, body: str, secrets_in_force: Sequence[str]
) -> dict[str, str]:
    at = at.astimezone(UTC).replace(microsecond=0)
    signatures = " ".join(Webhook(secret).sign(message_id, at, body) for secret in secrets_in_force)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signatures,
    }


class SecretBox:
    """Encrypts signing secrets at rest with a key derived from ``REDGRID_PII_KEY``."""

    def __init__(self, key_material: str) -> None:
        self._cipher = FieldCipher(derive_key(key_material, _PURPOSE))

    def seal(self, secret: str) -> bytes:
        return self._cipher.encrypt(secret, associated_data=_AAD)

    def open(self, token: bytes) -> str:
        return self._cipher.decrypt(token, associated_data=_AAD)
