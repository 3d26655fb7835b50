"""Partner bodies, property contracts and office terms. Terms are history: ending one
sets ``ended_on``; nothing is overwritten or deleted."""

from datetime import date

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, IdMixin, ScopedMixin, TimestampMixin


class PartnerBody(IdMixin, ScopedMixin, TimestampMixin, Base):
    """合作主体: an owners' committee, property company, social organisation or unit,
    linked to a node (usually its compound) and scoped by it."""

    __tablename__ = "partner_body"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('owners_committee', 'property_company', 'social_organisation', 'unit')",
            name="kind",
        ),
        UniqueConstraint("org_unit_id", "kind", "name"),
    )

    kind: Mapped[str] = mapped_column(String(24))
    name: Mapped[str] = mapped_column(String(100))
    # Looked up through uq_partner_body_org_unit_id_kind_name (org_unit_id first).
    org_unit_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("org_unit.id"))
    """The node it is linked to (a compound for a committee)."""
    credit_code: Mapped[str | None] = mapped_column(String(18))
    """统一社会信用代码 (GB 32100)."""
    contact_name: Mapped[str | None] = mapped_column(String(50))
    contact_phone: Mapped[str | None] = mapped_column(String(20))
    """Masked (138****5678) for callers without ``pii`` over the body."""
    description: Mapped[str | None] = mapped_column(String(1000))
    is_active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    """False once dissolved or gone; its history stays."""
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))


class PropertyContract(IdMixin, ScopedMixin, TimestampMixin, Base):
    """物业服务合同: a property company serving a compound for a period; scoped by the
    compound."""

    __tablename__ = "property_contract"
    __table_args__ = (CheckConstraint("ends_on >= starts_on", name="period"),)

    body_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("partner_body.id"), index=True)
    org_unit_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("org_unit.id"))
    """The compound served."""
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(String(200))


class OfficeTerm(IdMixin, ScopedMixin, TimestampMixin, Base):
    """A person holding an office in a seat (org unit, body or station) for a term;
    scoped by the seat's node."""

    __tablename__ = "office_term"
    __table_args__ = (
        CheckConstraint("seat_kind IN ('org_unit', 'body', 'station')", name="seat_kind"),
        CheckConstraint(
            "(seat_kind = 'body') = (body_id IS NOT NULL) "
            "AND (seat_kind = 'station') = (station_id IS NOT NULL)",
            name="seat",
        ),
        CheckConstraint("ended_on IS NULL OR ended_on >= starts_on", name="term"),
        Index(
            "uq_office_term_current_seat",
            "person_id",
            "office",
            "seat_key",
            unique=True,
            postgresql_where=text("ended_on IS NULL"),
        ),
        Index("ix_office_term_person_id_id", "person_id", "id"),
    )

    office: Mapped[str] = mapped_column(String(32))
    person_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("person.id"))
    seat_kind: Mapped[str] = mapped_column(String(16))
    seat_key: Mapped[str] = mapped_column(String(40))
    """``<seat_kind>:<id>``: one current term per person, office and seat."""
    org_unit_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("org_unit.id"))
    """The seat's node: the org unit itself, or the body's or station's node."""
    body_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("partner_body.id"), index=True
    )
    station_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("station.id"), index=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    """Planned end of the term (任期届满), if any."""
    ended_on: Mapped[date | None] = mapped_column(Date)
    """When the term actually ended; null while it runs."""
    end_reason: Mapped[str | None] = mapped_column(String(200))
    grant_role: Mapped[str | None] = mapped_column(String(32), ForeignKey("role.code"))
    """The role the office carries at the seat's node (a 站长: community_admin there)."""
    role_grant_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("role_grant.id", ondelete="SET NULL")
    )
    """The grant made with the term and revoked when it ends; null when the holder
    already held that role there (nothing of the term's to revoke)."""
    appointed_by_user_id: Mapped[int | None] = mapped_column(BigInteger)
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))
