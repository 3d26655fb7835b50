"""Field-level encryption and blind indexing of personal information at rest.

PIPL (个人信息保护法) art. 51 requires encryption of personal information;
等保2.0 (GB/T 22239-2019) requires confidentiality of important data in storage.

Token layout: version byte 0x01 || 12-byte random nonce || AES-256-GCM
ciphertext with 16-byte tag. A ``KeyRing`` token carries the id of its key in front:
0x02 || length of the key id (1 byte) || key id (ASCII) || a 0x01 token whose
associated data includes the key id, so the id cannot be swapped. A bare 0x01 token
(written before keys had ids) is read with key id "1".
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
    "LEGACY_KEY_ID",
    "PII_ENCRYPTION",
    "PII_INDEX",
    "DecryptionError",
    "FieldCipher",
    "KeyRing",
    "derive_key",
    "keyed_hash",
]

PII_ENCRYPTION: Final = "pii-encryption"
PII_INDEX: Final = "pii-index"

KEY_SIZE: Final = 32
_VERSION: Final = b"\x01"
_NONCE_SIZE: Final = 12
_TAG_SIZE: Final = 16
_RING_VERSION: Final = 0x02
LEGACY_KEY_ID: Final = "1"


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


class KeyRing:
    """Versioned keys: seals under the active key, opens under whichever key a token
    names, so keys rotate while old ciphertext stays readable until re-encrypted.

    Blind indexes are keyed per key id too (``index``); a lookup tries the index of
    every key (``indexes``), so rows not yet re-encrypted are still found.
    """

    def __init__(self, secrets: dict[str, str], active: str) -> None:
        if active not in secrets:
            raise ValueError(f"the active key id {active!r} is not among the keys")
        for key_id in secrets:
            if not key_id or len(key_id) > 32 or not key_id.isascii() or not key_id.isprintable():
                raise ValueError("key ids are 1 to 32 printable ASCII characters")
        self.active = active
        self._ciphers = {k: FieldCipher(derive_key(v, PII_ENCRYPTION)) for k, v in secrets.items()}
        self._index_keys = {k: derive_key(v, PII_INDEX) for k, v in secrets.items()}

    @property
    def key_ids(self) -> list[str]:
        return list(self._ciphers)

    def encrypt(self, plaintext: str, *, associated_data: bytes = b"") -> bytes:
        kid = self.active.encode()
        inner = self._ciphers[self.active].encrypt(
            plaintext, associated_data=_ring_aad(kid, associated_data)
        )
        return bytes([_RING_VERSION, len(kid)]) + kid + inner

    def decrypt(self, token: bytes, *, associated_data: bytes = b"") -> str:
        token = bytes(token)
        key_id, inner = _split(token)
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise DecryptionError(f"unknown key id {key_id!r}")
        if inner is token:  # legacy token: no key id inside the associated data
            return cipher.decrypt(inner, associated_data=associated_data)
        return cipher.decrypt(inner, associated_data=_ring_aad(key_id.encode(), associated_data))

    @staticmethod
    def key_id_of(token: bytes) -> str:
        return _split(bytes(token))[0]

    def index(self, value: str, key_id: str | None = None) -> str:
        """The blind index under ``key_id`` (default: the active key)."""
        return keyed_hash(self._index_keys[key_id or self.active], value)

    def indexes(self, value: str) -> list[str]:
        """The blind index under every key, active first: what a lookup compares."""
        active = self.index(value)
        return [active, *(self.index(value, k) for k in self._index_keys if k != self.active)]


def _ring_aad(kid: bytes, associated_data: bytes) -> bytes:
    return b"kid:" + kid + b"|" + associated_data


def _split(token: bytes) -> tuple[str, bytes]:
    if token[:1] == _VERSION:
        return LEGACY_KEY_ID, token
    if len(token) < 2 or token[0] != _RING_VERSION:
        raise DecryptionError("malformed token")
    end = 2 + token[1]
    if len(token) < end:
        raise DecryptionError("malformed token")
    return token[2:end].decode("ascii", errors="replace"), token[end:]
