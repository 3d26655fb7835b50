"""双报到: an in-service member's registration (报到) with a community, as a record.

A member reports to their home community (居住地报到) and to the community their unit
is paired with (单位联系社区报到): each report is a row saying when, where, and who
confirmed it. In the home compound the member takes up the 三个一: joins one volunteer
team, links one building unit (楼栋单元), claims one area of responsibility (责任区).
"""

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, IdMixin, ScopedMixin, TimestampMixin


class DualRegistration(IdMixin, ScopedMixin, TimestampMixin, Base):
    """One registration (报到) of a member at a community or compound, scoped by it."""

    __tablename__ = "dual_registration"
    __table_args__ = (
        CheckConstraint("kind IN ('home', 'linked')", name="kind"),
        CheckConstraint("status IN ('pending', 'confirmed', 'withdrawn')", name="status"),
        CheckConstraint("kind = 'home' OR work_unit_id IS NOT NULL", name="linked_has_unit"),
        CheckConstraint(
            "kind = 'home' OR (volunteer_team_id IS NULL AND linked_building_id IS NULL"
            " AND responsibility_area IS NULL)",
            name="three_ones_at_home",
        ),
        Index(
            "uq_dual_registration_live",
            "person_id",
            "kind",
            "org_unit_id",
            unique=True,
            postgresql_where=text("status <> 'withdrawn'"),
        ),
        Index("ix_dual_registration_person_id", "person_id"),
        Index("ix_dual_registration_work_unit_id", "work_unit_id"),
    )

    person_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("person.id"))
    kind: Mapped[str] = mapped_column(String(8))
    """home 居住地社区 · linked 单位挂钩联系的社区."""
    org_unit_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("org_unit.id"))
    """The community (or its compound, a grid) reported to."""
    work_unit_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("work_unit.id"))
    """The member's unit: required for a linked registration; its 双考评 counts it."""
    status: Mapped[str] = mapped_column(String(16), server_default=text("'pending'"))
    registered_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("now()")
    )
    registered_by_user_id: Mapped[int | None] = mapped_column(BigInteger)
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    confirmed_by_user_id: Mapped[int | None] = mapped_column(BigInteger)
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    volunteer_team_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("volunteer_team.id")
    )
    """三个一 ①: the volunteer team joined (加入一支志愿服务队)."""
    linked_building_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("org_unit.id"))
    """三个一 ②: the building linked (挂钩联系一个楼栋单元)…"""
    linked_entrance: Mapped[str | None] = mapped_column(String(20))
    """…and its entrance (单元), e.g. 2单元."""
    responsibility_area: Mapped[str | None] = mapped_column(String(100))
    """三个一 ③: the area of responsibility claimed (认领一个责任区)."""
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))
