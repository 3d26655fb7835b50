"""Units (单位) and their links to the residential hierarchy (结对 / 挂钩联系).

A unit — a government organ (机关), public institution (事业单位) or enterprise (企业)
with its party organisation — is registered with a town or community (its row carries
that node's ancestor ids) but lives outside the five levels: it pairs with communities
and compounds (one or more), and its in-service members (在职党员) report there (双报到).
"""

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, IdMixin, ScopedMixin, TimestampMixin


class WorkUnit(IdMixin, ScopedMixin, TimestampMixin, Base):
    """单位: an organ, institution or enterprise and its party organisation."""

    __tablename__ = "work_unit"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('government', 'institution', 'enterprise', 'social', 'other')", name="kind"
        ),
        UniqueConstraint("org_unit_id", "name"),
    )

    org_unit_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("org_unit.id"))
    """The town (or community) whose registry holds the unit."""
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))
    party_org_name: Mapped[str] = mapped_column(String(100))
    """Its party organisation, e.g. 县税务局机关党支部."""
    contact_name: Mapped[str | None] = mapped_column(String(50))
    contact_phone: Mapped[str | None] = mapped_column(String(20))
    is_archived: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))


class WorkUnitMember(Base):
    """An in-service party member (在职党员) on a unit's roster; one unit per person."""

    __tablename__ = "work_unit_member"

    person_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("person.id"), primary_key=True)
    work_unit_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("work_unit.id"), index=True)
    joined_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("now()")
    )


class WorkUnitPairing(IdMixin, ScopedMixin, TimestampMixin, Base):
    """结对 / 挂钩联系: a unit linked with a community or a compound (小区), placed at
    (and scoped by) that node, so the community sees the units paired with it."""

    __tablename__ = "work_unit_pairing"
    __table_args__ = (
        Index(
            "uq_work_unit_pairing_live",
            "work_unit_id",
            "org_unit_id",
            unique=True,
            postgresql_where=text("ended_on IS NULL"),
        ),
        CheckConstraint("ended_on IS NULL OR ended_on >= started_on", name="ended_after_start"),
    )

    work_unit_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("work_unit.id"), index=True)
    org_unit_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("org_unit.id"))
    started_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)


class WorkUnitCommitment(IdMixin, ScopedMixin, TimestampMixin, Base):
    """A yearly commitment of a pairing (1–2 a year): a 民生实事 or a 小区党建项目,
    tracked until done."""

    __tablename__ = "work_unit_commitment"
    __table_args__ = (
        CheckConstraint("kind IN ('livelihood', 'party_project')", name="kind"),
        CheckConstraint("status IN ('planned', 'in_progress', 'done', 'dropped')", name="status"),
        CheckConstraint("(status = 'done') = (done_on IS NOT NULL)", name="done_on_when_done"),
        Index("ix_work_unit_commitment_pairing_id_year", "pairing_id", "year"),
    )

    pairing_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("work_unit_pairing.id"))
    year: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(String(1000))
    status: Mapped[str] = mapped_column(String(16), server_default=text("'planned'"))
    done_on: Mapped[date | None] = mapped_column(Date)
    result: Mapped[str | None] = mapped_column(String(500))
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))
