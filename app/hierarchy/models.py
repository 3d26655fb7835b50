"""The five-level hierarchy (五级组织体系).

镇(街道)党委 → 社区党委 → 网格党支部 → 楼栋党小组 → 党员中心户.
"""

import enum

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, IdMixin, ScopedMixin, TimestampMixin


class OrgLevel(enum.StrEnum):
    """Level of a node; a node's parent is exactly one level up."""

    town = "town"
    """镇(街道)党委 · town or sub-district party committee (a root)."""
    community = "community"
    """社区党委 · community party committee."""
    grid = "grid"
    """网格(小区)党支部 · grid party branch."""
    building = "building"
    """楼栋党小组 · building party group."""
    household = "household"
    """党员中心户 · party member household."""


LEVELS: tuple[OrgLevel, ...] = tuple(OrgLevel)


class GridKind(enum.StrEnum):
    """Kind of grid branch (网格类型)."""

    compound = "compound"
    """小区网格 · residential compound."""
    street = "street"
    """街巷网格 · street grid."""
    functional = "functional"
    """功能型党支部 · functional branch, e.g. a property company's 物业党支部."""


class OrgUnit(IdMixin, ScopedMixin, TimestampMixin, Base):
    """A node of the hierarchy; its ``<level>_id`` columns include itself."""

    __tablename__ = "org_unit"
    # Timestamps and defaults come back with RETURNING, so no lazy refresh is needed
    # after a flush (a lazy load cannot run under asyncio).
    __mapper_args__ = {"eager_defaults": True}  # noqa: RUF012
    __table_args__ = (
        CheckConstraint(
            "level IN ('town', 'community', 'grid', 'building', 'household')", name="level"
        ),
        CheckConstraint("(level = 'town') = (parent_id IS NULL)", name="town_is_root"),
        CheckConstraint("(grid_kind IS NULL) OR (level = 'grid')", name="grid_kind_only_on_grids"),
        CheckConstraint(
            "grid_kind IS NULL OR grid_kind IN ('compound', 'street', 'functional')",
            name="grid_kind",
        ),
        Index("ix_org_unit_parent_id_name", "parent_id", "name"),
        Index(
            "ix_org_unit_code_trgm",
            "code",
            postgresql_using="gin",
            postgresql_ops={"code": "gin_trgm_ops"},
        ),
        Index(
            "ix_org_unit_name_trgm",
            "name",
            postgresql_using="gin",
            postgresql_ops={"name": "gin_trgm_ops"},
        ),
    )

    code: Mapped[str] = mapped_column(String(64), unique=True)
    """Unique code; government systems key on it."""

    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("org_unit.id"))
    grid_kind: Mapped[str | None] = mapped_column(String(16))
    address: Mapped[str | None] = mapped_column(String(200))
    contact_name: Mapped[str | None] = mapped_column(String(50))
    contact_phone: Mapped[str | None] = mapped_column(String(20))
    is_archived: Mapped[bool] = mapped_column(server_default=text("false"))
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))
    """Optimistic-locking version, exposed as the ETag."""
