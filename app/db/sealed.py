"""Columns encrypted at rest under the versioned PII keys (PIPL art. 51).

``Sealed`` encrypts on the way in and decrypts on the way out with the key ring the
engine carries (``create_engine`` attaches it to the dialect), so code reads and writes
plain values and never sees ciphertext. The ring is the engine's, not a global: every
engine is made from its settings. Equality on a sealed column never matches (each
ciphertext has its own nonce): look rows up by their blind index column instead.
"""

from typing import Any

from sqlalchemy import LargeBinary
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import TypeDecorator

from app.kit.crypto import KeyRing

RING_ATTRIBUTE = "redgrid_pii_ring"


def attach_keyring(dialect: Dialect, ring: KeyRing) -> None:
    setattr(dialect, RING_ATTRIBUTE, ring)


def keyring_of_dialect(dialect: Dialect) -> KeyRing:
    ring = getattr(dialect, RING_ATTRIBUTE, None)
    if ring is None:
        raise RuntimeError("this engine carries no PII key ring (use app.db.session.create_engine)")
    return ring  # type: ignore[no-any-return]


def keyring_of(session: AsyncSession) -> KeyRing:
    """The key ring of the engine ``session`` is bound to."""
    return keyring_of_dialect(session.get_bind().dialect)


class Sealed(TypeDecorator[str]):
    """A text value stored as a ``KeyRing`` token, bound to its column by ``purpose``."""

    impl = LargeBinary
    cache_ok = True

    def __init__(self, purpose: bytes) -> None:
        super().__init__()
        self.purpose = purpose

    def process_bind_param(self, value: Any, dialect: Dialect) -> bytes | None:
        if value is None:
            return None
        return keyring_of_dialect(dialect).encrypt(str(value), associated_data=self.purpose)

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return keyring_of_dialect(dialect).decrypt(bytes(value), associated_data=self.purpose)
