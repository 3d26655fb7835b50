"""Field-level encryption and blind indexing of personal information at rest.

PIPL (个人信息保护法) art. 51 requires encryption of personal information;
等保2.0 (GB/T 22239-2019) requires confidentiality of important data in storage.

Token layout: version byte 0x01 || 12-byte random nonce || AES-256-GCM
ciphertext with 16-byte tag.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = [
    "PII_ENCRYPTION",
    "PII_INDEX",
    "DecryptionError",
    "FieldCipher",
    "derive_key",
    "keyed_hash",
]

PII_ENCRYPTION: Final = "pii-encryption"
PII_INDEX: Final = "pii-index"

KEY_SIZE: Final = 32
_VERSION: Final = b"\x01"
_NONCE_SIZE: Final = 12
_TAG_SIZE: Final = 16


class DecryptionError(ValueError):
    """Token is malformed, tampered with, or was made with another key/AAD."""


class FieldCipher:
    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_SIZE:
            raise ValueError(f"key must be {KEY_SIZE} bytes")
        self._aead = AESGCM(key)

    def encrypt(self, plaintext: str, *, associated_data: bytes = b"") -> bytes:
        nonce = os.urandom(_NONCE_SIZE)
        ciphertext = self._aead.encrypt(
            nonce, plaintext.encode("utf-8"), _VERSION + associated_data
        )
        return _VERSION + nonce + ciphertext

    def decrypt(self, token: bytes, *, associated_data: bytes = b"") -> str:
        # DB drivers may hand back memoryview/bytearray for binary columns.
        token = bytes(token)
        if len(token) < 1 + _NONCE_SIZE + _TAG_SIZE or token[:1] != _VERSION:
            raise DecryptionError("malformed token")
        nonce = token[1 : 1 + _NONCE_SIZE]
        try:
            # The version byte is authenticated too, so a future format
            # cannot be downgraded into this one.
            plaintext = self._aead.decrypt(
                nonce, token[1 + _NONCE_SIZE :], _VERSION + associated_data
            )
        except InvalidTag:
            raise DecryptionError("authentication failed") from None
        return plaintext.decode("utf-8")


def keyed_hash(key: bytes, value: str) -> str:
    """Hex HMAC-SHA256 blind index; normalise `value` first so lookups match.

    The key must stay secret: ID numbers and phone numbers have so little
    entropy that an unkeyed hash could be reversed by enumeration.
    """
    if len(key) < KEY_SIZE:
        raise ValueError(f"key must be at least {KEY_SIZE} bytes")
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()


def derive_key(secret: str, purpose: str) -> bytes:
    """32-byte key for `purpose` (PII_ENCRYPTION, PII_INDEX) from one secret.

    Distinct purposes give independent keys, so leaking the index key does
    not expose the encryption key and vice versa.
    """
    if not secret:
        raise ValueError("secret must not be empty")
    if not purpose:
        raise ValueError("purpose must not be empty")
    hkdf = HKDF(algorithm=hashes.SHA256(), length=KEY_SIZE, salt=None, info=purpose.encode())
    return hkdf.derive(secret.encode("utf-8"))
