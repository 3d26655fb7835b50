"""Re-encrypting people's ID and mobile numbers under the active PII key
(``redgrid rotate-pii-key``), a batch at a time.

Each batch is the caller's transaction (the CLI commits one per batch), so the
service keeps running: a batch locks only its own rows, briefly. Rows already under
the active key are left alone, so an interrupted run is simply run again; blind
indexes are recomputed with the ciphertext (and filled where missing), and lookups
try every key's index meanwhile (``KeyRing.indexes``).
"""

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.kit.crypto import KeyRing
from app.people import repository
from app.people.models import MOBILE_AAD
from app.people.pii import ID_NUMBER_AAD


@dataclass
class RotationCounts:
    scanned: int = 0
    id_numbers: int = 0
    """ID numbers re-encrypted under the active key."""
    mobiles: int = 0
    """Mobile numbers re-encrypted under the active key."""
    hashes_filled: int = 0
    """Mobile numbers whose missing blind index was filled."""
    last_id: int = 0
    by_key: dict[str, int] = field(default_factory=dict)
    """Values found under each older key id."""

    def add(self, other: "RotationCounts") -> None:
        self.scanned += other.scanned
        self.id_numbers += other.id_numbers
        self.mobiles += other.mobiles
        self.hashes_filled += other.hashes_filled
        self.last_id = max(self.last_id, other.last_id)
        for key_id, count in other.by_key.items():
            self.by_key[key_id] = self.by_key.get(key_id, 0) + count


async def rotate_batch(
    session: AsyncSession, ring: KeyRing, after_id: int, limit: int
) -> RotationCounts:
    """Re-encrypt the next ``limit`` people after ``after_id``; ``scanned`` below
    ``limit`` means the table is done."""
    counts = RotationCounts(last_id=after_id)
    for row in await repository.sealed_batch(session, after_id, limit):
        counts.scanned += 1
        counts.last_id = row.id
        values: dict[str, Any] = {}
        if row.id_number_cipher is not None:
            old = ring.key_id_of(row.id_number_cipher)
            if old != ring.active:
                number = ring.decrypt(row.id_number_cipher, associated_data=ID_NUMBER_AAD)
                values["id_number_cipher"] = ring.encrypt(number, associated_data=ID_NUMBER_AAD)
                values["id_number_hash"] = ring.index(number)
                counts.id_numbers += 1
                counts.by_key[old] = counts.by_key.get(old, 0) + 1
        if row.mobile_token is not None:
            old = ring.key_id_of(row.mobile_token)
            if old != ring.active or row.mobile_hash is None:
                mobile = ring.decrypt(row.mobile_token, associated_data=MOBILE_AAD)
                values["mobile"] = ring.encrypt(mobile, associated_data=MOBILE_AAD)
                values["mobile_hash"] = ring.index(mobile)
                if old != ring.active:
                    counts.mobiles += 1
                    counts.by_key[old] = counts.by_key.get(old, 0) + 1
                else:
                    counts.hashes_filled += 1
        if values:
            await repository.reseal(session, row.id, values)
    return counts
