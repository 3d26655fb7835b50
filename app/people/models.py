"""People (人员) and party members (党员) with their dual registration (双报到)."""

from datetime import date
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    event,
    inspect,
    text,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, Mapper, mapped_column

from app.db.base import ANCESTOR_COLUMNS, Base, IdMixin, ScopedMixin, TimestampMixin
from app.db.sealed import Sealed, keyring_of_dialect

MOBILE_AAD = b"person.mobile"


class Person(IdMixin, ScopedMixin, TimestampMixin, Base):
    """A resident or member. Scoped by the home node (household or building)."""

    __tablename__ = "person"
    # The people list is newest first within a scope: (ancestor column, id) per level makes
    # its first page one index range scan at any scope (measured at 500 k people: 418 ms
    # walking the primary key → 0.03 ms, README "Benchmarks"). They cover the single-column
    # ancestor indexes of ScopedMixin, so those are not declared here.
    __table_args__ = tuple(Index(f"ix_person_{c}_id", c, "id") for c in ANCESTOR_COLUMNS)
    blocks_archive = True
    """A node with live people under it is not archived."""

    town_id: Mapped[int] = mapped_column(BigInteger, sort_order=90)
    community_id: Mapped[int | None] = mapped_column(BigInteger, sort_order=91)
    grid_id: Mapped[int | None] = mapped_column(BigInteger, sort_order=92)
    building_id: Mapped[int | None] = mapped_column(BigInteger, sort_order=93)
    household_id: Mapped[int | None] = mapped_column(BigInteger, sort_order=94)

    name: Mapped[str] = mapped_column(String(50))
    mobile: Mapped[str | None] = mapped_column(Sealed(MOBILE_AAD))
    """Mainland mobile number, encrypted at rest under the versioned PII keys (PIPL);
    masked (138****5678) for callers without ``pii``."""

    mobile_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    """Keyed HMAC of the mobile number under the key that sealed it: finds people by
    number without decrypting. Kept in step by ``_index_mobile`` on every flush."""

    id_number_cipher: Mapped[bytes | None] = mapped_column(LargeBinary)
    """身份证号, AES-256-GCM encrypted at rest (PIPL)."""

    id_number_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    """Keyed HMAC of the ID number: finds a person by it without decrypting."""

    id_number_last4: Mapped[str | None] = mapped_column(String(4))
    """Kept to show the masked form without decrypting."""

    gender: Mapped[str | None] = mapped_column(String(8))
    birth_date: Mapped[date | None] = mapped_column(Date)
    home_unit_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("org_unit.id"), index=True)
    address_building: Mapped[str | None] = mapped_column(String(20))
    address_unit: Mapped[str | None] = mapped_column(String(20))
    address_room: Mapped[str | None] = mapped_column(String(20))
    is_archived: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))


@event.listens_for(Person, "before_insert")
@event.listens_for(Person, "before_update")
def _index_mobile(_mapper: Mapper[Any], connection: Connection, person: Person) -> None:
    """The blind index follows the number, whoever writes it (services, seeds, tests)."""
    state = inspect(person)
    if "mobile" in state.unloaded:
        return
    if state.persistent and not state.attrs.mobile.history.has_changes():
        return
    ring = keyring_of_dialect(connection.dialect)
    person.mobile_hash = None if person.mobile is None else ring.index(person.mobile)


class PartyMember(IdMixin, ScopedMixin, TimestampMixin, Base):
    """A person's party membership. Scoped by the branch that holds the relationship."""

    __tablename__ = "party_member"
    blocks_archive = True
    """Nor a node with live memberships under it."""

    person_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("person.id"), unique=True)
    branch_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("org_unit.id"), index=True)
    """The branch (grid-level 党支部) holding the organisational relationship (组织关系)."""
    join_date: Mapped[date] = mapped_column(Date)
    is_in_service: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    """在职党员: employed, so registered both where they live and where they work."""
    employer_unit: Mapped[str | None] = mapped_column(String(100))
    residence_community_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("org_unit.id"), index=True
    )
    """双报到: the community where the member lives."""
    employer_community_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("org_unit.id"), index=True
    )
    """双报到: the community the employer is linked to (挂钩联系)."""
    is_archived: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))
