"""Personal information (PIPL, 个人信息保护法 art. 51): encryption, blind index, masking.

The ID number (身份证号) is stored three ways: AES-256-GCM ciphertext (shown in full
only to callers with ``pii`` over the person), an HMAC blind index (exact lookup and
uniqueness without decrypting) and its last four characters (the masked form, so a
caller without ``pii`` never causes a decryption). The mobile number is stored
encrypted (``Person.mobile``, a ``Sealed`` column) with its own blind index
(``mobile_hash``). Keys are versioned (``settings.pii_keyring``): every ciphertext names
its key id, new values are sealed under the active key, and ``redgrid rotate-pii-key``
re-encrypts the rest. Per key, the encryption and index keys are derived per purpose,
so the index key cannot decrypt and vice versa.
"""

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Annotated

from fastapi import Depends, Request

from app.config import Settings
from app.kit.crypto import LEGACY_KEY_ID, KeyRing
from app.kit.idcard import birth_date_of, gender_of
from app.kit.masking import mask_mobile

# Binds a ciphertext to its column: a token copied into another encrypted column
# (or another table) fails authentication instead of decrypting there.
ID_NUMBER_AAD = b"person.id_number"
ID_NUMBER_LENGTH = 18


@dataclass(frozen=True)
class IdNumberFields:
    """The stored columns derived from one (normalised) ID number."""

    cipher: bytes
    hash: str
    last4: str
    birth_date: date
    gender: str


class PiiCodec:
    def __init__(self, keys: str | KeyRing) -> None:
        """``keys``: the ring, or one secret (read as key id "1", the form before keys
        had ids: bench and old scripts pass ``settings.pii_key``)."""
        self.ring = keys if isinstance(keys, KeyRing) else KeyRing({LEGACY_KEY_ID: keys}, "1")

    def index(self, value: str) -> str:
        """Blind index of a normalised ID or mobile number under the active key."""
        return self.ring.index(value)

    def indexes(self, value: str) -> list[str]:
        """Its blind index under every key: a lookup matches rows not yet re-encrypted."""
        return self.ring.indexes(value)

    def seal(self, id_number: str) -> IdNumberFields:
        return IdNumberFields(
            cipher=self.ring.encrypt(id_number, associated_data=ID_NUMBER_AAD),
            hash=self.index(id_number),
            last4=id_number[-4:],
            # Already validated against today's date; the derivations only re-parse.
            birth_date=birth_date_of(id_number, today=date.max),
            gender=gender_of(id_number, today=date.max),
        )

    def open(self, cipher: bytes) -> str:
        return self.ring.decrypt(cipher, associated_data=ID_NUMBER_AAD)


@lru_cache(maxsize=4)
def _codec(keys: tuple[tuple[str, str], ...], active: str) -> PiiCodec:
    return PiiCodec(KeyRing(dict(keys), active))


def codec_for(pii_key: str) -> PiiCodec:
    return _codec(((LEGACY_KEY_ID, pii_key),), LEGACY_KEY_ID)


def codec_from_settings(settings: Settings) -> PiiCodec:
    keys, active = settings.pii_keyring()
    return _codec(tuple(sorted(keys.items())), active)


def masked_id_number(last4: str | None) -> str | None:
    """'**************1234': only the last four, the part a caller without ``pii`` may see.

    Built from the stored last four rather than ``kit.masking.mask_id_number`` of the
    decrypted number, so masking never decrypts and the region code stays hidden too.
    """
    return None if last4 is None else "*" * (ID_NUMBER_LENGTH - len(last4)) + last4


def shown_mobile(mobile: str | None, reveal: bool) -> str | None:
    return mobile if reveal else mask_mobile(mobile)


def shown_id_number(
    codec: PiiCodec, cipher: bytes | None, last4: str | None, reveal: bool
) -> str | None:
    if cipher is None:
        return None
    return codec.open(cipher) if reveal else masked_id_number(last4)


def get_codec(request: Request) -> PiiCodec:
    return codec_from_settings(request.app.state.settings)


Pii = Annotated[PiiCodec, Depends(get_codec)]
"""The request's codec for ID and phone numbers, from the app's settings."""
