"""Personal information (PIPL, 个人信息保护法 art. 51): encryption, blind index, masking.

The ID number (身份证号) is stored three ways: AES-256-GCM ciphertext (shown in full
only to callers with ``pii`` over the person), an HMAC blind index (exact lookup and
uniqueness without decrypting) and its last four characters (the masked form, so a
caller without ``pii`` never causes a decryption). Keys are derived from
``settings.pii_key`` per purpose, so the index key cannot decrypt and vice versa.
"""

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Annotated

from fastapi import Depends, Request

from app.config import Settings
from app.kit.crypto import PII_ENCRYPTION, PII_INDEX, FieldCipher, derive_key, keyed_hash
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
    def __init__(self, pii_key: str) -> None:
        self._cipher = FieldCipher(derive_key(pii_key, PII_ENCRYPTION))
        self._index_key = derive_key(pii_key, PII_INDEX)

    def index(self, id_number: str) -> str:
        """Blind index of a normalised ID number."""
        return keyed_hash(self._index_key, id_number)

    def seal(self, id_number: str) -> IdNumberFields:
        return IdNumberFields(
            cipher=self._cipher.encrypt(id_number, associated_data=ID_NUMBER_AAD),
            hash=self.index(id_number),
            last4=id_number[-4:],
            # Already validated against today's date; the derivations only re-parse.
            birth_date=birth_date_of(id_number, today=date.max),
            gender=gender_of(id_number, today=date.max),
        )

    def open(self, cipher: bytes) -> str:
        return self._cipher.decrypt(cipher, associated_data=ID_NUMBER_AAD)


@lru_cache(maxsize=4)
def codec_for(pii_key: str) -> PiiCodec:
    return PiiCodec(pii_key)


def codec_from_settings(settings: Settings) -> PiiCodec:
    return codec_for(settings.pii_key)


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
