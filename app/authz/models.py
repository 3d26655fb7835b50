"""Roles, their permissions (data, not code), and grants of a role at a node."""

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, IdMixin, TimestampMixin


class Role(Base):
    """A role (角色) that can be granted at a node of the hierarchy."""

    __tablename__ = "role"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(50))
    name_en: Mapped[str] = mapped_column(String(50))
    description: Mapped[str | None] = mapped_column(String(500))


class RolePermission(Base):
    """One permission a role carries; editing these rows changes what a role may do."""

    __tablename__ = "role_permission"

    role: Mapped[str] = mapped_column(
        String(32), ForeignKey("role.code", ondelete="CASCADE"), primary_key=True
    )
    permission: Mapped[str] = mapped_column(String(64), primary_key=True)


class RoleGrant(IdMixin, TimestampMixin, Base):
    """A role held by a user at a node; it reaches the node's whole subtree."""

    __tablename__ = "role_grant"
    __table_args__ = (
        Index(
            "uq_role_grant_user_id_role_org_unit_id", "user_id", "role", "org_unit_id", unique=True
        ),
    )

    # Looked up through uq_role_grant_user_id_role_org_unit_id (user_id first).
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("user_account.id", ondelete="CASCADE")
    )
    role: Mapped[str] = mapped_column(String(32), ForeignKey("role.code"))
    org_unit_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("org_unit.id"), index=True)
    granted_by: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("user_account.id"))
